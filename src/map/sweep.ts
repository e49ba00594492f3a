import { setOwn } from "../_internal/own.ts";
import { InvalidArgumentError } from "../errors.ts";
/**
 * The combination type of a set of value lists: `{ a: number[]; b: string[] }` gives
 * `{ a: number; b: string }`.
 */
export type Combination<V extends Readonly<Record<string, readonly unknown[]>>> = {
  [K in keyof V]: V[K][number];
};

/** Flatten an intersection into one object type, so inferred sweeps read as plain objects. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Column arrays of a sweep: one array per key, one entry per combination. */
export type SweepInputs<R extends Record<string, unknown>> = { [K in keyof R]: R[K][] };

const SWEEP_BRAND = Symbol.for("pipeweave.sweep");

let createSweep: <R extends Record<string, unknown>>(
  keys: readonly string[],
  source: () => Iterable<R>,
  size: number | undefined,
) => Sweep<R>;

/**
 * A lazy, re-iterable set of input combinations for `pipeline.map`, as pipefunc's `Sweep`. Build
 * one with {@link sweep}; every method returns a new sweep and leaves this one unchanged.
 *
 * @typeParam R - One combination: `{ [input]: value }`.
 * @example
 * ```ts
 * const s = sweep({ a: [1, 2], b: ["x", "y"] }) // 4 combos, "a" varies slowest
 *   .zip({ seed: [1, 2], tag: ["p", "q"] })      // x 2, seed and tag moving together
 *   .filter(({ a, seed }) => a !== seed);        // 4 of the 8 left
 * s.length; // 4
 * // Every key zipped on one axis: mapspec "a[i], b[i], seed[i], tag[i] -> c[i]".
 * const results = await pipeline.map(s.toInputs());
 * ```
 */
export class Sweep<R extends Record<string, unknown>> {
  static {
    createSweep = (keys, source, size) => new Sweep(keys, source, size);
  }

  /** Names of the inputs each combination sets, in the order they were added. */
  readonly keys: readonly (keyof R & string)[];
  readonly #source: () => Iterable<R>;
  #size: number | undefined;

  private constructor(
    keys: readonly string[],
    source: () => Iterable<R>,
    size: number | undefined,
  ) {
    this.keys = Object.freeze([...keys]) as readonly (keyof R & string)[];
    this.#source = source;
    this.#size = size;
  }

  /** Brand that {@link isSweep} checks, so it works across copies of this module. */
  get [SWEEP_BRAND](): true {
    return true;
  }

  /**
   * Number of combinations. Known up front unless the sweep was filtered, in which case the
   * first read iterates it once and remembers the count.
   */
  get length(): number {
    if (this.#size === undefined) {
      let count = 0;
      for (const _ of this.#source()) count++;
      this.#size = count;
    }
    return this.#size;
  }

  /** Iterate over the combinations, each a fresh object. */
  [Symbol.iterator](): Iterator<R> {
    return this.#source()[Symbol.iterator]();
  }

  /**
   * Every combination, in order.
   *
   * @returns A new array of fresh objects.
   */
  toArray(): R[] {
    return [...this.#source()];
  }

  /**
   * Add a dimension whose values move together: the lists are paired element-wise, and each pair
   * is combined with every existing combination (the new dimension varies fastest).
   *
   * @param values - Lists of one common length, keyed by input names not yet in the sweep.
   * @returns A sweep of `length * n` combinations for lists of length `n`.
   * @throws RangeError when two lists differ in length, naming both keys and lengths.
   * @throws TypeError when a key is already in the sweep or a value is not an array.
   * @example
   * ```ts
   * sweep({ a: [1, 2] }).zip({ b: [1, 2], c: [3, 4] }).toArray();
   * // [{ a: 1, b: 1, c: 3 }, { a: 1, b: 2, c: 4 }, { a: 2, b: 1, c: 3 }, { a: 2, b: 2, c: 4 }]
   * ```
   */
  zip<V extends Readonly<Record<string, readonly unknown[]>>>(
    values: V,
  ): Sweep<Simplify<R & Combination<V>>> {
    return this.product(zipped(values));
  }

  /**
   * Keep only the combinations `predicate` accepts.
   *
   * @param predicate - Called with each combination; a type guard narrows the result type.
   * @returns A sweep whose length is counted on first read.
   * @example
   * ```ts
   * sweep({ a: [1, 2, 3], b: [1, 2, 3] }).filter(({ a, b }) => a < b).length; // 3
   * ```
   */
  filter<S extends R>(predicate: (combination: R) => combination is S): Sweep<S>;
  filter(predicate: (combination: R) => boolean): Sweep<R>;
  filter(predicate: (combination: R) => boolean): Sweep<R> {
    const source = this.#source;
    return new Sweep(
      this.keys,
      function* () {
        for (const combination of source()) if (predicate(combination)) yield combination;
      },
      undefined,
    );
  }

  /**
   * Concatenate the combinations of two sweeps over the same keys: this sweep's first, then
   * `other`'s (with keys in this sweep's order).
   *
   * @param other - A sweep setting exactly the same keys.
   * @returns A sweep of `this.length + other.length` combinations.
   * @throws TypeError when the key sets differ, naming the keys only one side has.
   * @example
   * ```ts
   * sweep({ a: [1], b: [2] }).add(sweep({ a: [10, 20], b: [30] })).length; // 3
   * ```
   */
  add(other: Sweep<R>): Sweep<R> {
    const keys = this.keys;
    const onlyHere = keys.filter((key) => !other.keys.includes(key));
    const onlyThere = other.keys.filter((key) => !keys.includes(key));
    if (onlyHere.length > 0 || onlyThere.length > 0) {
      const parts = [
        onlyHere.length > 0 ? `only this sweep has ${quoteList(onlyHere)}` : "",
        onlyThere.length > 0 ? `only the other has ${quoteList(onlyThere)}` : "",
      ].filter(Boolean);
      throw new InvalidArgumentError(
        "other",
        `Cannot add sweeps with different keys: ${parts.join(", ")}. ` +
          "Both sweeps must set the same inputs; use .product() to combine different ones.",
      );
    }
    const first = this.#source;
    const second = other.#source;
    const sameOrder = keys.every((key, i) => other.keys[i] === key);
    const size =
      this.#size === undefined || other.#size === undefined ? undefined : this.#size + other.#size;
    return new Sweep(
      keys,
      function* () {
        yield* first();
        if (sameOrder) {
          yield* second();
          return;
        }
        for (const combination of second()) {
          const reordered: Record<string, unknown> = {};
          for (const key of keys) setOwn(reordered, key, combination[key]);
          yield reordered as R;
        }
      },
      size,
    );
  }

  /**
   * Outer product with another sweep over different keys: every combination of this sweep with
   * every combination of `other` (this sweep varies slowest).
   *
   * @param other - A sweep sharing no key with this one.
   * @returns A sweep of `this.length * other.length` combinations.
   * @throws TypeError when the two sweeps share a key, naming it.
   * @example
   * ```ts
   * sweep({ a: [1, 2] }).product(sweep({ b: ["x", "y", "z"] })).length; // 6
   * ```
   */
  product<S extends Record<string, unknown>>(other: Sweep<S>): Sweep<Simplify<R & S>> {
    const shared = other.keys.filter((key) => (this.keys as readonly string[]).includes(key));
    if (shared.length > 0) {
      throw new InvalidArgumentError(
        "other",
        `Cannot combine sweeps that both set ${quoteList(shared)}: each input may vary in one ` +
          "place only. Rename it, or use .add() to concatenate sweeps over the same inputs.",
      );
    }
    const outer = this.#source;
    const inner = other.#source;
    const size =
      this.#size === undefined || other.#size === undefined ? undefined : this.#size * other.#size;
    return new Sweep<Simplify<R & S>>(
      [...this.keys, ...other.keys],
      function* () {
        for (const a of outer()) {
          for (const b of inner()) yield { ...a, ...b } as Simplify<R & S>;
        }
      },
      size,
    );
  }

  /**
   * Column arrays, one entry per combination, for `pipeline.map` with a mapspec that zips every
   * key on one axis, such as `"a[i], b[i] -> c[i]"`.
   *
   * @returns `{ [key]: values }`, every array `length` long.
   * @example
   * ```ts
   * sweep({ a: [1, 2], b: ["x", "y"] }).toInputs();
   * // { a: [1, 1, 2, 2], b: ["x", "y", "x", "y"] }
   * ```
   */
  toInputs(): SweepInputs<R> {
    const columns: Record<string, unknown[]> = {};
    for (const key of this.keys) setOwn(columns, key, []);
    let count = 0;
    for (const combination of this.#source()) {
      for (const key of this.keys) columns[key]!.push(combination[key]);
      count++;
    }
    this.#size = count;
    return columns as SweepInputs<R>;
  }
}

/**
 * The outer product of value lists, as pipefunc's `Sweep`: every combination of one value from
 * each list, the first key varying slowest. No keys gives one empty combination; an empty list
 * gives none.
 *
 * @param values - `{ input: values }` for each input to vary.
 * @returns A sweep typed `{ [input]: element type }`.
 * @throws TypeError when a value is not an array, naming its key.
 * @example
 * ```ts
 * const s = sweep({ a: [1, 2], b: ["x"] }); // Sweep<{ a: number; b: string }>
 * s.toArray();                              // [{ a: 1, b: "x" }, { a: 2, b: "x" }]
 * ```
 */
export function sweep<V extends Readonly<Record<string, readonly unknown[]>>>(
  values: V,
): Sweep<Combination<V>> {
  const keys = Object.keys(values);
  const lists = keys.map((key) => checkList(values, key));
  const shape = lists.map((list) => list.length);
  let size = 1;
  for (const length of shape) size *= length;
  return createSweep<Combination<V>>(
    keys,
    function* () {
      if (size === 0) return;
      const index = new Array<number>(keys.length).fill(0);
      for (let n = 0; n < size; n++) {
        const combination: Record<string, unknown> = {};
        for (let k = 0; k < keys.length; k++) setOwn(combination, keys[k]!, lists[k]![index[k]!]);
        yield combination as Combination<V>;
        for (let k = keys.length - 1; k >= 0; k--) {
          if (++index[k]! < shape[k]!) break;
          index[k] = 0;
        }
      }
    },
    size,
  );
}

/**
 * True when `value` is a {@link Sweep}, also one made by another copy of this module.
 *
 * @param value - Anything, such as the inputs given to `pipeline.map`.
 * @returns Whether `value` is a sweep.
 */
export function isSweep(value: unknown): value is Sweep<Record<string, unknown>> {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [SWEEP_BRAND]?: unknown })[SWEEP_BRAND] === true
  );
}

function zipped<V extends Readonly<Record<string, readonly unknown[]>>>(
  values: V,
): Sweep<Combination<V>> {
  const keys = Object.keys(values);
  const lists = keys.map((key) => checkList(values, key));
  const length = lists[0]?.length ?? 1;
  for (let k = 1; k < keys.length; k++) {
    if (lists[k]!.length !== length) {
      throw new InvalidArgumentError(
        keys[k]!,
        `Cannot zip "${keys[0]}" (length ${length}) with "${keys[k]}" (length ` +
          `${lists[k]!.length}): zipped lists must have the same length. ` +
          "Make them equally long, or use sweep() for their product.",
      );
    }
  }
  return createSweep<Combination<V>>(
    keys,
    function* () {
      for (let n = 0; n < length; n++) {
        const combination: Record<string, unknown> = {};
        for (let k = 0; k < keys.length; k++) setOwn(combination, keys[k]!, lists[k]![n]);
        yield combination as Combination<V>;
      }
    },
    length,
  );
}

function checkList(values: Readonly<Record<string, unknown>>, key: string): readonly unknown[] {
  const list = values[key];
  if (!Array.isArray(list)) {
    const got = list === null ? "null" : typeof list;
    throw new InvalidArgumentError(
      key,
      `Sweep values for "${key}" must be an array, got ${got}. Pass a list of values per input.`,
    );
  }
  // A copy, so later changes to the caller's array cannot change the sweep or its length.
  return [...list];
}

function quoteList(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(", ");
}
