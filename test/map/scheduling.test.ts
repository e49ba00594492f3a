/**
 * `map` runs functions that do not depend on each other at the same time, and the elements of
 * a function reading another element by element as soon as those elements are done. A failure
 * stops the others and is what map throws.
 */
import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import {
  AbortError,
  type Chunk,
  type Executor,
  InlineExecutor,
  isMissing,
  type NdArray,
  NodeExecutionError,
  Pipeline,
  pipefunc,
} from "../../src/index.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start and end times of each call, by function. */
function recorder() {
  const spans = new Map<string, { start: number; end: number }[]>();
  const span = async <T>(name: string, ms: number, value: T): Promise<T> => {
    const s = { start: performance.now(), end: 0 };
    spans.set(name, [...(spans.get(name) ?? []), s]);
    await sleep(ms);
    s.end = performance.now();
    return value;
  };
  const first = (name: string) => Math.min(...(spans.get(name) ?? []).map((s) => s.start));
  const last = (name: string) => Math.max(...(spans.get(name) ?? []).map((s) => s.end));
  return { span, spans, first, last };
}

describe("map's scheduling of functions", () => {
  it("runs two independent functions at the same time, and each element of their reader once its inputs are done", async () => {
    const ends = new Map<string, number>();
    const starts = new Map<string, number>();
    const timed = async <T>(key: string, ms: number, value: T): Promise<T> => {
      starts.set(key, performance.now());
      await sleep(ms);
      ends.set(key, performance.now());
      return value;
    };
    const left = pipefunc(
      { output: "a", mapspec: "x[i] -> a[i]", version: "t" },
      ({ x }: { x: number }) => timed(`a${x}`, 20 * x, x + 1),
    );
    const right = pipefunc(
      { output: "b", mapspec: "x[i] -> b[i]", version: "t" },
      ({ x }: { x: number }) => timed(`b${x}`, 20 * x, x * 10),
    );
    const join = pipefunc(
      { output: "c", mapspec: "a[i], b[i] -> c[i]", version: "t" },
      ({ a, b }: { a: number; b: number }) => timed(`c${b / 10}`, 1, a + b),
    );
    const results = await new Pipeline([left, right, join]).map(
      { x: [1, 2, 3, 4] },
      { concurrency: 4 },
    );
    expect(results.c.array.values()).toEqual([12, 23, 34, 45]);
    // b started before a finished: they overlapped instead of running one after the other.
    expect(starts.get("b1")!).toBeLessThan(ends.get("a4")!);
    for (const x of [1, 2, 3, 4]) {
      // Each element of c waited for the elements it reads, and no longer.
      expect(starts.get(`c${x}`)!).toBeGreaterThanOrEqual(ends.get(`a${x}`)!);
      expect(starts.get(`c${x}`)!).toBeGreaterThanOrEqual(ends.get(`b${x}`)!);
    }
    // c's first element ran while a and b were still computing their last.
    expect(starts.get("c1")!).toBeLessThan(ends.get("a4")!);
  });

  it("lets a reduction wait for the whole function it reduces", async () => {
    const ends: number[] = [];
    let reducedAt = 0;
    const square = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]", version: "t" },
      async ({ x }: { x: number }) => {
        await sleep(5 * x);
        ends.push(performance.now());
        return x * x;
      },
    );
    const total = pipefunc(
      { output: "t", mapspec: "y[:] -> t", version: "t" },
      ({ y }: { y: NdArray<number> }) => {
        reducedAt = performance.now();
        return y.values().reduce((s, v) => s + v, 0);
      },
    );
    const results = await new Pipeline([square, total]).map({ x: [1, 2, 3, 4, 5] });
    expect(results.t.output).toBe(55);
    expect(reducedAt).toBeGreaterThanOrEqual(Math.max(...ends));
  });

  it("overlaps independent functions called once (no mapspec) too", async () => {
    const r = recorder();
    const slowA = pipefunc({ output: "a", version: "t" }, ({ x }: { x: number }) =>
      r.span("a", 80, x + 1),
    );
    const slowB = pipefunc({ output: "b", version: "t" }, ({ x }: { x: number }) =>
      r.span("b", 80, x + 2),
    );
    const sum = pipefunc({ output: "s" }, ({ a, b }: { a: number; b: number }) => a + b);
    const results = await new Pipeline([slowA, slowB, sum]).map({ x: 1 });
    expect(results.s.output).toBe(5);
    expect(r.first("b")).toBeLessThan(r.last("a"));
  });

  it("stops the other running functions at the first failure and throws that failure", async () => {
    let slowCalls = 0;
    const fails = pipefunc(
      { output: "a", mapspec: "x[i] -> a[i]", version: "t" },
      async ({ x }: { x: number }) => {
        await sleep(5);
        if (x === 2) throw new RangeError("x may not be 2");
        return x;
      },
    );
    const slow = pipefunc(
      { output: "b", mapspec: "x[i] -> b[i]", version: "t" },
      async ({ x }: { x: number }) => {
        slowCalls++;
        await sleep(20);
        return x;
      },
    );
    const after = pipefunc(
      { output: "c", mapspec: "a[i] -> c[i]", version: "t" },
      ({ a }: { a: number }) => a,
    );
    const xs = Array.from({ length: 200 }, (_, i) => i);
    const error = await new Pipeline([fails, slow, after]).map({ x: xs }, { concurrency: 2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect(error).not.toBeInstanceOf(AbortError);
    expect((error as NodeExecutionError).node).toBe("a");
    expect((error as NodeExecutionError).index).toEqual([2]);
    // The independent function stopped early instead of computing all 200 elements.
    expect(slowCalls).toBeLessThan(50);
  });

  it("never starts a function whose input failed", async () => {
    let readerCalls = 0;
    const fails = pipefunc({ output: "a", version: "t" }, async () => {
      await sleep(5);
      throw new Error("no a");
    });
    const reader = pipefunc({ output: "c", version: "t" }, ({ a }: { a: number }) => {
      readerCalls++;
      return a;
    });
    await expect(new Pipeline([fails, reader]).map({})).rejects.toThrow("no a");
    expect(readerCalls).toBe(0);
  });

  it("stops every running function on abort, with an AbortError", async () => {
    const controller = new AbortController();
    let calls = 0;
    const make = (output: string) =>
      pipefunc(
        { output, mapspec: `x[i] -> ${output}[i]`, version: "t" },
        async ({ x }: { x: number }) => {
          calls++;
          await sleep(10);
          return x;
        },
      );
    setTimeout(() => controller.abort(new Error("enough")), 60);
    const xs = Array.from({ length: 500 }, (_, i) => i);
    const run = new Pipeline([make("a"), make("b")]).map(
      { x: xs },
      { concurrency: 2, signal: controller.signal },
    );
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(calls).toBeLessThan(200);
  });

  it("masks what depends on failed elements under errors: 'continue', each branch on its own", async () => {
    const a = pipefunc({ output: "a", mapspec: "x[i] -> a[i]" }, ({ x }: { x: number }) => {
      if (x === 1) throw new Error("bad 1");
      return x;
    });
    const b = pipefunc({ output: "b", mapspec: "x[i] -> b[i]" }, ({ x }: { x: number }) => -x);
    const total = pipefunc({ output: "t" }, ({ b }: { b: NdArray<number> }) =>
      b.values().reduce((s, v) => s + v, 0),
    );
    const results = await new Pipeline([a, b, total]).map({ x: [0, 1, 2] }, { errors: "continue" });
    expect(results.a.array.hasMissing).toBe(true);
    expect(results.t.output).toBe(-3);
  });

  it("streams a failed element's mask down a chain under errors: 'continue'", async () => {
    const y = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]", version: "t" },
      async ({ x }: { x: number }) => {
        await sleep(2);
        if (x % 5 === 2) throw new Error(`bad ${x}`);
        return x * 2;
      },
    );
    const z = pipefunc({ output: "z", mapspec: "y[i] -> z[i]" }, ({ y }: { y: number }) => y + 1);
    const w = pipefunc(
      { output: "w", mapspec: "z[i], x[i] -> w[i]" },
      ({ z, x }: { z: number; x: number }) => z * x,
    );
    const xs = Array.from({ length: 30 }, (_, i) => i);
    const results = await new Pipeline([y, z, w]).map(
      { x: xs },
      { errors: "continue", concurrency: 3 },
    );
    const expected = xs.map((x) => (x % 5 === 2 ? undefined : (2 * x + 1) * x));
    expect(results.w.array.data.map((v) => (isMissing(v) ? undefined : v))).toEqual(expected);
    expect(results.errors.map((e) => e.index)).toEqual(
      xs.filter((x) => x % 5 === 2).map((x) => [x]),
    );
  });

  it("lets many chunks in flight listen to the run's signal without a MaxListeners warning", async () => {
    const inline = new InlineExecutor();
    // Like the Redis executor: every chunk in flight listens for the abort.
    const listening: Executor = {
      name: "listening",
      remote: false,
      capacity: 16,
      chunkSize: 1,
      async submit(chunk: Chunk, signal?: AbortSignal) {
        const onAbort = () => {};
        signal?.addEventListener("abort", onAbort);
        try {
          await sleep(5);
          return await inline.submit(chunk);
        } finally {
          signal?.removeEventListener("abort", onAbort);
        }
      },
      close: () => inline.close(),
    };
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      const y = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x + 1);
      const r = await new Pipeline([y]).map(
        { x: Array.from({ length: 100 }, (_, i) => i) },
        { executor: listening },
      );
      expect(r.y.array.values()[99]).toBe(100);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).toEqual([]);
  });

  it("leaves no listener on the caller's signal, whether the map ends, fails, or is refused before it runs", async () => {
    const { signal } = new AbortController();
    const y = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
      if (x === 3) throw new Error("three");
      return x;
    });
    const p = new Pipeline([y]);
    await p.map({ x: [1, 2] }, { signal });
    await expect(p.map({ x: [3] }, { signal })).rejects.toThrow("three");
    // Refused before any function runs: an input nobody reads.
    // @ts-expect-error: nothing reads "unused", at compile time too.
    await expect(p.map({ x: [1], unused: 1 }, { signal })).rejects.toThrow();
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });
});
