/**
 * The named properties of arrays and typed arrays (`Object.assign([1, 2], { meta: "a" })`, a
 * RegExp match's `index` and `input`): cache keys and cached copies must carry them, since a
 * function can read them. Finding them is the cost: `Object.keys` makes a string of every
 * index first (about 6 µs per 1,000 elements, 100 ms per million), more than hashing the
 * elements themselves. So long arrays are first asked, by a check that does not list their
 * indices, whether they have any; only those that may are listed in full.
 */
import { type InspectOptions, inspect, isDeepStrictEqual, types } from "node:util";

/** Arrays up to this length are listed with `Object.keys` directly: as cheap as a check. */
const LISTED = 64;

/** Shared by every array without extra properties; empty, so sorting it writes nothing. */
const NONE: string[] = [];

/**
 * `util.inspect` lists an array's own enumerable properties besides its elements (Node's
 * `getOwnNonIndexProperties`, which does not walk the indices); with no element shown, an
 * array without any prints exactly `[ ... N more items ]`. Every option that could change
 * that text is set here, so a changed `inspect.defaultOptions` only sends arrays down the
 * full listing.
 */
const BARE: InspectOptions = {
  maxArrayLength: 0,
  depth: 0,
  customInspect: false,
  showHidden: false,
  showProxy: false,
  getters: false,
  colors: false,
  compact: 3,
  breakLength: Number.POSITIVE_INFINITY,
  sorted: false,
};

/** A typed array's constructor: a view or a copy of its elements from another of its kind. */
export type TypedArrayKind = new (
  ...args: [ArrayBufferLike, number, number] | [ArrayBufferView]
) => ArrayBufferView & { readonly length: number };

/** Typed array constructors by their intrinsic name (what `Symbol.toStringTag` reads). */
const TYPED: Readonly<Record<string, TypedArrayKind>> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as unknown as Record<string, TypedArrayKind>;

/** `%TypedArray%.prototype[Symbol.toStringTag]`: the intrinsic kind, whatever the subclass. */
const typedName = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Int8Array.prototype) as object,
  Symbol.toStringTag,
)!.get!;

/**
 * The built-in constructor of a typed array's kind, whatever its class (a Buffer's is
 * Uint8Array); undefined for a DataView.
 */
export function typedArrayKind(view: ArrayBufferView): TypedArrayKind | undefined {
  const name = typedName.call(view) as string | undefined;
  return name === undefined ? undefined : TYPED[name];
}

/** Whether `key` names an element of an array (an index), not a property of its own. */
function isIndex(key: string): boolean {
  const n = Number(key);
  return n >= 0 && n < 4294967295 && Number.isInteger(n) && String(n) === key;
}

function listed(value: object): string[] {
  const keys = Object.keys(value);
  const extra = keys.filter((k) => !isIndex(k));
  return extra.length === 0 ? NONE : extra;
}

/**
 * Whether `value` surely has no enumerable own property besides its elements (string- or
 * symbol-keyed); false when it may have one.
 */
function surelyBare(value: unknown[] | ArrayBufferView): boolean {
  if (types.isProxy(value)) return false;
  if (Array.isArray(value)) {
    return (
      Object.getPrototypeOf(value) === Array.prototype &&
      inspect(value, BARE) === `[ ... ${value.length} more items ]`
    );
  }
  // A new view of the same bytes has no properties of its own: deep equality compares the
  // bytes (a memcmp) and the enumerable own properties, so it is equal only when `value`
  // has none either.
  const Kind = typedArrayKind(value);
  if (Kind === undefined) return false;
  const bare = new Kind(value.buffer, value.byteOffset, (value as Int8Array).length);
  const proto = Object.getPrototypeOf(value) as object;
  if (Object.getPrototypeOf(bare) !== proto) Object.setPrototypeOf(bare, proto);
  return isDeepStrictEqual(value, bare);
}

/**
 * The enumerable own string-keyed properties of an array or typed array besides its
 * elements, in `Object.keys` order; empty for nearly every array (an empty array the caller
 * must not add to). Symbol-keyed and non-enumerable properties are left out, as they are for
 * plain objects.
 */
export function extraKeys(value: unknown[] | ArrayBufferView): string[] {
  const length = Array.isArray(value) ? value.length : (value as Int8Array).length;
  if (length > LISTED && surelyBare(value)) return NONE;
  return listed(value);
}
