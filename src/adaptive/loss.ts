/**
 * Losses of the 1-D learner, as python-adaptive defines them: each says how badly an interval
 * between two known points is resolved, measured in the plane where x spans the bounds and y
 * its observed range, so neither axis' units dominate.
 */
import type { AdaptiveValue } from "./types.ts";

/** A known point in the scaled plane: x in [0, 1] over the bounds, y over its observed range. */
export interface ScaledPoint {
  readonly x: number;
  readonly y: AdaptiveValue;
}

/** What a 1-D loss is given for one interval between two neighbouring known points. */
export interface Interval1D {
  /** The interval's ends, as given. */
  readonly x: readonly [number, number];
  /** The values at its ends, as computed. */
  readonly y: readonly [AdaptiveValue, AdaptiveValue];
  /** Its ends in the scaled plane (x over the bounds' width, y over the values' range). */
  readonly scaled: readonly [ScaledPoint, ScaledPoint];
  /** The known point before it, scaled, when there is one (curvature looks at it). */
  readonly before: ScaledPoint | undefined;
  /** The known point after it, scaled, when there is one. */
  readonly after: ScaledPoint | undefined;
}

/** A custom 1-D loss: how badly an interval is resolved, a number from 0 up. */
export type Loss1D = (interval: Interval1D) => number;

/** The named 1-D losses. */
export type Loss1DName = "default" | "curvature";

/** Distance between two points of the scaled plane; a vector's y counts its largest change. */
function distance(a: ScaledPoint, b: ScaledPoint): number {
  return Math.hypot(b.x - a.x, dy(a.y, b.y));
}

function dy(a: AdaptiveValue, b: AdaptiveValue): number {
  if (typeof a === "number") return (b as number) - a;
  let worst = 0;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs((b as readonly number[])[k]! - a[k]!);
    if (d > worst) worst = d;
  }
  return worst;
}

/**
 * python-adaptive's default: the interval's length in the scaled plane, so steep parts and
 * long flat stretches are refined alike.
 */
export const defaultLoss: Loss1D = (interval) => distance(interval.scaled[0], interval.scaled[1]);

/** Area of the triangle of three points of the scaled plane (any number of y components). */
function triangleArea(a: ScaledPoint, b: ScaledPoint, c: ScaledPoint): number {
  const ab = side(a, b);
  const bc = side(b, c);
  const ca = side(c, a);
  const s = (ab + bc + ca) / 2;
  // Heron's formula; rounding can make the product a hair below zero for collinear points.
  return Math.sqrt(Math.max(0, s * (s - ab) * (s - bc) * (s - ca)));
}

function side(a: ScaledPoint, b: ScaledPoint): number {
  const dx = b.x - a.x;
  if (typeof a.y === "number") return Math.hypot(dx, (b.y as number) - a.y);
  let sum = dx * dx;
  for (let k = 0; k < a.y.length; k++) {
    const d = (b.y as readonly number[])[k]! - a.y[k]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}

/**
 * python-adaptive's `curvature_loss_function()` with its default factors (area 1, euclid
 * 0.02, horizontal 0.02): the mean area of the triangles the interval forms with its
 * neighbours, so bends are refined before straight slopes, plus a little of the default loss
 * and of the width so no interval is starved.
 */
export const curvatureLoss: Loss1D = (interval) => {
  const [left, right] = interval.scaled;
  const width = right.x - left.x;
  const triangles: number[] = [];
  if (interval.before) triangles.push(triangleArea(interval.before, left, right));
  if (interval.after) triangles.push(triangleArea(left, right, interval.after));
  const area =
    triangles.length === 0 ? width : triangles.reduce((a, b) => a + b, 0) / triangles.length;
  return Math.sqrt(area) + 0.02 * distance(left, right) + 0.02 * width;
};

/** The loss function a `loss` option names, or the function itself. */
export function loss1D(loss: Loss1DName | Loss1D | undefined): Loss1D {
  if (loss === undefined || loss === "default") return defaultLoss;
  if (loss === "curvature") return curvatureLoss;
  return loss;
}
