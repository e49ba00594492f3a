/**
 * What can cross a thread boundary. Worker threads copy values with the structured clone
 * algorithm, which refuses functions, symbols, weak collections, promises and most host
 * objects (sockets, streams); these helpers tell whether a value crosses, and if not, say in
 * words what refused, for the error the user sees.
 */
import { Deserializer, Serializer } from "node:v8";

/** True when `postMessage` (and `structuredClone`) accept `value`. */
export function isCloneable(value: unknown): boolean {
  const type = typeof value;
  if (type === "function" || type === "symbol") return false;
  if (value === null || type !== "object") return true;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/** True for the error `postMessage` throws when structured clone refuses what it was given. */
export function isDataCloneError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "DataCloneError";
}

// How deep the search for the refusing part goes; past it the container itself is named.
const MAX_DEPTH = 8;

/** Where inside a value the part structured clone refuses sits, and that part. */
export interface UnclonablePart {
  /** Keys from the value down to the part (array indexes as numbers). */
  readonly path: readonly (string | number)[];
  /** The part itself: a function, a symbol, or an object clone refuses as a whole. */
  readonly part: unknown;
}

/**
 * Finds the first part of `value` that structured clone refuses, going down through arrays,
 * Maps, Sets and own fields; undefined when the whole value clones.
 */
export function findUnclonable(value: unknown): UnclonablePart | undefined {
  return search(value, [], new Set(), 0);
}

function search(
  value: unknown,
  path: (string | number)[],
  seen: Set<object>,
  depth: number,
): UnclonablePart | undefined {
  if (typeof value === "function" || typeof value === "symbol") return { path, part: value };
  if (value === null || typeof value !== "object" || isCloneable(value)) return undefined;
  if (seen.has(value) || depth >= MAX_DEPTH) return { path, part: value };
  seen.add(value);
  for (const [key, child] of children(value)) {
    const found = search(child, [...path, key], seen, depth + 1);
    if (found) return found;
  }
  // No part refuses on its own: the object itself does (a WeakMap, a Promise, a host object).
  return { path, part: value };
}

function children(value: object): Iterable<[string | number, unknown]> {
  if (value instanceof Map) return [...value].map(([k, v], i) => [`get(${label(k, i)})`, v]);
  if (value instanceof Set) return [...value].map((v, i) => [`[set item ${i}]`, v]);
  if (Array.isArray(value)) return value.map((v, i) => [i, v]);
  return Object.keys(value).map((k) => [k, (value as Record<string, unknown>)[k]]);
}

function label(key: unknown, i: number): string {
  return typeof key === "string"
    ? JSON.stringify(key)
    : typeof key === "number"
      ? `${key}`
      : `#${i}`;
}

/** "a function", "a symbol", "a WeakMap", "an object", "an array". */
export function describeKind(value: unknown): string {
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return "a symbol";
  if (value === null || typeof value !== "object") return `a ${typeof value}`;
  if (Array.isArray(value)) return "an array";
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)
    ?.constructor?.name;
  if (typeof name !== "string" || name === "" || name === "Object") return "an object";
  return `${/^[AEIOU]/.test(name) ? "an" : "a"} ${name}`;
}

/** Formats a path as `.deep[1].f`. */
export function formatPath(path: readonly (string | number)[]): string {
  return path
    .map((k) => {
      if (typeof k === "number") return `[${k}]`;
      if (/^[A-Za-z_$][\w$]*$/.test(k) || k.startsWith("get(")) return `.${k}`;
      return k.startsWith("[") ? k : `[${JSON.stringify(k)}]`;
    })
    .join("");
}

/**
 * Says what about `value` structured clone refuses: `"a function"`, `"a WeakMap"`,
 * `"a Holder (its .f is a function)"`. Undefined when the value clones.
 */
export function describeUnclonable(value: unknown): string | undefined {
  const found = findUnclonable(value);
  if (!found) return undefined;
  const kind = describeKind(value);
  if (found.path.length === 0) return kind;
  return `${kind} (its ${formatPath(found.path)} is ${describeKind(found.part)})`;
}

/**
 * Serializes `value` as `postMessage` would (V8's own serializer: typed arrays keep their whole
 * buffer, classes become plain objects), into bytes {@link fromBytes} reads back. Throws where
 * `postMessage` would, and also on shared memory and Node host objects (a KeyObject), which
 * only `postMessage` itself carries.
 */
export function toBytes(value: unknown): Buffer {
  const serializer = new Serializer();
  serializer.writeHeader();
  serializer.writeValue(value);
  return serializer.releaseBuffer();
}

/** Reads what {@link toBytes} wrote. */
export function fromBytes(bytes: Uint8Array): unknown {
  const deserializer = new Deserializer(bytes);
  deserializer.readHeader();
  return deserializer.readValue();
}
