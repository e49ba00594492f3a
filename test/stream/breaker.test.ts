/**
 * `pool({ breaker })`: after `failures` failed attempts within `windowMs` the stage fails items
 * fast with a CircuitOpenError as an Err, probes with one item after `cooldownMs`, closes on
 * success; its state shows in the monitor. Time is a fake clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  CircuitOpenError,
  InvalidOptionError,
  isErr,
  pool,
  StreamMonitor,
  stream,
} from "../../src/index.ts";

/** A source whose items come when the test says, so the clock can move between them. */
function gated<T>() {
  const queue: ((value: IteratorResult<T>) => void)[] = [];
  const ready: IteratorResult<T>[] = [];
  const iterable: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next: () =>
        new Promise<IteratorResult<T>>((resolve) => {
          const r = ready.shift();
          if (r) resolve(r);
          else queue.push(resolve);
        }),
    }),
  };
  const give = (result: IteratorResult<T>) => {
    const resolve = queue.shift();
    if (resolve) resolve(result);
    else ready.push(result);
  };
  return {
    iterable,
    push: (value: T) => give({ done: false, value }),
    end: () => give({ done: true, value: undefined }),
  };
}

describe("pool({ breaker })", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("opens after enough failures, fails fast, probes after the cooldown and closes on success", async () => {
    let healthy = false;
    const called: number[] = [];
    const stage = pool(
      { name: "api", breaker: { failures: 3, windowMs: 1_000, cooldownMs: 5_000 } },
      (item: number) => {
        called.push(item);
        if (!healthy) throw new Error("503");
        return item;
      },
    );
    const monitor = new StreamMonitor();
    const source = gated<number>();
    const out: unknown[] = [];
    const run = (async () => {
      for await (const x of stream(source.iterable).pipe(stage).iterate({ monitor })) out.push(x);
    })();
    const settle = () => vi.advanceTimersByTimeAsync(0);
    for (const n of [1, 2, 3]) source.push(n);
    await settle();
    expect(called).toEqual([1, 2, 3]);
    expect(monitor.stats().stages[0]).toMatchObject({ circuit: "open", circuitOpened: 1 });

    // Open: items fail at once, the handler is not called.
    source.push(4);
    await settle();
    expect(called).toEqual([1, 2, 3]);
    const fast = out[3];
    expect(isErr(fast) && fast.error).toBeInstanceOf(CircuitOpenError);
    const error = (isErr(fast) && fast.error) as CircuitOpenError;
    expect(error.code).toBe("E_CIRCUIT_OPEN");
    expect([error.stage, error.failures, error.windowMs, error.retryInMs]).toEqual([
      "api",
      3,
      1_000,
      5_000,
    ]);
    expect(error.message).toContain('"api"');
    expect(isErr(fast) && [fast.item, fast.stage, fast.attempts]).toEqual([4, "api", 0]);

    // After the cooldown one probe goes through; it fails, so the circuit opens again.
    await vi.advanceTimersByTimeAsync(5_000);
    source.push(5);
    source.push(6);
    await settle();
    expect(called).toEqual([1, 2, 3, 5]);
    expect(monitor.stats().stages[0]).toMatchObject({ circuit: "open", circuitOpened: 2 });

    // The next probe succeeds: closed again, items flow.
    await vi.advanceTimersByTimeAsync(5_000);
    healthy = true;
    for (const n of [7, 8, 9]) source.push(n);
    await settle();
    expect(called).toEqual([1, 2, 3, 5, 7, 8, 9]);
    expect(monitor.stats().stages[0]).toMatchObject({ circuit: "closed" });
    source.end();
    await run;
    expect(out.slice(-3)).toEqual([7, 8, 9]);
    expect(out.filter(isErr).map((e) => e.item)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("counts only the failures within the window", async () => {
    const source = gated<number>();
    const stage = pool({ breaker: { failures: 2, windowMs: 1_000 } }, () => {
      throw new Error("down");
    });
    const monitor = new StreamMonitor();
    const run = stream(source.iterable).pipe(stage).run({ monitor });
    source.push(1);
    await vi.advanceTimersByTimeAsync(1_500);
    source.push(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(monitor.stats().stages[0]?.circuit).toBe("closed");
    source.push(3);
    await vi.advanceTimersByTimeAsync(0);
    expect(monitor.stats().stages[0]?.circuit).toBe("open");
    source.end();
    const summary = await run;
    expect(summary.ok).toBe(false);
  });

  it("counts retries as failures and does not retry a fast failure", async () => {
    let calls = 0;
    const stage = pool({ retries: 5, breaker: { failures: 2 } }, () => {
      calls++;
      throw new Error("down");
    });
    const [first, second] = await stream([1, 2]).pipe(stage).toArray();
    expect(calls).toBe(2);
    expect(isErr(first) && first.error).toBeInstanceOf(CircuitOpenError);
    expect(isErr(first) && first.attempts).toBe(2);
    expect(isErr(second) && second.error).toBeInstanceOf(CircuitOpenError);
    expect(isErr(second) && second.attempts).toBe(0);
  });

  it("shows null as the circuit of a stage without a breaker", async () => {
    const monitor = new StreamMonitor();
    await stream([1])
      .pipe(pool({}, (x: number) => x))
      .run({ monitor });
    expect(monitor.stats().stages[0]).toMatchObject({ circuit: null, circuitOpened: 0 });
  });

  it.each([
    [{ failures: 0 }, "breaker.failures"],
    [{ windowMs: -5 }, "breaker.windowMs"],
    [{ cooldownMs: Number.POSITIVE_INFINITY }, "breaker.cooldownMs"],
  ])("rejects breaker %o naming %s", (breaker, option) => {
    const made = () => pool({ breaker }, (x: number) => x);
    expect(made).toThrow(InvalidOptionError);
    try {
      made();
    } catch (error) {
      expect((error as InvalidOptionError).option).toBe(option);
      expect((error as Error).message).toContain(option);
    }
  });
});
