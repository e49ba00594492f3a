import { getEventListeners } from "node:events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isErr, pool, StageTimeoutError, stream } from "../../src/index.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const abortListeners = (signal: AbortSignal | undefined) =>
  signal ? getEventListeners(signal, "abort").length : 0;

// Every MaxListenersExceededWarning seen while a test runs: one is the sign that each item
// left a listener behind on a signal that lives as long as the run.
let warnings: Error[] = [];
const onWarning = (warning: Error) => {
  if (warning.name === "MaxListenersExceededWarning") warnings.push(warning);
};
beforeEach(() => {
  warnings = [];
  process.on("warning", onWarning);
});
afterEach(() => {
  process.off("warning", onWarning);
});

/**
 * A stream of `n` items whose timed stage never settles any of them. A first stage without a
 * timeout hands its handler the run's own signal (the one every attempt of the run hangs off);
 * the timed stage samples the listeners on that signal and on the caller's while it runs.
 */
function neverSettling(n: number, workers: number, retries = 1) {
  const seen = {
    run: undefined as AbortSignal | undefined,
    user: undefined as AbortSignal | undefined,
  };
  const peak = { run: 0, user: 0 };
  let started = 0;
  const grab = pool({ name: "grab", buffer: 64 }, (x: number, _s, { signal }) => {
    seen.run ??= signal;
    return x;
  });
  const hang = pool({ name: "hang", workers, buffer: 64, retries, timeoutMs: 1 }, (_x: number) => {
    if (started++ % 500 === 0) {
      peak.run = Math.max(peak.run, abortListeners(seen.run));
      peak.user = Math.max(peak.user, abortListeners(seen.user));
    }
    return new Promise<number>(() => {});
  });
  return { s: stream(range(n)).pipe(grab, hang), seen, peak };
}

describe("stream: attempts that time out on a promise that never settles", () => {
  it("leave no listener behind on the run's signal or the caller's", async () => {
    const workers = 50;
    const { s, seen, peak } = neverSettling(5_000, workers);
    const controller = new AbortController();
    seen.user = controller.signal;
    const summary = await s.run({ signal: controller.signal });
    expect(summary.count).toBe(5_000);
    expect(abortListeners(seen.run)).toBeLessThanOrEqual(workers + 4);
    expect(abortListeners(controller.signal)).toBe(0);
    expect(peak.run).toBeLessThanOrEqual(workers + 4);
    expect(peak.user).toBeLessThanOrEqual(workers + 4);
    expect(warnings).toEqual([]);
  });

  it("finish 100k timed-out items, each an Err with a StageTimeoutError, with listeners bounded", async () => {
    const workers = 500;
    const n = 100_000;
    const { s, seen, peak } = neverSettling(n, workers);
    const controller = new AbortController();
    seen.user = controller.signal;
    const summary = await s.run({ signal: controller.signal });
    expect(summary.count).toBe(n);
    expect(summary.ok).toBe(false);
    if (summary.ok) return;
    expect(summary.errors).toHaveLength(n);
    const items = new Set<unknown>();
    for (const err of summary.errors) {
      items.add(err.item);
      if (!(err.error instanceof StageTimeoutError) || err.stage !== "hang") {
        expect.fail(`item ${String(err.item)} failed with ${String(err.error)} in ${err.stage}`);
      }
    }
    expect(items.size).toBe(n);
    expect(peak.run).toBeLessThanOrEqual(workers + 4);
    expect(peak.user).toBeLessThanOrEqual(workers + 4);
    expect(abortListeners(seen.run)).toBeLessThanOrEqual(workers + 4);
    expect(abortListeners(controller.signal)).toBe(0);
    expect(warnings).toEqual([]);
  }, 30_000);

  it("retry each item up to `retries` times, every attempt timing out", async () => {
    const { s, seen } = neverSettling(2_000, 40, 3);
    const out = await s.toArray();
    expect(out).toHaveLength(2_000);
    for (const err of out) {
      if (!isErr(err) || !(err.error instanceof StageTimeoutError) || err.attempts !== 3) {
        expect.fail(`expected a third timeout, got ${String(isErr(err) ? err.error : err)}`);
      }
      expect((err.error as StageTimeoutError).attempt).toBe(3);
    }
    expect(abortListeners(seen.run)).toBeLessThanOrEqual(44);
    expect(warnings).toEqual([]);
  });

  it("still abort a running attempt's signal, with the caller's reason, when the run is cancelled", async () => {
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    let allStarted: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      allStarted = resolve;
    });
    const hang = pool({ workers: 3, timeoutMs: 60_000 }, (_x: number, _s, { signal }) => {
      signals.push(signal);
      if (signals.length === 3) allStarted();
      return new Promise<number>((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    });
    const running = stream(range(10)).pipe(hang).run({ signal: controller.signal });
    await started;
    controller.abort(new Error("stop"));
    await expect(running).rejects.toMatchObject({ name: "AbortError" });
    expect(signals).toHaveLength(3);
    for (const signal of signals) {
      expect(signal.aborted).toBe(true);
      expect(signal.reason).toEqual(new Error("stop"));
    }
    expect(abortListeners(controller.signal)).toBe(0);
  });
});
