import type { InspectOptionsStylized, inspect } from "node:util";
import { InvalidOptionError, NdArrayError } from "../errors.ts";
import type { WithoutAxes } from "./mapspec-types.ts";
import { isMissing, MISSING, type Missing } from "./missing.ts";

/** A value or arbitrarily nested arrays of it, as {@link NdArray.toNested} returns. */
export type Nested<T> = T | Nested<T>[];

/**
 * A value or arbitrarily nested (possibly readonly) arrays of it, as {@link NdArray.fromNested}
 * takes.
 */
export type NestedInput<T> = T | readonly NestedInput<T>[];

/**
 * One index per axis: a tuple as long as `Axes` when the axes are a literal tuple, else any
 * number of indexes (checked at run time).
 */
export type IndexFor<Axes extends readonly string[]> = { -readonly [K in keyof Axes]: number };

/** Keys of a selection that name no dim, each typed `never`, when the dims are known. */
type NoOtherDims<S, Axes extends readonly string[]> = number extends Axes["length"]
  ? unknown
  : { readonly [K in Exclude<keyof S, Axes[number]>]: never };

/**
 * What {@link NdArray.slice} takes: `{ dim: index }` over some of the dims, by name when the
 * dims are a literal tuple.
 */
export type SliceSelection<Axes extends readonly string[]> = number extends Axes["length"]
  ? Readonly<Record<string, number>>
  : { readonly [K in Axes[number]]?: number };

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
 * @throws {@link NdArrayError} when `index` does not have one entry per axis, or an entry is not
 *   an integer within its axis.
 */
export function linearIndex(shape: readonly number[], index: readonly number[]): number {
  if (index.length !== shape.length) throw arityError("linearIndex", index, shape, undefined);
  let linear = 0;
  for (let axis = 0; axis < shape.length; axis++) {
    const i = index[axis]!;
    const length = shape[axis]!;
    if (!(i >= 0 && i < length && Number.isInteger(i))) {
      throw indexError("linearIndex", axis, i, shape, undefined, false);
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
 * @throws {@link NdArrayError} when `linear` is not an integer within the array.
 */
export function unravelIndex(shape: readonly number[], linear: number): number[] {
  const size = product(shape);
  if (!(linear >= 0 && linear < size && Number.isInteger(linear))) {
    throw new NdArrayError(
      "unravelIndex",
      `unravelIndex: linear index ${describe(linear)} is out of bounds for shape ` +
        `[${shape.join(", ")}] of ${size} elements: use an integer from 0 to ${size - 1}.`,
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
/** `util.inspect.custom`, by its registered name: no import of node:util at run time. */
const INSPECT = Symbol.for("nodejs.util.inspect.custom");
/** How many elements a printout shows before `... n more items`, as Node's for an array. */
const LEADING = 100;

/** Stands for the elements a printout leaves out, as Node writes it for a long array. */
class More {
  constructor(readonly count: number) {}
  toString(): string {
    return `... ${this.count} more item${this.count === 1 ? "" : "s"}`;
  }
  [INSPECT](): string {
    return this.toString();
  }
}

/** Stands for a masked element in a printout (the symbol itself would print as `Symbol(…)`). */
const MASKED = {
  toString: () => "MISSING",
  [INSPECT]: (_depth: number, options: InspectOptionsStylized) =>
    options.stylize("MISSING", "special"),
};

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
 * @typeParam Axes - The axis names, as a tuple type when known: `map()` types a mapped output of
 *   `a[i], b[j] -> c[i, j]` as `NdArray<number, ["i", "j"]>`, so `get` takes two indexes and
 *   `slice({ i: 0 })` is an `NdArray<number, ["j"]>`. Without it (`NdArray<number>`) any names
 *   and any number of indexes type-check, and are checked at run time.
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
export class NdArray<T, Axes extends readonly string[] = string[]> {
  /**
   * `instanceof NdArray` holds for arrays made by any copy of this module in the process: a
   * worker thread may load pipeweave through CommonJS hooks while the pipeline's module
   * imports it as ESM, and each copy has its own class.
   */
  static [Symbol.hasInstance](value: unknown): value is NdArray<unknown> {
    return typeof value === "object" && value !== null && BRAND in value;
  }

  /** The brand {@link NdArray[Symbol.hasInstance]} looks for. */
  get [BRAND](): true {
    return true;
  }

  /** Length of each axis. */
  readonly shape: readonly number[];
  /** Name of each axis, as in the mapspec (`c[i, j]` has dims `["i", "j"]`). */
  readonly dims: Readonly<Axes>;
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
   * @throws {@link NdArrayError} when `shape` is not an array of non-negative integers, `dims`
   *   does not name each axis once, or `data` is not an array of `product(shape)` elements.
   */
  constructor(shape: readonly number[], dims: readonly string[], data: readonly (T | Missing)[]) {
    const size = checkParts("constructor", shape, dims, data);
    const strides = new Array<number>(shape.length);
    let stride = 1;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      strides[axis] = stride;
      stride *= shape[axis]!;
    }
    this.shape = Object.freeze([...shape]);
    this.dims = Object.freeze([...dims]) as readonly string[] as Readonly<Axes>;
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
   * are themselves arrays stay elements). A level may be a typed array (`[new Float64Array(3),
   * …]`). A zero-length axis hides the lengths of the axes after it; they are taken as 0.
   *
   * @param nested - Nested arrays `dims.length` deep; for no dims, the single element.
   * @param dims - Name of each axis, outermost first.
   * @returns An array whose shape is read off `nested`.
   * @throws {@link NdArrayError} when `dims` does not name each level once, or a level is not an
   *   array or is ragged, naming the depth and position.
   */
  static fromNested<T>(nested: NestedInput<T | Missing>, dims: readonly string[]): NdArray<T> {
    checkDims("fromNested", dims);
    const ndim = dims.length;
    const shape = new Array<number>(ndim).fill(0);
    let probe: unknown = nested;
    for (let depth = 0; depth < ndim; depth++) {
      const list = asList(probe);
      if (!list) throw notArrayError(probe, depth, dims, new Array(depth).fill(0));
      shape[depth] = list.length;
      if (list.length === 0) break;
      probe = list[0];
    }
    const data: (T | Missing)[] = [];
    const path: number[] = [];
    const walk = (value: unknown, depth: number): void => {
      if (depth === ndim) {
        data.push(value as T | Missing);
        return;
      }
      const list = asList(value);
      if (!list) throw notArrayError(value, depth, dims, path);
      if (list.length !== shape[depth]) {
        throw new NdArrayError(
          "fromNested",
          `NdArray.fromNested: ragged nested array at depth ${depth} (dim "${dims[depth]}") at ` +
            `position [${path.join(", ")}]: expected length ${shape[depth]} like the first array ` +
            `at that depth, got ${list.length}. Every array at one depth must have the same length.`,
        );
      }
      for (let i = 0; i < list.length; i++) {
        path.push(i);
        walk(list[i], depth + 1);
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
   * @throws {@link NdArrayError} when the fields are malformed or a `missing` entry is not the
   *   index of a `null` element.
   */
  static fromJSON<T>(json: NdArrayJSON<T>): NdArray<T> {
    if (typeof json !== "object" || json === null || !Array.isArray(json.data)) {
      throw new NdArrayError(
        "fromJSON",
        "NdArray.fromJSON: expected the JSON form of an NdArray, an object with `shape`, `dims` " +
          `and \`data\` arrays, got ${describe(json)}.`,
      );
    }
    checkParts("fromJSON", json.shape, json.dims, json.data);
    const data: (T | Missing)[] = [...json.data] as (T | Missing)[];
    if (json.missing !== undefined) {
      if (!Array.isArray(json.missing)) {
        throw new NdArrayError(
          "fromJSON",
          `NdArray.fromJSON: \`missing\` must be an array of linear indexes, got ${describe(json.missing)}.`,
        );
      }
      for (const linear of json.missing) {
        if (!(Number.isInteger(linear) && linear >= 0 && linear < data.length)) {
          throw new NdArrayError(
            "fromJSON",
            `NdArray.fromJSON: \`missing\` entry ${describe(linear)} is not an index of \`data\` ` +
              `(length ${data.length}).`,
          );
        }
        if (data[linear] !== null && !isMissing(data[linear])) {
          throw new NdArrayError(
            "fromJSON",
            `NdArray.fromJSON: \`missing\` lists index ${linear}, but \`data[${linear}]\` is not null.`,
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
   * @throws {@link NdArrayError} when the number of indexes is not `ndim`, or an index is not an
   *   integer or is outside its axis, naming the axis, index and length.
   */
  get(...index: IndexFor<Axes>): T | Missing {
    const shape = this.shape;
    const strides = this.#strides;
    if (index.length !== shape.length) throw arityError("get", index, shape, this.dims);
    let offset = 0;
    for (let axis = 0; axis < shape.length; axis++) {
      let i = index[axis]!;
      const length = shape[axis]!;
      if (i < 0) i += length;
      if (!(i >= 0 && i < length && Number.isInteger(i))) {
        throw indexError("get", axis, index[axis]!, shape, this.dims, true);
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
   * @throws {@link InvalidOptionError} when `selection` is not a `{ dim: index }` object
   *   (`slice(3)` for `slice({ i: 3 })`; the issue that asked for typed slices names this class).
   * @throws {@link NdArrayError} when a key is not one of `dims`, or an index is not an integer
   *   within its axis.
   */
  slice<const S extends SliceSelection<Axes>>(
    selection: S & object & NoOtherDims<S, Axes>,
  ): NdArray<T, WithoutAxes<Axes, keyof S>> {
    const { shape } = this;
    const dims: readonly string[] = this.dims;
    if (!isPlainObject(selection)) throw this.#selectionError(selection);
    const strides = this.#strides;
    const fixed = new Array<boolean>(this.ndim).fill(false);
    let base = 0;
    for (const [dim, raw] of Object.entries(selection)) {
      const axis = this.#axisOf(dim, "slice");
      let i = raw;
      if (i < 0) i += shape[axis]!;
      if (!(i >= 0 && i < shape[axis]! && Number.isInteger(i))) {
        throw indexError("slice", axis, raw, shape, dims, true);
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
    return new NdArray<T, WithoutAxes<Axes, keyof S>>(
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
   * @throws {@link NdArrayError} when `dim` is not one of `dims`.
   */
  along<D extends Axes[number]>(dim: D): NdArray<T, WithoutAxes<Axes, D>>[] {
    const axis = this.#axisOf(dim, "along");
    return Array.from(
      { length: this.shape[axis]! },
      (_, k) =>
        (this as unknown as NdArray<T>).slice({ [dim]: k }) as unknown as NdArray<
          T,
          WithoutAxes<Axes, D>
        >,
    );
  }

  /**
   * Apply `fn` to every element that is not masked; masked elements stay {@link MISSING}.
   *
   * @param fn - Called with the element and its index (a fresh array for each call).
   * @returns An array of the same shape and dims.
   * @throws {@link NdArrayError} when `fn` is not a function.
   */
  map<U>(fn: (value: T, index: readonly number[]) => U): NdArray<U, Axes> {
    if (typeof fn !== "function") {
      throw new NdArrayError(
        "map",
        `NdArray.map: expected a function (value, index) => newValue, got ${describe(fn)}.`,
        this,
      );
    }
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
    return new NdArray<U, Axes>(shape, this.dims, out);
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

  /**
   * The array in words: shape, dims, how many elements are masked, and the leading elements
   * nested by axis: at most 100 per axis and about 100 in all (whole rows), then
   * `... n more items`, as Node shows a long array. `console.log` shows the same, in Node's
   * style.
   *
   * @returns For example `NdArray shape [3, 2] dims [i, j] [[11, 21], [12, 22], [13, 23]]`.
   */
  toString(): string {
    return `${this.#header()} ${render(this.#leading(LEADING, false))}`;
  }

  /**
   * What `console.log` and `util.inspect` show: {@link NdArray.toString}'s parts, the elements
   * formatted by Node (colours, `depth`, as many per axis as its `maxArrayLength`), whichever
   * storage holds them (a numeric output of `map` would otherwise show `data: [Getter]`).
   */
  [INSPECT](depth: number, options: InspectOptionsStylized, inspectValue: typeof inspect): string {
    if (depth < 0) return options.stylize("[NdArray]", "special");
    const max = options.maxArrayLength;
    // As Node reads it: unset is 100, null no limit, a negative number 0.
    const limit =
      max === undefined ? LEADING : max === null ? Number.POSITIVE_INFINITY : Math.max(0, max);
    const shown = inspectValue(this.#leading(limit, true), {
      ...options,
      depth,
      maxArrayLength: limit,
    });
    return `${this.#header()} ${shown}`;
  }

  /** `NdArray shape [3, 2] dims [i, j]`, and `(n missing)` when elements are masked. */
  #header(): string {
    let text = `NdArray shape [${this.shape.join(", ")}] dims [${this.dims.join(", ")}]`;
    if (this.hasMissing) {
      let masked = 0;
      for (let n = 0; n < this.size; n++) if (isMissing(this.#at(n))) masked++;
      text += ` (${masked} missing)`;
    }
    return text;
  }

  /**
   * The leading elements as nested arrays for a printout, masked ones as {@link MASKED}; a 0-D
   * array gives its element. Each array holds at most `limit` entries, and rows are added while
   * fewer than `limit` elements (an empty array counts as one) are shown, so a printout stays
   * short whatever the shape. A cut array ends in a {@link More}, except, `forNode`, one cut at
   * `limit`: it gets its full length with holes after `limit`, so Node writes its own
   * `... n more items` and lays the entries out as it does any long array (the same text as
   * for `toNested()`'s arrays).
   */
  #leading(limit: number, forNode: boolean): unknown {
    const { shape, ndim } = this;
    const strides = this.#strides;
    const show = (n: number): unknown => {
      const value = this.#at(n);
      return isMissing(value) ? MASKED : value;
    };
    if (ndim === 0) return show(0);
    let left = limit;
    const build = (axis: number, offset: number): unknown[] => {
      const length = shape[axis]!;
      const out: unknown[] = [];
      let k = 0;
      if (length === 0) left--;
      if (axis === ndim - 1) {
        // A row is shown whole (up to `limit`), even past what is left.
        for (; k < length && k < limit; k++) out.push(show(offset + k));
        left -= k;
      } else {
        for (; k < length && k < limit && left > 0; k++) {
          out.push(build(axis + 1, offset + k * strides[axis]!));
        }
      }
      if (k < length) {
        if (forNode && k === limit) {
          // Node reads one entry past the cut to choose how to align numbers: give it.
          if (axis === ndim - 1) out.push(show(offset + k));
          out.length = length;
        } else {
          out.push(new More(length - k));
        }
      }
      return out;
    };
    return build(0, 0);
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

  #axisOf(dim: string, method: "slice" | "along"): number {
    const axis = this.dims.indexOf(dim);
    if (axis < 0) {
      const got = typeof dim === "string" ? `"${dim}"` : describe(dim);
      throw new NdArrayError(
        method,
        `NdArray.${method}: the array has no dim ${got}; its dims are ${quoteList(this.dims)} ` +
          `(shape [${this.shape.join(", ")}]). Use one of those names.`,
        this,
      );
    }
    return axis;
  }

  /** The error for a `slice` argument that is no `{ dim: index }` object, with one to pass. */
  #selectionError(selection: unknown): InvalidOptionError {
    const { dims } = this;
    // What to pass instead: the given number(s) keyed by the leading dims when they fit.
    const given = Array.isArray(selection) ? selection : [selection];
    const fits =
      given.length <= dims.length &&
      given.every((i) => typeof i === "number" && Number.isInteger(i));
    const example =
      dims.length === 0
        ? "{} (the array has no dims, so nothing can be fixed)"
        : `{ ${(fits ? given : [0]).map((i, axis) => `${dims[axis]}: ${String(i)}`).join(", ")} }`;
    return new InvalidOptionError(
      "selection",
      `NdArray.slice: expected a selection { dim: index } over the dims ${quoteList(dims)} ` +
        `(shape [${this.shape.join(", ")}]), got ${typeof selection === "number" ? `${selection} (a number)` : describe(selection)}. ` +
        `Pass ${example}.`,
    );
  }
}

function quoteList(names: readonly unknown[]): string {
  return names.length === 0 ? "(none)" : names.map((name) => `"${String(name)}"`).join(", ");
}

/** A printout's nested elements as text: strings quoted, objects as JSON where they can be. */
function render(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(render).join(", ")}]`;
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "object" && value !== null && value !== MASKED && !(value instanceof More)) {
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/**
 * A value as an error message shows what was given: numbers as written, anything else with
 * its kind, so `"1"` (a string) or `[1]` (an array) is not mistaken for the number 1.
 */
function describe(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return `${JSON.stringify(value)} (a string)`;
  if (typeof value === "bigint") return `${value}n (a bigint)`;
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) {
    const items = value.map((v) => (typeof v === "string" ? JSON.stringify(v) : String(v)));
    return `[${items.join(", ")}] (an array)`;
  }
  if (typeof value === "object" && value !== null) {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === "string" && name !== "Object" ? `a ${name}` : "an object";
  }
  return String(value);
}

/** An object literal (or one without prototype), as a `slice` selection must be. */
function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** `new NdArray`, `NdArray.<method>`, or `linearIndex` (a function of this module). */
function callName(method: string): string {
  if (method === "constructor") return "new NdArray";
  return method === "linearIndex" ? method : `NdArray.${method}`;
}

/**
 * Checks that `dims` names axes: an array of distinct, non-empty strings.
 *
 * @throws {@link NdArrayError} naming `method` otherwise.
 */
function checkDims(method: string, dims: unknown): asserts dims is readonly string[] {
  const call = callName(method);
  if (!Array.isArray(dims)) {
    throw new NdArrayError(
      method,
      `${call}: expected dims to be an array of axis names, got ${describe(dims)}. Pass one ` +
        'name per axis, as ["i", "j"].',
    );
  }
  const seen = new Set<string>();
  for (const dim of dims as unknown[]) {
    if (typeof dim !== "string" || dim === "") {
      throw new NdArrayError(
        method,
        `${call}: dims must be non-empty strings, got ${describe(dim)} in ${quoteList(dims)}.`,
      );
    }
    if (seen.has(dim)) {
      throw new NdArrayError(
        method,
        `${call}: dim "${dim}" appears twice in ${quoteList(dims)}: name each axis once.`,
      );
    }
    seen.add(dim);
  }
}

/**
 * Checks that `shape`, `dims` and `data` make an array: non-negative integer lengths, one
 * distinct name per axis, and `product(shape)` elements (an array, or a typed array inside).
 *
 * @returns The number of elements.
 * @throws {@link NdArrayError} naming `method` otherwise.
 */
function checkParts(method: string, shape: unknown, dims: unknown, data: unknown): number {
  const call = callName(method);
  if (!Array.isArray(shape)) {
    throw new NdArrayError(
      method,
      `${call}: expected shape to be an array of axis lengths, got ${describe(shape)}. Pass one ` +
        "non-negative integer per axis, as [3, 2].",
    );
  }
  for (let axis = 0; axis < shape.length; axis++) {
    const length: unknown = shape[axis];
    if (!(typeof length === "number" && Number.isInteger(length) && length >= 0)) {
      throw new NdArrayError(
        method,
        `${call}: shape entry ${axis} is ${describe(length)}, expected a non-negative integer ` +
          `(shape [${shape.join(", ")}]).`,
      );
    }
  }
  checkDims(method, dims);
  if (dims.length !== shape.length) {
    throw new NdArrayError(
      method,
      `${call}: shape [${shape.join(", ")}] has ${shape.length} axes but ${dims.length} dims ` +
        `were given (${quoteList(dims)}): give one dim name per axis.`,
    );
  }
  const size = product(shape);
  if (!Array.isArray(data) && !ArrayBuffer.isView(data)) {
    throw new NdArrayError(
      method,
      `${call}: expected data to be an array of ${size} elements in row-major order, got ` +
        `${describe(data)}.`,
    );
  }
  const length = (data as ArrayLike<unknown>).length;
  if (length !== size) {
    throw new NdArrayError(
      method,
      `${call}: shape [${shape.join(", ")}] needs ${size} elements in row-major order, but ` +
        `data has ${length}.`,
    );
  }
  return size;
}

function arityError(
  method: string,
  index: readonly unknown[],
  shape: readonly number[],
  dims: readonly string[] | undefined,
): NdArrayError {
  const ndim = shape.length;
  const names = dims ?? shape.map((_, axis) => `i${axis}`);
  const where = dims === undefined ? "" : ` (dims ${quoteList(dims)})`;
  // An index array passed whole (`get([1, 2])`) rather than spread.
  const only = index.length === 1 ? index[0] : undefined;
  const hint = Array.isArray(only)
    ? `Spread an index array: ${method}(...index), as ${method}(${only.map(String).join(", ")}).`
    : `Pass ${method}(${names.join(", ")}).`;
  return new NdArrayError(
    method,
    `${callName(method)}: expected ${ndim} ${ndim === 1 ? "index" : "indexes"}, one per axis` +
      `${where} of shape [${shape.join(", ")}], got ${index.length}` +
      `${index.length > 0 ? ` (${index.map(describe).join(", ")})` : ""}. ${hint}`,
    dims === undefined ? undefined : { shape, dims },
  );
}

function indexError(
  method: string,
  axis: number,
  index: unknown,
  shape: readonly number[],
  dims: readonly string[] | undefined,
  allowNegative: boolean,
): NdArrayError {
  const length = shape[axis]!;
  const where = dims === undefined ? `axis ${axis}` : `axis ${axis} ("${dims[axis]}")`;
  const valid =
    length === 0
      ? "the axis is empty, so no index is valid"
      : allowNegative
        ? `use an integer from ${-length} to ${length - 1}`
        : `use an integer from 0 to ${length - 1}`;
  const problem =
    typeof index === "number" && Number.isInteger(index)
      ? `index ${index} is out of bounds for ${where} of length ${length}`
      : `index ${describe(index)} for ${where} of length ${length} is not an integer`;
  return new NdArrayError(
    method,
    `${callName(method)}: ${problem}: ${valid}.`,
    dims === undefined ? undefined : { shape, dims },
  );
}

function notArrayError(
  value: unknown,
  depth: number,
  dims: readonly string[],
  path: readonly number[],
): NdArrayError {
  return new NdArrayError(
    "fromNested",
    `NdArray.fromNested: expected an array at depth ${depth} (dim "${dims[depth]}") at position ` +
      `[${path.join(", ")}] of the nested array, got ${describe(value)}. Pass arrays nested ` +
      `${dims.length} deep, one level per dim.`,
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
 * @throws {@link NdArrayError} as the NdArray constructor does.
 */
export function typedNdArray(
  shape: readonly number[],
  dims: readonly string[],
  numbers: Float64Array,
  present?: Uint8Array,
): NdArray<number> {
  if (present !== undefined && present.length !== numbers.length) {
    throw new NdArrayError(
      "typedNdArray",
      `typedNdArray: expected a presence array of ${numbers.length} entries, got ${present.length}.`,
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

/**
 * A level of a nested input: an array, or a typed array (a row of numbers as a numeric
 * function returns it); undefined for anything else.
 */
function asList(value: unknown): ArrayLike<unknown> | undefined {
  if (Array.isArray(value)) return value;
  return ArrayBuffer.isView(value) && !(value instanceof DataView)
    ? (value as unknown as ArrayLike<unknown>)
    : undefined;
}
