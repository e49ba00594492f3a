/**
 * How a Dataset and a DataArray print, after xarray's repr: the dims with their lengths, then
 * one line per coordinate and data variable with its dims, the kind of its values (numpy's
 * names: float64, int64, bool, datetime64[ms]; string, object, and position for a coordinate
 * labelled by position) and as many leading values as fit on an 80-column line, numbers to
 * six significant digits.
 */
import { isMissing } from "../map/missing.ts";
import type { NdArray } from "../map/ndarray.ts";
import { type Coordinate, formatLabel } from "./coordinates.ts";
import type { DataArray, Dataset } from "./dataset.ts";
import { type ColumnKind, kindOf } from "./table.ts";

/** The width a line is cut to, as xarray's `display_width`. */
const WIDTH = 80;

const COORDINATE_TYPES: Readonly<Record<Coordinate["kind"], string>> = {
  number: "float64",
  string: "string",
  boolean: "bool",
  bigint: "int64",
  date: "datetime64[ms]",
  position: "position",
};

const VARIABLE_TYPES: Readonly<Record<Exclude<ColumnKind, "position">, string>> = {
  float64: "float64",
  utf8: "string",
  bool: "bool",
  int64: "int64",
  timestamp: "datetime64[ms]",
  json: "object",
};

/** A dataset's printout; see the module. */
export function datasetRepr(dataset: Dataset): string {
  const coords = Object.entries(dataset.coords);
  const vars = Object.entries(dataset.dataVars);
  const width = columnWidth([...coords.map(([n]) => n), ...vars.map(([n]) => n)]);
  const lines = ["<pipeweave.Dataset>", `Dimensions:  (${dimList(dataset.dims)})`];
  lines.push("Coordinates:");
  if (coords.length === 0) lines.push("    *empty*");
  for (const [name, c] of coords) lines.push(coordinateLine(name, c, width));
  const bare = Object.keys(dataset.dims).filter((d) => !coords.some(([, c]) => c.dim === d));
  if (bare.length > 0) lines.push(`Dimensions without coordinates: ${bare.join(", ")}`);
  lines.push("Data variables:");
  if (vars.length === 0) lines.push("    *empty*");
  for (const [name, array] of vars) lines.push(variableLine(name, array, width));
  return lines.join("\n");
}

/** A data array's printout: its name and dims, its kind and leading values (row-major), its coordinates. */
export function dataArrayRepr(array: DataArray): string {
  const dims: Record<string, number> = {};
  array.dims.forEach((d, k) => {
    dims[d] = array.shape[k]!;
  });
  const coords = Object.entries(array.coords);
  const width = columnWidth(coords.map(([n]) => n));
  const type = VARIABLE_TYPES[kindOf(array.array)];
  const lines = [
    `<pipeweave.DataArray ${JSON.stringify(array.name)} (${dimList(dims)})>`,
    `${type} ${leading(array.array, WIDTH - type.length - 1)}`,
  ];
  if (coords.length > 0) {
    lines.push("Coordinates:");
    for (const [name, c] of coords) lines.push(coordinateLine(name, c, width));
  }
  return lines.join("\n");
}

function dimList(dims: Readonly<Record<string, number>>): string {
  return Object.entries(dims)
    .map(([d, n]) => `${d}: ${n}`)
    .join(", ");
}

/** Characters before a line's dims: 4 of marker, then the names, as xarray's column width. */
function columnWidth(names: readonly string[]): number {
  return Math.max(7, ...names.map((n) => n.length)) + 6;
}

function coordinateLine(name: string, coordinate: Coordinate, width: number): string {
  // `*` marks a dim's own coordinate (named after it), xarray's index coordinate.
  const marker = coordinate.dim === name ? "  * " : "    ";
  const dims = coordinate.dim === null ? "" : `(${coordinate.dim}) `;
  const head = `${marker}${name.padEnd(width - 4)}${dims}${COORDINATE_TYPES[coordinate.kind]} `;
  return head + leading(coordinate.values, WIDTH - head.length);
}

function variableLine(name: string, array: NdArray<unknown>, width: number): string {
  const dims = array.ndim === 0 ? "" : `(${array.dims.join(", ")}) `;
  const head = `    ${name.padEnd(width - 4)}${dims}${VARIABLE_TYPES[kindOf(array)]} `;
  return head + leading(array, WIDTH - head.length);
}

/** As many of the leading values as fit in `room` characters, then `...` when some are left. */
function leading(values: Iterable<unknown>, room: number): string {
  const parts: string[] = [];
  let used = 0;
  for (const value of values) {
    const text = show(value);
    // Room is kept for " ..." after the last value shown.
    if (used + text.length + (parts.length > 0 ? 1 : 0) > room - 4) {
      parts.push("...");
      return parts.join(" ");
    }
    used += text.length + (parts.length > 0 ? 1 : 0);
    parts.push(text);
  }
  return parts.join(" ");
}

function show(value: unknown): string {
  if (isMissing(value)) return "MISSING";
  if (typeof value === "object" && value !== null && !(value instanceof Date)) {
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  }
  // Six significant digits, as a summary (numpy prints eight).
  if (typeof value === "number" && !Number.isInteger(value))
    return String(Number(value.toPrecision(6)));
  return formatLabel(value);
}
