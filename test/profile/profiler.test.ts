import { cpuUsage } from "node:process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { NodeCall } from "../../src/graph/events.ts";
import { Node, Pipeline, pipefunc } from "../../src/index.ts";
import { Profiler, printProfilingStats } from "../../src/profile/profiler.ts";

const MIB = 1024 * 1024;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
/**
 * Full garbage collections, so that earlier tests' garbage is not freed during a measured call.
 * Twice: V8 releases the ArrayBuffers a collection freed in a background sweep, which the next
 * collection finishes first.
 */
const collectGarbage = () => {
  gc();
  gc();
};

/** The figures of linepipe's `[node] ΔMem: X MiB | Peak: Y MiB` line, in MiB. */
function memoryLine(text: string, name: string): { delta: number; peak: number } {
  const match = new RegExp(
    `^\\[${name}\\] ΔMem: (-?\\d+\\.\\d\\d) MiB \\| Peak: (\\d+\\.\\d\\d) MiB$`,
    "m",
  ).exec(text);
  if (!match) throw new Error(`No memory line for "${name}" in:\n${text}`);
  return { delta: Number(match[1]), peak: Number(match[2]) };
}

function printed(p: Pipeline): string {
  const lines: string[] = [];
  p.printProfilingStats((t) => lines.push(t));
  return lines.join("\n");
}

/**
 * Allocates and fills `n` doubles and drops them. In a function of its own, so that no register
 * of the caller's frame keeps the array alive through a collection.
 */
const firstOfFilled = (n: number) => new Float64Array(n).fill(2)[0]!;

/** A promise with its resolve function, to order overlapping calls without sleeps. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Busy for at least `ms` of wall time and of CPU time, however loaded the machine is. */
const spin = (ms: number) => {
  const wallEnd = performance.now() + ms;
  const cpuEnd = cpuUsage().user + ms * 1000;
  while (performance.now() < wallEnd || cpuUsage().user < cpuEnd);
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
    const churn = pipefunc({ output: "kept", profile: true }, ({ n }: { n: number }) => {
      let temp: number[][] | undefined = Array.from({ length: n }, () => [1, 2, 3, 4]);
      const length = temp.length;
      temp = undefined;
      collectGarbage();
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

  it("counts a returned 76 MiB Float64Array as ArrayBuffer growth and ΔMem, in the stats and the printed line", () => {
    const doubles = pipefunc({ output: "doubles", profile: true }, ({ n }: { n: number }) => {
      return new Float64Array(n);
    });
    const p = new Pipeline([doubles]);
    collectGarbage();
    const kept = p.runSync("doubles", { n: 10_000_000 });
    const s = p.profilingStats().doubles!;
    // 80,000,000 bytes = 76.3 MiB outside the V8 heap; generous bounds for whatever else moved.
    expect(s.arrayBufferDeltaBytes).toBeGreaterThan(70 * MIB);
    expect(s.memoryDeltaBytes).toBeGreaterThan(70 * MIB);
    expect(s.memoryDeltaBytes).toBeLessThan(100 * MIB);
    expect(s.peakMemoryBytes).toBeGreaterThanOrEqual(s.memoryDeltaBytes);
    const line = memoryLine(printed(p), "doubles");
    expect(line.delta).toBeGreaterThan(70);
    expect(line.delta).toBeLessThan(100);
    expect(line.peak).toBeGreaterThanOrEqual(line.delta);
    expect(kept.length).toBe(10_000_000);
  });

  it("shows near-zero memory figures for a call that allocates nothing big", () => {
    const add = pipefunc({ output: "c", profile: true }, ({ a }: { a: number }) => a + 1);
    const p = new Pipeline([add]);
    collectGarbage();
    p.runSync("c", { a: 1 });
    const s = p.profilingStats().c!;
    expect(Math.abs(s.memoryDeltaBytes)).toBeLessThan(MIB);
    expect(s.peakMemoryBytes).toBeLessThan(MIB);
    expect(Math.abs(s.arrayBufferDeltaBytes)).toBeLessThan(MIB);
    const line = memoryLine(printed(p), "c");
    expect(Math.abs(line.delta)).toBeLessThan(1);
    expect(line.peak).toBeLessThan(1);
  });

  it("reports the resident memory a call touched as its RSS delta and peak", () => {
    const ones = pipefunc({ output: "ones", profile: true }, ({ n }: { n: number }) => {
      // Writing every element makes the 76 MiB resident; an untouched array may not be.
      return new Float64Array(n).fill(1);
    });
    const p = new Pipeline([ones]);
    collectGarbage();
    const kept = p.runSync("ones", { n: 10_000_000 });
    const s = p.profilingStats().ones!;
    expect(s.rssDeltaBytes).toBeGreaterThan(50 * MIB);
    expect(s.peakRssBytes).toBeGreaterThanOrEqual(s.rssDeltaBytes);
    expect(kept[0]).toBe(1);
  });

  it("counts in the memory and RSS peaks a buffer that was freed before the call returned", () => {
    const transient = pipefunc({ output: "first", profile: true }, ({ n }: { n: number }) => {
      // 160 MB, more than any other test holds, so the process's RSS high-water mark rises.
      const first = firstOfFilled(n);
      collectGarbage();
      return first;
    });
    const p = new Pipeline([transient]);
    collectGarbage();
    expect(p.runSync("first", { n: 20_000_000 })).toBe(2);
    const s = p.profilingStats().first!;
    expect(s.peakMemoryBytes).toBeGreaterThan(140 * MIB);
    expect(s.memoryDeltaBytes).toBeLessThan(s.peakMemoryBytes / 2);
    expect(s.peakRssBytes).toBeGreaterThan(140 * MIB);
    expect(memoryLine(printed(p), "first").peak).toBeGreaterThan(140);
  });

  it("keeps a collection during one call out of the peak of a call that started after it", async () => {
    const collected = deferred();
    const release = deferred();
    const hog = pipefunc({ output: "h", profile: true }, async ({ n }: { n: number }) => {
      firstOfFilled(n);
      collectGarbage();
      collected.resolve();
      await release.promise;
      return n;
    });
    const light = pipefunc({ output: "l", profile: true }, async ({ a }: { a: number }) => a + 1);
    const p = new Pipeline([hog, light]);
    collectGarbage();
    const hogRun = p.run("h", { n: 10_000_000 });
    await collected.promise;
    // The hog's call is still running; its collection saw 76 MiB more than there is now.
    await p.run("l", { a: 1 });
    release.resolve();
    await hogRun;
    const stats = p.profilingStats();
    expect(stats.h!.peakMemoryBytes).toBeGreaterThan(70 * MIB);
    expect(stats.l!.peakMemoryBytes).toBeLessThan(MIB);
    expect(stats.h!.calls + stats.l!.calls).toBe(2);
  });

  it("records every call of a function when many calls overlap", async () => {
    const count = 200;
    const allStarted = deferred();
    const release = deferred();
    let started = 0;
    const waiting = pipefunc({ output: "w", profile: true }, async ({ i }: { i: number }) => {
      if (++started === count) allStarted.resolve();
      await release.promise;
      return new Float64Array(1000 + i);
    });
    const p = new Pipeline([waiting]);
    const runs = Array.from({ length: count }, (_, i) => p.run("w", { i }));
    await allStarted.promise;
    release.resolve();
    await Promise.all(runs);
    const s = p.profilingStats().w!;
    expect(s).toMatchObject({ calls: count, errors: 0 });
    expect(s.peakMemoryBytes).toBeGreaterThanOrEqual(s.memoryDeltaBytes);
    expect(s.peakHeapBytes).toBeGreaterThanOrEqual(s.heapDeltaBytes);
  });

  it("counts a call that ran on another thread without inventing CPU or memory figures for it", () => {
    // What `map` reports for an element a thread executor ran: start and end once it is back.
    const profiler = new Profiler(true);
    const call: NodeCall = {
      node: pipefunc({ output: "r" }, ({ a }: { a: number }) => a),
      inputs: { a: 1 },
      startedAt: Date.now() - 4,
      durationMs: 4,
      outputs: undefined,
      error: undefined,
      index: [0],
      remote: true,
    };
    profiler.listener.onNodeStart?.(call);
    call.outputs = { r: 1 };
    profiler.listener.onNodeEnd?.(call);
    const s = profiler.stats().r!;
    expect(s).toMatchObject({ calls: 1, remoteCalls: 1, errors: 0, totalMs: 4, maxMs: 4 });
    expect(s.cpuUserMs).toBeNaN();
    expect(s.memoryDeltaBytes).toBeNaN();
    expect(s.peakRssBytes).toBeNaN();
    const text = printProfilingStats(profiler.stats());
    expect(text).toMatch(/^r\s+1\s+4\.000\s+4\.000\s+4\.000\s+n\/a\s+0\s+n\/a/m);
    expect(text).toMatch(/^\[r\] ΔMem: n\/a \| Peak: n\/a/m);
  });

  it("prints a table and linepipe's memory lines", async () => {
    const p = new Pipeline([allocate, total], { profile: true });
    await p.run("sum", { n: 1000 });
    const text = printed(p);
    expect(text).toMatch(/^node\s+calls\s+total ms/m);
    expect(text).toMatch(/\s+Δheap MiB\s+Δbuffers MiB\s+Δrss MiB\s+rss peak MiB$/m);
    expect(text).toMatch(/^big\s+1\s/m);
    expect(text).toMatch(/^\[big\] ΔMem: -?\d+\.\d\d MiB \| Peak: \d+\.\d\d MiB$/m);
    expect(text).toMatch(/^\[sum\] ΔMem: /m);
  });

  it("says how to turn profiling on when nothing was recorded", () => {
    expect(printed(new Pipeline([total]))).toMatch(/profile: true/);
  });
});

describe("profiling functions that share a name", () => {
  it("keeps the figures of two functions with one name apart", () => {
    const same = (x: number) => x + 1;
    const p = new Pipeline(
      [
        new Node({ func: same, inputs: ["a"], outputs: ["b"] }),
        new Node({ func: same, inputs: ["b"], outputs: ["c"] }),
      ],
      { profile: true },
    );
    expect(p.runSync("c", { a: 1 })).toBe(3);
    const stats = p.profilingStats();
    expect(Object.keys(stats)).toEqual(["same", "same (→ c)"]);
    expect(stats.same!.calls).toBe(1);
    expect(stats["same (→ c)"]!.calls).toBe(1);
  });
});
