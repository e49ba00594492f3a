/**
 * Typed memory (issue 15): what a numeric sweep keeps resident in memory storage, and what map
 * costs per element beyond a hand-written loop, at 1,000,000 and 10,000,000 elements. Each
 * sweep runs in its own child process (bench/memory-sweep.ts), so its memory is measured from
 * a clean start; the store's own `set` is timed here.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { createMemoryStore } from "../src/map/storage/memory.ts";
import { median } from "./harness.ts";
import type { MemorySample, OverheadSample, SummarySample } from "./memory-sweep.ts";

const execFileAsync = promisify(execFile);

/** The typed memory figures. */
export interface MemoryResult {
  /** Raw float64 bytes of the 1000 x 1000 output: 8,000,000. */
  readonly raw1M: number;
  /**
   * RSS growth of a 1000 x 1000 sweep of `a + b` in a fresh process (results held), bytes.
   * Counts the ~8 MB of V8's young generation that the sweep's short-lived objects make
   * resident.
   */
  readonly rss1M: number;
  /** The same, after unrelated short-lived objects made the young generation resident. */
  readonly rss1MYoungResident: number;
  /** Peak RSS growth during the fresh-process sweep, bytes. */
  readonly peakRss1M: number;
  /** Growth of V8's heap plus array buffers over the 1000 x 1000 sweep, bytes. */
  readonly heapAndBuffers1M: number;
  /** Raw float64 bytes of the 10000 x 1000 output: 80,000,000. */
  readonly raw10M: number;
  /** RSS growth of a 10000 x 1000 sweep in a fresh process, bytes. */
  readonly rss10M: number;
  /** Peak RSS growth during it, bytes. */
  readonly peakRss10M: number;
  /** Growth of V8's heap plus array buffers over it, bytes. */
  readonly heapAndBuffers10M: number;
  /** Wall time of the 10000 x 1000 sweep, ms. */
  readonly sweep10MMs: number;
  /** A hand-written loop over the 1000 x 1000 grid into a Float64Array, median ms. */
  readonly floor1MMs: number;
  /** `map` of the same grid in memory storage, inline, median ms. */
  readonly map1MMs: number;
  /** (map − floor) / elements at 1,000,000 elements, µs. */
  readonly overheadUsPerElement1M: number;
  /** `MemoryStore.set` of a number into a new store of 1,000,000 elements, ns per element. */
  readonly setNewNsPerElement: number;
  /** `MemoryStore.set` overwriting numbers already stored, ns per element. */
  readonly setNsPerElement: number;
  /**
   * RSS growth of a 2000 x 2000 sweep into zarr with `returnResults: false` (issue 25) in a
   * fresh process, after the map resolved, bytes (target < 100 MB).
   */
  readonly summaryRss4M: number;
  /** Peak RSS growth during that sweep, bytes (target < 100 MB). */
  readonly summaryPeakRss4M: number;
  /** Wall time of that sweep, ms. */
  readonly summary4MMs: number;
}

/** Options of {@link benchMemory}. */
export interface MemoryBenchOptions {
  /**
   * Rounds of the overhead measurement (each a 1000 x 1000 sweep and its floor).
   * @defaultValue 5
   */
  readonly rounds?: number;
}

const root = join(import.meta.dirname, "..");
const child = join(import.meta.dirname, "memory-sweep.ts");

/** Runs the child script in a fresh Node process and parses the line it prints. */
async function inChild<T>(args: readonly string[]): Promise<T> {
  const { stdout } = await execFileAsync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", child, ...args],
    { cwd: root, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as T;
}

/** Times `MemoryStore.set` of numbers: into new stores, and over numbers already stored. */
function timeSet(): { readonly fresh: number; readonly overwrite: number } {
  const n = 1_000_000;
  const fresh: number[] = [];
  const overwrite: number[] = [];
  const fill = (store: { set(index: number, value: unknown): unknown }, offset: number) => {
    for (let i = 0; i < n; i++) store.set(i, i * 0.5 + offset);
  };
  for (let round = 0; round < 7; round++) {
    let started = performance.now();
    const store = createMemoryStore({ output: "c", shape: [1000, 1000], dims: ["i", "j"] });
    fill(store, 0.25);
    fresh.push(performance.now() - started);
    started = performance.now();
    fill(store, 0.75);
    overwrite.push(performance.now() - started);
  }
  return { fresh: (median(fresh) * 1e6) / n, overwrite: (median(overwrite) * 1e6) / n };
}

/**
 * Measures the typed memory figures: five child processes (two 1000 x 1000 sweeps, one
 * 10000 x 1000, the overhead rounds, a 2000 x 2000 zarr sweep with `returnResults: false`) and the store's `set`; about half a minute on 2 cores.
 * Prints nothing.
 */
export async function benchMemory(options: MemoryBenchOptions = {}): Promise<MemoryResult> {
  const rounds = options.rounds ?? 5;
  const cold = await inChild<MemorySample>(["memory", "1000", "1000"]);
  const young = await inChild<MemorySample>(["memory", "1000", "1000", "young"]);
  const big = await inChild<MemorySample>(["memory", "10000", "1000"]);
  const overhead = await inChild<OverheadSample>(["overhead", "1000", "1000", String(rounds)]);
  const summary = await inChild<SummarySample>(["summary", "2000", "2000"]);
  const set = timeSet();
  return {
    raw1M: cold.elements * 8,
    rss1M: cold.rssGrowth,
    rss1MYoungResident: young.rssGrowth,
    peakRss1M: cold.peakRssGrowth,
    heapAndBuffers1M: cold.heapAndBuffersGrowth,
    raw10M: big.elements * 8,
    rss10M: big.rssGrowth,
    peakRss10M: big.peakRssGrowth,
    heapAndBuffers10M: big.heapAndBuffersGrowth,
    sweep10MMs: big.ms,
    floor1MMs: overhead.floorMs,
    map1MMs: overhead.mapMs,
    overheadUsPerElement1M: ((overhead.mapMs - overhead.floorMs) * 1000) / overhead.elements,
    setNewNsPerElement: set.fresh,
    setNsPerElement: set.overwrite,
    summaryRss4M: summary.rssGrowth,
    summaryPeakRss4M: summary.peakRssGrowth,
    summary4MMs: summary.ms,
  };
}
