import { isMissing, MISSING, type Missing } from "./missing.ts";

/** A value or arbitrarily nested arrays of it, as {@link NdArray.toNested} returns. */
export type Nested<T> = T | Nested<T>[];

/**
 * A value or arbitrarily nested (possibly readonly) arrays of it, as {@link NdArray.fromNested}
 * takes.
 */
export type NestedInput<T> = T | readonly NestedInput<T>[];

/**
 * The JSON form of an {@link NdArray}: row-major `data` with every masked element as `null`, and
 * `missing` listing the linear indexes of the masked ones (present only when there are some), so
 * a genuine `null` value stays distinct from a masked element.
 */
export interface NdArrayJSON<T> {
  /** Length of each axis. */
  readonly shape: readonly number[];
  /** Name of each axis. */
  readonly dims: readonly string[];
  /** Elements in row-major order, `null` where masked. */
  readonly data: readonly (T | null)[];
  /** Linear indexes of the masked elements; absent when nothing is masked. */
  readonly missing?: readonly number[];
}

/**
 * Number of elements of an array of `shape`: the product of its entries, 1 for a 0-D shape.
 *
 * @param shape - Length of each axis.
 * @returns The element count.
 */
export function product(shape: readonly number[]): number {
  let size = 1;
  for (let axis = 0; axis < shape.length; axis++) size *= shape[axis]!;
  return size;
}

/**
 * Row-major linear position of the element at `index` in an array of `shape` (numpy's
 * `ravel_multi_index`). Negative indexes are rejected here; {@link NdArray.get} resolves them.
 *
 * @param shape - Length of each axis.
 * @param index - One non-negative integer index per axis.
 * @returns The position in the row-major data.
 * @throws TypeError when `index` does not have one entry per axis.
 * @throws RangeError when an entry is not an integer within its axis.
 */
export function linearIndex(shape: readonly number[], index: readonly number[]): number {
  if (index.length !== shape.length) throw arityError(index.length, shape.length, undefined);
  let linear = 0;
  for (let axis = 0; axis < shape.length; axis++) {
    const i = index[axis]!;
    const length = shape[axis]!;
    if (!(i >= 0 && i < length && Number.isInteger(i))) {
      throw indexError(axis, undefined, i, length, false);
    }
    linear = linear * length + i;
  }
  return linear;
}

/**
 * Index per axis of the element at row-major position `linear` in an array of `shape` (numpy's
 * `unravel_index`); the inverse of {@link linearIndex}.
 *
 * @param shape - Length of each axis.
 * @param linear - A position from 0 to `product(shape) - 1`.
 * @returns One index per axis.
 * @throws RangeError when `linear` is not an integer within the array.
 */
export function unravelIndex(shape: readonly number[], linear: number): number[] {
  const size = product(shape);
  if (!(linear >= 0 && linear < size && Number.isInteger(linear))) {
    throw new RangeError(
      `Linear index ${String(linear)} is out of bounds for shape [${shape.join(", ")}] of ` +
        `${size} elements: use an integer from 0 to ${size - 1}.`,
    );
  }
  const index = new Array<number>(shape.length);
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const length = shape[axis]!;
    index[axis] = linear % length;
    linear = Math.floor(linear / length);
  }
  return index;
}

const BRAND = Symbol.for("pipeweave.NdArray");

/** Gives a new array numeric storage; set in NdArray's static block (private fields). */
let attachNumbers: (
  array: NdArray<number>,
  numbers: Float64Array,
  present: Uint8Array | undefined,
) => void;
/** Reads an array's numeric storage; set in NdArray's static block. */
let numbersOf: (array: NdArray<unknown>) => Float64Array | undefined;

/**
 * An N-dimensional, row-major array of sweep results with a name per axis. Elements that failed
 * (or depend on one that did) are the {@link MISSING} marker. Treat it as immutable: methods
 * return new arrays, and `data` is shared with the caller that built it, never copied.
 *
 * @typeParam T - Type of the elements that are not masked.
 * @example
 * ```ts
 * const c = new NdArray([2, 3], ["i", "j"], [1, 2, 3, 4, 5, MISSING]);
 * c.get(1, 0);              // 4
 * c.get(-1, -1);            // MISSING
 * c.slice({ i: 0 }).data;   // [1, 2, 3], dims ["j"]
 * c.toNested();             // [[1, 2, 3], [4, 5, MISSING]]
 * c.values();               // [1, 2, 3, 4, 5]
 * c.toJSON();              // { shape: [2, 3], dims: ["i", "j"], data: [1, 2, 3, 4, 5, null],
 *                           //   missing: [5] }
 * ```
 */
export class NdArray<T> {
  /**
   * `instanceof NdArray` holds for arrays made by any copy of this module in the process: a
   * worker thread may load pipeweave through CommonJS hooks while the pipeline's module
   * imports it as ESM, and each copy has its own class.
   */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && BRAND in value;
  }

  /** The brand {@link NdArray[Symbol.hasInstance]} looks for. */
  get [BRAND](): true {
    return true;
  }

  /** Length of each axis. */
  readonly shape: readonly number[];
  /** Name of each axis, as in the mapspec (`c[i, j]` has dims `["i", "j"]`). */
  readonly dims: readonly string[];
  /**
   * Elements in row-major order (the last axis varies fastest), {@link MISSING} where masked.
   * For a numeric output of `map`, whose elements live in a Float64Array, this array is built
   * on first read (8 bytes more per element); the methods read the Float64Array directly.
   */
  readonly data: readonly (T | Missing)[];
  /** Number of elements: the product of `shape`, 1 for a 0-D array. */
  readonly size: number;
  /** Number of axes. */
  readonly ndim: number;
  readonly #strides: readonly number[];
  #hasMissing: boolean | undefined;
  /** The elements of a numeric array (see {@link typedNdArray}); undefined: read `data`. */
  #numbers: Float64Array | undefined;
  /** With `#numbers`: 0 at each masked position; undefined when nothing is masked. */
  #present: Uint8Array | undefined;
  /** With `#numbers`: `data`, once read. */
  #boxed: readonly (T | Missing)[] | undefined;

  static {
    attachNumbers = (array, numbers, present) => {
      array.#numbers = numbers;
      array.#present = present;
      array.#hasMissing = present?.includes(0) === true;
      // An own enumerable property like the field it replaces, so spreading, structured
      // cloning, v8.serialize and deep equality still see `data` (and build it). A getter
      // that never redefines the property, so it works on a frozen array too.
      Object.defineProperty(array, "data", {
        get(this: NdArray<number>) {
          this.#boxed ??= this.#copy(0, this.size);
          return this.#boxed;
        },
        enumerable: true,
        configurable: true,
      });
    };
    numbersOf = (array) => array.#numbers;
  }

  /**
   * @param shape - Length of each axis: non-negative integers.
   * @param dims - Name of each axis, one per entry of `shape`, all distinct.
   * @param data - `product(shape)` elements in row-major order, {@link MISSING} where masked.
   * @throws TypeError when a shape entry is not a non-negative integer, `dims` does not name each
   *   axis once, or `data` has the wrong length.
   */
  constructor(shape: readonly number[], dims: readonly string[], data: readonly (T | Missing)[]) {
    for (let axis = 0; axis < shape.length; axis++) {
      const length = shape[axis];
      if (!(typeof length === "number" && Number.isInteger(length) && length >= 0)) {
        throw new TypeError(
          `NdArray shape entry ${axis} is ${String(length)}, expected a non-negative integer ` +
            `(shape [${shape.join(", ")}]).`,
        );
      }
    }
    if (dims.length !== shape.length) {
      throw new TypeError(
        `NdArray shape [${shape.join(", ")}] has ${shape.length} axes but ${dims.length} dims ` +
          `were given (${quoteList(dims)}): give one dim name per axis.`,
      );
    }
    const seen = new Set<string>();
    for (const dim of dims) {
      if (typeof dim !== "string" || dim === "") {
        throw new TypeError(
          `NdArray dims must be non-empty strings, got ${String(dim)} in ${quoteList(dims)}.`,
        );
      }
      if (seen.has(dim)) {
        throw new TypeError(
          `NdArray dim "${dim}" appears twice in ${quoteList(dims)}: name each axis once.`,
        );
      }
      seen.add(dim);
    }
    const size = product(shape);
    if (data.length !== size) {
      throw new TypeError(
        `NdArray of shape [${shape.join(", ")}] needs ${size} elements in row-major order, ` +
          `but data has ${data.length}.`,
      );
    }
    const strides = new Array<number>(shape.length);
    let stride = 1;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      strides[axis] = stride;
      stride *= shape[axis]!;
    }
    this.shape = Object.freeze([...shape]);
    this.dims = Object.freeze([...dims]);
    this.data = data;
    this.size = size;
    this.ndim = shape.length;
    this.#strides = strides;
    this.#hasMissing = undefined;
    this.#numbers = undefined;
    this.#present = undefined;
    this.#boxed = undefined;
  }

  /**
   * Build an array from regular nested arrays, descending `dims.length` levels (so elements that
   * are themselves arrays stay elements). A zero-length axis hides the lengths of the axes after
   * it; they are taken as 0.
   *
   * @param nested - Nested arrays `dims.length` deep; for no dims, the single element.
   * @param dims - Name of each axis, outermost first.
   * @returns An array whose shape is read off `nested`.
   * @throws TypeError when a level is not an array or is ragged, naming the depth and position.
   */
  static fromNested<T>(nested: NestedInput<T | Missing>, dims: readonly string[]): NdArray<T> {
    const ndim = dims.length;
    const shape = new Array<number>(ndim).fill(0);
    let probe: unknown = nested;
    for (let depth = 0; depth < ndim; depth++) {
      if (!Array.isArray(probe)) throw notArrayError(probe, depth, dims, new Array(depth).fill(0));
      shape[depth] = probe.length;
      if (probe.length === 0) break;
      probe = probe[0];
    }
    const data: (T | Missing)[] = [];
    const path: number[] = [];
    const walk = (value: unknown, depth: number): void => {
      if (depth === ndim) {
        data.push(value as T | Missing);
        return;
      }
      if (!Array.isArray(value)) throw notArrayError(value, depth, dims, path);
      if (value.length !== shape[depth]) {
        throw new TypeError(
          `Ragged nested array at depth ${depth} (dim "${dims[depth]}") at position ` +
            `[${path.join(", ")}]: expected length ${shape[depth]} like the first array at that ` +
            `depth, got ${value.length}. Every array at one depth must have the same length.`,
        );
      }
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        walk(value[i], depth + 1);
        path.pop();
      }
    };
    walk(nested, 0);
    return new NdArray<T>(shape, dims, data);
  }

  /**
   * Rebuild an array from its {@link NdArray.toJSON} form, restoring masked elements.
   *
   * @param json - `{ shape, dims, data, missing? }`, for example parsed from a run folder.
   * @returns An array equal to the one that was serialised.
   * @throws TypeError when the fields are malformed or a `missing` entry is not the index of a
   *   `null` element.
   */
  static fromJSON<T>(json: NdArrayJSON<T>): NdArray<T> {
    if (
      typeof json !== "object" ||
      json === null ||
      !Array.isArray(json.shape) ||
      !Array.isArray(json.dims) ||
      !Array.isArray(json.data)
    ) {
      throw new TypeError(
        "Expected the JSON form of an NdArray, an object with `shape`, `dims` and `data` arrays.",
      );
    }
    const data: (T | Missing)[] = [...json.data] as (T | Missing)[];
    if (json.missing !== undefined) {
      if (!Array.isArray(json.missing)) {
        throw new TypeError("NdArray JSON `missing` must be an array of linear indexes.");
      }
      for (const linear of json.missing) {
        if (!(Number.isInteger(linear) && linear >= 0 && linear < data.length)) {
          throw new TypeError(
            `NdArray JSON \`missing\` entry ${String(linear)} is not an index of \`data\` ` +
              `(length ${data.length}).`,
          );
        }
        if (data[linear] !== null && !isMissing(data[linear])) {
          throw new TypeError(
            `NdArray JSON \`missing\` lists index ${linear}, but \`data[${linear}]\` is not null.`,
          );
        }
        data[linear] = MISSING;
      }
    }
    return new NdArray<T>(json.shape, json.dims, data);
  }

  /**
   * Element at one index per axis; a negative index counts from the end of its axis.
   *
   * @param index - One integer per axis.
   * @returns The element, or {@link MISSING} where masked.
   * @throws TypeError when the number of indexes is not `ndim` or an index is not an integer.
   * @throws RangeError when an index is outside its axis, naming the axis, index and length.
   */
  get(...index: number[]): T | Missing {
    const shape = this.shape;
    const strides = this.#strides;
    if (index.length !== shape.length) throw arityError(index.length, shape.length, this.dims);
    let offset = 0;
    for (let axis = 0; axis < shape.length; axis++) {
      let i = index[axis]!;
      const length = shape[axis]!;
      if (i < 0) i += length;
      if (!(i >= 0 && i < length && Number.isInteger(i))) {
        throw indexError(axis, this.dims[axis], index[axis]!, length, true);
      }
      offset += i * strides[axis]!;
    }
    return this.#at(offset);
  }

  /**
   * The elements as nested arrays, outermost axis first; a 0-D array gives its element.
   *
   * @returns Nested arrays `ndim` deep, {@link MISSING} where masked.
   */
  toNested(): Nested<T | Missing> {
    const { shape, ndim } = this;
    const strides = this.#strides;
    if (ndim === 0) return this.#at(0);
    const build = (axis: number, offset: number): Nested<T | Missing>[] => {
      const length = shape[axis]!;
      if (axis === ndim - 1) return this.#copy(offset, offset + length);
      const out = new Array<Nested<T | Missing>>(length);
      for (let i = 0; i < length; i++) out[i] = build(axis + 1, offset + i * strides[axis]!);
      return out;
    };
    return build(0, 0);
  }

  /**
   * Fix the named dims at the given indexes and drop them (numpy integer indexing by dim name);
   * negative indexes count from the end. Selecting every dim gives a 0-D array.
   *
   * @param selection - `{ dim: index }` for each dim to fix.
   * @returns The sub-array over the remaining dims, in their original order.
   * @throws TypeError when a key is not one of `dims` or an index is not an integer.
   * @throws RangeError when an index is outside its axis.
   */
  slice(selection: Readonly<Record<string, number>>): NdArray<T> {
    const { shape, dims } = this;
    const strides = this.#strides;
    const fixed = new Array<boolean>(this.ndim).fill(false);
    let base = 0;
    for (const [dim, raw] of Object.entries(selection)) {
      const axis = this.#axisOf(dim, "slice");
      let i = raw;
      if (i < 0) i += shape[axis]!;
      if (!(i >= 0 && i < shape[axis]! && Number.isInteger(i))) {
        throw indexError(axis, dim, raw, shape[axis]!, true);
      }
      base += i * strides[axis]!;
      fixed[axis] = true;
    }
    const kept: number[] = [];
    for (let axis = 0; axis < this.ndim; axis++) if (!fixed[axis]) kept.push(axis);
    const keptShape = kept.map((axis) => shape[axis]!);
    const size = product(keptShape);
    const out = new Array<T | Missing>(size);
    const counter = new Array<number>(kept.length).fill(0);
    // Read in the loop, not through #at: a slice of numbers then stays an unboxed array.
    const numbers = this.#numbers;
    const present = this.#present;
    const data = numbers === undefined ? this.data : undefined;
    let offset = base;
    for (let n = 0; n < size; n++) {
      out[n] =
        data !== undefined
          ? data[offset]!
          : present !== undefined && present[offset] === 0
            ? MISSING
            : (numbers![offset] as T);
      // Odometer over the kept axes: bump the last, carry into the ones before it.
      for (let k = kept.length - 1; k >= 0; k--) {
        const axis = kept[k]!;
        counter[k]!++;
        offset += strides[axis]!;
        if (counter[k]! < shape[axis]!) break;
        offset -= counter[k]! * strides[axis]!;
        counter[k] = 0;
      }
    }
    return new NdArray<T>(
      keptShape,
      kept.map((axis) => dims[axis]!),
      out,
    );
  }

  /**
   * The sub-arrays along one dim: element `k` is `slice({ [dim]: k })`.
   *
   * @param dim - One of `dims`.
   * @returns One array per index of `dim`, each without that dim.
   * @throws TypeError when `dim` is not one of `dims`.
   */
  along(dim: string): NdArray<T>[] {
    const axis = this.#axisOf(dim, "iterate along");
    return Array.from({ length: this.shape[axis]! }, (_, k) => this.slice({ [dim]: k }));
  }

  /**
   * Apply `fn` to every element that is not masked; masked elements stay {@link MISSING}.
   *
   * @param fn - Called with the element and its index (a fresh array for each call).
   * @returns An array of the same shape and dims.
   */
  map<U>(fn: (value: T, index: readonly number[]) => U): NdArray<U> {
    const { shape, size } = this;
    const out = new Array<U | Missing>(size);
    const index = new Array<number>(this.ndim).fill(0);
    for (let n = 0; n < size; n++) {
      const value = this.#at(n);
      out[n] = isMissing(value) ? MISSING : fn(value, index.slice());
      for (let axis = index.length - 1; axis >= 0; axis--) {
        if (++index[axis]! < shape[axis]!) break;
        index[axis] = 0;
      }
    }
    return new NdArray<U>(shape, this.dims, out);
  }

  /** True at each row-major position whose element is {@link MISSING}; a new array each time. */
  get mask(): boolean[] {
    const out = new Array<boolean>(this.size);
    for (let n = 0; n < this.size; n++) out[n] = isMissing(this.#at(n));
    return out;
  }

  /** True when at least one element is {@link MISSING}. */
  get hasMissing(): boolean {
    this.#hasMissing ??= this.data.some((value) => isMissing(value));
    return this.#hasMissing;
  }

  /**
   * The elements that are not masked, in row-major order.
   *
   * @returns A new array without {@link MISSING}.
   */
  values(): T[] {
    const numbers = this.#numbers;
    if (numbers === undefined) return this.data.filter((value): value is T => !isMissing(value));
    const present = this.#present;
    if (present === undefined) return this.#copy(0, this.size) as T[];
    const out: T[] = [];
    for (let n = 0; n < numbers.length; n++) if (present[n] === 1) out.push(numbers[n] as T);
    return out;
  }

  /** Iterate over `data` in row-major order, {@link MISSING} included. */
  [Symbol.iterator](): IterableIterator<T | Missing> {
    const numbers = this.#numbers;
    if (numbers === undefined) return this.data[Symbol.iterator]();
    return this.#present === undefined
      ? (numbers.values() as IterableIterator<T>)
      : this.#elements();
  }

  /**
   * The JSON form, used by `JSON.stringify`: masked elements become `null` and are listed in
   * `missing`. Elements must themselves be JSON-serialisable (`undefined` becomes `null` in text).
   *
   * @returns `{ shape, dims, data }`, plus `missing` when something is masked.
   */
  toJSON(): NdArrayJSON<T> {
    const { size } = this;
    const out = new Array<T | null>(size);
    const missing: number[] = [];
    for (let n = 0; n < size; n++) {
      const value = this.#at(n);
      if (isMissing(value)) {
        out[n] = null;
        missing.push(n);
      } else {
        out[n] = value;
      }
    }
    const json = { shape: [...this.shape], dims: [...this.dims], data: out };
    return missing.length > 0 ? { ...json, missing } : json;
  }

  /** The element at row-major position `n` (in range), from whichever storage holds it. */
  #at(n: number): T | Missing {
    const numbers = this.#numbers;
    if (numbers === undefined) return this.data[n]!;
    const present = this.#present;
    return present !== undefined && present[n] === 0 ? MISSING : (numbers[n] as T);
  }

  /** The elements from `start` to `end` (in range) as a new array, MISSING where masked. */
  #copy(start: number, end: number): (T | Missing)[] {
    if (this.#numbers === undefined) return this.data.slice(start, end);
    const out = new Array<T | Missing>(end - start);
    for (let n = start; n < end; n++) out[n - start] = this.#at(n);
    return out;
  }

  *#elements(): IterableIterator<T | Missing> {
    for (let n = 0; n < this.size; n++) yield this.#at(n);
  }

  #axisOf(dim: string, action: string): number {
    const axis = this.dims.indexOf(dim);
    if (axis < 0) {
      throw new TypeError(
        `Cannot ${action} dim "${dim}": the NdArray has dims ${quoteList(this.dims)}. ` +
          "Use one of those names.",
      );
    }
    return axis;
  }
}

function quoteList(names: readonly unknown[]): string {
  return names.length === 0 ? "(none)" : names.map((name) => `"${String(name)}"`).join(", ");
}

function arityError(got: number, ndim: number, dims: readonly string[] | undefined): TypeError {
  const where = dims === undefined ? "" : ` (dims ${quoteList(dims)})`;
  return new TypeError(
    `Expected ${ndim} ${ndim === 1 ? "index" : "indexes"}, one per axis${where}, got ${got}.`,
  );
}

function indexError(
  axis: number,
  dim: string | undefined,
  index: number,
  length: number,
  allowNegative: boolean,
): RangeError | TypeError {
  const where = dim === undefined ? `axis ${axis}` : `axis ${axis} ("${dim}")`;
  if (!Number.isInteger(index)) {
    return new TypeError(`Index ${String(index)} for ${where} is not an integer.`);
  }
  const valid =
    length === 0
      ? "the axis is empty, so no index is valid"
      : allowNegative
        ? `use an integer from ${-length} to ${length - 1}`
        : `use an integer from 0 to ${length - 1}`;
  return new RangeError(
    `Index ${index} is out of bounds for ${where} of length ${length}: ${valid}.`,
  );
}

function notArrayError(
  value: unknown,
  depth: number,
  dims: readonly string[],
  path: readonly number[],
): TypeError {
  const got = value === null ? "null" : typeof value;
  return new TypeError(
    `Expected an array at depth ${depth} (dim "${dims[depth]}") at position [${path.join(", ")}] ` +
      `of the nested array, got ${got}. Pass arrays nested ${dims.length} deep, one level per dim.`,
  );
}

/**
 * An array of numbers held in a Float64Array, not copied: `data` is built from it on first
 * read, and every method reads it directly. Internal: `map` publishes numeric outputs so.
 *
 * @param shape - Length of each axis.
 * @param dims - Name of each axis.
 * @param numbers - `product(shape)` numbers, row-major; the caller must not change them.
 * @param present - 0 at each masked position, 1 elsewhere; undefined when none is masked.
 * @returns The array.
 * @throws TypeError as the NdArray constructor does.
 */
export function typedNdArray(
  shape: readonly number[],
  dims: readonly string[],
  numbers: Float64Array,
  present?: Uint8Array,
): NdArray<number> {
  if (present !== undefined && present.length !== numbers.length) {
    throw new TypeError(
      `Expected a presence array of ${numbers.length} entries, got ${present.length}.`,
    );
  }
  // The constructor checks the shape against the length of `numbers` (an ArrayLike).
  const array = new NdArray<number>(shape, dims, numbers as unknown as readonly number[]);
  attachNumbers(array, numbers, present);
  return array;
}

/**
 * The Float64Array holding an array's elements when it is numeric (see {@link typedNdArray}),
 * shared, not copied; undefined for an array whose elements are in `data`. Internal.
 *
 * @param array - Any NdArray.
 * @returns Its numbers, or undefined.
 */
export function typedData(array: NdArray<unknown>): Float64Array | undefined {
  return numbersOf(array);
}
