/**
 * `map` runs functions that do not depend on each other at the same time: each starts once
 * the functions it reads from have finished. A failure stops the others and is what map throws.
 */
import { describe, expect, it } from "vitest";
import {
  AbortError,
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
  it("runs two independent functions at the same time, and their reader after both", async () => {
    const r = recorder();
    const left = pipefunc(
      { output: "a", mapspec: "x[i] -> a[i]", version: "t" },
      ({ x }: { x: number }) => r.span("a", 60, x + 1),
    );
    const right = pipefunc(
      { output: "b", mapspec: "x[i] -> b[i]", version: "t" },
      ({ x }: { x: number }) => r.span("b", 60, x * 10),
    );
    const join = pipefunc(
      { output: "c", mapspec: "a[i], b[i] -> c[i]", version: "t" },
      ({ a, b }: { a: number; b: number }) => r.span("c", 1, a + b),
    );
    const results = await new Pipeline([left, right, join]).map(
      { x: [1, 2, 3, 4] },
      { concurrency: 4 },
    );
    expect(results.c.array.values()).toEqual([12, 23, 34, 45]);
    // b started before a finished: they overlapped instead of running one after the other.
    expect(r.first("b")).toBeLessThan(r.last("a"));
    expect(r.first("a")).toBeLessThan(r.last("b"));
    // c read both, so it started after both had ended.
    expect(r.first("c")).toBeGreaterThanOrEqual(Math.max(r.last("a"), r.last("b")));
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
});
