/**
 * Cache keys: a stable text form of a node's identity and of its argument values. Equal
 * values give equal keys whatever the key order of objects, Maps or Sets; values without a
 * stable form (functions, symbols, class instances) are refused with the argument's path.
 */
import { createHash } from "node:crypto";
import { CacheKeyError } from "../errors.ts";
import { sourceText } from "../graph/pipe-func.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { NdArray } from "../map/ndarray.ts";

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
function stableForm(value: unknown, path: Path, seen: Set<object>): string {
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
    case "symbol":
      throw new Unhashable(path, describe(value));
  }
  if (value === null) return "n";
  const object = value as object;
  if (seen.has(object)) throw new Unhashable(path, "a value that contains itself");
  seen.add(object);
  try {
    return objectForm(object, path, seen);
  } finally {
    seen.delete(object);
  }
}

function objectForm(value: object, path: Path, seen: Set<object>): string {
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) {
      path.push(`[${i}]`);
      out += (i > 0 ? "," : "") + stableForm(value[i], path, seen);
      path.pop();
    }
    return `${out}]`;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    let out = "{";
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      path.push(`.${k}`);
      out += `${i > 0 ? "," : ""}${JSON.stringify(k)}:${stableForm(record[k], path, seen)}`;
      path.pop();
    }
    return `${out}}`;
  }
  if (value instanceof NdArray) {
    return `A${JSON.stringify(value.shape)}${JSON.stringify(value.dims)}${stableForm(value.data, path, seen)}`;
  }
  if (value instanceof Date)
    return `D${Number.isNaN(value.getTime()) ? "NaN" : value.toISOString()}`;
  if (value instanceof RegExp) return `R${String(value)}`;
  if (value instanceof Map) {
    path.push("<entry>");
    const entries = [...value].map(
      ([k, v]) => `${stableForm(k, path, seen)}=>${stableForm(v, path, seen)}`,
    );
    path.pop();
    return `M{${entries.sort().join(",")}}`;
  }
  if (value instanceof Set) {
    path.push("<item>");
    const items = [...value].map((v) => stableForm(v, path, seen));
    path.pop();
    return `S{${items.sort().join(",")}}`;
  }
  if (ArrayBuffer.isView(value)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return `${value.constructor.name}(${digest(bytes.toString("latin1"))})`;
  }
  if (value instanceof ArrayBuffer) {
    return `ArrayBuffer(${digest(Buffer.from(value).toString("latin1"))})`;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    return `J${value.constructor.name}${stableForm(toJSON.call(value), path, seen)}`;
  }
  throw new Unhashable(path, describe(value));
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

const identities = new WeakMap<AnyPipeFunc, string>();

/**
 * A node's identity: its name, outputs, function source text, bound values and defaults.
 * Changing any of them changes every key of the node, so no stale result is ever returned.
 *
 * @throws {@link CacheKeyError} when a bound value or default has no stable form.
 */
export function identityOf(f: AnyPipeFunc): string {
  let identity = identities.get(f);
  if (identity === undefined) {
    const parts = {
      name: f.name,
      outputs: f.outputs,
      source: sourceText(f),
      bound: f.call.bound,
      defaults: f.defaults,
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
