/**
 * `batch({ size, maxWaitMs })`, `unbatch()` and `pool({ batched: true })`: full batches, partial
 * ones after the wait (fake clock), the rest at the end; one result per item with Errs per
 * item; and backpressure through all three.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  BatchResultError,
  batch,
  Err,
  InvalidOptionError,
  isErr,
  pool,
  SKIP,
  StreamMonitor,
  stream,
  unbatch,
} from "../../src/index.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("batch", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("puts out full batches in order, and the rest at the end", async () => {
    const out = await stream(range(10))
      .pipe(batch<number>({ size: 4 }))
      .toArray();
    expect(out).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it("puts out a partial batch once its first item has waited maxWaitMs", async () => {
    vi.useFakeTimers();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* source() {
      yield 1;
      yield 2;
      await gate;
      yield 3;
    }
    const seen: number[][] = [];
    const run = (async () => {
      for await (const b of stream(source()).pipe(batch<number>({ size: 10, maxWaitMs: 50 }))) {
        seen.push(b as number[]);
      }
    })();
    await vi.advanceTimersByTimeAsync(49);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual([[1, 2]]);
    release();
    await vi.runAllTimersAsync();
    await run;
    expect(seen).toEqual([[1, 2], [3]]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("passes Errs of earlier stages on alone, not in a batch", async () => {
    const fail = pool({}, (n: number) => (n === 2 ? Err(new Error("two")) : n));
    const out = await stream(range(5))
      .pipe(fail, batch({ size: 2 }))
      .toArray();
    expect(out).toHaveLength(3);
    expect(out[0]).toEqual([0, 1]);
    expect(isErr(out[1]) && out[1].item).toBe(2);
    expect(out[2]).toEqual([3, 4]);
  });

  it.each([
    [{ size: 0 }, "size"],
    [{ size: 2.5 }, "size"],
    [{ size: 2, maxWaitMs: 0 }, "maxWaitMs"],
    [{ size: 2, buffer: -1 }, "buffer"],
  ])("rejects %o naming %s", (options, option) => {
    expect(() => batch(options)).toThrow(InvalidOptionError);
    try {
      batch(options);
    } catch (error) {
      expect((error as InvalidOptionError).code).toBe("E_INVALID_OPTION");
      expect((error as InvalidOptionError).option).toBe(option);
    }
  });
});

describe("unbatch", () => {
  it("flattens arrays in order and passes Errs on, alone or inside an array", async () => {
    const e = Err(new Error("x"), { stage: "before" });
    // Stages never see Errs, so a stream's items are typed without them.
    const batches = [[1, 2], e, [3, e], []] as (readonly unknown[])[];
    const out = await stream(batches).pipe(unbatch()).toArray();
    expect(out).toEqual([1, 2, e, 3, e]);
  });
});

describe("pool({ batched: true })", () => {
  it("gives the handler whole batches and puts out one result per item", async () => {
    const sizes: number[] = [];
    const square = pool({ batched: true }, (xs: readonly number[]) => {
      sizes.push(xs.length);
      return xs.map((x) => x * x);
    });
    const out = await stream(range(7))
      .pipe(batch<number>({ size: 3 }), square, unbatch())
      .toArray();
    expect(out).toEqual([0, 1, 4, 9, 16, 25, 36]);
    expect(sizes).toEqual([3, 3, 1]);
  });

  it("fails and drops single items of a batch, naming each failed item", async () => {
    const monitor = new StreamMonitor();
    const check = pool({ name: "check", batched: true }, (xs: readonly number[]) =>
      xs.map((x) => (x % 3 === 0 ? Err(new RangeError(`bad ${x}`)) : x === 4 ? SKIP : x)),
    );
    const out = await stream(range(6))
      .pipe(batch<number>({ size: 4 }), check, unbatch())
      .toArray({ monitor });
    expect(out.filter((x) => !isErr(x))).toEqual([1, 2, 5]);
    const errs = out.filter(isErr);
    expect(errs.map((e) => [e.item, e.stage])).toEqual([
      [0, "check"],
      [3, "check"],
    ]);
    expect(monitor.stats().stages[1]).toMatchObject({ failed: 2, skipped: 1, out: 3 });
  });

  it("retries a throwing batch as a whole, then fails every item of it", async () => {
    let calls = 0;
    const down = pool({ name: "down", retries: 2, batched: true }, (_xs: readonly number[]) => {
      calls++;
      if (calls > 0) throw new Error("db down");
      return [];
    });
    const out = await stream(range(3))
      .pipe(batch<number>({ size: 3 }), down, unbatch())
      .toArray();
    expect(calls).toBe(2);
    expect(out.map((e) => isErr(e) && [e.item, e.attempts, (e.error as Error).message])).toEqual([
      [0, 2, "db down"],
      [1, 2, "db down"],
      [2, 2, "db down"],
    ]);
  });

  it("fails the batch's items with a BatchResultError when the handler returns the wrong count", async () => {
    const short = pool({ name: "short", batched: true }, (xs: readonly number[]) => xs.slice(1));
    const out = await stream(range(2))
      .pipe(batch<number>({ size: 2 }), short, unbatch())
      .toArray();
    expect(out).toHaveLength(2);
    for (const e of out) {
      expect(isErr(e) && e.error).toBeInstanceOf(BatchResultError);
      const error = (isErr(e) && e.error) as BatchResultError;
      expect(error.code).toBe("E_BATCH_RESULT");
      expect([error.stage, error.expected, error.got]).toEqual(["short", 2, 1]);
      expect(error.message).toContain('"short"');
    }
  });

  it("keeps backpressure through batch, a batched stage and unbatch", async () => {
    let pulled = 0;
    function* source() {
      for (let i = 0; i < 10_000; i++) {
        pulled++;
        yield i;
      }
    }
    const s = stream(source()).pipe(
      batch<number>({ size: 8 }),
      pool({ batched: true, workers: 2 }, async (xs: readonly number[]) => xs),
      unbatch<number>(),
    );
    let consumed = 0;
    let most = 0;
    for await (const _ of s) {
      consumed++;
      // Let every stage run ahead as far as it can before the next item is taken.
      await new Promise((resolve) => setImmediate(resolve));
      most = Math.max(most, pulled - consumed);
      if (consumed === 200) break;
    }
    // At most: a batch forming and one waiting in each buffer and worker along the way.
    expect(most).toBeLessThanOrEqual(8 * 7);
    expect(pulled).toBeLessThan(300);
  });

  it("puts every item out exactly once, in order when ordered, whatever the sizes and workers", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        async (n, size, workers, ordered) => {
          const double = pool(
            { batched: true, workers, ordered },
            async (xs: readonly number[]) => {
              // Later batches may finish first.
              await new Promise((resolve) => setTimeout(resolve, xs.length % 3));
              return xs.map((x) => x * 2);
            },
          );
          const out = (await stream(range(n))
            .pipe(batch<number>({ size }), double, unbatch())
            .toArray()) as number[];
          const expected = range(n).map((x) => x * 2);
          if (ordered || workers === 1) expect(out).toEqual(expected);
          else expect([...out].sort((a, b) => a - b)).toEqual(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("refuses batched with fork", () => {
    expect(() =>
      pool({ workers: 2, batched: true, fork: (r) => r }, (xs: readonly number[]) => xs),
    ).toThrow(InvalidOptionError);
  });
});
