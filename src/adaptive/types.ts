/** What a learner learns at each point: a number, or a fixed-length numeric vector (1-D only). */
export type AdaptiveValue = number | readonly number[];

/** A point of the learner's domain: one coordinate per dimension (`[x]`, `[x, y]`). */
export type AdaptivePoint = readonly number[];

/**
 * The ask/tell protocol every learner speaks. A runner asks for points, evaluates them (several
 * at once), and tells each value as it arrives; the learner chooses every next point from what
 * it knows and what is still in flight, so no two asks return the same point.
 */
export interface Learner {
  /** Number of dimensions of the domain. */
  readonly dimensions: number;
  /** Points told with a value so far. */
  readonly size: number;
  /**
   * The next point to evaluate, marked pending until it is told (or told as failed).
   *
   * @returns The point's coordinates.
   */
  ask(): AdaptivePoint;
  /**
   * Records the value at a point (asked or not).
   *
   * @param point - The point's coordinates.
   * @param value - What was computed there.
   */
  tell(point: AdaptivePoint, value: AdaptiveValue): void;
  /**
   * Records that a point could not be evaluated: it is never asked again, and the learner
   * samples around it as if its value were the straight line through its neighbours.
   */
  tellFailed(point: AdaptivePoint): void;
  /**
   * How well the learned function is known: the largest loss over the known points (the
   * learner's own measure; smaller is better). `Infinity` until the learner has enough points.
   */
  loss(): number;
  /**
   * The loss of the point {@link Learner.ask} would give next, counting points in flight: a
   * balancing learner gives the next point to the learner where it is largest.
   */
  priority(): number;
}
