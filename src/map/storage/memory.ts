import { getHeapStatistics } from "node:v8";
import { ShapeTooLargeError } from "../../errors.ts";
import { MISSING } from "../missing.ts";
import type { OutputStore, StorageKind, StoreOptions } from "./types.ts";

/**
 * An output's elements held in one array, row-major by linear index. It is the memory store
 * itself and the in-memory half of the file and zarr stores, which extend it to persist each
 * element as it is set.
 *
 * Unset and masked elements hold {@link MISSING}; every method taking an index checks that it
 * is an integer inside the shape, so a wrong index fails loudly instead of reading `undefined`.
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
  readonly #values: unknown[];

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
    this.#values = new Array<unknown>(this.size).fill(MISSING);
  }

  /**
   * @param index - Linear (row-major) index of the element.
   * @returns True when the element holds a value; false when unset or masked.
   * @throws RangeError when `index` is not an integer from 0 to `size - 1`.
   */
  has(index: number): boolean {
    this.checkIndex(index);
    return this.#values[index] !== MISSING;
  }

  /**
   * @param index - Linear (row-major) index of the element.
   * @returns The element's value, or {@link MISSING} when it was never set or was masked.
   * @throws RangeError when `index` is not an integer from 0 to `size - 1`.
   */
  get(index: number): unknown {
    this.checkIndex(index);
    return this.#values[index];
  }

  /**
   * Stores a value in memory, synchronously.
   *
   * @param index - Linear (row-major) index of the element.
   * @param value - Any value; it is kept by reference, not copied.
   * @returns Nothing: the value is stored when this returns.
   * @throws RangeError when `index` is not an integer from 0 to `size - 1`.
   */
  set(index: number, value: unknown): void {
    this.checkIndex(index);
    this.#values[index] = value;
  }

  /**
   * Masks an element in memory; nothing is persisted, so a resumed run computes it again.
   *
   * @param index - Linear (row-major) index of the element.
   * @throws RangeError when `index` is not an integer from 0 to `size - 1`.
   */
  setMissing(index: number): void {
    this.checkIndex(index);
    this.#values[index] = MISSING;
  }

  /** @returns A copy of every element, row-major, {@link MISSING} where absent. */
  values(): unknown[] {
    return this.#values.slice();
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
