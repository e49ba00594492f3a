/**
 * Coordinates: the labels along a Dataset's axes, taken from the mapped inputs of a sweep.
 * An input of numbers, strings, booleans, bigints or dates labels its axis by its values; any
 * other input (objects, arrays, `null`, a mix of kinds) labels it by position, 0..n-1, and
 * keeps its values in a side table (`objects`), since such values cannot be matched by `sel`,
 * stored as a column, or written to zarr as they are.
 */
import { isMissing } from "../map/missing.ts";

/** A value that labels an axis position by itself. */
export type CoordinateValue = number | string | boolean | bigint | Date;

/** The kind of a coordinate's values; `"position"` for one labelled by position. */
export type CoordinateKind = "number" | "string" | "boolean" | "bigint" | "date" | "position";

/**
 * The labels along one axis (or, after a selection along that axis, the one label selected).
 */
export interface Coordinate {
  /** The axis it labels; `null` for a scalar coordinate left by `sel` or `isel`. */
  readonly dim: string | null;
  /**
   * One label per position along `dim` (one for a scalar coordinate): the input's values, or
   * the positions 0..n-1 when `objects` is set.
   */
  readonly values: readonly CoordinateValue[];
  /** What its values are. */
  readonly kind: CoordinateKind;
  /**
   * For an input whose values cannot label an axis themselves (objects, arrays, `null`, a
   * mix of kinds): those values, by position (`values` holds the positions).
   */
  readonly objects?: readonly unknown[];
}

/** The kind every value of `values` has, or `"position"` when they are not all of one label kind. */
export function coordinateKind(values: ArrayLike<unknown>): CoordinateKind {
  if (values.length === 0) return "number";
  const kind = labelKind(values[0]);
  if (kind === undefined) return "position";
  for (let k = 1; k < values.length; k++) if (labelKind(values[k]) !== kind) return "position";
  return kind;
}

function labelKind(value: unknown): Exclude<CoordinateKind, "position"> | undefined {
  switch (typeof value) {
    case "number":
      return "number";
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    case "bigint":
      return "bigint";
    case "object":
      return value instanceof Date ? "date" : undefined;
    default:
      return undefined;
  }
}

/**
 * The coordinate an input's values give an axis: labelled by the values themselves when
 * they are all numbers, strings, booleans, bigints or dates; else by position, the values
 * kept in `objects`.
 *
 * @param dim - The axis.
 * @param values - One value per position (copied).
 */
export function coordinateOf(dim: string, values: ArrayLike<unknown>): Coordinate {
  const kind = coordinateKind(values);
  if (kind !== "position") {
    return { dim, kind, values: Array.from(values as ArrayLike<CoordinateValue>) };
  }
  return { dim, kind, values: positions(values.length), objects: Array.from(values) };
}

/** The coordinate 0..n-1 of an axis no input labels (a generated or internal axis). */
export function positionCoordinate(dim: string, length: number): Coordinate {
  return { dim, kind: "number", values: positions(length) };
}

function positions(length: number): number[] {
  return Array.from({ length }, (_, k) => k);
}

/** The coordinate reduced to its label at `index`, with no axis (what a selection leaves). */
export function scalarCoordinate(coordinate: Coordinate, index: number): Coordinate {
  const at: Coordinate = {
    dim: null,
    kind: coordinate.kind,
    values: [coordinate.values[index]!],
  };
  return coordinate.objects ? { ...at, objects: [coordinate.objects[index]] } : at;
}

/** Whether `given` names the same label as `label`, a value of a coordinate of `kind`. */
export function sameLabel(kind: CoordinateKind, label: CoordinateValue, given: unknown): boolean {
  switch (kind) {
    case "date":
      return (
        (given instanceof Date || typeof given === "number") &&
        Object.is(+(label as Date), +(given as Date | number))
      );
    case "bigint":
      return (
        (typeof given === "bigint" || (typeof given === "number" && Number.isInteger(given))) &&
        BigInt(given as bigint | number) === label
      );
    case "number":
    case "position":
      // SameValueZero: NaN finds NaN, 0 finds -0.
      return (
        typeof given === "number" &&
        (given === label || (Number.isNaN(given) && Number.isNaN(label as number)))
      );
    default:
      return given === label;
  }
}

/** A label as a number for `method: "nearest"`, or undefined for a kind without an order. */
export function numericLabel(kind: CoordinateKind, label: unknown): number | undefined {
  if (kind === "number" || kind === "position")
    return typeof label === "number" ? label : undefined;
  if (kind === "bigint") {
    return typeof label === "bigint" || typeof label === "number" ? Number(label) : undefined;
  }
  if (kind === "date") {
    return label instanceof Date || typeof label === "number" ? +label : undefined;
  }
  return undefined;
}

/** A label as a printout or message shows it. */
export function formatLabel(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Date) {
    return Number.isNaN(+value) ? "Invalid Date" : value.toISOString();
  }
  if (isMissing(value)) return "MISSING";
  return String(value);
}
