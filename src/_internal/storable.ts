/**
 * Which values pipeweave stores with `v8.serialize` (the registry, disk and Redis caches, file
 * storage of run folders): those it gives back exactly as they went in.
 * It accepts much more, but restores a class instance as a plain object, a subclass of a
 * built-in (`class MyDate extends Date`) as the built-in, an Error without its own fields, and
 * drops symbol-keyed and non-enumerable properties. Storing any of those would change the
 * value silently, so they are refused, with where in the value they sit.
 */

type Constructor = abstract new (...args: never[]) => unknown;

/** The Error types v8 restores as themselves; any other Error comes back as `Error`. */
const ERRORS: readonly Constructor[] = [
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
  Error,
];
/** What an Error keeps through v8: anything else it has of its own is dropped. */
const ERROR_FIELDS = new Set<PropertyKey>(["message", "stack", "cause"]);

/** Built-ins restored as themselves, without any property set on them. */
const BARE: readonly Constructor[] = [Date, Map, Set, ArrayBuffer];
/** Built-ins restored as themselves, whose own properties are their content. */
const CONTAINERS: readonly Constructor[] = [Array, RegExp, Boolean, Number, String];

/** Typed array and DataView prototypes v8 restores as themselves (Buffer included). */
const VIEWS = new Set<object>(
  [
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
    DataView,
    Buffer,
    // Newer Node.js versions have it; where v8 cannot serialize it, serialize() refuses it.
    ...((globalThis as { Float16Array?: Constructor }).Float16Array
      ? [(globalThis as unknown as { Float16Array: Constructor }).Float16Array]
      : []),
  ].map((c) => c.prototype as object),
);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A property segment of a path: `.name`, or `["odd key"]`. */
const prop = (key: string): string =>
  IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;

/** A Map key as written in `.get(…)`. */
function mapKey(key: unknown, index: number): string {
  if (typeof key === "string") return JSON.stringify(key);
  if (typeof key === "number" || typeof key === "boolean" || typeof key === "bigint") {
    return typeof key === "bigint" ? `${key}n` : String(key);
  }
  return `<key ${index}>`;
}

const nameOf = (value: object): string => value.constructor?.name || "class";
const article = (name: string): string => (/^[AEIOU]/.test(name) ? "an" : "a");

/** The nearest built-in in `list` that `value` is an instance of. */
const baseOf = (value: object, list: readonly Constructor[]): Constructor | undefined =>
  list.find((c) => value instanceof c);

/**
 * Walks a value, keeping the path as a stack of segments: a path string is built only for
 * the value that is refused.
 */
class Walk {
  readonly #root: string;
  /** A property key, an array index, or a segment as written (`.get("k")`). */
  readonly #path: (string | number | { readonly raw: string })[] = [];
  readonly #seen = new Set<object>();

  constructor(root: string) {
    this.#root = root;
  }

  #at(): string {
    let out = this.#root;
    for (const s of this.#path) {
      out += typeof s === "string" ? prop(s) : typeof s === "number" ? `[${s}]` : s.raw;
    }
    return `\`${out}\``;
  }

  /** Why `value` would not come back as it went in, or undefined. */
  check(value: unknown): string | undefined {
    if (typeof value === "function")
      return `${this.#at()} is a function (${value.name || "anonymous"})`;
    if (typeof value === "symbol") return `${this.#at()} is a symbol`;
    if (value === null || typeof value !== "object" || this.#seen.has(value)) return undefined;
    const proto = Object.getPrototypeOf(value) as object | null;

    // Plain objects and arrays first: they are most of any large value.
    if (proto === Object.prototype) return this.#object(value);
    if (proto === Array.prototype) {
      return this.#symbols(value) ?? this.#array(value as readonly unknown[]);
    }
    if (ArrayBuffer.isView(value)) {
      return VIEWS.has(proto!) ? undefined : this.#subclass(value, proto);
    }
    if (value instanceof Error) return this.#error(value, proto);
    // A null-prototype object comes back with Object.prototype; it is allowed, as that changes
    // no field and such objects are common (Object.groupBy, querystring.parse).
    if (proto === null) return this.#object(value);

    const bare = baseOf(value, BARE);
    const base = bare ?? baseOf(value, CONTAINERS);
    if (!base) {
      return `${this.#at()} is ${article(nameOf(value))} ${nameOf(value)} instance, which would come back as a plain object`;
    }
    if (proto !== base.prototype) return this.#subclass(value, proto);
    if (bare) {
      const own = Reflect.ownKeys(value);
      if (own.length > 0) return this.#ownField(base, own[0]!);
    }
    if (value instanceof Map) return this.#map(value);
    if (value instanceof Set) return this.#set(value);
    return undefined;
  }

  #subclass(value: object, proto: object | null): string {
    // The first prototype up the chain that v8 knows is what the value would come back as.
    let base = proto;
    while (base && !VIEWS.has(base) && !isBuiltin(base)) base = Object.getPrototypeOf(base);
    const builtin = (base?.constructor as { name?: string } | undefined)?.name ?? "Object";
    const name = nameOf(value);
    return `${this.#at()} is ${article(name)} ${name}, a subclass of ${builtin}, which would come back as ${builtin}`;
  }

  #ownField(base: Constructor, key: PropertyKey): string {
    const shown = typeof key === "symbol" ? key.toString() : `"${key}"`;
    return `${this.#at()} is ${article(base.name)} ${base.name} with its own property ${shown}, which would be dropped`;
  }

  #error(value: Error, proto: object | null): string | undefined {
    const base = baseOf(value, ERRORS)!;
    if (proto !== base.prototype) return this.#subclass(value, proto);
    for (const key of Reflect.ownKeys(value)) {
      if (!ERROR_FIELDS.has(key)) {
        return `${this.#ownField(base, key)} (an Error keeps only message, stack and cause)`;
      }
    }
    const cause: unknown = value.cause;
    return Object.hasOwn(value, "cause") && !isLeaf(cause)
      ? this.#child(value, { raw: ".cause" }, cause)
      : undefined;
  }

  #symbols(value: object): string | undefined {
    const symbols = Object.getOwnPropertySymbols(value);
    if (symbols.length === 0) return undefined;
    return `${this.#at()} has the symbol-keyed property ${symbols[0]!.toString()}, which would be dropped`;
  }

  #object(value: object): string | undefined {
    const symbolic = this.#symbols(value);
    if (symbolic) return symbolic;
    const keys = Object.keys(value);
    const names = Object.getOwnPropertyNames(value);
    if (names.length !== keys.length) {
      const hidden = names.find((n) => !Object.prototype.propertyIsEnumerable.call(value, n));
      return `${this.#at()} has the non-enumerable property "${hidden}", which would be dropped`;
    }
    for (const key of keys) {
      const child = (value as Record<string, unknown>)[key];
      const reason = isLeaf(child) ? undefined : this.#child(value, key, child);
      if (reason) return reason;
    }
    return undefined;
  }

  #array(value: readonly unknown[]): string | undefined {
    for (let i = 0; i < value.length; i++) {
      const child = value[i];
      const reason = isLeaf(child) ? undefined : this.#child(value, i, child);
      if (reason) return reason;
    }
    return undefined;
  }

  #map(value: Map<unknown, unknown>): string | undefined {
    let i = 0;
    for (const [key, child] of value) {
      const reason =
        (isLeaf(key) ? undefined : this.#child(value, { raw: `.keys()[${i}]` }, key)) ??
        (isLeaf(child) ? undefined : this.#child(value, { raw: `.get(${mapKey(key, i)})` }, child));
      if (reason) return reason;
      i++;
    }
    return undefined;
  }

  #set(value: Set<unknown>): string | undefined {
    let i = 0;
    for (const child of value) {
      const reason = isLeaf(child)
        ? undefined
        : this.#child(value, { raw: `.values()[${i}]` }, child);
      if (reason) return reason;
      i++;
    }
    return undefined;
  }

  /**
   * Checks a child of `parent` that is not a leaf, under `segment`. Only a value holding
   * another object can be on a cycle, so only such parents are remembered: a Set entry per
   * object would cost more than the rest of the walk.
   */
  #child(
    parent: object,
    segment: string | number | { readonly raw: string },
    value: unknown,
  ): string | undefined {
    this.#seen.add(parent);
    this.#path.push(segment);
    const reason = this.check(value);
    this.#path.pop();
    return reason;
  }
}

/**
 * Null, numbers, strings, booleans, bigints and undefined always come back as they went in.
 * Callers test this before building a path segment: leaves are the bulk of large values.
 */
function isLeaf(value: unknown): boolean {
  return (
    value === null ||
    (typeof value !== "object" && typeof value !== "function" && typeof value !== "symbol")
  );
}

function isBuiltin(proto: object): boolean {
  return [...BARE, ...CONTAINERS, ...ERRORS].some((c) => c.prototype === proto);
}

/**
 * Why `value` would not come back from `v8.deserialize` as it went in, or undefined when it
 * would.
 *
 * @param root - What the value is (an output's name), which starts every path in the reason.
 * @returns A reason such as "`result.when` is a MyDate, a subclass of Date, which would come
 *   back as Date".
 */
export function unstorable(value: unknown, root: string): string | undefined {
  // Most stored values are numbers or strings: no walk for them (file storage calls this per element).
  return isLeaf(value) ? undefined : new Walk(root).check(value);
}
