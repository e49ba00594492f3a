import { InvalidArgumentError } from "../errors.ts";
import { NdArray } from "../map/ndarray.ts";
import type { Coordinate, CoordinateValue } from "../results/coordinates.ts";
import { Dataset } from "../results/dataset.ts";
import { adaptivePage } from "./draw.ts";
import type { Learner1D } from "./learner1d.ts";
import type { Learner2D } from "./learner2d.ts";
import type { AdaptiveValue, Learner } from "./types.ts";

/** One evaluated point of an adaptive sweep. */
export interface AdaptivePointResult {
  /** The adaptive dimensions' values, and the mapped inputs' values of its learner. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** The output's value there. */
  readonly value: AdaptiveValue;
  /** Index of the learner it belongs to (0 without mapped inputs). */
  readonly learner: number;
}

/** A point that failed, with `errors: "continue"`. */
export interface AdaptiveFailure {
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly learner: number;
  /** The error's message. */
  readonly error: string;
}

/** What an {@link AdaptiveResult} is made of. */
export interface AdaptiveResultParts {
  readonly output: string;
  readonly dimensions: readonly string[];
  readonly bounds: readonly (readonly [number, number])[];
  readonly mapped: readonly string[];
  readonly selections: readonly Readonly<Record<string, unknown>>[];
  readonly learners: readonly Learner[];
  readonly points: readonly AdaptivePointResult[];
  readonly failures: readonly AdaptiveFailure[];
}

/**
 * The outcome of an adaptive sweep: the points in the order they were computed, the learners
 * that chose them, and the learned function by interpolation.
 */
export class AdaptiveResult {
  /** The output learned. */
  readonly output: string;
  /** The adaptive dimensions, in coordinate order. */
  readonly dimensions: readonly string[];
  /** Each dimension's `[lo, hi]`. */
  readonly bounds: readonly (readonly [number, number])[];
  /** Mapped inputs that tell the learners apart (none for a single learner). */
  readonly mapped: readonly string[];
  /** Each learner's values of the mapped inputs. */
  readonly selections: readonly Readonly<Record<string, unknown>>[];
  /** The learners (one per selection), as they ended. */
  readonly learners: readonly Learner[];
  /** Every evaluated point with its value, in the order computed (resumed runs' first). */
  readonly points: readonly AdaptivePointResult[];
  /** Points that failed (with `errors: "continue"`). */
  readonly failures: readonly AdaptiveFailure[];

  /** @param parts - What the sweep produced. */
  constructor(parts: AdaptiveResultParts) {
    this.output = parts.output;
    this.dimensions = parts.dimensions;
    this.bounds = parts.bounds;
    this.mapped = parts.mapped;
    this.selections = parts.selections;
    this.learners = parts.learners;
    this.points = parts.points;
    this.failures = parts.failures;
  }

  /** The worst loss over the learners: how well the function is known (smaller is better). */
  loss(): number {
    let worst = 0;
    for (const l of this.learners) worst = Math.max(worst, l.loss());
    return worst;
  }

  /**
   * The points as long-format rows, `{ x, a, y }`: the dimensions, the mapped inputs and the
   * output (a vector value stays an array), in the order computed.
   */
  toRows(): Record<string, unknown>[] {
    return this.points.map((p) => ({ ...p.inputs, [this.output]: p.value }));
  }

  /**
   * The learned function at a point, interpolated between the evaluated points: linearly
   * in 1-D, barycentrically over the triangulation in 2-D.
   *
   * @param at - The point: `x`, or `[x]`, `[x, y]` in dimension order.
   * @param select - The mapped inputs' values of the learner to read, when there are several.
   * @returns The value there, or undefined outside the evaluated points' hull.
   * @throws {@link InvalidArgumentError} for a point of the wrong length or a selection that
   *   matches no learner.
   */
  interpolate(
    at: number | readonly number[],
    select?: Readonly<Record<string, unknown>>,
  ): AdaptiveValue | undefined {
    const point = typeof at === "number" ? [at] : at;
    if (point.length !== this.dimensions.length) {
      throw new InvalidArgumentError(
        "at",
        `Expected a point with ${this.dimensions.length} coordinate(s) ` +
          `(${this.dimensions.join(", ")}), got ${JSON.stringify(at)}.`,
      );
    }
    const learner = this.learners[this.#learnerOf(select)]!;
    if (point.length === 1) return (learner as Learner1D).interpolate(point[0]!);
    return (learner as Learner2D).interpolate(point[0]!, point[1]!);
  }

  /**
   * The points as a labelled {@link Dataset} along one axis, `point` (in the order computed):
   * the output as its data variable (a vector value adds an axis `<output>_component`), and
   * the dimensions and mapped inputs as coordinates along `point`.
   *
   * @returns The dataset, for `toRows()`, `isel`, Arrow or Parquet export.
   */
  dataset(): Dataset {
    const n = this.points.length;
    const first = this.points[0]?.value;
    const width = Array.isArray(first) ? first.length : 0;
    const values = this.points.flatMap((p) =>
      typeof p.value === "number" ? [p.value] : [...p.value],
    );
    const data =
      width > 0
        ? new NdArray<unknown>([n, width], ["point", `${this.output}_component`], values)
        : new NdArray<unknown>([n], ["point"], values);
    const coords: Record<string, Coordinate> = {};
    for (const name of [...this.dimensions, ...this.mapped]) {
      const labels = this.points.map((p) => p.inputs[name]);
      const isNumber = labels.every((v) => typeof v === "number");
      const isString = labels.every((v) => typeof v === "string");
      coords[name] =
        isNumber || isString
          ? {
              dim: "point",
              values: labels as CoordinateValue[],
              kind: isNumber ? "number" : "string",
            }
          : { dim: "point", values: labels.map((_, i) => i), kind: "position", objects: labels };
    }
    return new Dataset({ dataVars: { [this.output]: data }, coords });
  }

  /**
   * One self-contained HTML page drawing the sweep: in 1-D the curve through the points
   * (a curve per learner and per vector component), in 2-D the triangulation coloured by
   * value with the points on top; the caption gives the points and the loss.
   *
   * @returns The page, to write to a file and open offline.
   */
  toHtml(): string {
    return adaptivePage(this);
  }

  #learnerOf(select: Readonly<Record<string, unknown>> | undefined): number {
    if (this.learners.length === 1) return 0;
    const found = this.selections.findIndex(
      (s) => select !== undefined && this.mapped.every((m) => Object.is(s[m], select[m])),
    );
    if (found < 0) {
      throw new InvalidArgumentError(
        "select",
        `Expected the values of ${this.mapped.map((m) => `"${m}"`).join(", ")} choosing one ` +
          `of the ${this.learners.length} learners (e.g. ${JSON.stringify(this.selections[0])}), ` +
          `got ${JSON.stringify(select)}.`,
      );
    }
    return found;
  }
}
