/**
 * Rate limits: `rateLimiter({ perSecond, burst })` and `pool({ rate })`. On a fake clock: never
 * more than `burst + perSecond * t` calls in any span of `t` (so never more than `burst` at one
 * instant), and the long-run rate is `perSecond`.
 */
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AbortError, InvalidOptionError, pool, rateLimiter, stream } from "../../src/index.ts";

/** Fails naming the span when more calls fall in some span than the rate allows. */
function expectWithinRate(times: readonly number[], perSecond: number, burst: number): void {
  const sorted = [...times].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i; j < sorted.length; j++) {
      const allowed = burst + ((sorted[j]! - sorted[i]!) * perSecond) / 1000 + 1e-9;
      if (j - i + 1 > allowed) {
        throw new Error(
          `${j - i + 1} calls in [${sorted[i]}, ${sorted[j]}] ms, allowed ${allowed} ` +
            `(perSecond ${perSecond}, burst ${burst})`,
        );
      }
    }
  }
}

describe("rateLimiter", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("never lets more through than the bucket allows, whatever the arrivals", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 50 }),
        async (perSecond, burst, gaps) => {
          const limiter = rateLimiter({ perSecond, burst });
          const granted: number[] = [];
          const all: Promise<unknown>[] = [];
          for (const gap of gaps) {
            if (gap > 0) await vi.advanceTimersByTimeAsync(gap);
            all.push(limiter.acquire().then(() => granted.push(performance.now())));
          }
          await vi.runAllTimersAsync();
          await Promise.all(all);
          expect(granted).toHaveLength(gaps.length);
          expectWithinRate(granted, perSecond, burst);
          expect(vi.getTimerCount()).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("keeps the long-run rate: n calls at once take (n - burst) / perSecond", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 20, max: 300 }),
        async (perSecond, burst, n) => {
          const limiter = rateLimiter({ perSecond, burst });
          const start = performance.now();
          let last = start;
          const all = Array.from({ length: n }, () =>
            limiter.acquire().then(() => {
              last = performance.now();
            }),
          );
          await vi.runAllTimersAsync();
          await Promise.all(all);
          const ideal = ((n - burst) * 1000) / perSecond;
          expect(last - start).toBeGreaterThanOrEqual(ideal - 1e-6);
          // Timers fire on whole milliseconds. The bucket reads the clock, so with room for
          // two tokens or more a late timer costs nothing; with burst 1 calls must stay a
          // whole interval apart, so each may lose up to that millisecond.
          expect(last - start).toBeLessThanOrEqual(ideal + (burst === 1 ? n : 2));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("serves waiters first come, first served, and a tryAcquire does not jump the queue", async () => {
    const limiter = rateLimiter({ perSecond: 10, burst: 1 });
    const order: number[] = [];
    expect(limiter.tryAcquire()).toBe(true);
    const a = limiter.acquire().then(() => order.push(1));
    const b = limiter.acquire().then(() => order.push(2));
    expect(limiter.tryAcquire()).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(order).toEqual([1]);
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all([a, b]);
    expect(order).toEqual([1, 2]);
  });

  it("lets an aborted waiter go without its token, and leaves no timer", async () => {
    const limiter = rateLimiter({ perSecond: 1, burst: 1 });
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    expect(vi.getTimerCount()).toBe(1);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    expect(vi.getTimerCount()).toBe(0);
    // The token it did not take is there for the next caller, a second later.
    const next = limiter.acquire();
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(next).resolves.toBeUndefined();
  });

  it.each([
    [{ perSecond: 0 }, "perSecond"],
    [{ perSecond: Number.NaN }, "perSecond"],
    [{ perSecond: 10, burst: 0 }, "burst"],
    [{ perSecond: 10, burst: 1.5 }, "burst"],
  ])("rejects %o naming %s", (options, option) => {
    expect(() => rateLimiter(options)).toThrow(InvalidOptionError);
    try {
      rateLimiter(options);
    } catch (error) {
      expect((error as InvalidOptionError).code).toBe("E_INVALID_OPTION");
      expect((error as InvalidOptionError).option).toBe(option);
      expect((error as Error).message).toContain("rateLimiter()");
    }
  });
});

describe("pool({ rate })", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("limits a stage's calls over all its workers, retries included", async () => {
    const calls: number[] = [];
    const stage = pool(
      { workers: 8, buffer: 8, retries: 2, rate: { perSecond: 50, burst: 5 } },
      (item: number, _state, { attempt }) => {
        calls.push(performance.now());
        if (item % 10 === 0 && attempt === 1) throw new Error("once");
        return item;
      },
    );
    const start = performance.now();
    const run = stream(Array.from({ length: 100 }, (_, i) => i))
      .pipe(stage)
      .run();
    await vi.runAllTimersAsync();
    const summary = await run;
    expect(summary).toEqual({ ok: true, count: 100 });
    expect(calls).toHaveLength(110);
    expectWithinRate(calls, 50, 5);
    expect(Math.max(...calls) - start).toBeGreaterThanOrEqual(((110 - 5) * 1000) / 50 - 1e-6);
  });

  it("shares one limiter's quota between stages of different streams", async () => {
    const quota = rateLimiter({ perSecond: 20, burst: 2 });
    const calls: number[] = [];
    const call = (x: number) => {
      calls.push(performance.now());
      return x;
    };
    const a = stream(Array.from({ length: 30 }, (_, i) => i))
      .pipe(pool({ workers: 4, rate: quota }, call))
      .run();
    const b = stream(Array.from({ length: 30 }, (_, i) => i))
      .pipe(pool({ workers: 2, rate: quota }, call), pool({ rate: quota }, call))
      .run();
    await vi.runAllTimersAsync();
    await Promise.all([a, b]);
    expect(calls).toHaveLength(90);
    expectWithinRate(calls, 20, 2);
  });

  it("stops waiting for tokens when the run is cancelled", async () => {
    const controller = new AbortController();
    let calls = 0;
    const run = stream(Array.from({ length: 100 }, (_, i) => i))
      .pipe(
        pool({ workers: 4, rate: { perSecond: 1 } }, (x: number) => {
          calls++;
          return x;
        }),
      )
      .run({ signal: controller.signal });
    await vi.advanceTimersByTimeAsync(2_500);
    controller.abort(new Error("user"));
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(calls).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects a bad rate naming the field", () => {
    expect(() => pool({ rate: { perSecond: -1 } }, (x: number) => x)).toThrow(/`rate.perSecond`/);
  });
});
