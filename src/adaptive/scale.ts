import type { AdaptiveValue } from "./types.ts";

/**
 * The running range of the values a learner has seen (per component for vectors), which sets
 * the y scale of its losses. Non-finite values do not widen it.
 */
export class ValueRange {
  #min: number[] = [];
  #max: number[] = [];
  /** Components of a vector value; 0 for numbers; undefined before the first value. */
  #width: number | undefined;

  /** Components per value: 0 for numbers, undefined until a value was seen. */
  get width(): number | undefined {
    return this.#width;
  }

  /**
   * Widens the range to cover `value`.
   *
   * @returns False when `value` has another shape than the values before it.
   */
  add(value: AdaptiveValue): boolean {
    const parts = typeof value === "number" ? [value] : value;
    const width = typeof value === "number" ? 0 : value.length;
    if (this.#width === undefined) {
      this.#width = width;
      this.#min = parts.map(() => Number.POSITIVE_INFINITY);
      this.#max = parts.map(() => Number.NEGATIVE_INFINITY);
    } else if (this.#width !== width) {
      return false;
    }
    for (let k = 0; k < parts.length; k++) {
      const v = parts[k]!;
      if (!Number.isFinite(v)) continue;
      if (v < this.#min[k]!) this.#min[k] = v;
      if (v > this.#max[k]!) this.#max[k] = v;
    }
    return true;
  }

  /** The largest range over the components, or 0 before two distinct finite values. */
  get scale(): number {
    let worst = 0;
    for (let k = 0; k < this.#min.length; k++) {
      const r = this.#max[k]! - this.#min[k]!;
      if (r > worst) worst = r;
    }
    return worst;
  }

  /** The smallest value of component `k` seen (0 before any). */
  min(k: number): number {
    const m = this.#min[k];
    return m === undefined || !Number.isFinite(m) ? 0 : m;
  }
}

/** Whether a value is a number or an array of numbers. */
export function isAdaptiveValue(value: unknown): value is AdaptiveValue {
  if (typeof value === "number") return true;
  return Array.isArray(value) && value.every((v) => typeof v === "number");
}
