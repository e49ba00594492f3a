/**
 * Losses of the 2-D learner. A triangle of the Delaunay triangulation is measured in the unit
 * square the bounds map to, with values scaled by their observed range.
 */

/** What a 2-D loss is given for one triangle, all in the scaled space. */
export interface Triangle2D {
  /** The three vertices, `[x, y]` each, in the unit square. */
  readonly vertices: readonly (readonly [number, number])[];
  /** The scaled values at the vertices. */
  readonly values: readonly number[];
  /** The estimated gradient of the scaled value at each vertex. */
  readonly gradients: readonly (readonly [number, number])[];
  /** The triangle's area in the unit square. */
  readonly area: number;
}

/** A custom 2-D loss: how badly a triangle is resolved, a number from 0 up. */
export type Loss2D = (triangle: Triangle2D) => number;

/**
 * The default 2-D loss (python-adaptive's Learner2D `default_loss`): how far the linear
 * interpolation over the triangle is from what each vertex's gradient predicts at its centre,
 * times the square root of its area, plus 0.3 of its area so flat regions still fill in.
 */
export const defaultLoss2D: Loss2D = (t) => {
  const [a, b, c] = t.vertices as [
    readonly [number, number],
    readonly [number, number],
    readonly [number, number],
  ];
  const cx = (a[0] + b[0] + c[0]) / 3;
  const cy = (a[1] + b[1] + c[1]) / 3;
  const linear = (t.values[0]! + t.values[1]! + t.values[2]!) / 3;
  let deviation = 0;
  for (let j = 0; j < 3; j++) {
    const v = t.vertices[j]!;
    const g = t.gradients[j]!;
    deviation += Math.abs(t.values[j]! + g[0] * (cx - v[0]) + g[1] * (cy - v[1]) - linear);
  }
  return deviation * Math.sqrt(t.area) + 0.3 * t.area;
};
