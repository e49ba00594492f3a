/**
 * `pool({ retries, backoff, retryIf })`: the waits between attempts follow the formula for each
 * jitter mode (checked on a fake clock with a repeatable random), `retryIf` stops retries, a
 * cancelled run stops waiting at once, and the monitor counts the retries.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  AbortError,
  InvalidOptionError,
  isErr,
  type Jitter,
  pool,
  StreamMonitor,
  stream,
} from "../../src/index.ts";

/** A repeatable random in [0, 1): the same sequence for the stage and the expected schedule. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The formula of the issue, written out again to check the stage against. */
function expectedWaits(jitter: Jitter, random: () => number, count: number): number[] {
  const waits: number[] = [];
  for (let n = 1; n <= count; n++) {
    const base = Math.min(1_000, 100 * 3 ** (n - 1));
    waits.push(
      jitter === "none"
        ? base
        : jitter === "full"
          ? base * random()
          : base / 2 + (base / 2) * random(),
    );
  }
  return waits;
}

describe("pool({ backoff })", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each<Jitter>(["none", "full", "equal"])(
    "waits between attempts as the formula says with jitter %s",
    async (jitter) => {
      const started: number[] = [];
      const stage = pool(
        {
          retries: 6,
          backoff: { initialMs: 100, factor: 3, maxMs: 1_000, jitter, random: seeded(7) },
        },
        (_item: number) => {
          started.push(performance.now());
          throw new Error("down");
        },
      );
      const run = stream([1]).pipe(stage).toArray();
      await vi.runAllTimersAsync();
      const [err] = await run;
      expect(isErr(err) && err.attempts).toBe(6);
      const waits = started.slice(1).map((t, k) => t - started[k]!);
      const expected = expectedWaits(jitter, seeded(7), 5);
      expect(waits).toHaveLength(5);
      // The fake clock keeps whole milliseconds.
      for (const [k, wait] of waits.entries())
        expect(Math.abs(wait - expected[k]!)).toBeLessThanOrEqual(1);
      if (jitter === "none") expect(waits).toEqual([100, 300, 900, 1_000, 1_000]);
    },
  );

  it("retries at once without a backoff", async () => {
    let calls = 0;
    const stage = pool({ retries: 3 }, () => {
      calls++;
      throw new Error("down");
    });
    // No timer is involved: the run ends without the fake clock moving.
    const [err] = await stream([1]).pipe(stage).toArray();
    expect(calls).toBe(3);
    expect(isErr(err) && err.attempts).toBe(3);
  });

  it("stops retrying when retryIf says no, and tells it the error and the attempt", async () => {
    const asked: [string, number][] = [];
    const stage = pool(
      {
        retries: 5,
        backoff: { initialMs: 10, jitter: "none" },
        retryIf: (error, attempt) => {
          asked.push([(error as Error).message, attempt]);
          return (error as Error).message !== "404";
        },
      },
      (_item: number, _state, { attempt }) => {
        throw new Error(attempt < 3 ? "503" : "404");
      },
    );
    const run = stream([1]).pipe(stage).toArray();
    await vi.runAllTimersAsync();
    const [err] = await run;
    expect(asked).toEqual([
      ["503", 1],
      ["503", 2],
      ["404", 3],
    ]);
    expect(isErr(err) && err.attempts).toBe(3);
    expect(isErr(err) && (err.error as Error).message).toBe("404");
  });

  it("stops waiting at once when the run is cancelled, leaving no timer behind", async () => {
    const controller = new AbortController();
    let failedOnce!: () => void;
    const failed = new Promise<void>((resolve) => {
      failedOnce = resolve;
    });
    const stage = pool({ retries: 3, backoff: { initialMs: 60_000, jitter: "none" } }, () => {
      failedOnce();
      throw new Error("down");
    });
    const run = stream([1]).pipe(stage).run({ signal: controller.signal });
    await failed;
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1);
    controller.abort(new Error("user"));
    // The clock does not move: the wait ends because of the cancel alone.
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("counts each retry in the monitor", async () => {
    const monitor = new StreamMonitor();
    const stage = pool(
      { name: "flaky", retries: 3, backoff: { initialMs: 5 } },
      (item: number, _state, { attempt }) => {
        if (attempt < item) throw new Error("not yet");
        return item;
      },
    );
    const run = stream([1, 2, 3, 4]).pipe(stage).toArray({ monitor });
    await vi.runAllTimersAsync();
    const out = await run;
    // 1: no retry; 2: one; 3: two; 4: two, then it fails.
    expect(out.filter(isErr)).toHaveLength(1);
    expect(monitor.stats().stages[0]).toMatchObject({ name: "flaky", retried: 5, failed: 1 });
  });

  it.each([
    [{ initialMs: -1 }, "backoff.initialMs"],
    [{ factor: 0.5 }, "backoff.factor"],
    [{ initialMs: 100, maxMs: 10 }, "backoff.maxMs"],
    [{ jitter: "half" as Jitter }, "backoff.jitter"],
  ])("rejects backoff %o naming %s", (backoff, option) => {
    const made = () => pool({ retries: 2, backoff }, (x: number) => x);
    expect(made).toThrow(InvalidOptionError);
    try {
      made();
    } catch (error) {
      expect((error as InvalidOptionError).code).toBe("E_INVALID_OPTION");
      expect((error as InvalidOptionError).option).toBe(option);
      expect((error as Error).message).toContain(option);
    }
  });
});
