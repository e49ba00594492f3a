/**
 * The result of a sweep drawn as a plot: a numeric mapped output with one axis as a line, with
 * two as a heatmap, its coordinates (the mapped inputs' values) on the axes. What the page
 * draws is a grid of cells: one per element, or, for a big output, one per bin of elements
 * along each axis, so what a page carries stays bounded whatever the output's size. The grid
 * is filled from any element source (a store while the sweep runs, an NdArray after it) and
 * tells which cells changed, so a live page is sent only those.
 */
import { clip } from "../_internal/bounded-text.ts";
import { formatNumber } from "../_internal/human.ts";
import { MISSING } from "../map/missing.ts";
import { NdArray, typedData } from "../map/ndarray.ts";
import type { MapResultsMembers } from "../map/results.ts";
import { sweepValuesOf } from "../map/results.ts";

/** Cells drawn along a line plot's axis at most: a longer output is binned. */
export const MAX_LINE_CELLS = 500;
/** Cells drawn along each axis of a heatmap at most. */
export const MAX_HEATMAP_CELLS = 64;
/** Characters of a coordinate's label kept. */
const LABEL_CHARS = 24;
/** Characters of a failed element's message kept in its cell's tooltip. */
const NOTE_CHARS = 300;

/** The coordinates along an axis: a mapped input's values, or the element positions. */
export interface PlotCoordinate {
  /** The input's name, or the axis's own name for a generated axis (positions 0..n-1). */
  readonly name: string;
  /** One label per cell along the axis: the value, or `first … last` for a bin. */
  readonly labels: readonly string[];
}

/** One axis of a plot. */
export interface PlotAxis {
  /** The axis's name in the mapspec. */
  readonly dim: string;
  /** Elements along it. */
  readonly length: number;
  /** Elements per cell along it: 1, or more when the output is binned. */
  readonly bin: number;
  /** Cells along it: `ceil(length / bin)`. */
  readonly cells: number;
  /** Its coordinates: the first names the axis; zipped inputs share it and follow. */
  readonly coords: readonly PlotCoordinate[];
  /**
   * Where each cell sits along a line plot's axis: the first coordinate's values when they are
   * finite numbers in strictly rising or falling order, else null (cells evenly spaced).
   */
  readonly positions: readonly number[] | null;
}

/** What a plot is: drawn once, then filled cell by cell. */
export interface PlotSpec {
  readonly output: string;
  /** The function computing it. */
  readonly node: string;
  readonly kind: "line" | "heatmap";
  /** One axis for a line, two for a heatmap (rows, then columns). */
  readonly axes: readonly PlotAxis[];
}

/**
 * A cell's state, one character each in {@link PlotCells.states}: `.` not settled yet, `v` a
 * value (the mean of a bin's values), `f` failed (its note the error), `s` skipped (an input
 * it reads failed), `m` not computed and not known which (a run folder keeps only the latest
 * errors), `x` not a finite number (NaN or infinite; its note says which).
 */
export type CellState = "." | "v" | "f" | "s" | "m" | "x";

/** Cells of a plot: every cell (`at` null), or those listed in `at`. */
export interface PlotCells {
  readonly at: readonly number[] | null;
  /** Each cell's value, null for a cell without one. */
  readonly values: readonly (number | null)[];
  /** Each cell's {@link CellState}, one character per cell. */
  readonly states: string;
  /** Notes by position in this list (not by cell): errors, counts of failed elements. */
  readonly notes: Readonly<Record<number, string>>;
}

/**
 * A plot as a page receives it: its spec when it is new (or the page is), its cells, or, for a
 * plot the page must drop (its output turned out not numeric), `dropped` with the reason.
 */
export interface PlotMessage {
  readonly output: string;
  readonly spec?: PlotSpec;
  readonly cells?: PlotCells;
  readonly dropped?: string;
}

/** Where a grid reads elements: by linear index, with what is known of those missing. */
export interface ElementSource {
  /** The element's value, or {@link MISSING} while it has none. */
  get(e: number): unknown;
  /** The error of a failed element, when known. */
  failure(e: number): string | undefined;
  /**
   * What a missing element without a known failure is: `pending` while its function runs,
   * then `s` (skipped), `f` (failed, its error not kept) or `m` (either).
   */
  readonly missing: "pending" | "s" | "f" | "m";
}

/** The plot of an output whose axes' lengths and coordinates are known. */
export function plotSpec(
  output: string,
  node: string,
  dims: readonly string[],
  shape: readonly number[],
  coordinates: (
    dim: string,
    length: number,
  ) => readonly { name: string; values: ArrayLike<unknown> }[],
): PlotSpec | undefined {
  if ((dims.length !== 1 && dims.length !== 2) || shape.some((n) => n === 0)) return undefined;
  const cap = dims.length === 1 ? MAX_LINE_CELLS : MAX_HEATMAP_CELLS;
  const axes = dims.map((dim, k): PlotAxis => {
    const length = shape[k]!;
    const bin = Math.ceil(length / cap);
    const cells = Math.ceil(length / bin);
    const found = coordinates(dim, length);
    const coords: PlotCoordinate[] =
      found.length > 0
        ? found.map((c) => ({ name: c.name, labels: binLabels(c.values, bin, cells) }))
        : [{ name: dim, labels: binLabels(indexes(length), bin, cells) }];
    const first = found[0]?.values ?? indexes(length);
    return { dim, length, bin, cells, coords, positions: positionsOf(first, bin, cells) };
  });
  return { output, node, kind: dims.length === 1 ? "line" : "heatmap", axes };
}

const indexes = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** A coordinate value as its label. */
function label(value: unknown): string {
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") return clip(value, LABEL_CHARS);
  if (typeof value === "bigint" || typeof value === "boolean") return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return clip(text, LABEL_CHARS);
}

function binLabels(values: ArrayLike<unknown>, bin: number, cells: number): string[] {
  const out: string[] = [];
  for (let c = 0; c < cells; c++) {
    const first = c * bin;
    const last = Math.min(values.length, first + bin) - 1;
    out.push(
      last > first ? `${label(values[first])} … ${label(values[last])}` : label(values[first]),
    );
  }
  return out;
}

/** Each cell's first coordinate, when the coordinates are finite numbers in strict order. */
function positionsOf(values: ArrayLike<unknown>, bin: number, cells: number): number[] | null {
  let direction = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number" || !Number.isFinite(v)) return null;
    if (i === 0) continue;
    const step = Math.sign(v - (values[i - 1] as number));
    if (step === 0 || (direction !== 0 && step !== direction)) return null;
    direction = step;
  }
  const out: number[] = [];
  for (let c = 0; c < cells; c++) out.push(values[c * bin] as number);
  return out;
}

/** The number of a state in a grid's state array, and back. */
const STATES: readonly CellState[] = [".", "v", "f", "s", "m", "x"];
const PENDING = 0;
const VALUE = 1;
const FAILED = 2;

/**
 * The cells of one plot: {@link PlotGrid.scan} reads the elements of every cell not yet
 * settled, and {@link PlotGrid.takeChanged} tells which cells changed since it was last asked.
 */
export class PlotGrid {
  readonly spec: PlotSpec;
  readonly #shape: readonly number[];
  readonly #cells: number;
  readonly #values: Float64Array;
  readonly #states: Uint8Array;
  readonly #notes = new Map<number, string>();
  /** Cells whose every element is settled: never read again. */
  readonly #settled: Uint8Array;
  /** Cells changed since {@link PlotGrid.takeChanged} was last called. */
  readonly #changed = new Set<number>();
  /** Why the output cannot be plotted (a value that is not a number), once one is seen. */
  problem: string | undefined;

  constructor(spec: PlotSpec) {
    this.spec = spec;
    this.#shape = spec.axes.map((a) => a.length);
    this.#cells = spec.axes.reduce((n, a) => n * a.cells, 1);
    this.#values = new Float64Array(this.#cells);
    this.#states = new Uint8Array(this.#cells);
    this.#settled = new Uint8Array(this.#cells);
  }

  /** Reads the elements of every cell not yet settled from `source`. */
  scan(source: ElementSource): void {
    const [a, b] = this.spec.axes as [PlotAxis, PlotAxis | undefined];
    const columns = b?.cells ?? 1;
    const width = this.#shape[1] ?? 1;
    for (let cell = 0; cell < this.#cells; cell++) {
      if (this.#settled[cell] === 1) continue;
      const row = Math.floor(cell / columns);
      const column = cell % columns;
      const rows = [row * a.bin, Math.min(a.length, (row + 1) * a.bin)] as const;
      const cols = b
        ? ([column * b.bin, Math.min(b.length, (column + 1) * b.bin)] as const)
        : [0, 1];
      let sum = 0;
      let count = 0;
      let failed = 0;
      let firstFailure: string | undefined;
      let skipped = 0;
      let unknown = 0;
      let pending = 0;
      let odd: number | undefined;
      for (let r = rows[0]; r < rows[1]; r++) {
        for (let c = cols[0]; c < cols[1]; c++) {
          const e = r * width + c;
          const v = source.get(e);
          if (typeof v === "number") {
            if (Number.isFinite(v)) {
              sum += v;
              count++;
            } else odd ??= v;
            continue;
          }
          if (v !== MISSING) {
            this.problem ??= `element ${e} is ${v === null ? "null" : typeof v}, not a number`;
            return;
          }
          const failure = source.failure(e);
          if (failure !== undefined) {
            failed++;
            firstFailure ??= failure;
          } else if (source.missing === "pending") pending++;
          else if (source.missing === "f") failed++;
          else if (source.missing === "s") skipped++;
          else unknown++;
        }
      }
      let state: number;
      let value = 0;
      let note: string | undefined;
      if (failed > 0) {
        state = FAILED;
        const n = (rows[1] - rows[0]) * (cols[1] - cols[0]);
        const message = firstFailure ?? "its error is not among the latest the run status keeps";
        note = clip(n > 1 ? `${failed} of ${n} elements failed; ${message}` : message, NOTE_CHARS);
      } else if (count > 0) {
        state = VALUE;
        value = sum / count;
      } else if (pending > 0) state = PENDING;
      else if (skipped > 0) state = STATES.indexOf("s");
      else if (unknown > 0) state = STATES.indexOf("m");
      else {
        state = STATES.indexOf("x");
        note = formatNumber(odd ?? Number.NaN);
      }
      if (pending === 0) this.#settled[cell] = 1;
      if (state === this.#states[cell] && (state !== VALUE || value === this.#values[cell])) {
        continue;
      }
      this.#states[cell] = state;
      this.#values[cell] = value;
      if (note === undefined) this.#notes.delete(cell);
      else this.#notes.set(cell, note);
      this.#changed.add(cell);
    }
  }

  /** The cells changed since the last call, in order. */
  takeChanged(): number[] {
    const out = [...this.#changed].sort((a, b) => a - b);
    this.#changed.clear();
    return out;
  }

  /** Whether every cell is settled: nothing more will change. */
  get isComplete(): boolean {
    return !this.#settled.includes(0);
  }

  /** The cells listed, or every cell. */
  cells(at?: readonly number[]): PlotCells {
    const list = at ?? indexes(this.#cells);
    const values: (number | null)[] = [];
    let states = "";
    const notes: Record<number, string> = {};
    list.forEach((cell, k) => {
      const state = this.#states[cell]!;
      values.push(state === VALUE ? this.#values[cell]! : null);
      states += STATES[state];
      const note = this.#notes.get(cell);
      if (note !== undefined) notes[k] = note;
    });
    return { at: at === undefined ? null : list, values, states, notes };
  }
}

/** A failed element's message for a tooltip. */
export function failureNote(message: string): string {
  return clip(message, NOTE_CHARS);
}

/**
 * The coordinates of each axis from a sweep's mapped inputs: every input read along exactly
 * that axis (zipped inputs share one), in the order given, whose length matches.
 */
export function coordinatesFrom(
  inputs: readonly {
    readonly name: string;
    readonly dims: readonly string[];
    readonly values: ArrayLike<unknown>;
  }[],
): (dim: string, length: number) => { name: string; values: ArrayLike<unknown> }[] {
  return (dim, length) =>
    inputs
      .filter((i) => i.dims.length === 1 && i.dims[0] === dim && i.values.length === length)
      .map((i) => ({ name: i.name, values: i.values }));
}

/** The mapped inputs of a sweep, from the values `map` kept: NdArrays that are no output. */
export function mappedInputs(
  values: ReadonlyMap<string, unknown>,
  outputs: ReadonlySet<string>,
): { name: string; dims: readonly string[]; values: ArrayLike<unknown> }[] {
  const out: { name: string; dims: readonly string[]; values: ArrayLike<unknown> }[] = [];
  for (const [name, v] of values) {
    if (outputs.has(name) || !(v instanceof NdArray) || v.ndim !== 1) continue;
    out.push({ name, dims: v.dims, values: [...v] });
  }
  return out;
}

/**
 * The plots of a sweep's results (`toHtml(results)`): every mapped output with one or two
 * axes whose elements are all numbers (and at least one is), complete, with failed elements
 * marked by their errors and skipped ones as such.
 *
 * @param results - What `map` returned.
 * @param producers - The function computing each output, by output name.
 */
export function plotsOfResults(
  results: MapResultsMembers,
  producers: ReadonlyMap<string, string>,
): PlotMessage[] {
  const outputs = new Set(Object.keys(results));
  const values = sweepValuesOf(results);
  const coordinates = coordinatesFrom(values ? mappedInputs(values, outputs) : []);
  const plots: PlotMessage[] = [];
  for (const output of outputs) {
    const result = (results as unknown as Record<string, { output?: unknown }>)[output];
    const array = result?.output;
    if (!(array instanceof NdArray) || (array.ndim !== 1 && array.ndim !== 2)) continue;
    const node = producers.get(output) ?? output;
    const spec = plotSpec(output, node, array.dims, array.shape, coordinates);
    if (!spec) continue;
    // A numeric output without holes is read from its Float64Array, never boxed.
    const numbers = typedData(array);
    const get: (e: number) => unknown =
      numbers && !array.hasMissing ? (e) => numbers[e] : (e) => array.data[e];
    // Failures are indexed along the function's element axes: the leading axes of the output.
    // An element with internal axes (`x[i] -> y[i, j]`) failed as a whole: every value along them.
    const failures = new Map<number, string>();
    for (const e of results.errors) {
      if (e.node !== node || e.index.length > array.ndim) continue;
      let first = 0;
      let span = 1;
      for (let k = 0; k < array.ndim; k++) {
        first = first * array.shape[k]! + (e.index[k] ?? 0);
        if (k >= e.index.length) span *= array.shape[k]!;
      }
      for (let at = first; at < first + span; at++)
        if (!failures.has(at)) failures.set(at, e.message);
    }
    const grid = new PlotGrid(spec);
    grid.scan({ get, failure: (e) => failures.get(e), missing: "s" });
    const cells = grid.cells();
    // Not numbers, or none computed: nothing to draw.
    if (grid.problem !== undefined || !/[vx]/.test(cells.states)) continue;
    plots.push({ output, spec, cells });
  }
  return plots;
}
