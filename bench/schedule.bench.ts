/**
 * Scheduling in `map` (issue 15): independent functions side by side, and a chain whose
 * elements flow from one function to the next, on a pool of threads started beforehand.
 */
import { availableParallelism } from "node:os";
import { ThreadExecutor } from "../src/index.ts";
import { busyWork, chain, fork } from "./map-pipelines.ts";

/** The scheduling figures written to results.json. */
export interface ScheduleResult {
  readonly threads: number;
  /** Two independent functions of one `forkMs` element each (then a trivial join), wall ms. */
  readonly forkElementMs: number;
  readonly forkMs: number;
  /** forkMs over one function's work: 1 when the two ran side by side, 2 one after the other. */
  readonly forkRatio: number;
  /** A 3-function chain of `chainElements` elements of ~1 ms each. */
  readonly chainElements: number;
  /** The same work run by hand in one thread, divided by the threads: the floor, ms. */
  readonly chainFloorMs: number;
  readonly chainMs: number;
  /** chainMs / chainFloorMs: target ≤ 1.2. */
  readonly chainRatio: number;
}

const quiet = { progress: false } as const;

/** Runs the cases `rounds` times and keeps the median of each. */
export async function benchSchedule(rounds = 3): Promise<ScheduleResult> {
  const threads = Math.min(2, availableParallelism());
  const pool = new ThreadExecutor({ threads });
  try {
    const forkElementMs = 200;
    const forkWork = busyWork(forkElementMs);
    const unit = busyWork(1);
    const chainElements = 600;
    const seeds = Array.from({ length: chainElements }, (_, k) => k);
    const options = { ...quiet, executor: pool };
    // Warm the pool: every thread has loaded the pipelines' module.
    await fork.map({ seed: [1, 2, 3, 4], work: 1 }, options);
    await chain.map({ seed: [1, 2, 3, 4], work: 1 }, options);
    const forks: number[] = [];
    const chains: number[] = [];
    const floors: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let t = performance.now();
      await fork.map({ seed: [7], work: forkWork }, options);
      forks.push(performance.now() - t);
      t = performance.now();
      await chain.map({ seed: seeds, work: unit }, options);
      chains.push(performance.now() - t);
      // The same work by hand in this thread: 3 functions × elements × ~1 ms.
      t = performance.now();
      const m = await chain.map({ seed: seeds, work: unit }, quiet);
      void m;
      floors.push((performance.now() - t) / threads);
    }
    const forkMs = median(forks);
    const chainMs = median(chains);
    const chainFloorMs = median(floors);
    return {
      threads,
      forkElementMs,
      forkMs,
      forkRatio: forkMs / forkElementMs,
      chainElements,
      chainFloorMs,
      chainMs,
      chainRatio: chainMs / chainFloorMs,
    };
  } finally {
    await pool.close();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
