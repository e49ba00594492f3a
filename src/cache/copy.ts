/**
 * Copies of results for the stores that keep them in memory (lru, hybrid): a store keeps a
 * copy of what it is given and returns a new copy on every hit, so neither the caller whose
 * call computed a result nor any caller of a hit shares a mutable object with the entry
 * (mutating a returned array never changes what the next hit returns). Disk and Redis copy
 * by serializing.
 *
 * A copy is of the data a value holds, as `structuredClone` makes it, written for the kinds
 * results are made of so a hit stays cheap (about 10x faster than `structuredClone` on small
 * objects): plain objects, arrays (holes and properties besides the elements included), typed
 * arrays, DataViews, ArrayBuffers, Maps, Sets, Dates, RegExps and NdArrays, with shared and
 * cyclic references kept as they are. Primitives are immutable and functions are code: both
 * are returned as they are. An instance of any other class cannot be copied faithfully (its
 * private fields and internal state are out of reach, and a plain object in its place would
 * be a silent wrong result), so it is refused.
 */
import { setOwn } from "../_internal/own.ts";
import { NdArray } from "../map/ndarray.ts";
import { extraKeys, typedArrayKind } from "./extra-keys.ts";

/** Thrown when a value cannot be copied; the path is built on the way out, only then. */
export class UncopyableValue extends Error {
  /** Where in the result the value sits (`.model`, `[3]`, `<entry>`), outermost first. */
  readonly segments: string[] = [];

  /** @param what - What the value is ("an instance of Model"). */
  constructor(readonly what: string) {
    super(what);
    this.name = "UncopyableValue";
  }

  /** The path as text: `.model[3]`, or empty for the result itself. */
  get path(): string {
    return this.segments.join("");
  }
}

/** Copies made so far in one copy, by original: keeps shared references shared, and ends cycles. */
type Copies = Map<object, unknown>;

/**
 * A copy of `value` that shares no mutable object with it.
 *
 * @throws {@link UncopyableValue} naming where the first value that cannot be copied sits.
 */
export function copyValue<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  return copyObject(value, new Map()) as T;
}

/** Where a child sits in its container, made into a path segment only when a copy fails. */
type Place = string | number | typeof ENTRY | typeof ITEM;
const ENTRY = Symbol("entry");
const ITEM = Symbol("item");

function segment(place: Place): string {
  if (place === ENTRY) return "<entry>";
  if (place === ITEM) return "<item>";
  return typeof place === "number" ? `[${place}]` : `.${place}`;
}

function copyChild(value: unknown, copies: Copies, place: Place): unknown {
  if (typeof value !== "object" || value === null) return value;
  const done = copies.get(value);
  if (done !== undefined) return done;
  try {
    return copyObject(value, copies);
  } catch (error) {
    if (error instanceof UncopyableValue) error.segments.unshift(segment(place));
    throw error;
  }
}

/** Records `copy` as the copy of `value` before its contents are copied, for cycles. */
function made<T>(copies: Copies, value: object, copy: T): T {
  copies.set(value, copy);
  return copy;
}

function copyObject(value: object, copies: Copies): unknown {
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype || proto === null) {
    const out = made(copies, value, proto === null ? Object.create(null) : {});
    copyProperties(value, Object.keys(value), out, copies);
    return out;
  }
  if (proto === Array.prototype) {
    const array = value as unknown[];
    // Elements and holes copied natively; objects among them are then replaced by copies.
    const out = made(copies, value, array.slice());
    for (let i = 0; i < out.length; i++) {
      const item = out[i];
      if (typeof item === "object" && item !== null) out[i] = copyChild(item, copies, i);
    }
    copyProperties(value, extraKeys(array), out, copies);
    return out;
  }
  if (ArrayBuffer.isView(value)) {
    const Kind = typedArrayKind(value);
    // A typed array made from one of its kind copies its elements in one pass. A kind this
    // Node version has that pipeweave does not know (Float16Array) is refused below.
    const out =
      Kind !== undefined
        ? new Kind(value)
        : value instanceof DataView
          ? new DataView(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength))
          : undefined;
    if (out !== undefined) {
      // A Buffer stays a Buffer (Node's Buffer is a Uint8Array with Buffer.prototype).
      if (Object.getPrototypeOf(out) !== proto) Object.setPrototypeOf(out, proto);
      made(copies, value, out);
      copyProperties(value, extraKeys(value), out, copies);
      return out;
    }
  }
  const out = builtinCopy(value, proto, copies);
  if (out === undefined) {
    const name = (proto as { constructor?: { name?: string } }).constructor?.name;
    throw new UncopyableValue(`an instance of ${name || "a class"}`);
  }
  // NdArray's own fields are its state, copied by its constructor.
  if (!(value instanceof NdArray)) copyProperties(value, Object.keys(value), out, copies);
  return out;
}

/** A copy of a Map, Set, Date, RegExp, ArrayBuffer or NdArray, without its own properties. */
function builtinCopy(value: object, proto: object, copies: Copies): object | undefined {
  if (proto === Map.prototype) {
    const out = made(copies, value, new Map());
    for (const [k, v] of value as Map<unknown, unknown>) {
      out.set(copyChild(k, copies, ENTRY), copyChild(v, copies, ENTRY));
    }
    return out;
  }
  if (proto === Set.prototype) {
    const out = made(copies, value, new Set());
    for (const v of value as Set<unknown>) out.add(copyChild(v, copies, ITEM));
    return out;
  }
  if (proto === Date.prototype) return made(copies, value, new Date((value as Date).getTime()));
  if (proto === RegExp.prototype) {
    const out = made(copies, value, new RegExp(value as RegExp));
    out.lastIndex = (value as RegExp).lastIndex;
    return out;
  }
  if (proto === ArrayBuffer.prototype) return made(copies, value, (value as ArrayBuffer).slice(0));
  if (value instanceof NdArray) {
    const data = copyChild(value.data, copies, "data") as unknown[];
    return made(copies, value, new NdArray(value.shape, value.dims, data));
  }
  return undefined;
}

function copyProperties(from: object, keys: readonly string[], to: object, copies: Copies): void {
  const source = from as Record<string, unknown>;
  const target = to as Record<string, unknown>;
  for (const k of keys) setOwn(target, k, copyChild(source[k], copies, k));
}
