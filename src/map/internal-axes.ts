/**
 * Internal axes: with `x[i] -> y[i, j]` each call returns an array along `j`. Elements are
 * stored one array per element (memory, file) and stacked into `y[i, j]` when the function
 * ends; their length along `j` is `internalShapes.y` when given, else the longest element's,
 * and shorter elements are padded with MISSING (ragged results stay visible as masked cells).
 */
import { MISSING } from "./missing.ts";
import { NdArray, product } from "./ndarray.ts";
import type { OutputStore } from "./storage/types.ts";

/** An element's returned value as an NdArray along the internal axes, or why it is not one. */
export function internalArray(value: unknown, dims: readonly string[]): NdArray<unknown> | string {
  if (value instanceof NdArray) {
    return value.ndim === dims.length
      ? value
      : `an NdArray of ${value.ndim} axes where ${dims.length} are needed`;
  }
  if (!Array.isArray(value) && !(ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    return `${value === null ? "null" : typeof value}, not an array`;
  }
  try {
    return NdArray.fromNested(value as unknown[], dims);
  } catch (error) {
    // fromNested says what is wrong for its own caller; here it is what the function returned.
    const why = (error as Error).message.replace(/^NdArray\.fromNested: /, "");
    return `an array that is not ${dims.length} level${dims.length === 1 ? "" : "s"} deep and regular (${why})`;
  }
}

/**
 * Checks one element's value for an output with internal axes.
 *
 * @param known - The internal shape from `internalShapes`, when given.
 * @param exact - Every element must fill `known` exactly (zarr storage).
 * @returns Why the value cannot be stored, or undefined when it can.
 */
export function internalProblem(
  output: string,
  value: unknown,
  dims: readonly string[],
  known: readonly number[] | undefined,
  exact = false,
): string | undefined {
  const array = internalArray(value, dims);
  const axes = dims.map((d) => `"${d}"`).join(", ");
  if (typeof array === "string") {
    return (
      `its mapspec gives "${output}" the internal ax${dims.length === 1 ? "is" : "es"} ${axes}, ` +
      `so each call must return an array (nested ${dims.length} deep) for it; it returned ${array}`
    );
  }
  if (known && exact) {
    const off = array.shape.findIndex((n, k) => n !== known[k]);
    if (off >= 0) {
      return (
        `it returned ${array.shape[off]} values along "${dims[off]}" for "${output}", but ` +
        `internalShapes gives ${known[off]}, and zarr storage needs every element to fill it; ` +
        'use storage "file" for elements of different lengths'
      );
    }
  } else if (known) {
    const over = array.shape.findIndex((n, k) => n > known[k]!);
    if (over >= 0) {
      return (
        `it returned ${array.shape[over]} values along "${dims[over]}" for "${output}", but ` +
        `internalShapes gives ${known[over]}; raise internalShapes.${output} or leave it out ` +
        "(then the longest element sets the length)"
      );
    }
  }
  return undefined;
}

/**
 * Stacks per-element arrays into one NdArray whose internal axes come last.
 *
 * @param elements - One value per element (row-major), MISSING for masked elements.
 * @param elementShape - Shape of the mapped axes.
 * @param dims - Every axis: mapped ones, then internal ones.
 * @param known - The internal shape from `internalShapes`, when given.
 */
export function stackInternal(
  elements: readonly unknown[],
  elementShape: readonly number[],
  dims: readonly string[],
  known: readonly number[] | undefined,
): NdArray<unknown> {
  const internalDims = dims.slice(elementShape.length);
  const arrays = elements.map((v) => {
    if (v === MISSING) return undefined;
    const a = internalArray(v, internalDims);
    return typeof a === "string" ? undefined : a;
  });
  const inner =
    known ?? internalDims.map((_, k) => Math.max(0, ...arrays.map((a) => a?.shape[k] ?? 0)));
  const block = product(inner);
  const data = new Array<unknown>(elements.length * block).fill(MISSING);
  arrays.forEach((a, e) => {
    if (!a) return;
    const base = e * block;
    if (a.shape.every((n, k) => n === inner[k])) {
      for (let q = 0; q < block; q++) data[base + q] = a.data[q];
      return;
    }
    // A shorter element: copy it into the top-left corner of its block.
    const coords = new Array<number>(inner.length).fill(0);
    for (let q = 0; q < a.size; q++) {
      let at = 0;
      for (let k = 0; k < inner.length; k++) at = at * inner[k]! + coords[k]!;
      data[base + at] = a.data[q];
      for (let k = inner.length - 1; k >= 0; k--) {
        if (++coords[k]! < a.shape[k]!) break;
        coords[k] = 0;
      }
    }
  });
  return new NdArray([...elementShape, ...inner], dims, data);
}

/**
 * Presents a store of the full shape (mapped then internal axes, as zarr needs) one element
 * per mapped index: `set(e, array)` writes the element's block, `get(e)` reads it back.
 */
export class BlockStore implements OutputStore {
  readonly kind;
  readonly size: number;
  readonly shape: readonly number[];
  readonly dims: readonly string[];
  readonly #inner: OutputStore;
  readonly #block: number;
  readonly #internal: readonly number[];

  /**
   * @param inner - The store of the full shape.
   * @param elements - How many leading axes are mapped (the rest are internal).
   */
  constructor(inner: OutputStore, elements: number) {
    this.#inner = inner;
    this.kind = inner.kind;
    this.shape = inner.shape.slice(0, elements);
    this.dims = inner.dims.slice(0, elements);
    this.#internal = inner.shape.slice(elements);
    this.#block = product(this.#internal);
    this.size = product(this.shape);
  }

  /** The store of the full shape. */
  get inner(): OutputStore {
    return this.#inner;
  }

  has(index: number): boolean {
    for (let q = 0; q < this.#block; q++)
      if (!this.#inner.has(index * this.#block + q)) return false;
    return true;
  }

  get(index: number): unknown {
    if (!this.has(index)) return MISSING;
    const data = [];
    for (let q = 0; q < this.#block; q++) data.push(this.#inner.get(index * this.#block + q));
    return new NdArray(this.#internal, this.#inner.dims.slice(this.shape.length), data);
  }

  set(index: number, value: unknown): void | Promise<void> {
    const array = internalArray(value, this.#inner.dims.slice(this.shape.length));
    if (typeof array === "string" || array.shape.some((n, k) => n !== this.#internal[k])) {
      throw new TypeError(
        `zarr storage of "${this.#inner.dims.join(", ")}" needs every element to fill its ` +
          `internal shape [${this.#internal.join(", ")}] exactly; use storage "file" for ragged elements`,
      );
    }
    const writes: Promise<void>[] = [];
    for (let q = 0; q < this.#block; q++) {
      const w = this.#inner.set(index * this.#block + q, array.data[q]);
      if (w) writes.push(w);
    }
    return writes.length > 0 ? Promise.all(writes).then(() => undefined) : undefined;
  }

  setMissing(index: number): void {
    for (let q = 0; q < this.#block; q++) this.#inner.setMissing(index * this.#block + q);
  }

  values(): unknown[] {
    return Array.from({ length: this.size }, (_, e) => this.get(e));
  }

  flush(): Promise<void> {
    return this.#inner.flush();
  }
}
