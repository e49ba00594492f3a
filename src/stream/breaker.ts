import { CircuitOpenError, InvalidOptionError } from "../errors.ts";

/**
 * A stage's circuit breaker (`pool({ breaker })`): once `failures` attempts have failed
 * within `windowMs`, the circuit opens and the stage fails items at once with a
 * `CircuitOpenError` (as an `Err`, never a throw out of the run) instead of calling a
 * dependency that is down. After `cooldownMs` one item is let through as a probe
 * (half-open): if it succeeds the circuit closes, if it fails the circuit opens for another
 * cooldown. Failed attempts count (a throw, a rejection, a timeout), retries included.
 */
export interface BreakerOptions {
  /** Failed attempts within `windowMs` that open the circuit. @defaultValue 5 */
  readonly failures?: number;
  /** The span failures are counted over, in milliseconds. @defaultValue 10000 */
  readonly windowMs?: number;
  /** How long the circuit stays open before a probe, in milliseconds. @defaultValue 30000 */
  readonly cooldownMs?: number;
}

/** Where a circuit stands: calls go through, fail at once, or one probe is let through. */
export type CircuitState = "closed" | "open" | "half-open";

/** A breaker with every field settled. */
export interface ResolvedBreaker {
  readonly failures: number;
  readonly windowMs: number;
  readonly cooldownMs: number;
}

const DEFAULTS = Object.freeze({ failures: 5, windowMs: 10_000, cooldownMs: 30_000 });

/**
 * Merges `options` over the defaults and checks them.
 *
 * @throws InvalidOptionError naming the field when one is out of range.
 */
export function resolveBreaker(options: BreakerOptions, what: string): ResolvedBreaker {
  const merged: { failures: number; windowMs: number; cooldownMs: number } = { ...DEFAULTS };
  for (const key of ["failures", "windowMs", "cooldownMs"] as const) {
    const value = options[key];
    if (value === undefined) continue;
    const ok =
      key === "failures"
        ? Number.isInteger(value) && value >= 1
        : typeof value === "number" && Number.isFinite(value) && value > 0;
    if (!ok) {
      throw new InvalidOptionError(
        `breaker.${key}`,
        `Expected \`breaker.${key}\` of ${what} to be ${
          key === "failures" ? "an integer from 1 up" : "a positive number of milliseconds"
        }, got \`${String(value)}\` (${typeof value}).`,
      );
    }
    merged[key] = value;
  }
  return merged;
}

/** One run of one stage's circuit, shared by the stage's workers. */
export class Circuit {
  /** Where it stands now. */
  state: CircuitState = "closed";
  /** Times it opened in this run. */
  opened = 0;
  readonly #options: ResolvedBreaker;
  readonly #stage: string;
  /** When recent attempts failed, oldest first. */
  #failedAt: number[] = [];
  #openedAt = 0;
  #probing = false;

  /**
   * @param options - The stage's settled breaker.
   * @param stage - The stage's name, for the error.
   */
  constructor(options: ResolvedBreaker, stage: string) {
    this.#options = options;
    this.#stage = stage;
  }

  /**
   * Whether an attempt may call the handler now.
   *
   * @returns Undefined when it may, else the error to fail the item with.
   */
  admit(): CircuitOpenError | undefined {
    if (this.state === "closed") return undefined;
    const now = Date.now();
    if (this.state === "open" && now - this.#openedAt >= this.#options.cooldownMs) {
      this.state = "half-open";
    }
    if (this.state === "half-open" && !this.#probing) {
      this.#probing = true;
      return undefined;
    }
    const retryInMs = Math.max(0, this.#openedAt + this.#options.cooldownMs - now);
    return new CircuitOpenError(
      this.#stage,
      this.#options.failures,
      this.#options.windowMs,
      retryInMs,
    );
  }

  /** An admitted attempt succeeded: a probe closes the circuit. */
  success(): void {
    if (this.state === "closed") return;
    this.#probing = false;
    this.state = "closed";
    this.#failedAt = [];
  }

  /** An admitted attempt failed: counts it, and opens the circuit when there are enough. */
  failure(): void {
    const now = Date.now();
    if (this.state !== "closed") {
      // A failed probe (or a late failure of an attempt admitted before the circuit opened).
      this.#probing = false;
      this.#open(now);
      return;
    }
    const since = now - this.#options.windowMs;
    let k = 0;
    while (k < this.#failedAt.length && this.#failedAt[k]! <= since) k++;
    if (k > 0) this.#failedAt = this.#failedAt.slice(k);
    this.#failedAt.push(now);
    if (this.#failedAt.length >= this.#options.failures) this.#open(now);
  }

  #open(now: number): void {
    if (this.state !== "open") this.opened++;
    this.state = "open";
    this.#openedAt = now;
    this.#failedAt = [];
  }
}
