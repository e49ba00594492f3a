import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { Pipeline, pipefunc } from "../../src/index.ts";

const spin = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

const allocate = pipefunc({ output: "big", profile: true }, ({ n }: { n: number }) => {
  // About 8 MiB of doubles that stay alive after the call.
  return new Float64Array(n).fill(1);
});
const total = pipefunc({ output: "sum" }, ({ big }: { big: Float64Array }) => {
  spin(5);
  return big.reduce((s, v) => s + v, 0);
});

describe("profiling", () => {
  it("records wall, CPU and memory per profiled function only", async () => {
    const p = new Pipeline([allocate, total]);
    await p.run("sum", { n: 1_000_000 });
    await p.run("sum", { n: 1_000_000 });
    const stats = p.profilingStats();
    expect(Object.keys(stats)).toEqual(["big"]);
    const s = stats.big!;
    expect(s.calls).toBe(2);
    expect(s.errors).toBe(0);
    expect(s.meanMs).toBeCloseTo(s.totalMs / 2);
    expect(s.maxMs).toBeGreaterThanOrEqual(s.meanMs);
    expect(s.peakHeapBytes).toBeGreaterThanOrEqual(s.heapDeltaBytes);
    expect(s.cpuUserMs + s.cpuSystemMs).toBeGreaterThanOrEqual(0);
  });

  it("profiles every function with the pipeline's profile option and counts errors", () => {
    const boom = pipefunc({ output: "x" }, ({ a }: { a: number }) => {
      if (a < 0) throw new Error("negative");
      return a;
    });
    const busy = pipefunc({ output: "sum" }, ({ x }: { x: number }) => {
      spin(5);
      return x + 1;
    });
    const p = new Pipeline([boom, busy], { profile: true });
    expect(() => p.runSync("x", { a: -1 })).toThrow();
    expect(p.runSync("sum", { a: 1 })).toBe(2);
    const stats = p.profilingStats();
    expect(stats.x).toMatchObject({ calls: 2, errors: 1 });
    // The spinning function's wall and CPU time both show its 5 ms busy loop.
    expect(stats.sum!.totalMs).toBeGreaterThanOrEqual(5);
    expect(stats.sum!.cpuUserMs + stats.sum!.cpuSystemMs).toBeGreaterThanOrEqual(3);
  });

  it("sees a heap peak that a collection during the call freed", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const churn = pipefunc({ output: "kept", profile: true }, ({ n }: { n: number }) => {
      let temp: number[][] | undefined = Array.from({ length: n }, () => [1, 2, 3, 4]);
      const length = temp.length;
      temp = undefined;
      gc();
      return length;
    });
    const p = new Pipeline([churn]);
    p.runSync("kept", { n: 500_000 });
    const s = p.profilingStats().kept!;
    // Half a million small arrays (several MiB) are collected before the call returns: only the
    // GC profiler's before-collection figure shows the peak.
    expect(s.peakHeapBytes).toBeGreaterThan(4 * 1024 * 1024);
    expect(s.heapDeltaBytes).toBeLessThan(s.peakHeapBytes / 2);
  });

  it("prints a table and linepipe's memory lines", async () => {
    const p = new Pipeline([allocate, total], { profile: true });
    await p.run("sum", { n: 1000 });
    const printed: string[] = [];
    p.printProfilingStats((t) => printed.push(t));
    const text = printed.join("\n");
    expect(text).toMatch(/^node\s+calls\s+total ms/m);
    expect(text).toMatch(/^big\s+1\s/m);
    expect(text).toMatch(/^\[big\] ΔMem: -?\d+\.\d\d MiB \| Peak: \d+\.\d\d MiB$/m);
    expect(text).toMatch(/^\[sum\] ΔMem: /m);
  });

  it("says how to turn profiling on when nothing was recorded", () => {
    const printed: string[] = [];
    new Pipeline([total]).printProfilingStats((t) => printed.push(t));
    expect(printed[0]).toMatch(/profile: true/);
  });
});
