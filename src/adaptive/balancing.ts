import { InvalidArgumentError } from "../errors.ts";
import type { AdaptivePoint, AdaptiveValue, Learner } from "./types.ts";

/** Options of a {@link BalancingLearner}. */
export interface BalancingLearnerOptions {
  /**
   * Labels of the learners, one each (the values of the mapped inputs each one learns for),
   * for messages and results.
   * @defaultValue the learners' indexes
   */
  readonly labels?: readonly string[];
}

/** A point a {@link BalancingLearner} gave: which learner it is for, and where. */
export interface BalancedPoint {
  readonly learner: number;
  readonly point: AdaptivePoint;
}

/**
 * Several learners sharing one stream of evaluations (python-adaptive's `BalancingLearner`,
 * strategy "loss"): each ask goes to the learner whose next point has the largest loss, so the
 * worst-known function gets the next evaluation.
 *
 * @example
 * ```ts
 * const learners = [1, 2, 3].map(() => new Learner1D([-1, 1]));
 * const balanced = new BalancingLearner(learners);
 * const { learner, point } = balanced.ask();
 * balanced.tell(learner, point, f(point[0]!, learner));
 * ```
 */
export class BalancingLearner {
  readonly #learners: readonly Learner[];
  readonly #labels: readonly string[];

  /**
   * @param learners - The learners, at least one.
   * @param options - Their labels.
   * @throws {@link InvalidArgumentError} when there is no learner.
   */
  constructor(learners: readonly Learner[], options: BalancingLearnerOptions = {}) {
    if (learners.length === 0) {
      throw new InvalidArgumentError(
        "learners",
        "Expected at least one learner to balance, got none. Pass [new Learner1D(bounds), …].",
      );
    }
    this.#learners = learners;
    this.#labels = options.labels ?? learners.map((_, k) => String(k));
  }

  /** The balanced learners, in the order given. */
  get learners(): readonly Learner[] {
    return this.#learners;
  }

  /** Each learner's label. */
  get labels(): readonly string[] {
    return this.#labels;
  }

  /** Points told with a value, over all learners. */
  get size(): number {
    let n = 0;
    for (const l of this.#learners) n += l.size;
    return n;
  }

  /** The next point of the learner whose next point has the largest loss (the first on ties). */
  ask(): BalancedPoint {
    let best = 0;
    let bestPriority = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < this.#learners.length; k++) {
      const p = this.#learners[k]!.priority();
      if (p > bestPriority) {
        best = k;
        bestPriority = p;
      }
    }
    return { learner: best, point: this.#learners[best]!.ask() };
  }

  /** Tells learner `learner` the value at `point`. */
  tell(learner: number, point: AdaptivePoint, value: AdaptiveValue): void {
    this.#of(learner).tell(point, value);
  }

  /** Tells learner `learner` that `point` failed. */
  tellFailed(learner: number, point: AdaptivePoint): void {
    this.#of(learner).tellFailed(point);
  }

  /** The worst loss over the learners. */
  loss(): number {
    let worst = 0;
    for (const l of this.#learners) worst = Math.max(worst, l.loss());
    return worst;
  }

  #of(learner: number): Learner {
    const l = this.#learners[learner];
    if (!l) {
      throw new InvalidArgumentError(
        "learner",
        `Expected a learner index from 0 to ${this.#learners.length - 1}, got ${learner}.`,
      );
    }
    return l;
  }
}
