import { getHeapStatistics } from "node:v8";
import { ShapeTooLargeError } from "../../errors.ts";
import { MISSING } from "../missing.ts";
import { NdArray, typedNdArray } from "../ndarray.ts";
import type { OutputStore, StorageKind, StoreOptions } from "./types.ts";

/**
 * An output's elements in memory, row-major by linear index. It is the memory store itself
 * and the in-memory half of the file and zarr stores, which extend it to persist each element
 * as it is set.
 *
 * While every value stored is a number, the elements live in a Float64Array (8 bytes each,
 * exact for every number: -0, NaN and the infinities included) beside a Uint8Array saying
 * which are present, so a masked element stays distinct from a returned NaN. The first value
 * of any other type (a string, an object, a bigint, a boolean, undefined, {@link MISSING}
 * itself) turns the store into one array of values, {@link MISSING} where absent, keeping
 * every element stored before. {@link MemoryStore.toNdArray} hands the arrays to an
 * {@link NdArray} without copying them; a later write copies them first.
 *
 * Every method taking an index checks that it is an integer inside the shape, so a wrong
 * index fails loudly instead of reading `undefined`.
 */
export class MemoryStore implements OutputStore {
  /** Which backend this is. */
  readonly kind: StorageKind = "memory";
  /** The output's name, used in error messages. */
  readonly output: string;
  /** Number of elements: the product of the shape (1 for 0-D). */
  readonly size: number;
  /** Shape of the output; `[]` for a single value. */
  readonly shape: readonly number[];
  /** Axis names, one per shape entry. */
  readonly dims: readonly string[];
  /** Every element while all values stored are numbers; undefined once one is not. */
  #numbers: Float64Array | undefined;
  /**
   * With `#numbers`: 1 where an element is stored, 0 where unset or masked; undefined when
   * every element is stored and the arrays are shared (a complete output keeps no presence).
   */
  #present: Uint8Array | undefined;
  /** Every element once a value other than a number was stored, {@link MISSING} where absent. */
  #boxed: unknown[] | undefined;
  /** The arrays are shared with an NdArray (see toNdArray): a write copies them first. */
  #shared = false;

  /**
   * @param options - The output's name, shape and dims (`folder` is ignored).
   * @throws TypeError when `shape` holds something other than non-negative integers, or
   *   `dims` does not name each axis once.
   */
  constructor(options: StoreOptions) {
    this.output = options.output;
    this.size = checkShape(options);
    this.shape = Object.freeze([...options.shape]);
    this.dims = Object.freeze([...options.dims]);
    this.#numbers = new Float64Array(this.size);
    this.#present = new Uint8Array(this.size);
  }

  /**
   * @param index - Linear (row-major) index of the element.
   * @returns True when the element holds a value; false when unset or masked.
   * @throws RangeError when `index` is not an integer from 0 to `size - 1`.
   */
  has(index: number): boolean {
    this.checkIndex(index);
    const boxed = this.#boxed;
    if (boxed !== undefined) return boxed[index] !== MISSING;
    const present = this.#present;
    return present === undefined || present[index] === 1;
  }

  /**
   * @param index - Linear (row-major) index of the element.
   * @returns The element's value, or {@link MISSING} when it was never set or was masked.
   * @throws RangeError when `index` is not an integer from 0 to `size - 1`.
   */
  get(index: number): unknown {
    this.checkIndex(index);
    const boxed = this.#boxed;
    if (boxed !== undefined) return boxed[index];
    const present = this.#present;
    return present === undefined || present[index] === 1 ? this.#numbers![index] : MISSING;
  }

  /**
   * Stores a value in memory, synchronously.
   *
   * @param index - Linear (row-major) index of the element.
   * @param value - Any value; a number is kept in the store's Float64Array while every value
   *   is one, anything else by reference, not copied.
   * @returns Nothing: the value is stored when this returns.
   * @throws RangeError when `index` is not an integer from 0 to `size - 1`.
   */
  set(index: number, value: unknown): void {
    this.checkIndex(index);
    const numbers = this.#numbers;
    // The hot path of a numeric sweep: two typed-array writes, nothing allocated. Unshared,
    // a numeric store always has its presence array.
    if (numbers !== undefined && typeof value === "number" && !this.#shared) {
      numbers[index] = value;
      this.#present![index] = 1;
      return;
    }
    if (numbers !== undefined && typeof value === "number") {
      this.#unshare();
      this.#numbers![index] = value;
      this.#present![index] = 1;
      return;
    }
    this.#box()[index] = value;
  }

  /**
   * Masks an element in memory; nothing is persisted, so a resumed run computes it again.
   *
   * @param index - Linear (row-major) index of the element.
   * @throws RangeError when `index` is not an integer from 0 to `size - 1`.
   */
  setMissing(index: number): void {
    this.checkIndex(index);
    this.#unshare();
    if (this.#boxed === undefined) this.#present![index] = 0;
    else this.#boxed[index] = MISSING;
  }

  /** @returns A copy of every element, row-major, {@link MISSING} where absent. */
  values(): unknown[] {
    if (this.#boxed !== undefined) return this.#boxed.slice();
    return boxedCopy(this.#numbers!, this.#present);
  }

  /**
   * The elements as an NdArray over `dims`, sharing the store's arrays instead of copying
   * them: numbers stay in their Float64Array (the NdArray builds its `data` array only when
   * it is read). The store copies its arrays before its next write, so the NdArray never
   * changes.
   *
   * @param dims - Name of each axis of the array, one per entry of `shape`.
   * @returns An NdArray of the store's shape, {@link MISSING} where absent.
   * @throws TypeError when `dims` does not name each axis once.
   */
  toNdArray(dims: readonly string[]): NdArray<unknown> {
    const boxed = this.#boxed;
    let array: NdArray<unknown>;
    if (boxed !== undefined) array = new NdArray(this.shape, dims, boxed);
    else {
      // A complete output drops its presence array: 1 byte an element less for the results.
      const present = this.#present;
      if (present !== undefined && !present.includes(0)) this.#present = undefined;
      array = typedNdArray(this.shape, dims, this.#numbers!, this.#present);
    }
    this.#shared = true;
    return array;
  }

  /** @returns A promise resolved at once: memory has nothing pending. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Checks that `index` addresses an element of this store.
   *
   * @param index - The index to check.
   * @throws RangeError when `index` is not an integer from 0 to `size - 1`.
   */
  protected checkIndex(index: number): void {
    if (!(Number.isInteger(index) && index >= 0 && index < this.size)) {
      throw new RangeError(
        `Expected \`index\` to be an integer from 0 to ${this.size - 1} for output ` +
          `"${this.output}" (shape [${this.shape.join(", ")}]), got \`${String(index)}\` ` +
          `(${typeof index}).`,
      );
    }
  }

  /** Copies the arrays an NdArray shares, so a write leaves that NdArray as it was. */
  #unshare(): void {
    if (!this.#shared) return;
    this.#shared = false;
    if (this.#boxed !== undefined) {
      this.#boxed = this.#boxed.slice();
      return;
    }
    this.#numbers = this.#numbers!.slice();
    this.#present = this.#present?.slice() ?? new Uint8Array(this.size).fill(1);
  }

  /** The store as one array of values it may write, converting the numbers stored so far. */
  #box(): unknown[] {
    if (this.#boxed !== undefined) {
      this.#unshare();
      return this.#boxed;
    }
    // A new array, so an NdArray sharing the numbers keeps them as they are.
    this.#boxed = boxedCopy(this.#numbers!, this.#present);
    this.#numbers = undefined;
    this.#present = undefined;
    this.#shared = false;
    return this.#boxed;
  }
}

/**
 * Every element of `numbers` as an array of values, {@link MISSING} where `present` is 0
 * (none when `present` is undefined).
 */
function boxedCopy(numbers: Float64Array, present: Uint8Array | undefined): unknown[] {
  const out = new Array<unknown>(numbers.length);
  if (present === undefined) for (let i = 0; i < numbers.length; i++) out[i] = numbers[i];
  else for (let i = 0; i < numbers.length; i++) out[i] = present[i] === 1 ? numbers[i] : MISSING;
  return out;
}

/**
 * The elements of `store` as an NdArray over `dims`: shared with a memory, file or zarr store
 * (see {@link MemoryStore.toNdArray}), copied from any other.
 *
 * @param store - A store of an output.
 * @param dims - Name of each axis, one per entry of the store's shape.
 * @returns An NdArray of the store's shape, {@link MISSING} where absent.
 */
export function storeToNdArray(store: OutputStore, dims: readonly string[]): NdArray<unknown> {
  return store instanceof MemoryStore
    ? store.toNdArray(dims)
    : new NdArray(store.shape, dims, store.values());
}

/**
 * Creates a store holding an output's elements in memory only: nothing survives the process.
 * `set` is synchronous and returns nothing, so the sweep's hot path awaits nothing.
 *
 * @param options - The output's name, shape and dims; `folder` is ignored.
 * @returns An empty store, every element {@link MISSING}.
 * @throws TypeError when `shape` holds something other than non-negative integers, or `dims`
 *   does not have one name per axis.
 * @example
 * ```ts
 * const store = createMemoryStore({ output: "c", shape: [2, 3], dims: ["i", "j"] });
 * store.set(4, 42);
 * store.get(4); // 42
 * ```
 */
export function createMemoryStore(options: StoreOptions): OutputStore {
  return new MemoryStore(options);
}

/**
 * Validates a store's shape and dims against each other.
 *
 * @param options - The store's options.
 * @returns The number of elements (1 for 0-D).
 * @throws TypeError when the shape or dims are invalid.
 */
function checkShape(options: StoreOptions): number {
  const { output, shape, dims } = options;
  let size = 1;
  for (const length of shape) {
    if (!(Number.isInteger(length) && length >= 0)) {
      throw new TypeError(
        `Expected \`shape\` of output "${output}" to hold non-negative integers, got ` +
          `\`[${shape.join(", ")}]\`.`,
      );
    }
    size *= length;
  }
  if (size > maxElements()) {
    throw new ShapeTooLargeError(
      output,
      Object.fromEntries(shape.map((n, k) => [dims[k] ?? `axis ${k}`, n])),
      maxElements(),
    );
  }
  if (dims.length !== shape.length) {
    throw new TypeError(
      `Expected one name in \`dims\` per axis of output "${output}" (shape ` +
        `[${shape.join(", ")}]), got \`[${dims.map((d) => `"${d}"`).join(", ")}]\`.`,
    );
  }
  return size;
}

/**
 * The most elements one output may have. Every store keeps its elements in one array in
 * memory (file and zarr persist them too), at about 32 bytes per element counting a boxed
 * number and the copies a run makes, so a shape past this would die of heap exhaustion after
 * minutes of work, or throw a bare RangeError past 2^32 - 1.
 *
 * @returns A 32nd of the heap limit in bytes, at most 2^32 - 1.
 */
export function maxElements(): number {
  return Math.min(2 ** 32 - 1, Math.floor(getHeapStatistics().heap_size_limit / 32));
}
