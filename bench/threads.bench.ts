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

/** Bytes sent to threads for a map whose every element reads one large input whole. */
export interface WholeInputResult {
  readonly inputBytes: number;
  readonly elements: number;
  readonly threads: number;
  readonly chunks: number;
  /** Per chunk, each copying the input (`shareWholeInputs: false`, as before issue 25). */
  readonly bytesPerChunkBefore: number;
  /** Per chunk, the input sent once per thread as shared memory. */
  readonly bytesPerChunkAfter: number;
  /** Times a thread read the shared input (at most once per thread). */
  readonly sharedLoads: number;
}

/**
 * Maps 1,000 elements that each read a 20 MB Float64Array whole on 2 threads (from the
 * sources), with and without sharing it, measuring each chunk's serialized size.
 */
export async function benchWholeInput(): Promise<WholeInputResult> {
  const from = new URL("../src/index.ts", import.meta.url).href;
  const { lookup } = (await import(
    `./threads-pipelines.mjs?pipeweave=${encodeURIComponent(from)}`
  )) as { lookup: pipeweave.Pipeline };
  const table = new Float64Array(2_500_000).map((_, k) => k);
  const x = Array.from({ length: 1000 }, (_, k) => (k * 7919) % table.length);
  const run = async (share: boolean) => {
    const executor = new pipeweave.ThreadExecutor({
      threads: 2,
      pool: "own",
      measureBytes: true,
      shareWholeInputs: share,
    });
    try {
      await lookup.map({ x, table }, { executor, progress: false });
      return executor.stats();
    } finally {
      await executor.close();
    }
  };
  const before = await run(false);
  const after = await run(true);
  return {
    inputBytes: table.byteLength,
    elements: x.length,
    threads: 2,
    chunks: after.chunks,
    bytesPerChunkBefore: before.bytesSent / before.chunks,
    bytesPerChunkAfter: after.bytesSent / after.chunks,
    sharedLoads: after.sharedLoads,
  };
}

/** The figures of {@link benchWholeInput} in a line. */
export function formatWholeInput(r: WholeInputResult): string {
  const mb = (n: number) => (n / 2 ** 20).toFixed(1);
  return (
    `Large input read whole (issue 25), ${mb(r.inputBytes)} MiB Float64Array, ` +
    `${r.elements.toLocaleString("en")} elements, ${r.threads} threads, ${r.chunks} chunks: ` +
    `${mb(r.bytesPerChunkBefore)} MiB per chunk before, ` +
    `${(r.bytesPerChunkAfter / 1024).toFixed(1)} KiB after (the input read ${r.sharedLoads} ` +
    `time${r.sharedLoads === 1 ? "" : "s"}, at most once per thread)`
  );
}

// Run as a script: `npx tsx bench/threads.bench.ts 2` (from the sources).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const counts = process.argv.slice(2).map(Number);
  console.log(formatThreads(await benchThreads(counts.length > 0 ? counts : [2])));
}
