import { AbortError, InvalidOptionError } from "../errors.ts";

/** A rate: `perSecond` on average, at most `burst` at once (see {@link rateLimiter}). */
export interface RateOptions {
  /** Calls allowed per second, in the long run. */
  readonly perSecond: number;
  /**
   * Calls allowed at one instant after a quiet spell: the bucket's size. 1 spaces every call
   * at least `1 / perSecond` apart, which a timer (whole milliseconds) may overshoot by up to
   * a millisecond a call; from 2 up the long-run rate is exact. @defaultValue 1
   */
  readonly burst?: number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

/**
 * A token bucket shared by whoever holds it: several stages, several streams, or your own
 * code, all drawing on one API quota. The bucket holds up to `burst` tokens, starts full and
 * refills at `perSecond`; each call takes one. Waiting callers are served first come, first
 * served. No timer runs while nobody waits.
 *
 * In any span of `t` seconds it lets through at most `burst + perSecond * t` calls, so never
 * more than `burst` at one instant, and `perSecond` in the long run.
 */
export class RateLimiter {
  /** Calls per second, in the long run. */
  readonly perSecond: number;
  /** Calls at one instant, at most. */
  readonly burst: number;
  #tokens: number;
  #at: number;
  readonly #waiting: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** @internal Use {@link rateLimiter}. */
  constructor(perSecond: number, burst: number) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.#tokens = burst;
    this.#at = now();
  }

  /**
   * Takes a token if one is there now and nobody waits before this caller.
   *
   * @returns True when the call may go ahead.
   */
  tryAcquire(): boolean {
    if (this.#waiting.length > 0) return false;
    this.#refill();
    if (this.#tokens < WHOLE) return false;
    this.#tokens = Math.max(0, this.#tokens - 1);
    return true;
  }

  /**
   * Waits for a token, after those who came before.
   *
   * @param signal - Gives up waiting when aborted; the token is left for others.
   * @returns A promise resolved when the call may go ahead.
   * @throws AbortError (the promise rejects) when `signal` aborts first; its `cause` is the
   *   signal's reason.
   * @example
   * ```ts
   * const quota = rateLimiter({ perSecond: 10 });
   * for (const id of ids) {
   *   await quota.acquire();
   *   await fetch(`https://api.example.com/items/${id}`);
   * }
   * ```
   */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(aborted(signal));
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = signal
        ? () => {
            const k = this.#waiting.indexOf(waiter);
            if (k >= 0) this.#waiting.splice(k, 1);
            if (this.#waiting.length === 0) this.#stop();
            reject(aborted(signal));
          }
        : undefined;
      const waiter: Waiter = { resolve, reject, signal, onAbort };
      if (onAbort) signal!.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(waiter);
      this.#schedule();
    });
  }

  #refill(): void {
    const t = now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#at) * this.perSecond) / 1000);
    this.#at = t;
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#refill();
    while (this.#waiting.length > 0 && this.#tokens >= WHOLE) {
      this.#tokens = Math.max(0, this.#tokens - 1);
      const waiter = this.#waiting.shift()!;
      if (waiter.onAbort) waiter.signal!.removeEventListener("abort", waiter.onAbort);
      waiter.resolve();
    }
    if (this.#waiting.length === 0) return;
    // The next token, from the fraction the bucket holds now; the clock is read again when
    // the timer fires, so a late timer costs only what the bucket could not hold (with
    // `burst` 1, the lateness itself: calls must then stay a whole interval apart).
    const ms = Math.max(0.1, ((1 - this.#tokens) * 1000) / this.perSecond);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#schedule();
    }, ms);
  }

  #stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

const now = (): number => performance.now();

/**
 * A token, less what floating point loses adding up fractions: a timer set for the moment
 * the bucket holds one must find one there, or it waits again and the rate falls behind.
 */
const WHOLE = 1 - 1e-9;

function aborted(signal: AbortSignal): AbortError {
  return new AbortError("waiting for a rate limiter's token", signal.reason, "no token was taken.");
}

/**
 * Makes a rate limiter to share: pass it as `rate` of several stages (or streams) and
 * together they make at most `perSecond` calls a second, `burst` at once. A stage's attempts
 * (retries included) each take a token just before the handler is called.
 *
 * @param options - `perSecond`, and `burst` (default 1).
 * @returns The limiter; `acquire()` it from your own code too.
 * @throws InvalidOptionError when `perSecond` is not a positive number or `burst` not an
 *   integer from 1 up.
 * @example
 * ```ts
 * const quota = rateLimiter({ perSecond: 100, burst: 10 });
 * const search = pool({ workers: 8, rate: quota }, (q: string) => api.search(q));
 * const lookup = pool({ workers: 4, rate: quota }, (id: string) => api.get(id));
 * ```
 */
export function rateLimiter(options: RateOptions): RateLimiter {
  const { perSecond, burst } = resolveRate(options, "rateLimiter()", "");
  return new RateLimiter(perSecond, burst);
}

/**
 * Checks a rate and fills in `burst`.
 *
 * @throws InvalidOptionError naming the field.
 */
export function resolveRate(
  options: RateOptions,
  what: string,
  prefix: string,
): { readonly perSecond: number; readonly burst: number } {
  const { perSecond, burst = 1 } = options;
  if (typeof perSecond !== "number" || !Number.isFinite(perSecond) || perSecond <= 0) {
    throw new InvalidOptionError(
      `${prefix}perSecond`,
      `Expected \`${prefix}perSecond\` of ${what} to be a positive number, got ` +
        `\`${String(perSecond)}\` (${typeof perSecond}).`,
    );
  }
  if (typeof burst !== "number" || !Number.isInteger(burst) || burst < 1) {
    throw new InvalidOptionError(
      `${prefix}burst`,
      `Expected \`${prefix}burst\` of ${what} to be an integer from 1 up, got ` +
        `\`${String(burst)}\` (${typeof burst}).`,
    );
  }
  return { perSecond, burst };
}
