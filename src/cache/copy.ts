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
 * are returned as they are.
 *
 * An instance of a class written in JavaScript (a fitted model, a result record) is copied as
 * Python's `deepcopy` copies one: a new object with the same prototype (so its methods and
 * `instanceof` hold) and copies of its own properties, the constructor not called. What a
 * copy cannot reach is refused rather than lost: an instance of a class that declares private
 * members (`#weights`), or of a native class (a socket, a subclass of Map or Promise), whose
 * state lives where no copy can see it; a plain object in its place would be a silent wrong
 * result.
 */
import { type AnyNode, parse } from "acorn";
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
  if (out === undefined) return copyInstance(value, proto, copies);
  // NdArray's own fields are its state, copied by its constructor.
  if (!(value instanceof NdArray)) copyProperties(value, Object.keys(value), out, copies);
  return out;
}

/**
 * A copy of an instance of a class written in JavaScript: the same prototype, every own
 * property (enumerable or not) with its attributes, data copied, and the same frozen, sealed
 * or non-extensible state.
 *
 * @throws {@link UncopyableValue} for an instance of a native class or of one that declares
 *   private members.
 */
function copyInstance(value: object, proto: object, copies: Copies): object {
  const refusal = instanceRefusal(proto);
  if (refusal !== undefined) throw new UncopyableValue(refusal);
  const out = made(copies, value, Object.create(proto) as object);
  for (const key of Reflect.ownKeys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, key) as PropertyDescriptor;
    if ("value" in d) {
      d.value = copyChild(d.value, copies, typeof key === "string" ? key : String(key));
    }
    Object.defineProperty(out, key, d);
  }
  if (Object.isFrozen(value)) Object.freeze(out);
  else if (Object.isSealed(value)) Object.seal(out);
  else if (!Object.isExtensible(value)) Object.preventExtensions(out);
  return out;
}

/** Why instances of a prototype cannot be copied, per prototype; undefined when they can. */
const refusals = new WeakMap<object, string | null>();

/**
 * Walks the prototype chain up to `Object.prototype`: every class on it must be written in
 * JavaScript (a native one keeps its state in internal slots) and declare no private member
 * (read from its source with acorn, once per class).
 */
function instanceRefusal(proto: object): string | undefined {
  const known = refusals.get(proto);
  if (known !== undefined) return known ?? undefined;
  let refusal: string | null = null;
  const top = (proto as { constructor?: unknown }).constructor;
  const name = typeof top === "function" && top.name !== "" ? top.name : "a class";
  for (let p: object | null = proto; p !== null && p !== Object.prototype; ) {
    const ctor = Object.hasOwn(p, "constructor")
      ? (p as { constructor: unknown }).constructor
      : undefined;
    if (typeof ctor === "function") {
      const source = Function.prototype.toString.call(ctor);
      if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
        refusal = `an instance of ${name} (built on the native ${ctor.name}, whose state no copy can reach)`;
        break;
      }
      if (declaresPrivateMembers(source)) {
        refusal = `an instance of ${name} (class ${ctor.name || name} declares private members, #…, that no copy can reach)`;
        break;
      }
    }
    p = Object.getPrototypeOf(p) as object | null;
  }
  refusals.set(proto, refusal);
  return refusal ?? undefined;
}

/** Whether a class's source declares a private member; a source acorn cannot read counts as yes. */
function declaresPrivateMembers(source: string): boolean {
  if (!source.includes("#")) return false;
  let program: AnyNode;
  try {
    program = parse(`(${source})`, { ecmaVersion: "latest", sourceType: "module" }) as AnyNode;
  } catch {
    return true;
  }
  const stack: unknown[] = [program];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== "object" || node === null) continue;
    if (Array.isArray(node)) {
      stack.push(...node);
      continue;
    }
    if ((node as { type?: unknown }).type === "PrivateIdentifier") return true;
    for (const child of Object.values(node)) if (typeof child === "object") stack.push(child);
  }
  return false;
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
