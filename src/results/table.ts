/**
 * A dataset in long format, column by column: one row per element of a data variable, with
 * its position along each dim, the coordinates, and the variables that share its dims. The
 * one layout behind `toRows`, `toArrow`, `writeParquet` and `pipeweave load --format csv`,
 * built column-wise into typed arrays where it can, so a million rows cost milliseconds.
 */
import { closestNames } from "../_internal/closest.ts";
import { own } from "../_internal/own.ts";
import { DatasetError } from "../errors.ts";
import { isMissing, MISSING } from "../map/missing.ts";
import { type NdArray, typedData } from "../map/ndarray.ts";
import type { Coordinate } from "./coordinates.ts";
import type { Dataset } from "./dataset.ts";

/**
 * What a column holds: positions (Int32), numbers (Float64), strings (Utf8), booleans,
 * bigints (Int64), dates (timestamps in milliseconds), or anything else (`json`: written as
 * JSON text).
 */
export type ColumnKind = "position" | "float64" | "utf8" | "bool" | "int64" | "timestamp" | "json";

/** One column of a {@link Table}. */
export interface Column {
  readonly name: string;
  readonly kind: ColumnKind;
  /** A dim's positions, a coordinate, or a data variable. */
  readonly role: "dim" | "coord" | "var";
  /**
   * The values, one per row: a typed array for positions and for numbers without a masked
   * one, else an array (masked rows hold {@link MISSING}).
   */
  readonly values: Int32Array | Float64Array | readonly unknown[];
  /** The value of row `n` ({@link MISSING} where masked). */
  value(n: number): unknown;
}

/** A dataset as columns of equal length. */
export interface Table {
  readonly length: number;
  readonly columns: readonly Column[];
}

/**
 * The long-format table of `dataset` along the dims of `name` (default: the data variable with
 * the most dims, the first of those); see {@link Dataset.toRows}.
 *
 * @throws {@link DatasetError} when `name` is not a data variable.
 */
export function tableOf(dataset: Dataset, name?: string): Table {
  const target = name === undefined ? widest(dataset) : checked(dataset, name);
  if (target === undefined) {
    // No data variable: one row of the scalar coordinates, if any.
    const scalars = scalarColumns(dataset, new Set(), 1);
    return { length: scalars.length > 0 ? 1 : 0, columns: scalars };
  }
  const { dims, shape, size } = target.array;
  const taken = new Set<string>([
    ...Object.keys(dataset.coords).filter((c) => {
      const coordinate = dataset.coords[c]!;
      return coordinate.dim === null || dims.includes(coordinate.dim);
    }),
    ...Object.keys(dataset.dataVars),
  ]);
  const columns: Column[] = [];
  const offsets = (along: readonly string[], strides: readonly number[]) =>
    offsetsOf(shape, dims, along, strides, size);
  dims.forEach((dim, axis) => {
    // A dim labelled by a coordinate of its own name (0..n-1 of a generated axis) shows that.
    if (taken.has(dim)) return;
    const positions = new Int32Array(size);
    const stride = product(shape.slice(axis + 1));
    for (let n = 0; n < size; n++) positions[n] = Math.floor(n / stride) % shape[axis]!;
    columns.push(typedColumn(dim, "position", "dim", positions));
  });
  for (const [c, coordinate] of Object.entries(dataset.coords)) {
    if (coordinate.dim === null || !dims.includes(coordinate.dim)) continue;
    columns.push(coordinateColumn(c, coordinate, offsets([coordinate.dim], [1]), size));
  }
  columns.push(...scalarColumns(dataset, new Set(columns.map((c) => c.name)), size));
  for (const [v, array] of Object.entries(dataset.dataVars)) {
    if (
      array !== target.array &&
      (array.ndim === 0 || !array.dims.every((d) => dims.includes(d)))
    ) {
      continue;
    }
    columns.push(
      variableColumn(
        v,
        array,
        array === target.array ? undefined : offsets(array.dims, stridesOf(array.shape)),
      ),
    );
  }
  return { length: size, columns };
}

function checked(dataset: Dataset, name: string): { name: string; array: NdArray<unknown> } {
  const array = own(dataset.dataVars, name);
  if (array === undefined) {
    const known = Object.keys(dataset.dataVars);
    const close = closestNames(name, known);
    throw new DatasetError(
      "toRows",
      `Dataset.toRows: there is no data variable "${name}". ` +
        (close.length > 0
          ? `Did you mean ${close.map((c) => `"${c}"`).join(" or ")}?`
          : `Data variables: ${known.map((k) => `"${k}"`).join(", ") || "(none)"}.`),
      name,
    );
  }
  return { name, array };
}

function widest(dataset: Dataset): { name: string; array: NdArray<unknown> } | undefined {
  let best: { name: string; array: NdArray<unknown> } | undefined;
  for (const [name, array] of Object.entries(dataset.dataVars)) {
    if (best === undefined || array.ndim > best.array.ndim) best = { name, array };
  }
  return best;
}

/** The scalar coordinates (left by a selection) as columns repeating their one value. */
function scalarColumns(dataset: Dataset, used: ReadonlySet<string>, length: number): Column[] {
  const out: Column[] = [];
  for (const [name, coordinate] of Object.entries(dataset.coords)) {
    if (coordinate.dim !== null || used.has(name)) continue;
    out.push(coordinateColumn(name, coordinate, undefined, length));
  }
  return out;
}

function product(shape: readonly number[]): number {
  let size = 1;
  for (const length of shape) size *= length;
  return size;
}

function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis]!;
  }
  return strides;
}

/**
 * For each row of an array of `shape` over `dims` (row-major), the offset in an array over
 * `along` (a subset of `dims`, with `strides`): it repeats along the dims it lacks.
 */
function offsetsOf(
  shape: readonly number[],
  dims: readonly string[],
  along: readonly string[],
  strides: readonly number[],
  size: number,
): Int32Array {
  const out = new Int32Array(size);
  const step = dims.map((d) => {
    const k = along.indexOf(d);
    return k < 0 ? 0 : strides[k]!;
  });
  const index = new Array<number>(dims.length).fill(0);
  let offset = 0;
  for (let n = 0; n < size; n++) {
    out[n] = offset;
    // Odometer: bump the last axis, carrying into the ones before it.
    for (let axis = dims.length - 1; axis >= 0; axis--) {
      offset += step[axis]!;
      if (++index[axis]! < shape[axis]!) break;
      offset -= index[axis]! * step[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}

function typedColumn(
  name: string,
  kind: ColumnKind,
  role: Column["role"],
  values: Int32Array | Float64Array,
): Column {
  return { name, kind, role, values, value: (n) => values[n] };
}

function arrayColumn(
  name: string,
  kind: ColumnKind,
  role: Column["role"],
  values: readonly unknown[],
): Column {
  return { name, kind, role, values, value: (n) => values[n] };
}

const COORDINATE_KINDS = {
  number: "float64",
  string: "utf8",
  boolean: "bool",
  bigint: "int64",
  date: "timestamp",
  position: "position",
} as const satisfies Record<Coordinate["kind"], ColumnKind>;

/** A coordinate's column: its values read at `offsets` (undefined: its one value on every row). */
function coordinateColumn(
  name: string,
  coordinate: Coordinate,
  offsets: Int32Array | undefined,
  length: number,
): Column {
  const kind = COORDINATE_KINDS[coordinate.kind];
  const { values } = coordinate;
  const at = (n: number) => values[offsets ? offsets[n]! : 0];
  if (kind === "float64" || kind === "position") {
    const out = kind === "float64" ? new Float64Array(length) : new Int32Array(length);
    for (let n = 0; n < length; n++) out[n] = at(n) as number;
    return typedColumn(name, kind, "coord", out);
  }
  const out = new Array<unknown>(length);
  for (let n = 0; n < length; n++) out[n] = at(n);
  return arrayColumn(name, kind, "coord", out);
}

/** A data variable's column: its elements read at `offsets` (undefined: in order). */
function variableColumn(
  name: string,
  array: NdArray<unknown>,
  offsets: Int32Array | undefined,
): Column {
  const length = offsets?.length ?? array.size;
  const numbers = typedData(array);
  if (numbers !== undefined && !array.hasMissing) {
    const out = offsets === undefined ? numbers : new Float64Array(length);
    if (offsets !== undefined) for (let n = 0; n < length; n++) out[n] = numbers[offsets[n]!]!;
    return typedColumn(name, "float64", "var", out);
  }
  // The iterator reads a numeric array's Float64Array without boxing it first.
  const elements = offsets === undefined ? undefined : [...array];
  const out = offsets === undefined ? [...array] : new Array<unknown>(length);
  if (elements !== undefined) for (let n = 0; n < length; n++) out[n] = elements[offsets![n]!];
  const kind = kindOf(elements ?? out);
  if (kind === "float64" && !out.some(isMissing)) {
    return typedColumn(name, "float64", "var", Float64Array.from(out as number[]));
  }
  return arrayColumn(name, kind, "var", out);
}

/**
 * The kind all the values that are not masked share: `float64` for numbers (and when none
 * is left), `utf8`, `bool`, `int64`, `timestamp`; `json` for any other value or a mix.
 */
export function kindOf(values: Iterable<unknown>): Exclude<ColumnKind, "position"> {
  let kind: Exclude<ColumnKind, "position"> | undefined;
  for (const value of values) {
    if (value === MISSING) continue;
    const k = valueKind(value);
    if (kind === undefined) kind = k;
    else if (k !== kind) return "json";
  }
  return kind ?? "float64";
}

function valueKind(value: unknown): Exclude<ColumnKind, "position"> {
  switch (typeof value) {
    case "number":
      return "float64";
    case "string":
      return "utf8";
    case "boolean":
      return "bool";
    case "bigint":
      return "int64";
    default:
      return value instanceof Date ? "timestamp" : "json";
  }
}
