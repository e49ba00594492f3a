import { InvalidOptionError } from "../errors.ts";

/** How the wait before a retry is spread (see {@link BackoffOptions.jitter}). */
export type Jitter = "full" | "equal" | "none";

/**
 * How long a stage waits before each retry of a failed item (`pool({ retries, backoff })`).
 * The wait before attempt `n + 1` (after `n` failed attempts) starts from
 * `base = min(maxMs, initialMs * factor ** (n - 1))`, then:
 * `"none"` waits `base`; `"full"` a random time in `[0, base)`; `"equal"` waits `base / 2`
 * plus a random time in `[0, base / 2)`. Full jitter spreads many clients' retries the most
 * (AWS's "Exponential Backoff and Jitter"); equal jitter keeps a floor under each wait.
 */
export interface BackoffOptions {
  /** The wait before the first retry (before jitter), in milliseconds. @defaultValue 100 */
  readonly initialMs?: number;
  /** Each further retry waits this many times longer. @defaultValue 2 */
  readonly factor?: number;
  /**
   * No wait is longer than this (before jitter), in milliseconds.
   * @defaultValue 10000, or `initialMs` when that is longer
   */
  readonly maxMs?: number;
  /** How the wait is spread. @defaultValue "full" */
  readonly jitter?: Jitter;
  /**
   * A number in `[0, 1)` for each jittered wait: a seeded generator makes the schedule
   * repeatable (tests). @defaultValue `Math.random`
   */
  readonly random?: () => number;
}

/** Backoff with every field settled. */
export interface ResolvedBackoff {
  readonly initialMs: number;
  readonly factor: number;
  readonly maxMs: number;
  readonly jitter: Jitter;
  readonly random: () => number;
}

const DEFAULTS = Object.freeze({
  initialMs: 100,
  factor: 2,
  maxMs: 10_000,
  jitter: "full" as Jitter,
  random: Math.random,
});

const JITTERS: readonly Jitter[] = ["full", "equal", "none"];

/**
 * Merges `options` over the defaults and checks them.
 *
 * @throws InvalidOptionError naming the field and the stage when one is out of range.
 */
export function resolveBackoff(options: BackoffOptions, what: string): ResolvedBackoff {
  const given = definedOf(options);
  const merged = { ...DEFAULTS, ...given };
  if (given.maxMs === undefined && typeof merged.initialMs === "number") {
    merged.maxMs = Math.max(DEFAULTS.maxMs, merged.initialMs);
  }
  const check = (key: "initialMs" | "factor" | "maxMs", ok: boolean, expected: string) => {
    if (!ok) {
      const value = merged[key] as unknown;
      throw new InvalidOptionError(
        `backoff.${key}`,
        `Expected \`backoff.${key}\` of ${what} to be ${expected}, got \`${String(value)}\` ` +
          `(${typeof value}).`,
      );
    }
  };
  const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  check("initialMs", finite(merged.initialMs) && merged.initialMs >= 0, "a number from 0 up");
  check("factor", finite(merged.factor) && merged.factor >= 1, "a number from 1 up");
  check(
    "maxMs",
    finite(merged.maxMs) && merged.maxMs >= merged.initialMs,
    `a number from \`initialMs\` (${merged.initialMs}) up`,
  );
  if (!JITTERS.includes(merged.jitter)) {
    throw new InvalidOptionError(
      "backoff.jitter",
      `Expected \`backoff.jitter\` of ${what} to be one of "full", "equal", "none", got ` +
        `\`${String(merged.jitter)}\`.`,
    );
  }
  if (typeof merged.random !== "function") {
    throw new InvalidOptionError(
      "backoff.random",
      `Expected \`backoff.random\` of ${what} to be a function returning a number in [0, 1).`,
    );
  }
  return merged;
}

/**
 * The wait before the next attempt once `failed` attempts have failed.
 *
 * @param backoff - The stage's settled backoff.
 * @param failed - Attempts failed so far, from 1.
 * @returns Milliseconds, never negative.
 */
export function backoffDelay(backoff: ResolvedBackoff, failed: number): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** (failed - 1));
  switch (backoff.jitter) {
    case "none":
      return base;
    case "full":
      return base * backoff.random();
    case "equal":
      return base / 2 + (base / 2) * backoff.random();
  }
}

/** `options` without the fields set to `undefined`, so they do not hide the defaults. */
function definedOf<T extends object>(options: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k as keyof T] = v;
  return out;
}

/**
 * The waits between retries of one worker: each a timer that the stream's cancellation ends
 * at once, so a cancelled run never sits out a backoff.
 */
export class RetryWaits {
  readonly #timers = new Map<NodeJS.Timeout, () => void>();

  /** Resolves after `ms`, or at once when {@link RetryWaits.releaseAll} is called. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.set(timer, resolve);
    });
  }

  /** Ends every wait now (the stream was cancelled). */
  releaseAll(): void {
    for (const [timer, resolve] of this.#timers) {
      clearTimeout(timer);
      resolve();
    }
    this.#timers.clear();
  }
}
