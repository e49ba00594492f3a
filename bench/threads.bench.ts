/**
 * Thread pool figures (SPEC §12, scale) from the sources: `map` on threads with the pool
 * started by the call, on the warm pool, and a threaded stream stage, each as a speed-up over
 * inline. The work is in threads-core.mjs, which also runs against the built package:
 * `npm run build && node bench/threads-core.mjs 2 4 8 16`.
 */
import { pathToFileURL } from "node:url";
import * as pipeweave from "../src/index.ts";
import { formatThreads, measureThreads, type ThreadsResult } from "./threads-core.mjs";

export type { ThreadsResult, ThreadsRow } from "./threads-core.mjs";
export { formatThreads };

/**
 * Measures 2,048 elements of ~2 ms for each worker count (about 20 s per count on 2 cores).
 *
 * @param workerCounts - Threads (map) and workers (stream) to measure.
 */
export function benchThreads(workerCounts: readonly number[] = [2]): Promise<ThreadsResult> {
  return measureThreads(pipeweave, new URL("../src/index.ts", import.meta.url).href, workerCounts);
}

// Run as a script: `npx tsx bench/threads.bench.ts 2`.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const counts = process.argv.slice(2).map(Number);
  console.log(formatThreads(await benchThreads(counts.length > 0 ? counts : [2])));
}
