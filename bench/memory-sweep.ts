/**
 * Child process of bench/memory.bench.ts: runs one sweep in a fresh process, so its resident
 * memory is measured from a clean start, and prints one line of JSON.
 *
 * `tsx bench/memory-sweep.ts memory <m> <n> [young]`: an m x n sweep of
 * `a[i], b[j] -> c[i, j]` (`a + b`) in memory storage, after a 20 x 20 warm-up sweep that loads
 * and compiles the code; reports the growth of RSS, of the peak RSS, and of V8's heap plus
 * array buffers, measured after GCs with the results still held. With `young`, ~100 MB of
 * short-lived objects unrelated to pipeweave are allocated before the baseline: that makes
 * V8's young generation resident (about 8 MB of RSS that any allocation-heavy work leaves),
 * so the growth left is the sweep's own. Without it, the growth counts those pages too.
 *
 * `tsx bench/memory-sweep.ts summary <m> <n>`: the same m x n sweep into zarr in a temporary
 * run folder with `returnResults: false` (issue 25), after a 20 x 20 warm-up of the same kind;
 * reports the growth of RSS and of its peak while the results stay on disk only.
 *
 * `tsx bench/memory-sweep.ts overhead <m> <n> <rounds>`: the median wall time of the same
 * sweep and of a hand-written loop doing the same work (the element function over the same
 * grid into a Float64Array), for the overhead per element.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadOutputs, type NdArray, Pipeline, pipefunc } from "../src/index.ts";
import { time } from "./harness.ts";

/** What the `memory` mode prints. */
export interface MemorySample {
  readonly elements: number;
  /** RSS after the sweep (results held) minus before, bytes. */
  readonly rssGrowth: number;
  /** Peak RSS of the process minus RSS before the sweep, bytes. */
  readonly peakRssGrowth: number;
  /** `heapUsed + arrayBuffers` after minus before, bytes. */
  readonly heapAndBuffersGrowth: number;
  /** Wall time of the sweep, ms. */
  readonly ms: number;
}

/** What the `overhead` mode prints. */
export interface OverheadSample {
  readonly elements: number;
  /** The hand-written loop, median ms. */
  readonly floorMs: number;
  /** `map` in memory storage, inline, median ms. */
  readonly mapMs: number;
}

const add = ({ a, b }: { a: number; b: number }) => a + b;
const quiet = { progress: false } as const;
// Fractional inputs, so every element is a double (no small-integer shortcut anywhere).
const inputs = (m: number, n: number) => ({
  a: Array.from({ length: m }, (_, k) => k + 0.5),
  b: Array.from({ length: n }, (_, k) => k * 0.25),
});

/** Full GCs, with pauses for V8 to free array buffers' memory (it does so after the GC). */
async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc");
  for (let k = 0; k < 3; k++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function footprint() {
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed + usage.arrayBuffers };
}

/** Allocates about 100 MB of short-lived objects; returns something so none is optimised out. */
function garbage(): number {
  let sum = 0;
  for (let i = 0; i < 2_000_000; i++) {
    const item = { i, pair: [i, i + 0.5] };
    sum += item.pair.length;
  }
  return sum;
}

async function memory(m: number, n: number, young: boolean): Promise<MemorySample> {
  const pipeline = new Pipeline([pipefunc({ output: "c", mapspec: "a[i], b[j] -> c[i, j]" }, add)]);
  // Warm up: load every module and compile the hot path before the baseline is taken.
  await pipeline.map(inputs(20, 20), quiet);
  if (young && garbage() === 0) throw new Error("unreachable");
  const given = inputs(m, n);
  await collect();
  const before = footprint();
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  const started = performance.now();
  const results = await pipeline.map(given, quiet);
  const ms = performance.now() - started;
  await collect();
  const after = footprint();
  const peak = Math.max(process.resourceUsage().maxRSS * 1024, peakBefore);
  // Read the results after measuring, so they are held through it, and check one element.
  const last = results.c.array.get(m - 1, n - 1);
  if (last !== m - 1 + 0.5 + (n - 1) * 0.25) throw new Error(`wrong last element ${String(last)}`);
  return {
    elements: m * n,
    rssGrowth: after.rss - before.rss,
    peakRssGrowth: peak - before.rss,
    heapAndBuffersGrowth: after.heap - before.heap,
    ms,
  };
}

/** What the `summary` mode prints. */
export interface SummarySample {
  readonly elements: number;
  /** RSS after the sweep minus before, bytes (nothing of the results is held). */
  readonly rssGrowth: number;
  /** Peak RSS of the process during the sweep minus RSS before it, bytes. */
  readonly peakRssGrowth: number;
  /** Wall time of the sweep, ms. */
  readonly ms: number;
}

async function summary(m: number, n: number): Promise<SummarySample> {
  const pipeline = new Pipeline([pipefunc({ output: "c", mapspec: "a[i], b[j] -> c[i, j]" }, add)]);
  const dir = mkdtempSync(join(tmpdir(), "pipeweave-bench-summary-"));
  try {
    const options = { ...quiet, storage: "zarr", returnResults: false } as const;
    await pipeline.map(inputs(20, 20), { ...options, runFolder: join(dir, "warm") });
    const given = inputs(m, n);
    await collect();
    const before = footprint();
    const peakBefore = process.resourceUsage().maxRSS * 1024;
    const started = performance.now();
    const done = await pipeline.map(given, { ...options, runFolder: join(dir, "run") });
    const ms = performance.now() - started;
    await collect();
    const after = footprint();
    const peak = Math.max(process.resourceUsage().maxRSS * 1024, peakBefore);
    if (done.functions.add?.computed !== m * n)
      throw new Error(`computed ${JSON.stringify(done.functions)}`);
    // Checked after measuring: the results are on disk.
    const c = (await loadOutputs("c", { runFolder: join(dir, "run") })) as NdArray<number>;
    const last = c.get(m - 1, n - 1);
    if (last !== m - 1 + 0.5 + (n - 1) * 0.25)
      throw new Error(`wrong last element ${String(last)}`);
    return {
      elements: m * n,
      rssGrowth: after.rss - before.rss,
      peakRssGrowth: peak - before.rss,
      ms,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function byHand(a: readonly number[], b: readonly number[]): Float64Array {
  const out = new Float64Array(a.length * b.length);
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    for (let j = 0; j < b.length; j++) out[k++] = add({ a: x, b: b[j]! });
  }
  return out;
}

async function overhead(m: number, n: number, rounds: number): Promise<OverheadSample> {
  const pipeline = new Pipeline([pipefunc({ output: "c", mapspec: "a[i], b[j] -> c[i, j]" }, add)]);
  const given = inputs(m, n);
  const floorMs = await time(() => byHand(given.a, given.b), rounds);
  const mapMs = await time(() => pipeline.map(given, quiet), rounds);
  return { elements: m * n, floorMs, mapMs };
}

const [mode, ...rest] = process.argv.slice(2);
const [m, n, last] = rest.map(Number);
const sample =
  mode === "memory"
    ? await memory(m!, n!, rest[2] === "young")
    : mode === "summary"
      ? await summary(m!, n!)
      : mode === "overhead"
        ? await overhead(m!, n!, last ?? 3)
        : undefined;
if (sample === undefined) throw new Error(`unknown mode ${String(mode)}`);
process.stdout.write(`${JSON.stringify(sample)}\n`);
