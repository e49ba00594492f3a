/**
 * Thread pool figures (a scale target): 2,048 CPU-bound elements of about 2 ms each, inline
 * and on N worker threads, as speed-ups over inline:
 * - `map` on threads with the pool started by the call (the shared pool closed first);
 * - `map` on the warm pool that call left, and how long its first element waited;
 * - a stream stage `pool({ workers: N, threads: true })`, on the shared pool the maps left
 *   warm, and with the pool started by the run (the shared pool closed first), over one
 *   inline worker and (how the stage scales) over the same stage with one thread.
 *
 * Plain JavaScript taking the pipeweave module as a parameter, so it runs from the sources
 * (bench/threads.bench.ts, under tsx) and against the built package without tsx:
 *
 *   npm run build && node bench/threads-core.mjs 2 4 8 16 [--rounds 3]
 *
 * (worker counts as arguments, 2 when none; each time is the median of the rounds). Give it
 * a machine with at least as many cores as the largest count, otherwise the figures measure
 * the cores, not pipeweave.
 */
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";

const ELEMENTS = 2048;
const ELEMENT_MS = 2;
const quiet = { progress: false };

const ms = async (action) => {
  const started = performance.now();
  await action();
  return performance.now() - started;
};

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Measures the figures for each worker count, `rounds` times over, and keeps the median of
 * each time (the machines are shared and noisy).
 *
 * @param pipeweave - The pipeweave module (sources or built package).
 * @param from - How threads-pipelines.mjs imports that same module (a URL or "pipeweave").
 * @param workerCounts - Threads (map) and workers (stream) to measure.
 * @param rounds - How many times to measure everything.
 * @returns The figures, one row per worker count.
 */
export async function measureThreads(pipeweave, from, workerCounts = [2], rounds = 1) {
  const pipelines = await import(`./threads-pipelines.mjs?pipeweave=${encodeURIComponent(from)}`);
  const work = pipelines.busyWork(ELEMENT_MS);
  const measured = [];
  for (let round = 0; round < rounds; round++) {
    measured.push(await measureOnce(pipeweave, pipelines, work, workerCounts));
  }
  const of = (pick) => median(measured.map(pick));
  const inlineMapMs = of((m) => m.inlineMapMs);
  const inlineStreamMs = of((m) => m.inlineStreamMs);
  const oneThreadStreamMs = of((m) => m.oneThreadStreamMs);
  const rows = workerCounts.map((threads, k) => {
    const row = (field) => of((m) => m.rows[k][field]);
    const [coldMs, warmMs, streamMs, streamColdMs] = ["cold", "warm", "stream", "streamCold"].map(
      (name) => row(`${name}Ms`),
    );
    return {
      threads,
      coldMs,
      warmMs,
      streamMs,
      streamColdMs,
      warmFirstElementMs: row("warmFirstElementMs"),
      speedupCold: inlineMapMs / coldMs,
      speedupWarm: inlineMapMs / warmMs,
      speedupStream: inlineStreamMs / streamMs,
      speedupStreamCold: inlineStreamMs / streamColdMs,
      scalingStream: oneThreadStreamMs / streamMs,
    };
  });
  return {
    elements: ELEMENTS,
    elementMs: ELEMENT_MS,
    cores: availableParallelism(),
    rounds,
    inlineMapMs,
    inlineStreamMs,
    oneThreadStreamMs,
    rows,
  };
}

/** One round: each time once. */
async function measureOnce(pipeweave, pipelines, work, workerCounts) {
  const { pool, stream, ThreadExecutor } = pipeweave;
  const { busy, spinItem, stamp } = pipelines;
  const seed = Array.from({ length: ELEMENTS }, (_, i) => i);
  const items = seed.map((s) => ({ seed: s, work }));
  const inlineMapMs = await ms(() => busy.map({ seed, work }, quiet));
  const inlineStreamMs = await ms(() =>
    stream(items)
      .pipe(pool({ workers: 1 }, spinItem))
      .run(),
  );
  // The same stage on one thread (warm): what more workers on threads are compared with to
  // show how the stage scales, apart from what crossing to a thread costs.
  const oneThread = () =>
    stream(items)
      .pipe(pool({ workers: 1, threads: true }, spinItem))
      .run();
  await stream(items.slice(0, 4))
    .pipe(pool({ workers: 1, threads: true }, spinItem))
    .run();
  const oneThreadStreamMs = await ms(oneThread);
  const rows = [];
  for (const threads of workerCounts) {
    const onThreads = { ...quiet, executor: "threads", threads };
    await ThreadExecutor.closeShared();
    const coldMs = await ms(() => busy.map({ seed, work }, onThreads));
    // The first element of a map on the warm pool: how long after the call it started.
    const calledAt = performance.timeOrigin + performance.now();
    const stamps = await stamp.map({ x: Array.from({ length: threads }, (_, i) => i) }, onThreads);
    const warmFirstElementMs = Math.min(...stamps.at.array.data) - calledAt;
    const warmMs = await ms(() => busy.map({ seed, work }, onThreads));
    const streamRun = () =>
      stream(items)
        .pipe(pool({ workers: threads, threads: true }, spinItem))
        .run();
    const streamMs = await ms(streamRun);
    await ThreadExecutor.closeShared();
    const streamColdMs = await ms(streamRun);
    rows.push({ coldMs, warmMs, streamMs, streamColdMs, warmFirstElementMs });
  }
  await ThreadExecutor.closeShared();
  return { inlineMapMs, inlineStreamMs, oneThreadStreamMs, rows };
}

/** The figures as a text table. */
export function formatThreads(result) {
  const f = (x, digits = 0) => x.toFixed(digits);
  const lines = [
    `${result.elements} elements of ~${result.elementMs} ms on ${result.cores} cores, ` +
      `median of ${result.rounds} round(s); ` +
      `inline map ${f(result.inlineMapMs)} ms, inline stream ${f(result.inlineStreamMs)} ms, ` +
      `stream on one thread ${f(result.oneThreadStreamMs)} ms`,
    "threads | map, pool started by the call | map, warm pool | first element (warm) | stream, warm pool | stream, pool started by the run | stream over one thread",
  ];
  for (const r of result.rows) {
    lines.push(
      `${String(r.threads).padStart(7)} | ${f(r.speedupCold, 2)}x (${f(r.coldMs)} ms)` +
        ` | ${f(r.speedupWarm, 2)}x (${f(r.warmMs)} ms) | ${f(r.warmFirstElementMs, 1)} ms` +
        ` | ${f(r.speedupStream, 2)}x (${f(r.streamMs)} ms)` +
        ` | ${f(r.speedupStreamCold, 2)}x (${f(r.streamColdMs)} ms)` +
        ` | ${f(r.scalingStream, 2)}x`,
    );
  }
  return lines.join("\n");
}

// Run as a script: against the built package (`npm run build` first).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--rounds");
  const rounds = at < 0 ? 1 : Number(args.splice(at, 2)[1]);
  const counts = args.map(Number);
  const pipeweave = await import("pipeweave");
  const result = await measureThreads(
    pipeweave,
    "pipeweave",
    counts.length > 0 ? counts : [2],
    rounds,
  );
  console.log(formatThreads(result));
  console.log(JSON.stringify(result));
}
