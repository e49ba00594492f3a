import { execFile } from "node:child_process";
import { join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AbortError,
  Err,
  fork,
  isErr,
  isOk,
  mix,
  Ok,
  pool,
  SKIP,
  StageTimeoutError,
  type Stream,
  stream,
  unwrap,
  type WorkerState,
} from "../../src/index.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("stream: sources and results", () => {
  it("runs stages over an array and summarises", async () => {
    const double = pool({ workers: 4, buffer: 10, retries: 3 }, async (n: number) => n * 2);
    const check = pool({ buffer: 5, name: "check" }, (n: number) => {
      if (n < 0) throw new RangeError(`negative: ${n}`);
      return n;
    });
    expect(await stream([1, 2, 3]).pipe(double).pipe(check).run()).toEqual({
      ok: true,
      count: 3,
    });
    const summary = await stream([1, -2, 3]).pipe(double, check).run();
    expect(summary.ok).toBe(false);
    expect(summary.count).toBe(3);
    if (summary.ok) return;
    expect(summary.errors).toHaveLength(1);
    const [error] = summary.errors;
    expect(error?.item).toBe(-4);
    expect(error?.stage).toBe("check");
    expect(error?.attempts).toBe(1);
    expect(String(error?.error)).toBe("RangeError: negative: -4");
  });

  it("reads iterables, generators, async generators, Node and web streams, and streams", async () => {
    const inc = pool({}, (n: number) => n + 1);
    async function* agen() {
      yield 1;
      await sleep(1);
      yield 2;
    }
    function* gen() {
      yield 5;
      yield 6;
    }
    expect(
      await stream(new Set([1, 2]))
        .pipe(inc)
        .toArray(),
    ).toEqual([2, 3]);
    expect(await stream(gen()).pipe(inc).toArray()).toEqual([6, 7]);
    expect(await stream(agen()).pipe(inc).toArray()).toEqual([2, 3]);
    expect(
      await stream(Readable.from([7, 8]))
        .pipe(inc)
        .toArray(),
    ).toEqual([8, 9]);
    const web = new ReadableStream<number>({
      start(c) {
        c.enqueue(3);
        c.close();
      },
    });
    expect(await stream(web as unknown as AsyncIterable<number>).toArray()).toEqual([3]);
    const inner = stream([1, 2, 3]).pipe(inc);
    expect(await stream(inner).pipe(inc).toArray()).toEqual([3, 4, 5]);
    // A stream is a description: each run starts again.
    expect(await inner.toArray()).toEqual([2, 3, 4]);
    expect(await stream([]).pipe(inc).run()).toEqual({ ok: true, count: 0 });
  });

  it("iterates with for await", async () => {
    const seen: number[] = [];
    for await (const x of stream(range(5)).pipe(
      pool({ workers: 2, ordered: true }, (n: number) => n * n),
    )) {
      seen.push(unwrap(x));
    }
    expect(seen).toEqual([0, 1, 4, 9, 16]);
  });

  it("rejects what is not iterable, and bad options, naming the option", () => {
    expect(() => stream(42 as never)).toThrow(/iterable or async iterable, got number/);
    expect(() => pool({ workers: 0 }, (n: number) => n)).toThrow(
      "Expected `workers` of pool() to be an integer from 1 up, got `0` (number).",
    );
    expect(() => pool({ buffer: -1 }, (n: number) => n)).toThrow(/`buffer`/);
    expect(() => pool({ retries: 1.5 }, (n: number) => n)).toThrow(/`retries`/);
    expect(() => pool({ timeoutMs: 0 }, (n: number) => n)).toThrow(/`timeoutMs`/);
    expect(() => mix({}, [])).toThrow(/non-empty array of handlers/);
    expect(() => fork((r) => r, [])).toThrow(/non-empty array of handlers/);
    expect(() => pool({}, 3 as never)).toThrow(/handler of pool\(\) to be a function/);
    // Each a typed error naming what was wrong, as every error pipeweave throws.
    const named = (action: () => unknown) => {
      try {
        action();
      } catch (error) {
        const { code, option, argument } = error as Record<string, unknown>;
        return [code, option ?? argument];
      }
      return undefined;
    };
    expect(named(() => stream(42 as never))).toEqual(["E_INVALID_ARGUMENT", "source"]);
    expect(named(() => pool({ workers: 0 }, (n: number) => n))).toEqual([
      "E_INVALID_OPTION",
      "workers",
    ]);
    expect(named(() => pool({ timeoutMs: 0 }, (n: number) => n))).toEqual([
      "E_INVALID_OPTION",
      "timeoutMs",
    ]);
    expect(named(() => mix({}, []))).toEqual(["E_INVALID_ARGUMENT", "handlers"]);
    expect(named(() => pool({}, 3 as never))).toEqual(["E_INVALID_ARGUMENT", "handler"]);
  });

  it("surfaces a failing source as the run's error", async () => {
    function* broken() {
      yield 1;
      throw new Error("source broke");
    }
    await expect(
      stream(broken())
        .pipe(pool({}, (n: number) => n))
        .run(),
    ).rejects.toThrow("source broke");
  });
});

describe("stream: errors as values", () => {
  it("passes an Err by later stages and keeps going", async () => {
    const later: number[] = [];
    const out = await stream([1, 0, 2])
      .pipe(
        pool({ name: "invert" }, (n: number) => {
          if (n === 0) throw new Error("zero");
          return 1 / n;
        }),
        pool({ name: "record" }, (x: number) => {
          later.push(x);
          return x;
        }),
      )
      .toArray();
    expect(later).toEqual([1, 0.5]);
    expect(out.filter((x) => !isErr(x))).toEqual([1, 0.5]);
    const err = out.find(isErr);
    expect(err).toMatchObject({ item: 0, stage: "invert", attempts: 1 });
    expect(() => unwrap(err)).toThrow("zero");
  });

  it("retries up to the total attempts, then records them", async () => {
    const calls = new Map<number, number>();
    const flaky = pool({ retries: 3 }, (n: number) => {
      const k = (calls.get(n) ?? 0) + 1;
      calls.set(n, k);
      if (n === 1 && k < 3) throw new Error("flaky");
      if (n === 2) throw new Error("always");
      return n;
    });
    const out = await stream([1, 2]).pipe(flaky).toArray();
    expect(out[0]).toBe(1);
    expect(calls.get(1)).toBe(3);
    expect(calls.get(2)).toBe(3);
    expect(out[1]).toMatchObject({ attempts: 3, item: 2 });
  });

  it("drops SKIP, unwraps Ok, and fails a returned Err without retrying", async () => {
    let calls = 0;
    const out = await stream([1, 2, 3, 4])
      .pipe(
        pool({ retries: 5, name: "judge" }, (n: number) => {
          calls++;
          if (n === 1) return SKIP;
          if (n === 2) return Ok(20);
          if (n === 3) return Err(new Error("bad three"));
          return n;
        }),
      )
      .toArray();
    expect(calls).toBe(3 + 1);
    expect(out[0]).toBe(20);
    expect(out[1]).toMatchObject({ item: 3, stage: "judge", attempts: 1 });
    expect(out[2]).toBe(4);
    expect(isOk(Ok(1))).toBe(true);
    expect(isOk(1)).toBe(true);
  });

  it("times out an attempt, aborts its signal and retries", async () => {
    const aborted: boolean[] = [];
    const slow = pool({ timeoutMs: 20, retries: 2, name: "slow" }, async (n: number, _s, c) => {
      if (c.attempt === 2) return n;
      await sleep(60);
      aborted.push(c.signal.aborted);
      return -1;
    });
    const out = await stream([7]).pipe(slow).toArray();
    expect(out).toEqual([7]);
    const never = pool({ timeoutMs: 10, name: "never" }, () => sleep(50).then(() => 0));
    const [err] = await stream([1]).pipe(never).toArray();
    expect(isErr(err) && err.error).toBeInstanceOf(StageTimeoutError);
    expect(isErr(err) && String(err.error)).toMatch(/Stage "never" did not finish .* 10 ms/);
    await sleep(70);
    expect(aborted).toEqual([true]);
  });
});

describe("stream: workers, order, state, mix and fork", () => {
  it("runs at most `workers` items at once", async () => {
    let active = 0;
    let peak = 0;
    const work = pool({ workers: 3, buffer: 4 }, async (n: number) => {
      active++;
      peak = Math.max(peak, active);
      await sleep(5);
      active--;
      return n;
    });
    const out = await stream(range(20)).pipe(work).toArray();
    expect(peak).toBe(3);
    expect([...out].sort((a, b) => Number(a) - Number(b))).toEqual(range(20));
  });

  it("keeps input order with ordered: true while items finish out of order", async () => {
    const finished: number[] = [];
    const work = pool({ workers: 4, ordered: true }, async (n: number) => {
      await sleep((n % 4) * 4);
      finished.push(n);
      return n;
    });
    expect(await stream(range(16)).pipe(work).toArray()).toEqual(range(16));
    expect(finished).not.toEqual(range(16));
  });

  it("gives each worker its own state for its whole life", async () => {
    const states = new Set<WorkerState>();
    const work = pool({ workers: 2, name: "stateful" }, async (_n: number, state) => {
      states.add(state);
      const seen = (state.get("seen") as number | undefined) ?? 0;
      state.set("seen", seen + 1);
      await sleep(1);
      return state.worker;
    });
    await stream(range(10)).pipe(work).run();
    expect(states.size).toBe(2);
    const counts = [...states].map((s) => s.get("seen") as number);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(10);
    expect([...states].map((s) => s.stage)).toEqual(["stateful", "stateful"]);
    expect([...states].map((s) => s.worker).sort()).toEqual([0, 1]);
  });

  it("mix shares items between different handlers", async () => {
    const out = await stream(range(6))
      .pipe(
        mix({ buffer: 2 }, [
          async (n: number) => {
            await sleep(2);
            return `a${n}`;
          },
          async (n: number) => {
            await sleep(2);
            return `b${n}`;
          },
        ]),
      )
      .toArray();
    expect(out).toHaveLength(6);
    expect(out.some((x) => String(x).startsWith("a"))).toBe(true);
    expect(out.some((x) => String(x).startsWith("b"))).toBe(true);
  });

  it("fork gives every item to all handlers and merges, failing the item if one fails", async () => {
    const both = fork(
      ([tens, ones]) => tens + ones,
      [(n: number) => n * 10, async (n: number) => (n === 3 ? Promise.reject(new Error("3")) : n)],
      { name: "both" },
    );
    const out = await stream([1, 2, 3]).pipe(both).toArray();
    expect(out.slice(0, 2)).toEqual([11, 22]);
    expect(out[2]).toMatchObject({ item: 3, stage: "both" });
    const copies = new Set<number>();
    const spread = pool(
      { workers: 3, fork: (results) => results.length },
      (_n: number, state) => copies.add(state.worker).size,
    );
    expect(await stream([1]).pipe(spread).toArray()).toEqual([3]);
    expect(copies.size).toBe(3);
  });
});

describe("stream: backpressure", () => {
  it("never reads the source further ahead than the buffers and workers allow (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            workers: fc.integer({ min: 1, max: 3 }),
            buffer: fc.integer({ min: 0, max: 4 }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
        async (configs) => {
          let pulled = 0;
          let consumed = 0;
          let worst = 0;
          function* counting() {
            for (let i = 0; i < 40; i++) {
              pulled++;
              worst = Math.max(worst, pulled - consumed);
              yield i;
            }
          }
          const stages = configs.map((c, k) =>
            pool(c, async (n: number) => {
              if (k === configs.length - 1) await sleep(1);
              return n;
            }),
          );
          let s: Stream<number> = stream(counting());
          for (const stage of stages) s = s.pipe(stage);
          for await (const _ of s) consumed++;
          const bound = configs.reduce((sum, c) => sum + c.buffer + c.workers, 0);
          expect(consumed).toBe(40);
          expect(worst).toBeLessThanOrEqual(bound);
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe("stream: cancellation", () => {
  it("breaking out of for await stops the stages and returns the source", async () => {
    let closed = false;
    let handled = 0;
    function* endless() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const x of stream(endless()).pipe(
      pool({ workers: 2 }, (n: number) => {
        handled++;
        return n;
      }),
    )) {
      if (x === 5) break;
    }
    await sleep(5);
    expect(closed).toBe(true);
    const after = handled;
    await sleep(10);
    expect(handled).toBe(after);
  });

  it("an aborted signal rejects run() with an AbortError whose cause is the reason", async () => {
    const controller = new AbortController();
    let returned = false;
    async function* ticks() {
      try {
        for (;;) {
          await sleep(1);
          yield 1;
        }
      } finally {
        returned = true;
      }
    }
    setTimeout(() => controller.abort(new Error("enough")), 20);
    const error = await stream(ticks())
      .pipe(pool({ workers: 2 }, async (n: number) => n))
      .run({ signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toEqual(new Error("enough"));
    await sleep(5);
    expect(returned).toBe(true);
    const already = AbortSignal.abort("before");
    await expect(stream([1]).toArray({ signal: already })).rejects.toThrow(AbortError);
    const it = stream([1, 2]).iterate({ signal: already });
    await expect(it.next()).rejects.toThrow(AbortError);
  });
});

describe("stream: nothing left behind", () => {
  it("leaves no unhandled rejection and lets the event loop empty", async () => {
    const child = join(import.meta.dirname, "fixtures", "cleanup-child.ts");
    // The child exits only once nothing (timer, promise on I/O, worker) is left pending.
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", child], {
      timeout: 20_000,
    });
    expect(stdout.trim().split("\n")).toEqual(["done; pending: []", "unhandled: 0"]);
  }, 30_000);
});
