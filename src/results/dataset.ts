/**
 * The labelled results of a sweep, after xarray's Dataset: the outputs as data variables (each
 * an NdArray with its dims), the coordinates along their axes (the mapped inputs' values, or
 * 0..n-1 for an axis no input labels), and selection by label (`sel`) or position (`isel`).
 */
import type { InspectOptionsStylized } from "node:util";
import { closestNames } from "../_internal/closest.ts";
import { own, setOwn } from "../_internal/own.ts";
import { DatasetError, InvalidOptionError } from "../errors.ts";
import type { Missing } from "../map/missing.ts";
import { NdArray } from "../map/ndarray.ts";
import {
  type Coordinate,
  formatLabel,
  numericLabel,
  sameLabel,
  scalarCoordinate,
} from "./coordinates.ts";
import { dataArrayRepr, datasetRepr } from "./repr.ts";
import { tableOf } from "./table.ts";

/** `util.inspect.custom`, by its registered name: no import of node:util at run time. */
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/** What a {@link Dataset} is built from. */
export interface DatasetParts {
  /** The data variables by name: NdArrays whose dims name their axes. */
  readonly dataVars: Readonly<Record<string, NdArray<unknown>>>;
  /** The coordinates by name. @defaultValue none */
  readonly coords?: Readonly<Record<string, Coordinate>>;
}

/** Options of {@link Dataset.sel}. */
export interface SelOptions {
  /**
   * `"exact"`: a coordinate must hold the value given. `"nearest"`: the closest value of a
   * coordinate of numbers, bigints or dates (ties: the first).
   * @defaultValue "exact"
   */
  readonly method?: "exact" | "nearest";
}

/** A long-format row of {@link Dataset.toRows}: positions, coordinates and values by name. */
export type DatasetRow = Record<string, unknown>;

/**
 * The labelled results of a sweep: `results.dataset()` or `loadDataset({ runFolder })`.
 * Immutable: `sel` and `isel` return new datasets sharing what they do not change.
 *
 * @example
 * ```ts
 * const ds = results.dataset();   // a[i], b[j] -> c[i, j]
 * ds.dims;                        // { i: 3, j: 2 }
 * ds.coords.a;                    // { dim: "i", kind: "number", values: [1, 2, 3] }
 * ds.sel({ a: 2, b: 20 }).get("c").array.get(); // the element at a = 2, b = 20
 * ds.isel({ i: 0 }).toRows();     // [{ j: 0, b: 10, a: 1, c: 11 }, { j: 1, b: 20, a: 1, c: 21 }]
 * ```
 */
export class Dataset {
  /** Length of each axis, by name. */
  readonly dims: Readonly<Record<string, number>>;
  /** The coordinates, by name: each labels one axis (`dim`), or none after a selection. */
  readonly coords: Readonly<Record<string, Coordinate>>;
  /** The data variables (the outputs), by name. */
  readonly dataVars: Readonly<Record<string, NdArray<unknown>>>;

  /**
   * @param parts - The data variables and coordinates.
   * @throws {@link DatasetError} when a data variable is not an NdArray, a name is both a
   *   coordinate and a data variable, or two of them give one dim different lengths.
   */
  constructor(parts: DatasetParts) {
    const dims: Record<string, number> = {};
    const owners: Record<string, string> = {};
    const claim = (dim: string, length: number, by: string) => {
      const known = own(dims, dim);
      if (known === undefined) {
        setOwn(dims, dim, length);
        setOwn(owners, dim, by);
      } else if (known !== length) {
        throw new DatasetError(
          "constructor",
          `Dataset: ${by} has ${length} positions along dim "${dim}", but ${own(owners, dim)} ` +
            `has ${known}. Give every variable and coordinate on "${dim}" the same length.`,
          dim,
        );
      }
    };
    const dataVars: Record<string, NdArray<unknown>> = {};
    for (const [name, array] of Object.entries(parts.dataVars)) {
      if (!(array instanceof NdArray)) {
        throw new DatasetError(
          "constructor",
          `Dataset: data variable "${name}" is not an NdArray. Pass each one as an NdArray ` +
            "(new NdArray(shape, dims, data)).",
          name,
        );
      }
      array.dims.forEach((dim, k) => {
        claim(dim, array.shape[k]!, `data variable "${name}"`);
      });
      setOwn(dataVars, name, array);
    }
    const coords: Record<string, Coordinate> = {};
    for (const [name, coordinate] of Object.entries(parts.coords ?? {})) {
      if (Object.hasOwn(dataVars, name)) {
        throw new DatasetError(
          "constructor",
          `Dataset: "${name}" is both a coordinate and a data variable. Rename one of them.`,
          name,
        );
      }
      if (coordinate.dim === null) {
        if (coordinate.values.length !== 1) {
          throw new DatasetError(
            "constructor",
            `Dataset: scalar coordinate "${name}" (dim null) has ${coordinate.values.length} ` +
              "values; it must have exactly one.",
            name,
          );
        }
      } else claim(coordinate.dim, coordinate.values.length, `coordinate "${name}"`);
      setOwn(coords, name, coordinate);
    }
    this.dims = Object.freeze(dims);
    this.coords = Object.freeze(coords);
    this.dataVars = Object.freeze(dataVars);
  }

  /**
   * One data variable with the coordinates along its axes (and the scalar ones).
   *
   * @param name - A data variable's name.
   * @returns The labelled array.
   * @throws {@link DatasetError} when there is no such data variable, suggesting close names.
   */
  get(name: string): DataArray {
    const array = own(this.dataVars, name);
    if (array === undefined) {
      const known = Object.keys(this.dataVars);
      const close = closestNames(name, known);
      const isCoord = Object.hasOwn(this.coords, name);
      throw new DatasetError(
        "get",
        `Dataset.get: there is no data variable "${name}"${isCoord ? " (it is a coordinate: read ds.coords)" : ""}. ` +
          (close.length > 0
            ? `Did you mean ${close.map((c) => `"${c}"`).join(" or ")}?`
            : `Data variables: ${known.map((k) => `"${k}"`).join(", ") || "(none)"}.`),
        name,
      );
    }
    const coords: Record<string, Coordinate> = {};
    for (const [c, coordinate] of Object.entries(this.coords)) {
      if (coordinate.dim === null || array.dims.includes(coordinate.dim)) {
        setOwn(coords, c, coordinate);
      }
    }
    return new DataArray(name, array, coords);
  }

  /**
   * Selects by coordinate value: each coordinate named fixes its axis at the position that
   * holds the value, and that axis is dropped, as xarray's `sel` with a single value does; its
   * coordinates stay as scalar coordinates. Two coordinates of one axis (zipped inputs) must
   * name the same position.
   *
   * @param selection - `{ coordinate: value }`; a coordinate labelled by position takes the
   *   position.
   * @param options - `method: "nearest"` for the closest number, bigint or date.
   * @returns The dataset without the selected axes.
   * @throws {@link DatasetError} when a name is no coordinate (or a scalar one), no position
   *   holds the value (or several do), `nearest` is asked of labels without an order, or two
   *   coordinates of one axis name different positions.
   * @throws {@link InvalidOptionError} when `method` is neither `"exact"` nor `"nearest"`.
   */
  sel(selection: Readonly<Record<string, unknown>>, options: SelOptions = {}): Dataset {
    const method = options.method ?? "exact";
    if (method !== "exact" && method !== "nearest") {
      throw new InvalidOptionError(
        "method",
        `Dataset.sel: expected \`method\` to be "exact" or "nearest", got ${JSON.stringify(method)}.`,
      );
    }
    checkSelection("sel", selection, "{ coordinate: value }");
    const fixed = new Map<string, { index: number; by: string }>();
    for (const [name, value] of Object.entries(selection)) {
      const coordinate = this.#coordinate(name);
      const index =
        method === "nearest"
          ? nearestIndex(name, coordinate, value)
          : exactIndex(name, coordinate, value);
      const dim = coordinate.dim!;
      const before = fixed.get(dim);
      if (before !== undefined && before.index !== index) {
        throw new DatasetError(
          "sel",
          `Dataset.sel: coordinates "${before.by}" and "${name}" both label dim "${dim}", and ` +
            `select positions ${before.index} and ${index}: no element has both values. ` +
            "Select by one of them.",
          name,
        );
      }
      fixed.set(dim, { index, by: name });
    }
    return this.#select(new Map([...fixed].map(([dim, f]) => [dim, f.index])));
  }

  /**
   * Selects by position: each dim named is fixed at its index (a negative one counts from the
   * end) and dropped; its coordinates stay as scalar coordinates.
   *
   * @param selection - `{ dim: index }`.
   * @returns The dataset without the selected dims.
   * @throws {@link DatasetError} when a name is no dim of the dataset, or an index is not an
   *   integer within its dim.
   */
  isel(selection: Readonly<Record<string, number>>): Dataset {
    checkSelection("isel", selection, "{ dim: index }");
    const fixed = new Map<string, number>();
    for (const [dim, raw] of Object.entries(selection)) {
      const length = own(this.dims, dim);
      if (length === undefined) {
        throw new DatasetError(
          "isel",
          `Dataset.isel: there is no dim "${dim}"; the dims are ${list(Object.keys(this.dims))}.` +
            (Object.hasOwn(this.coords, dim)
              ? ` "${dim}" is a coordinate: use sel({ ${dim}: value }).`
              : ""),
          dim,
        );
      }
      const index = typeof raw === "number" && raw < 0 ? raw + length : raw;
      if (!(typeof index === "number" && Number.isInteger(index) && index >= 0 && index < length)) {
        throw new DatasetError(
          "isel",
          `Dataset.isel: index ${formatLabel(raw)} is not an integer within dim "${dim}" of ` +
            `length ${length}: use one from ${-length} to ${length - 1}.`,
          dim,
        );
      }
      fixed.set(dim, index);
    }
    return this.#select(fixed);
  }

  /**
   * Long-format rows, one per element of `name` (default: the data variable with the most
   * dims, the first of those): the element's position along each dim (a dim labelled by a
   * coordinate of its own name gives that instead), the coordinates along its dims and the
   * scalar ones, and the values of every data variable whose dims are all among its dims.
   * A masked element is {@link MISSING} in its column; its row is kept.
   *
   * @param name - A data variable.
   * @returns The rows, row-major along `name`'s dims.
   * @throws {@link DatasetError} when there is no such data variable.
   */
  toRows(name?: string): DatasetRow[] {
    const table = tableOf(this, name);
    const rows: DatasetRow[] = new Array(table.length);
    const { columns } = table;
    for (let n = 0; n < table.length; n++) {
      const row: DatasetRow = {};
      for (const column of columns) setOwn(row, column.name, column.value(n));
      rows[n] = row;
    }
    return rows;
  }

  /**
   * The dataset in words, as xarray prints one: its dims, its coordinates and data variables
   * each with its dims, kind of values and leading values.
   */
  toString(): string {
    return datasetRepr(this);
  }

  /** What `console.log` and `util.inspect` show: {@link Dataset.toString}. */
  [INSPECT](depth: number, options: InspectOptionsStylized): string {
    if (depth < 0) return options.stylize("[Dataset]", "special");
    return datasetRepr(this);
  }

  /** The coordinate `name` as `sel` reads it, with an axis. */
  #coordinate(name: string): Coordinate & { readonly dim: string } {
    const coordinate = own(this.coords, name);
    if (coordinate === undefined) {
      const names = Object.keys(this.coords);
      const close = closestNames(name, names);
      const isDim = Object.hasOwn(this.dims, name);
      throw new DatasetError(
        "sel",
        `Dataset.sel: there is no coordinate "${name}"` +
          (isDim
            ? `; "${name}" is a dim: select it by position with isel({ ${name}: index })`
            : "") +
          ". " +
          (close.length > 0 && !isDim
            ? `Did you mean ${close.map((c) => `"${c}"`).join(" or ")}?`
            : `Coordinates: ${list(names)}.`),
        name,
      );
    }
    if (coordinate.dim === null) {
      throw new DatasetError(
        "sel",
        `Dataset.sel: coordinate "${name}" is already selected (it holds the single value ` +
          `${formatLabel(coordinate.values[0])} and labels no dim). Select from the dataset before that selection.`,
        name,
      );
    }
    return coordinate as Coordinate & { readonly dim: string };
  }

  /** The dataset with each dim of `fixed` fixed at its index and dropped. */
  #select(fixed: ReadonlyMap<string, number>): Dataset {
    if (fixed.size === 0) return this;
    const dataVars: Record<string, NdArray<unknown>> = {};
    for (const [name, array] of Object.entries(this.dataVars)) {
      let pick: Record<string, number> | undefined;
      for (const dim of array.dims) {
        const index = fixed.get(dim);
        if (index === undefined) continue;
        pick ??= {};
        pick[dim] = index;
      }
      setOwn(dataVars, name, pick ? array.slice(pick) : array);
    }
    const coords: Record<string, Coordinate> = {};
    for (const [name, coordinate] of Object.entries(this.coords)) {
      const index = coordinate.dim === null ? undefined : fixed.get(coordinate.dim);
      setOwn(coords, name, index === undefined ? coordinate : scalarCoordinate(coordinate, index));
    }
    return new Dataset({ dataVars, coords });
  }
}

/**
 * One data variable of a {@link Dataset} with its coordinates, after xarray's DataArray:
 * `ds.get("c")`.
 */
export class DataArray<T = unknown> {
  /** The data variable's name. */
  readonly name: string;
  /** Its values. */
  readonly array: NdArray<T>;
  /** The coordinates along its dims, and the scalar ones. */
  readonly coords: Readonly<Record<string, Coordinate>>;

  /**
   * @param name - The variable's name.
   * @param array - Its values.
   * @param coords - Its coordinates.
   * @throws {@link DatasetError} as the {@link Dataset} constructor does.
   */
  constructor(name: string, array: NdArray<T>, coords: Readonly<Record<string, Coordinate>> = {}) {
    // Checked as a dataset of one variable: the coordinates' lengths against its shape.
    new Dataset({ dataVars: { [name]: array as NdArray<unknown> }, coords });
    this.name = name;
    this.array = array;
    this.coords = Object.freeze({ ...coords });
  }

  /** Its axes' names. */
  get dims(): readonly string[] {
    return this.array.dims;
  }

  /** Its axes' lengths. */
  get shape(): readonly number[] {
    return this.array.shape;
  }

  /**
   * The element at a selection of every dim, or {@link MISSING}; a shortcut for
   * `sel(selection).array.get()`.
   *
   * @throws {@link DatasetError} as {@link Dataset.sel} does, or when dims are left.
   */
  at(selection: Readonly<Record<string, unknown>>, options?: SelOptions): T | Missing {
    const selected = this.sel(selection, options);
    if (selected.dims.length > 0) {
      throw new DatasetError(
        "at",
        `DataArray.at: the selection leaves dims ${list(selected.dims)} of "${this.name}"; ` +
          "select a value of a coordinate along each of them.",
        this.name,
      );
    }
    return selected.array.get();
  }

  /** {@link Dataset.sel} on this variable alone. */
  sel(selection: Readonly<Record<string, unknown>>, options?: SelOptions): DataArray<T> {
    return this.#dataset().sel(selection, options).get(this.name) as DataArray<T>;
  }

  /** {@link Dataset.isel} on this variable alone. */
  isel(selection: Readonly<Record<string, number>>): DataArray<T> {
    return this.#dataset().isel(selection).get(this.name) as DataArray<T>;
  }

  /** {@link Dataset.toRows} of this variable alone. */
  toRows(): DatasetRow[] {
    return this.#dataset().toRows(this.name);
  }

  /** The array in words, as xarray prints a DataArray. */
  toString(): string {
    return dataArrayRepr(this);
  }

  /** What `console.log` and `util.inspect` show: {@link DataArray.toString}. */
  [INSPECT](depth: number, options: InspectOptionsStylized): string {
    if (depth < 0) return options.stylize("[DataArray]", "special");
    return dataArrayRepr(this);
  }

  #dataset(): Dataset {
    return new Dataset({
      dataVars: { [this.name]: this.array as NdArray<unknown> },
      coords: this.coords,
    });
  }
}

/** A quoted list of names for a message. */
function list(names: readonly string[]): string {
  return names.length === 0 ? "(none)" : names.map((n) => `"${n}"`).join(", ");
}

/** @throws {@link DatasetError} when `selection` is not an object literal. */
function checkSelection(method: string, selection: unknown, form: string): void {
  const prototype =
    typeof selection === "object" && selection !== null
      ? Object.getPrototypeOf(selection)
      : undefined;
  if (prototype !== Object.prototype && prototype !== null) {
    throw new DatasetError(
      method,
      `Dataset.${method}: expected a selection ${form}, got ${describe(selection)}.`,
    );
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return `a ${value.constructor?.name ?? "object"}`;
  return `${formatLabel(value)} (a ${typeof value})`;
}

/** The one position of `coordinate` that holds `value`. */
function exactIndex(name: string, coordinate: Coordinate, value: unknown): number {
  const { kind, values } = coordinate;
  let found = -1;
  for (let k = 0; k < values.length; k++) {
    if (!sameLabel(kind, values[k]!, value)) continue;
    if (found >= 0) {
      throw new DatasetError(
        "sel",
        `Dataset.sel: coordinate "${name}" holds ${formatLabel(value)} at positions ${found} and ` +
          `${k} of dim "${coordinate.dim}": select one by position with isel({ ${coordinate.dim}: ${found} }).`,
        name,
      );
    }
    found = k;
  }
  if (found >= 0) return found;
  const shown = values.slice(0, 10).map(formatLabel).join(", ");
  const more = values.length > 10 ? `, … (${values.length} in all)` : "";
  const ordered = numericLabel(kind, value) !== undefined;
  const byPosition =
    kind === "position"
      ? " It labels its dim by position (its input holds objects): pass a position."
      : "";
  throw new DatasetError(
    "sel",
    `Dataset.sel: coordinate "${name}" has no value ${formatLabel(value)}` +
      `${typeof value === "string" ? " (a string)" : ""}; its values are ${shown || "(none)"}${more}.` +
      `${byPosition} Pass one of them${ordered ? ', or { method: "nearest" } for the closest' : ""}.`,
    name,
  );
}

/** The position of `coordinate` whose value is closest to `value` (the first on a tie). */
function nearestIndex(name: string, coordinate: Coordinate, value: unknown): number {
  const { kind, values } = coordinate;
  const target = numericLabel(kind, value);
  if (kind === "string" || kind === "boolean") {
    throw new DatasetError(
      "sel",
      `Dataset.sel: method "nearest" needs a coordinate of numbers, bigints or dates, but "${name}" ` +
        `holds ${kind === "string" ? "strings" : "booleans"}. Select an exact value.`,
      name,
    );
  }
  if (target === undefined || Number.isNaN(target)) {
    throw new DatasetError(
      "sel",
      `Dataset.sel: method "nearest" on coordinate "${name}" (${kind === "date" ? "dates" : "numbers"}) ` +
        `needs a ${kind === "date" ? "Date or a number of milliseconds" : "number"}, got ${describe(value)}.`,
      name,
    );
  }
  let best = -1;
  let distance = Number.POSITIVE_INFINITY;
  for (let k = 0; k < values.length; k++) {
    const d = Math.abs(numericLabel(kind, values[k])! - target);
    if (d < distance) {
      best = k;
      distance = d;
    }
  }
  if (best < 0) {
    throw new DatasetError(
      "sel",
      `Dataset.sel: coordinate "${name}" has no value to be nearest to ${formatLabel(value)}: ` +
        `${values.length === 0 ? "it is empty" : "all its values are NaN"}.`,
      name,
    );
  }
  return best;
}
