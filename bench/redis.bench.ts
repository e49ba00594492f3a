/**
 * Distributed sweep costs (the performance targets of §4 and §12 of the spec): `map` through Redis (the BullMQ executor) on 1 and 2
 * local worker processes against the same map inline: the executor's overhead per trivial
 * element at chunk sizes 1, 16 and 256, and the speedup on a CPU-bound element function.
 * Skipped, with a notice, when no Redis answers at `REDIS_URL`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import type { Executor, Pipeline } from "../src/index.ts";
import { redis } from "../src/redis/index.ts";
import { median, table } from "./harness.ts";
import { busyWork } from "./map-pipelines.ts";
import { cpu, lookup, trivial } from "./redis-pipelines.mjs";

/** What every distributed case measures. */
interface RedisCase {
  readonly workers: number;
  readonly chunkSize: number;
  readonly elements: number;
  /** The same map inline, ms (the same figure for 1 and 2 workers). */
  readonly inlineMs: number;
  /** Through Redis, on a connected executor and running workers, ms. */
  readonly redisMs: number;
  readonly elementsPerSecond: number;
  /** Elements each worker process ran, over the check and every round. */
  readonly perWorker: readonly number[];
}

/** One trivial-element case: elements through Redis against the same map inline. */
export interface RedisTrivialCase extends RedisCase {
  /** (redis − inline) / elements, µs. */
  readonly overheadUsPerElement: number;
}

/** One CPU-bound case: the speedup of the workers over inline. */
export interface RedisCpuCase extends RedisCase {
  /** inline / redis. */
  readonly speedup: number;
}

/** The distributed sweep figures written to results.json. */
export type RedisResult =
  | {
      readonly skipped: string;
    }
  | {
      /** The Redis used, without credentials. */
      readonly redis: string;
      /** The redis executor's capacity (its default) and timeoutMs. */
      readonly capacity: number;
      readonly timeoutMs: number;
      /** Rounds per case, round-robin over inline, 1 and 2 workers; medians reported. */
      readonly rounds: number;
      /** The machine's 1-minute load average before and after the section. */
      readonly loadAverage: readonly [number, number];
      readonly trivial: readonly RedisTrivialCase[];
      /** Milliseconds of arithmetic per CPU-bound element, as calibrated. */
      readonly cpuElementMs: number;
      /**
       * The most 2 processes gain over 1 on this machine now: 2 plain Node processes running
       * the same loop at once against one alone (2 = two idle cores; 1 = the machine is busy).
       */
      readonly parallelCeiling: number;
      readonly cpu: readonly RedisCpuCase[];
      /** The section's own wall time, worker starts included, s. */
      readonly seconds: number;
    };

/** Trivial elements per case, by chunk size: about half a second per map through Redis. */
const TRIVIAL: readonly { readonly chunkSize: number; readonly elements: number }[] = [
  { chunkSize: 1, elements: 500 },
  { chunkSize: 16, elements: 10_000 },
  { chunkSize: 256, elements: 50_000 },
];
/**
 * 10 ms of arithmetic per element as calibrated before the case (a busy machine skews that;
 * the table shows what inline took), 4 elements per job: 24 jobs, so neither worker waits
 * long for the other at the end.
 */
const CPU = { elements: 96, elementMs: 10, chunkSize: 4 } as const;
/** Rounds of each case after its check; medians are reported. */
const ROUNDS = 5;
/** The redis executor's default worker slots: map keeps twice as many chunks queued. */
const CAPACITY = 8;
/** How long a map may wait without progress: far above any round, far below a hang. */
const TIMEOUT_MS = 15_000;
const WORKERS = [1, 2] as const;

const quiet = { progress: false } as const;
const range = (n: number) => Array.from({ length: n }, (_, k) => k);

/** Measures the distributed sweep figures; under a minute on 2 cores. */
export async function benchRedis(): Promise<RedisResult> {
  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const address = url.replace(/\/\/[^@/]*@/, "//");
  if (!(await answers(url))) {
    return {
      skipped: `no Redis answers at ${address}; start one (redis-server) or set REDIS_URL to run it`,
    };
  }
  const started = performance.now();
  const loadBefore = os.loadavg()[0]!;
  // Queues unique to this run, so no job of another run (or benchmark) is taken or removed;
  // one per case and worker count. The 1-worker cases go to queues only the first worker
  // serves, the 2-worker cases to queues both serve: every case runs in each round, so a
  // shared machine's drifts hit all alike.
  const base = `pipeweave-bench-${process.pid}-${randomBytes(4).toString("hex")}`;
  const cases = [
    ...TRIVIAL.map((c) => ({ ...c, pipeline: "trivial" as const })),
    { ...CPU, pipeline: "cpu" as const },
  ];
  const queue = (c: (typeof cases)[number], workers: number) =>
    `${base}-${c.pipeline}-${c.chunkSize}-${workers}w`;
  const served = (workers: readonly number[]) =>
    cases.flatMap((c) => workers.map((w) => `${c.pipeline}:${queue(c, w)}`));
  const workers: Worker[] = [];
  const measured: {
    readonly c: (typeof cases)[number];
    readonly inlineMs: number;
    readonly redisMs: readonly number[];
  }[] = [];
  let ran: Readonly<Record<string, number>>[];
  let ceiling = Number.NaN;
  try {
    const starting = [startWorker(url, served([1, 2])), startWorker(url, served([2]))];
    // Both settled before a failure is thrown, so a failed start leaves no process behind.
    const settled = await Promise.allSettled(starting);
    for (const w of settled) if (w.status === "fulfilled") workers.push(w.value);
    const failed = settled.find((w) => w.status === "rejected");
    if (failed) throw failed.reason;
    const work = busyWork(CPU.elementMs);
    for (const c of cases) {
      const inputs =
        c.pipeline === "cpu" ? { seed: range(c.elements), work } : { x: range(c.elements) };
      const { chunkSize } = c;
      const times = await compare(url, c.pipeline === "cpu" ? cpu : trivial, inputs, (w) =>
        redis({ connection: url, queue: queue(c, w), chunkSize, timeoutMs: TIMEOUT_MS }),
      );
      measured.push({ c, ...times });
    }
    ceiling = await parallelCeiling();
  } finally {
    ran = await Promise.all(workers.map((w) => w.stop()));
    await obliterate(
      url,
      cases.flatMap((c) => WORKERS.map((w) => queue(c, w))),
    );
  }
  const rows = measured.flatMap(({ c, inlineMs, redisMs }) =>
    WORKERS.map((workers, k) => ({
      workers,
      chunkSize: c.chunkSize,
      elements: c.elements,
      inlineMs,
      redisMs: redisMs[k]!,
      elementsPerSecond: (c.elements * 1000) / redisMs[k]!,
      perWorker: ran.slice(0, workers).map((r) => r[queue(c, workers)] ?? 0),
      pipeline: c.pipeline,
    })),
  );
  return {
    redis: address,
    capacity: CAPACITY,
    timeoutMs: TIMEOUT_MS,
    rounds: ROUNDS,
    loadAverage: [loadBefore, os.loadavg()[0]!],
    trivial: rows
      .filter((r) => r.pipeline === "trivial")
      .map(({ pipeline: _, ...r }) => ({
        ...r,
        overheadUsPerElement: ((r.redisMs - r.inlineMs) * 1000) / r.elements,
      })),
    cpuElementMs: CPU.elementMs,
    parallelCeiling: ceiling,
    cpu: rows
      .filter((r) => r.pipeline === "cpu")
      .map(({ pipeline: _, ...r }) => ({ ...r, speedup: r.inlineMs / r.redisMs })),
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * The median ms of `map` inline and through Redis on 1 and 2 workers (one connected executor
 * each, made by `executorFor`), measured round-robin after a first call of each that checks
 * the outputs equal inline's (and connects the executor).
 */
async function compare(
  url: string,
  pipeline: Pipeline,
  inputs: Record<string, unknown>,
  executorFor: (workers: number) => Executor,
): Promise<{ readonly inlineMs: number; readonly redisMs: readonly number[] }> {
  const executors = WORKERS.map(executorFor);
  try {
    const want = await outputs(pipeline, inputs, undefined);
    for (const executor of executors) {
      if ((await outputs(pipeline, inputs, executor)) !== want) {
        throw new Error(`map through Redis at ${url} gave other outputs than inline`);
      }
    }
    const runs = [undefined, ...executors];
    const samples = runs.map(() => [] as number[]);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [k, executor] of runs.entries()) {
        const t = performance.now();
        await pipeline.map(inputs, executor ? { ...quiet, executor } : quiet);
        samples[k]!.push(performance.now() - t);
      }
    }
    const [inline, ...remote] = samples.map(median);
    return { inlineMs: inline!, redisMs: remote };
  } finally {
    await Promise.all(executors.map((e) => e.close()));
  }
}

/** The map's `y` as JSON, inline (no executor) or on `executor`; throws its first error. */
async function outputs(
  pipeline: Pipeline,
  inputs: Record<string, unknown>,
  executor: Executor | undefined,
): Promise<string> {
  const result = await pipeline.map(inputs, executor ? { ...quiet, executor } : quiet);
  if (result.errors.length > 0) throw result.errors[0]!.error;
  return JSON.stringify(result.y!.array.toNested());
}

/** A worker process of redis-worker.ts. */
interface Worker {
  /**
   * SIGTERM (it finishes its job and exits); SIGKILL if it has not exited after 10 s.
   * Resolves with the elements it ran on each queue (none known when it was killed).
   */
  readonly stop: () => Promise<Readonly<Record<string, number>>>;
}

/** Starts a worker process serving `served` (`<pipeline>:<queue>`); resolves once it takes jobs. */
async function startWorker(url: string, served: readonly string[]): Promise<Worker> {
  const script = join(import.meta.dirname, "redis-worker.ts");
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", script, url, ...served], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`bench redis worker not ready after 30 s:\n${out}`)),
      30_000,
    );
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (/^ready$/m.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`bench redis worker exited before it was ready:\n${out}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    const ran = /^stopped (.*)$/m.exec(out)?.[1];
    return ran ? (JSON.parse(ran) as Record<string, number>) : {};
  };
  try {
    await ready;
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}

/**
 * How much faster 2 processes do twice the work of 1 on this machine now (median of 3
 * rounds): the speedup 2 workers could reach at best, whatever else runs here.
 */
async function parallelCeiling(): Promise<number> {
  // The CPU-bound element's loop, about 0.3 s; each process reports its own loop's time.
  const code =
    "let x = 0.1; const t = performance.now(); " +
    "for (let k = 0; k < 1e8; k++) x = 3.9 * x * (1 - x); " +
    "process.stdout.write(String(performance.now() - t + x * 0));";
  const loop = () =>
    new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.once("error", reject);
      child.once("exit", () => resolve(Number(out)));
    });
  const ratios: number[] = [];
  for (let r = 0; r < 3; r++) {
    const alone = await loop();
    const pair = Math.max(...(await Promise.all([loop(), loop()])));
    ratios.push((2 * alone) / pair);
  }
  return median(ratios);
}

/** Whether a Redis server answers at `url` within a second. */
async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Removes the run's queues and everything BullMQ kept of them. */
async function obliterate(url: string, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const q = new Queue(name, { connection: { url } });
    try {
      await q.obliterate({ force: true });
    } finally {
      await q.close();
    }
  }
}

const fmt = (v: number, digits = 1) => v.toFixed(digits);

/** Each worker's share of the elements, in percent: "55% / 45%". */
function shares(perWorker: readonly number[]): string {
  const total = perWorker.reduce((a, b) => a + b, 0);
  return perWorker.map((n) => `${Math.round((n * 100) / total)}%`).join(" / ");
}

/** Bytes queued per job for a map whose every element reads one large input whole. */
export type RedisWholeInputResult =
  | { readonly skipped: string }
  | {
      readonly inputBytes: number;
      readonly elements: number;
      readonly workers: number;
      readonly chunks: number;
      /** Per job, each copying the input (`shareWholeInputs: false`, as before issue 25). */
      readonly bytesPerChunkBefore: number;
      /** Per job, the input stored in Redis once and fetched once per worker. */
      readonly bytesPerChunkAfter: number;
      /** Times a worker fetched the input (at most once per worker). */
      readonly sharedLoads: number;
    };

/**
 * Maps 1,000 elements that each read a 20 MB Float64Array whole on 2 worker processes, with
 * and without sharing it, measuring each job's data (JSON, as BullMQ stores it).
 */
export async function benchRedisWholeInput(): Promise<RedisWholeInputResult> {
  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  if (!(await answers(url))) return { skipped: "no Redis" };
  const queue = `pipeweave-bench-${process.pid}-${randomBytes(4).toString("hex")}-lookup`;
  const table = new Float64Array(2_500_000).map((_, k) => k);
  const x = Array.from({ length: 1000 }, (_, k) => (k * 7919) % table.length);
  const workers: Worker[] = [];
  try {
    const settled = await Promise.allSettled([
      startWorker(url, [`lookup:${queue}`]),
      startWorker(url, [`lookup:${queue}`]),
    ]);
    for (const w of settled) if (w.status === "fulfilled") workers.push(w.value);
    const failed = settled.find((w) => w.status === "rejected");
    if (failed) throw failed.reason;
    const run = async (share: boolean) => {
      const executor = redis({
        connection: url,
        queue,
        timeoutMs: TIMEOUT_MS,
        measureBytes: true,
        shareWholeInputs: share,
      });
      try {
        await lookup.map({ x, table }, { ...quiet, executor });
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
      workers: workers.length,
      chunks: after.chunks,
      bytesPerChunkBefore: before.bytesSent / before.chunks,
      bytesPerChunkAfter: after.bytesSent / after.chunks,
      sharedLoads: after.sharedLoads,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await obliterate(url, [queue]);
  }
}

/** The figures of {@link benchRedisWholeInput} in a line. */
export function reportRedisWholeInput(r: RedisWholeInputResult): string {
  const title = "Large input read whole on Redis workers (issue 25)";
  if ("skipped" in r) return `${title}: skipped, ${r.skipped}`;
  const mb = (n: number) => (n / 2 ** 20).toFixed(1);
  return (
    `${title}, ${mb(r.inputBytes)} MiB Float64Array, ${r.elements.toLocaleString("en")} ` +
    `elements, ${r.workers} workers, ${r.chunks} jobs: ${mb(r.bytesPerChunkBefore)} MiB per ` +
    `job before (base64 in the job's JSON), ${(r.bytesPerChunkAfter / 1024).toFixed(1)} KiB ` +
    `after (the input fetched ${r.sharedLoads} time${r.sharedLoads === 1 ? "" : "s"}, at most ` +
    "once per worker)"
  );
}

/** The section as `npm run bench` prints it: a notice when skipped, else a table and targets. */
export function reportRedis(result: RedisResult): string {
  const title = "Distributed sweeps";
  if ("skipped" in result) return `${title}: skipped, ${result.skipped}`;
  const d = result;
  const head =
    `${title}: map through Redis (${d.redis}, BullMQ) on local worker processes against the ` +
    `same map inline; warm workers, connected executors (capacity ${d.capacity}), median of ` +
    `${d.rounds} rounds taken round-robin`;
  const common = (c: RedisTrivialCase | RedisCpuCase) => [
    String(c.workers),
    String(c.chunkSize),
    String(c.elements),
    fmt(c.inlineMs),
    fmt(c.redisMs),
    Math.round(c.elementsPerSecond).toLocaleString("en"),
    shares(c.perWorker),
  ];
  const rows = table(
    [
      "case",
      "workers",
      "chunk",
      "elements",
      "inline ms",
      "redis ms",
      "elements/s",
      "work per worker",
      "vs inline",
    ],
    [
      ...d.trivial.map((t) => [
        "trivial elements (x + 1)",
        ...common(t),
        `+${fmt(t.overheadUsPerElement)} µs/element`,
      ]),
      ...d.cpu.map((c) => [
        `CPU-bound, ${fmt(c.inlineMs / c.elements)} ms/element inline`,
        ...common(c),
        `${fmt(c.speedup, 2)}x faster`,
      ]),
    ],
  );
  const overhead = Math.max(
    ...d.trivial.filter((t) => t.chunkSize === 256).map((t) => t.overheadUsPerElement),
  );
  const speedup = d.cpu.find((c) => c.workers === 2)!.speedup;
  const targets =
    `targets: overhead at chunk 256 < 20 µs/element → worst ${fmt(overhead)} ` +
    `(${overhead < 20 ? "met" : "MISSED"}); 2 workers >= 1.7x inline on CPU-bound work → ` +
    `${fmt(speedup, 2)}x (${speedup >= 1.7 ? "met" : "MISSED"}), where 2 plain processes of the ` +
    `same loop reach ${fmt(d.parallelCeiling, 2)}x their speed alone right now (the ceiling: 2 on ` +
    `2 idle cores); 1-minute load average ${fmt(d.loadAverage[0])} → ${fmt(d.loadAverage[1])} on ` +
    `${os.availableParallelism()} cores; ${fmt(d.seconds, 0)} s`;
  return `${head}\n${rows}\n\n${targets}`;
}
