/**
 * Thread pool figures (a scale target): `map` on threads with the pool started by the call,
 * on the warm pool, and a threaded stream stage, each as a speed-up over inline. The work is
 * in threads-core.mjs. `npm run bench` measures the built package in a plain `node` process,
 * as the package's users run it: from the sources, every thread would first load tsx (about
 * a second each), which measures the TypeScript loader rather than pipeweave.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as pipeweave from "../src/index.ts";
import { formatThreads, measureThreads, type ThreadsResult } from "./threads-core.mjs";

export type { ThreadsResult, ThreadsRow } from "./threads-core.mjs";
export { formatThreads };

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Measures 2,048 elements of ~2 ms for each worker count from the sources (about 20 s per
 * count on 2 cores).
 *
 * @param workerCounts - Threads (map) and workers (stream) to measure.
 */
export function benchThreads(workerCounts: readonly number[] = [2]): Promise<ThreadsResult> {
  return measureThreads(pipeweave, new URL("../src/index.ts", import.meta.url).href, workerCounts);
}

/**
 * The same figures from the built package: builds it, then runs threads-core.mjs under plain
 * `node`.
 *
 * @param workerCounts - Threads (map) and workers (stream) to measure.
 * @param rounds - Rounds to take the median of.
 */
export function benchThreadsBuilt(
  workerCounts: readonly number[] = [2],
  rounds = 3,
): ThreadsResult {
  execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });
  const out = execFileSync(
    process.execPath,
    ["bench/threads-core.mjs", ...workerCounts.map(String), "--rounds", String(rounds)],
    { cwd: root, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(out.trim().split("\n").at(-1)!) as ThreadsResult;
}

// Run as a script: `npx tsx bench/threads.bench.ts 2` (from the sources).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const counts = process.argv.slice(2).map(Number);
  console.log(formatThreads(await benchThreads(counts.length > 0 ? counts : [2])));
}
