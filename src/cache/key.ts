/**
 * Cache keys: a stable text form of a node's identity and of its argument values. Equal
 * values give equal keys whatever the key order of objects, Maps or Sets; values without a
 * stable form (functions, symbols, class instances) are refused with the argument's path.
 * Typed arrays, DataViews, ArrayBuffers and long arrays of numbers enter it as a hash of
 * their bytes ({@link numbersForm}). An array is keyed by its elements (a hole apart from
 * undefined) and by the properties set on it besides them (`Object.assign([1, 2], { meta })`,
 * a RegExp match's `index`); so are typed arrays, Maps, Sets, Dates and RegExps. Like a plain
 * object's, only enumerable string-keyed properties count.
 */
import { createHash } from "node:crypto";
import { CacheKeyError, InvalidOptionError } from "../errors.ts";
import { checkCaptures } from "../graph/captures.ts";
import { PARTIAL_TARGET, type PartialTarget } from "../graph/named-partial.ts";
import { sourceText } from "../graph/pipe-func.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { NdArray } from "../map/ndarray.ts";
import { extraKeys } from "./extra-keys.ts";
import { bytesDigest, numbersForm } from "./numeric-key.ts";

/** Longer stable forms are hashed, so keys stay short whatever the arguments' size. */
const MAX_PLAIN = 200;

const digest = (text: string): string => createHash("sha256").update(text).digest("base64url");

/** Thrown inside {@link stableForm}; turned into a CacheKeyError with the node's name. */
class Unhashable extends Error {
  readonly path: string;
  constructor(
    path: readonly string[],
    readonly what: string,
  ) {
    super(what);
    this.path = path.join("");
  }
}

/** The form of an array's hole: no other value's form is this text. */
const HOLE = "h";

/**
 * Where the walk is, as segments (`.x`, `[3]`), pushed and popped as it goes: building a
 * path string per element would cost more than the key itself.
 */
type Path = string[];

function describe(value: unknown): string {
  if (typeof value === "function") return `a function (${value.name || "anonymous"})`;
  if (typeof value === "symbol") return `a symbol (${String(value)})`;
  const ctor = (value as object).constructor?.name;
  return `an instance of ${ctor ?? "a class"} without toJSON()`;
}

/**
 * The stable text form of `value`.
 *
 * @throws Unhashable naming the path of the first value without one.
 */
function stableForm(value: unknown, path: Path, seen: Set<object>, bySource = false): string {
  switch (typeof value) {
    case "undefined":
      return "u";
    case "boolean":
      return value ? "t" : "f";
    case "number":
      return Object.is(value, -0) ? "d-0" : `d${value}`;
    case "bigint":
      return `b${value}`;
    case "string":
      return JSON.stringify(value);
    case "function":
      if (bySource) return functionForm(value, path);
      throw new Unhashable(path, describe(value));
    case "symbol":
      throw new Unhashable(path, describe(value));
  }
  if (value === null) return "n";
  const object = value as object;
  if (seen.has(object)) throw new Unhashable(path, "a value that contains itself");
  seen.add(object);
  try {
    return objectForm(object, path, seen, bySource);
  } finally {
    seen.delete(object);
  }
}

/**
 * A function identified by its source text (a captured helper). A bound function prints as
 * native code without its target, so it has no form.
 */
function functionForm(fn: Function, path: Path): string {
  const source = Function.prototype.toString.call(fn);
  if (/^function\s*\(\)\s*\{\s*\[native code\]\s*\}$/.test(source)) {
    throw new Unhashable(
      path,
      `a bound or native function (${fn.name || "anonymous"}) whose source does not identify it`,
    );
  }
  return `F${digest(source)}`;
}

function objectForm(value: object, path: Path, seen: Set<object>, bySource: boolean): string {
  if (Array.isArray(value)) {
    // Long arrays of numbers only: their bytes hashed in one pass, not a text per number.
    let out = numbersForm(value);
    if (out === undefined) {
      out = "[";
      for (let i = 0; i < value.length; i++) {
        path.push(`[${i}]`);
        const item: unknown = value[i];
        // A hole is not undefined to the function: forEach, filter, `in` and Object.keys skip it.
        const form =
          item === undefined && !Object.hasOwn(value, i)
            ? HOLE
            : stableForm(item, path, seen, bySource);
        out += (i > 0 ? "," : "") + form;
        path.pop();
      }
      out += "]";
    }
    return out + extrasForm(value, extraKeys(value), path, seen, bySource);
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype)
    return recordForm(value, Object.keys(value), path, seen, bySource);
  // Without a prototype, `toString`, `hasOwnProperty` and `in` answer otherwise.
  if (proto === null) return `N${recordForm(value, Object.keys(value), path, seen, bySource)}`;
  if (value instanceof NdArray) {
    return `A${JSON.stringify(value.shape)}${JSON.stringify(value.dims)}${stableForm(value.data, path, seen, bySource)}`;
  }
  const form = builtinForm(value, path, seen, bySource);
  if (form !== undefined) {
    // Their properties have no index among them, so Object.keys lists only those.
    const keys = ArrayBuffer.isView(value) ? extraKeys(value) : Object.keys(value);
    return form + extrasForm(value, keys, path, seen, bySource);
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    return `J${value.constructor.name}${stableForm(toJSON.call(value), path, seen, bySource)}`;
  }
  throw new Unhashable(path, describe(value));
}

/** The form of a Date, RegExp, Map, Set or binary value without its own properties. */
function builtinForm(
  value: object,
  path: Path,
  seen: Set<object>,
  bySource: boolean,
): string | undefined {
  if (value instanceof Date)
    return `D${Number.isNaN(value.getTime()) ? "NaN" : value.toISOString()}`;
  // Where a global or sticky RegExp's next match starts is part of what exec() returns.
  if (value instanceof RegExp) {
    const next =
      value.lastIndex === 0 ? "" : `@${stableForm(value.lastIndex, path, seen, bySource)}`;
    return `R${String(value)}${next}`;
  }
  if (value instanceof Map) {
    path.push("<entry>");
    const entries = [...value].map(
      ([k, v]) => `${stableForm(k, path, seen, bySource)}=>${stableForm(v, path, seen, bySource)}`,
    );
    path.pop();
    return `M{${entries.sort().join(",")}}`;
  }
  if (value instanceof Set) {
    path.push("<item>");
    const items = [...value].map((v) => stableForm(v, path, seen, bySource));
    path.pop();
    return `S{${items.sort().join(",")}}`;
  }
  if (ArrayBuffer.isView(value)) {
    // Only the bytes the view shows, so a subarray keys like a copy of its elements. The
    // constructor's name keeps a Float64Array apart from a Float32Array, a DataView or a
    // number[] (whose form starts with "[") of the same numbers.
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return `${value.constructor.name}(${bytesDigest(bytes)})`;
  }
  if (value instanceof ArrayBuffer) return `ArrayBuffer(${bytesDigest(new Uint8Array(value))})`;
  return undefined;
}

/**
 * `{"key":form,…}` of `keys` of `record`, sorted (in place) so insertion order does not
 * count.
 */
function recordForm(
  record: object,
  keys: string[],
  path: Path,
  seen: Set<object>,
  bySource: boolean,
): string {
  const sorted = keys.length > 1 ? keys.sort() : keys;
  let out = "{";
  for (let i = 0; i < sorted.length; i++) {
    const k = sorted[i]!;
    path.push(`.${k}`);
    const form = stableForm((record as Record<string, unknown>)[k], path, seen, bySource);
    out += `${i > 0 ? "," : ""}${JSON.stringify(k)}:${form}`;
    path.pop();
  }
  return `${out}}`;
}

/**
 * The properties an array, typed array, Map, Set, Date or RegExp has besides its contents:
 * nothing when it has none, so the keys of such values stay as they were; `+{…}` after the
 * contents' form otherwise, which no form continues with.
 */
function extrasForm(
  value: object,
  keys: string[],
  path: Path,
  seen: Set<object>,
  bySource: boolean,
): string {
  return keys.length === 0 ? "" : `+${recordForm(value, keys, path, seen, bySource)}`;
}

/**
 * The key of one call: `identity` and the stable form of each named argument. Hashed when
 * long.
 *
 * @param node - The node's name, for errors.
 * @param identity - The node's identity key (see {@link identityOf}).
 * @param args - Argument values by name.
 * @throws {@link CacheKeyError} naming the node and the argument that has no stable form.
 */
export function callKey(
  node: string,
  identity: string,
  args: Readonly<Record<string, unknown>>,
): string {
  let form: string;
  try {
    form = stableForm(args, [], new Set());
  } catch (error) {
    if (!(error instanceof Unhashable)) throw error;
    const [argument = "", ...rest] = error.path.slice(1).split(/(?=[.[<])/);
    throw new CacheKeyError(node, argument, `${argument}${rest.join("")}`, error.what);
  }
  return `${identity}:${form.length > MAX_PLAIN ? digest(form) : form}`;
}

/**
 * A hash of `value`'s stable form (object, Map and Set order ignored), or undefined when the
 * value has none (a function, a class instance, a cycle).
 */
export function stableHash(value: unknown): string | undefined {
  try {
    return digest(stableForm(value, [], new Set()));
  } catch (error) {
    if (error instanceof Unhashable) return undefined;
    throw error;
  }
}

/**
 * What a function's identity holds beyond its source, bound values and defaults: its
 * `version`, the hash of its `captures` (a function value hashed by its source text), the
 * values a namedPartial binds, and for a nested function the same of every inner function,
 * with its bound values and defaults. Empty for a function with none of these, so such a
 * function keeps the identity it had before captures could be declared.
 *
 * @param f - A pipe function.
 * @throws {@link InvalidOptionError} naming the function and the value that cannot be hashed
 *   (a class instance without toJSON, a bound function), unless a `version` covers it.
 */
export function captureIdentity(f: AnyPipeFunc): string {
  let out = "";
  if (f.version !== undefined) out += `v${typeof f.version}:${f.version}`;
  if (f.captures !== undefined) out += `c${identityHash(f, "captures", f.captures)}`;
  let fn: Function = f.call.fn;
  for (;;) {
    const target = (fn as { [PARTIAL_TARGET]?: PartialTarget })[PARTIAL_TARGET];
    if (!target) break;
    out += `p${identityHash(f, `namedPartial "${fn.name}" bound`, target.bound)}`;
    fn = target.fn;
  }
  if (f.call.parts) {
    const inner = f.call.parts.map(
      (p) =>
        `${captureIdentity(p)}|${identityHash(p, "bound", p.call.bound)}|` +
        identityHash(p, "defaults", p.defaults),
    );
    out += `n[${inner.join(",")}]`;
  }
  return out;
}

/** The hash of a value entering `f`'s identity; `?` for one without a form that `version` covers. */
function identityHash(f: AnyPipeFunc, option: string, value: unknown): string {
  try {
    return digest(stableForm(value, [], new Set(), true)).slice(0, 22);
  } catch (error) {
    if (!(error instanceof Unhashable)) throw error;
    if (f.version !== undefined) return "?";
    const where = `${option}${error.path}`;
    throw new InvalidOptionError(
      option,
      `Function "${f.name}" cannot be identified for a cache or run folder: \`${where}\` is ` +
        `${error.what}, which has no stable form to hash. Declare plain data that identifies ` +
        "it instead (captures: { model: model.id }), or give the function a `version` that " +
        "you change when the value changes.",
    );
  }
}

const identities = new WeakMap<AnyPipeFunc, string>();

/**
 * A node's identity: its name, outputs, function source text, bound values, defaults and
 * what it captures ({@link captureIdentity}). Changing any of them changes every key of the
 * node, so no stale result is ever returned.
 *
 * @throws {@link UndeclaredCaptureError} when the function reads values from outside itself
 *   that it does not declare.
 * @throws {@link CacheKeyError} when a bound value or default has no stable form.
 * @throws {@link InvalidOptionError} when a declared captured value has no stable form.
 */
export function identityOf(f: AnyPipeFunc): string {
  let identity = identities.get(f);
  if (identity === undefined) {
    checkCaptures(f, "it is cached");
    const captured = captureIdentity(f);
    const parts = {
      name: f.name,
      outputs: f.outputs,
      source: sourceText(f),
      bound: f.call.bound,
      defaults: f.defaults,
      // Only present when there is something, so keys of functions without captures stay.
      ...(captured === "" ? {} : { captured }),
    };
    let form: string;
    try {
      form = stableForm(parts, [], new Set());
    } catch (error) {
      if (!(error instanceof Unhashable)) throw error;
      const path = error.path.slice(1);
      throw new CacheKeyError(f.name, path.split(/[.[<]/)[1] ?? path, path, error.what);
    }
    identity = digest(form).slice(0, 22);
    identities.set(f, identity);
  }
  return identity;
}
