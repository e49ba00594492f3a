import { InvalidArgumentError, InvalidOptionError } from "../errors.ts";
import { MaxHeap } from "./heap.ts";
import { type Interval1D, type Loss1D, type Loss1DName, loss1D, type ScaledPoint } from "./loss.ts";
import { isAdaptiveValue, ValueRange } from "./scale.ts";
import type { AdaptivePoint, AdaptiveValue, Learner } from "./types.ts";

/** Options of a {@link Learner1D}. */
export interface Learner1DOptions {
  /**
   * How badly an interval is resolved: `"default"` (its length in the scaled x-y plane, as
   * python-adaptive), `"curvature"` (the triangles it forms with its neighbours), or a
   * function of the interval.
   * @defaultValue "default"
   */
  readonly loss?: Loss1DName | Loss1D;
}

/** A part of the domain between two neighbouring points, known or in flight. */
interface Span {
  readonly left: number;
  readonly right: number;
  isAlive: boolean;
}

/** A real interval's loss as it was pushed on the heap of losses. */
interface Scored {
  readonly left: number;
  readonly loss: number;
}

/** Where `x` would be inserted in sorted `xs` (the index of the first element >= x). */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(xs: number[], x: number): number {
  const at = lowerBound(xs, x);
  if (xs[at] !== x) xs.splice(at, 0, x);
  return at;
}

/**
 * Learns a function of one variable on `[lo, hi]` by splitting, point after point, the
 * interval of largest loss (python-adaptive's `Learner1D`). Points in flight count: an interval
 * already split by a pending point is worth the share of its loss each part covers, so
 * `concurrency` asks in a row give `concurrency` different, useful points.
 *
 * @example
 * ```ts
 * const learner = new Learner1D([-1, 1]);
 * while (learner.loss() > 0.01) {
 *   const [x] = learner.ask();
 *   learner.tell([x!], Math.tanh(20 * x!));
 * }
 * ```
 */
export class Learner1D implements Learner {
  readonly dimensions = 1;
  readonly #lo: number;
  readonly #hi: number;
  readonly #loss: Loss1D;
  /** Intervals narrower than this are resolved as far as doubles go. */
  readonly #eps: number;
  /** Told points, sorted. */
  readonly #xs: number[] = [];
  readonly #values = new Map<number, AdaptiveValue>();
  /** Told, pending and failed points, sorted: the ends of the spans. */
  readonly #all: number[] = [];
  readonly #pending = new Set<number>();
  readonly #failed = new Set<number>();
  /** Loss of each told interval by its left end. */
  readonly #losses = new Map<number, number>();
  readonly #lossHeap = new MaxHeap<Scored>();
  /** The live span starting at each point. */
  readonly #spans = new Map<number, Span>();
  readonly #spanHeap = new MaxHeap<Span>();
  readonly #range = new ValueRange();
  /** The y scale the current losses were computed with. */
  #yScale = 0;

  /**
   * @param bounds - The domain `[lo, hi]`, with lo < hi.
   * @param options - The loss.
   * @throws {@link InvalidOptionError} when the bounds are not two finite numbers in order, or
   *   `loss` is neither a known name nor a function.
   */
  constructor(bounds: readonly [number, number], options: Learner1DOptions = {}) {
    const [lo, hi] = bounds;
    if (
      !Array.isArray(bounds) ||
      bounds.length !== 2 ||
      !Number.isFinite(lo) ||
      !Number.isFinite(hi) ||
      !(lo < hi)
    ) {
      throw new InvalidOptionError(
        "dimensions",
        `Expected the bounds of a dimension to be [lo, hi], two finite numbers with lo < hi, ` +
          `got ${JSON.stringify(bounds)}. Pass them as dimensions: { x: [-1, 1] }.`,
      );
    }
    const loss = options.loss;
    if (
      loss !== undefined &&
      loss !== "default" &&
      loss !== "curvature" &&
      typeof loss !== "function"
    ) {
      throw new InvalidOptionError(
        "loss",
        `Expected \`loss\` of a 1-D learner to be "default", "curvature" or a function of the ` +
          `interval, got ${JSON.stringify(loss)}.`,
      );
    }
    this.#lo = lo;
    this.#hi = hi;
    this.#loss = loss1D(loss);
    this.#eps = 2 * Math.max(Math.abs(lo), Math.abs(hi)) * Number.EPSILON;
  }

  /** The domain `[lo, hi]`. */
  get bounds(): readonly [number, number] {
    return [this.#lo, this.#hi];
  }

  get size(): number {
    return this.#xs.length;
  }

  /** Told points and their values, sorted by x. */
  data(): { readonly x: number; readonly y: AdaptiveValue }[] {
    return this.#xs.map((x) => ({ x, y: this.#values.get(x)! }));
  }

  ask(): AdaptivePoint {
    for (const x of [this.#lo, this.#hi]) {
      if (!this.#isKnown(x)) {
        this.#addPending(x);
        return [x];
      }
    }
    for (;;) {
      const span = this.#spanHeap.pop();
      if (!span) {
        throw new InvalidArgumentError(
          "ask()",
          `The learner on [${this.#lo}, ${this.#hi}] has no interval left to split: every one ` +
            "is as narrow as doubles allow. Stop at a loss or point goal the domain can reach.",
        );
      }
      if (!span.isAlive) continue;
      const mid = span.left + (span.right - span.left) / 2;
      if (!(mid > span.left && mid < span.right)) {
        // Too narrow to split: drop it for good.
        span.isAlive = false;
        this.#spans.delete(span.left);
        continue;
      }
      this.#addPending(mid);
      return [mid];
    }
  }

  tell(point: AdaptivePoint, value: AdaptiveValue): void {
    const x = this.#check(point);
    if (!isAdaptiveValue(value) || !this.#range.add(value)) {
      throw new InvalidArgumentError(
        "value",
        `Expected the value at x = ${x} to be a number, or an array of numbers as long as the ` +
          `values before it, got ${JSON.stringify(value)}. Make the output return one.`,
      );
    }
    this.#pending.delete(x);
    this.#failed.delete(x);
    this.#values.set(x, value);
    insertSorted(this.#xs, x);
    const at = lowerBound(this.#all, x);
    if (this.#all[at] !== x) {
      this.#all.splice(at, 0, x);
      this.#splitSpanAt(at);
    }
    const scale = this.#range.scale;
    if (this.#yScale === 0 ? scale > 0 : scale > 2 * this.#yScale || scale < this.#yScale / 2) {
      // The y scale moved far: every loss is measured anew in the new plane.
      this.#yScale = scale;
      this.#recomputeAll();
    } else {
      this.#recomputeAround(x);
    }
  }

  tellFailed(point: AdaptivePoint): void {
    const x = this.#check(point);
    if (this.#values.has(x)) return;
    this.#pending.delete(x);
    this.#failed.add(x);
    const at = lowerBound(this.#all, x);
    if (this.#all[at] !== x) {
      this.#all.splice(at, 0, x);
      this.#splitSpanAt(at);
    }
  }

  loss(): number {
    for (;;) {
      const top = this.#lossHeap.peek();
      if (!top) return Number.POSITIVE_INFINITY;
      if (this.#losses.get(top.left) === top.loss) return top.loss;
      this.#lossHeap.pop();
    }
  }

  priority(): number {
    if (!this.#isKnown(this.#lo) || !this.#isKnown(this.#hi)) return Number.POSITIVE_INFINITY;
    for (;;) {
      const top = this.#spanHeap.peek();
      if (!top) return 0;
      if (top.isAlive) return this.#spanHeap.peekScore();
      this.#spanHeap.pop();
    }
  }

  /**
   * The straight-line interpolation between the told points around `x` (each component for
   * vector values), or undefined outside the told range.
   */
  interpolate(x: number): AdaptiveValue | undefined {
    const xs = this.#xs;
    const at = lowerBound(xs, x);
    if (xs[at] === x) return this.#values.get(x);
    if (at === 0 || at >= xs.length) return undefined;
    const a = xs[at - 1]!;
    const b = xs[at]!;
    const t = (x - a) / (b - a);
    const ya = this.#values.get(a)!;
    const yb = this.#values.get(b)!;
    if (typeof ya === "number") return ya + t * ((yb as number) - ya);
    return ya.map((v, k) => v + t * ((yb as readonly number[])[k]! - v));
  }

  #check(point: AdaptivePoint): number {
    const x = point[0];
    if (point.length !== 1 || typeof x !== "number" || !(x >= this.#lo && x <= this.#hi)) {
      throw new InvalidArgumentError(
        "point",
        `Expected a point [x] with x in [${this.#lo}, ${this.#hi}], got ` +
          `${JSON.stringify(point)}. Tell the points ask() gave, or others inside the bounds.`,
      );
    }
    return x;
  }

  #isKnown(x: number): boolean {
    return this.#values.has(x) || this.#pending.has(x) || this.#failed.has(x);
  }

  #addPending(x: number): void {
    this.#pending.add(x);
    const at = lowerBound(this.#all, x);
    if (this.#all[at] === x) return;
    this.#all.splice(at, 0, x);
    this.#splitSpanAt(at);
  }

  /** `#all[at]` was just inserted: the span around it becomes two. */
  #splitSpanAt(at: number): void {
    const all = this.#all;
    const x = all[at]!;
    const left = all[at - 1];
    const right = all[at + 1];
    if (left !== undefined) {
      const old = this.#spans.get(left);
      if (old) old.isAlive = false;
      this.#setSpan(left, x);
    }
    if (right !== undefined) this.#setSpan(x, right);
  }

  #setSpan(left: number, right: number): void {
    const old = this.#spans.get(left);
    if (old) old.isAlive = false;
    const span: Span = { left, right, isAlive: true };
    this.#spans.set(left, span);
    this.#spanHeap.push(this.#spanLoss(left, right), span);
  }

  /**
   * A span's share of the loss of the told interval around it; a span with no told interval
   * around it yet is worth its scaled width.
   */
  #spanLoss(left: number, right: number): number {
    const xs = this.#xs;
    const at = lowerBound(xs, right);
    const a = xs[at - 1];
    const b = xs[at];
    if (a === undefined || b === undefined || a > left) {
      return (right - left) / (this.#hi - this.#lo);
    }
    const loss = this.#losses.get(a) ?? 0;
    return (loss * (right - left)) / (b - a);
  }

  #recomputeAll(): void {
    this.#losses.clear();
    this.#lossHeap.clear();
    for (let i = 0; i + 1 < this.#xs.length; i++) this.#setLoss(i);
    this.#spanHeap.clear();
    const all = this.#all;
    for (let i = 0; i + 1 < all.length; i++) this.#setSpan(all[i]!, all[i + 1]!);
  }

  /** Told point `x` changes the intervals whose loss looks at it, and the spans inside them. */
  #recomputeAround(x: number): void {
    const xs = this.#xs;
    const at = lowerBound(xs, x);
    const first = Math.max(0, at - 2);
    const last = Math.min(xs.length - 2, at + 1);
    for (let i = first; i <= last; i++) this.#setLoss(i);
    if (last < first) return;
    const all = this.#all;
    const from = lowerBound(all, xs[first]!);
    const to = lowerBound(all, xs[last + 1]!);
    for (let i = from; i < to; i++) this.#setSpan(all[i]!, all[i + 1]!);
  }

  /** Computes the loss of told interval `i` (between `xs[i]` and `xs[i + 1]`). */
  #setLoss(i: number): void {
    const xs = this.#xs;
    const a = xs[i]!;
    const b = xs[i + 1]!;
    let loss = 0;
    if (b - a > this.#eps) {
      const ya = this.#values.get(a)!;
      const yb = this.#values.get(b)!;
      const before = xs[i - 1];
      const after = xs[i + 2];
      const interval: Interval1D = {
        x: [a, b],
        y: [ya, yb],
        scaled: [this.#scaled(a, ya), this.#scaled(b, yb)],
        before: before === undefined ? undefined : this.#scaled(before, this.#values.get(before)!),
        after: after === undefined ? undefined : this.#scaled(after, this.#values.get(after)!),
      };
      loss = this.#loss(interval);
      // A loss that is not a number from 0 up (a NaN value, a custom loss gone wrong) counts
      // as the interval's width, so it is still refined but never without end.
      if (!(loss >= 0) || loss === Number.POSITIVE_INFINITY) loss = (b - a) / (this.#hi - this.#lo);
    }
    this.#losses.set(a, loss);
    this.#lossHeap.push(loss, { left: a, loss });
  }

  #scaled(x: number, y: AdaptiveValue): ScaledPoint {
    const sx = (x - this.#lo) / (this.#hi - this.#lo);
    const s = this.#yScale || 1;
    if (typeof y === "number") return { x: sx, y: (y - this.#range.min(0)) / s };
    return { x: sx, y: y.map((v, k) => (v - this.#range.min(k)) / s) };
  }
}
