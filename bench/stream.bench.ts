/**
 * Stream costs (a performance target): one million items through three one-worker stages in pipeweave,
 * RxJS, Effect Stream and a hand-written async-generator chain, all doing the same work (three
 * async functions) and summing the outputs; four workers on a stage that awaits a timer,
 * against p-map; and resident memory over ten million items with `buffer: 64` and a slow
 * consumer.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import os from "node:os";
import { join } from "node:path";
import { Effect, Stream as EffectStream } from "effect";
import { Redis } from "ioredis";
import pMap from "p-map";
import { concatMap, from, lastValueFrom, reduce } from "rxjs";
import { pool, rateLimiter, stream } from "../src/index.ts";
import { median } from "./harness.ts";
import { busyWork } from "./map-pipelines.ts";
import { spinItem, waitItem } from "./stream-handlers.ts";

/** Items per second of one implementation, median over rounds. */
export interface Throughput {
  readonly name: string;
  readonly itemsPerSecond: number;
  readonly rounds: readonly number[];
}

/** The stream figures written to results.json. */
export interface StreamResult {
  readonly items: number;
  readonly throughput: readonly Throughput[];
  readonly timer: {
    readonly items: number;
    readonly workers: number;
    readonly delayMs: number;
    readonly pipeweaveMs: number;
    readonly pMapMs: number;
  };
  readonly memory: {
    readonly items: number;
    readonly buffer: number;
    /** Resident memory after the first 200,000 items, MB. */
    readonly baselineMb: number;
    /** Highest resident memory sampled every 100,000 items after that, MB. */
    readonly peakMb: number;
    readonly growthMb: number;
    readonly itemsPerSecond: number;
  };
}

// The same three stages everywhere: async, as stream stages usually are.
const inc = async (x: number) => x + 1;
const dbl = async (x: number) => x * 2;
const dec = async (x: number) => x - 1;

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

async function* through<A, B>(source: AsyncIterable<A> | Iterable<A>, f: (a: A) => Promise<B>) {
  for await (const x of source) yield await f(x);
}

/** Each sums the outputs of inc → dbl → dec over 0..n-1. */
const chains: Record<string, (n: number) => Promise<number>> = {
  "hand-written async generators": async (n) => {
    let sum = 0;
    for await (const x of through(through(through(range(n), inc), dbl), dec)) sum += x;
    return sum;
  },
  "pipeweave (buffer 1, the default)": async (n) => {
    let sum = 0;
    const s = stream(range(n)).pipe(pool({}, inc), pool({}, dbl), pool({}, dec));
    for await (const x of s) sum += x as number;
    return sum;
  },
  "pipeweave (buffer 64)": async (n) => {
    let sum = 0;
    const s = stream(range(n)).pipe(
      pool({ buffer: 64 }, inc),
      pool({ buffer: 64 }, dbl),
      pool({ buffer: 64 }, dec),
    );
    for await (const x of s) sum += x as number;
    return sum;
  },
  "Effect Stream.mapEffect": (n) =>
    Effect.runPromise(
      EffectStream.fromIterable(range(n)).pipe(
        EffectStream.mapEffect((x) => Effect.promise(() => inc(x))),
        EffectStream.mapEffect((x) => Effect.promise(() => dbl(x))),
        EffectStream.mapEffect((x) => Effect.promise(() => dec(x))),
        EffectStream.runFold(
          () => 0,
          (sum, x) => sum + x,
        ),
      ),
    ),
  // concatMap is mergeMap with concurrency 1. RxJS has no backpressure: the source pushes
  // every item at once and each stage queues them, which costs more the longer the stream.
  "RxJS concatMap": (n) =>
    lastValueFrom(
      from(range(n)).pipe(
        concatMap(inc),
        concatMap(dbl),
        concatMap(dec),
        reduce((sum, x) => sum + x, 0),
      ),
    ),
};

/**
 * RxJS takes ~100 s per million items here (see above) and leaves a large heap that slows
 * whatever runs next, so it runs once, after every round of the others.
 */
const ONCE = new Set(["RxJS concatMap"]);

async function throughput(n: number, rounds: number): Promise<Throughput[]> {
  const expected = n * n; // Σ (2(i + 1) − 1) = n²
  const perRound = new Map<string, number[]>(Object.keys(chains).map((k) => [k, []]));
  for (const [name, chain] of Object.entries(chains)) {
    if ((await chain(1000)) !== 1000 * 1000) throw new Error(`${name} summed wrong`);
  }
  const measure = async (name: string) => {
    const started = performance.now();
    const sum = await chains[name]!(n);
    const ms = performance.now() - started;
    if (sum !== expected) throw new Error(`${name} summed ${sum}, expected ${expected}`);
    perRound.get(name)!.push((n * 1000) / ms);
  };
  // Round-robin, so slow drifts of a shared machine hit every case alike.
  for (let r = 0; r < rounds; r++) {
    for (const name of Object.keys(chains)) if (!ONCE.has(name)) await measure(name);
  }
  for (const name of ONCE) await measure(name);
  return [...perRound].map(([name, values]) => ({
    name,
    itemsPerSecond: median(values),
    rounds: values,
  }));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function timerStage(items: number, workers: number, delayMs: number, rounds: number) {
  const wait = async (x: number) => {
    await sleep(delayMs);
    return x;
  };
  const input = [...range(items)];
  const pw: number[] = [];
  const pm: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let started = performance.now();
    const summary = await stream(input)
      .pipe(pool({ workers, buffer: workers }, wait))
      .run();
    pw.push(performance.now() - started);
    started = performance.now();
    const out = await pMap(input, wait, { concurrency: workers });
    pm.push(performance.now() - started);
    if (summary.count !== items || out.length !== items) throw new Error("timer stage lost items");
  }
  return { items, workers, delayMs, pipeweaveMs: median(pw), pMapMs: median(pm) };
}

/** A consumer slower than the stages: a little arithmetic per item. */
function slowly(x: number): number {
  let y = x;
  for (let k = 0; k < 200; k++) y = (y * 31 + k) % 1_000_003;
  return y;
}

async function memory(items: number, buffer: number) {
  const mb = () => process.memoryUsage.rss() / 2 ** 20;
  const s = stream(range(items)).pipe(
    pool({ buffer }, inc),
    pool({ buffer }, dbl),
    pool({ buffer }, dec),
  );
  let seen = 0;
  let checksum = 0;
  let baselineMb = 0;
  let peakMb = 0;
  const started = performance.now();
  for await (const x of s) {
    checksum = (checksum + slowly(x as number)) % 1_000_003;
    seen++;
    if (seen % 100_000 === 0) {
      if (seen === 200_000) baselineMb = mb();
      else if (seen > 200_000) peakMb = Math.max(peakMb, mb());
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (seen !== items) throw new Error(`memory run saw ${seen} of ${items} items (${checksum})`);
  return {
    items,
    buffer,
    baselineMb,
    peakMb,
    growthMb: peakMb - baselineMb,
    itemsPerSecond: items / seconds,
  };
}

/** Measures the stream figures; takes about three minutes, RxJS being most of it. */
export async function benchStream(): Promise<StreamResult> {
  const items = 1_000_000;
  return {
    items,
    throughput: await throughput(items, 3),
    timer: await timerStage(2_000, 4, 1, 3),
    memory: await memory(10_000_000, 64),
  };
}

/** The figures of issue 28's options: rate accuracy, and a stage on 1 and 2 Redis workers. */
export interface StreamOptionsResult {
  readonly rate: {
    readonly items: number;
    readonly perSecond: number;
    readonly burst: number;
    readonly workers: number;
    /** (items - burst) / perSecond: the first `burst` go at once. */
    readonly idealSeconds: number;
    readonly seconds: number;
    /** Most calls seen within any 1 ms, which `burst` bounds. */
    readonly mostInOneMs: number;
  };
  readonly redis:
    | { readonly skipped: string }
    | {
        readonly items: number;
        readonly itemMs: number;
        readonly stageWorkers: number;
        /** Items/s of a CPU-bound handler on 1 and 2 worker processes, and 2 over 1. */
        readonly cpu: RedisStageCase;
        /** Items/s of a handler that waits (a remote call), concurrency 1 per process. */
        readonly wait: RedisStageCase;
        /** The machine's 1-minute load average when the section started. */
        readonly loadAverage: number;
      };
}

/** Items/s on 1 and on 2 `pipeweave worker` processes. */
export interface RedisStageCase {
  readonly oneWorker: number;
  readonly twoWorkers: number;
  readonly speedup: number;
}

/** 1,000 items at 100/s (burst 10) over 8 workers: ~9.9 s; the issue asks 10 s ± 3 %. */
async function rateAccuracy(): Promise<StreamOptionsResult["rate"]> {
  const items = 1_000;
  const perSecond = 100;
  const burst = 10;
  const workers = 8;
  const quota = rateLimiter({ perSecond, burst });
  const calls: number[] = [];
  const started = performance.now();
  const summary = await stream(range(items))
    .pipe(
      pool({ workers, buffer: workers, rate: quota }, async (x: number) => {
        calls.push(performance.now());
        return x;
      }),
    )
    .run();
  const seconds = (performance.now() - started) / 1000;
  if (summary.count !== items) throw new Error("rate bench lost items");
  let most = 0;
  for (let i = 0, j = 0; j < calls.length; j++) {
    while (calls[j]! - calls[i]! >= 1) i++;
    most = Math.max(most, j - i + 1);
  }
  return {
    items,
    perSecond,
    burst,
    workers,
    idealSeconds: (items - burst) / perSecond,
    seconds,
    mostInOneMs: most,
  };
}

const CLI = join(import.meta.dirname, "..", "src", "cli", "main.ts");
const HANDLERS = join(import.meta.dirname, "stream-handlers.ts");

/** Starts `pipeweave worker stream-handlers.ts#spinItem` on `queue`; resolves once it serves. */
async function startStageWorker(url: string, queue: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", CLI, "worker", `${HANDLERS}#spinItem`, "--redis", url, "--queue", queue],
    // The module declares both handlers; the worker serves each.
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += String(d);
      if (out.includes("Serving stream stages")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`stage worker exited (${code}): ${out}`)));
  });
  return child;
}

/**
 * Items/s of a stage on 1 and on 2 `pipeweave worker` processes (each taking one job at a
 * time): a CPU-bound handler (10 ms an item), and one that waits 10 ms (a remote call).
 */
async function redisStage(): Promise<StreamOptionsResult["redis"]> {
  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    await probe.ping();
  } catch {
    return { skipped: `no Redis answers at ${url.replace(/\/\/[^@/]*@/, "//")}` };
  } finally {
    probe.disconnect();
  }
  const loadAverage = os.loadavg()[0]!;
  const items = 200;
  const itemMs = 10;
  const stageWorkers = 4;
  const work = busyWork(itemMs);
  const base = `pipeweave-bench-stage-${process.pid}-${randomBytes(4).toString("hex")}`;
  const queues = [`${base}-1w`, `${base}-2w`];
  const children: ChildProcess[] = [];
  const options = (queue: string) => ({
    workers: stageWorkers,
    buffer: stageWorkers,
    redis: { connection: url, queue },
  });
  const timed = async (run: () => Promise<{ ok: boolean; count: number }>) => {
    const started = performance.now();
    const summary = await run();
    if (!summary.ok || summary.count !== items) throw new Error("redis stage bench failed items");
    return (items * 1000) / (performance.now() - started);
  };
  const cpu = (queue: string) =>
    timed(() =>
      stream(Array.from({ length: items }, (_, seed) => ({ seed, work })))
        .pipe(pool(options(queue), spinItem))
        .run(),
    );
  const wait = (queue: string) =>
    timed(() =>
      stream(Array.from({ length: items }, (_, seed) => ({ seed, ms: itemMs })))
        .pipe(pool(options(queue), waitItem))
        .run(),
    );
  try {
    children.push(await startStageWorker(url, queues[0]!));
    children.push(await startStageWorker(url, queues[1]!), await startStageWorker(url, queues[1]!));
    const rounds = {
      cpu1: [] as number[],
      cpu2: [] as number[],
      wait1: [] as number[],
      wait2: [] as number[],
    };
    // Round-robin, so a shared machine's drifts hit every case alike.
    for (let r = 0; r < 3; r++) {
      rounds.cpu1.push(await cpu(queues[0]!));
      rounds.cpu2.push(await cpu(queues[1]!));
      rounds.wait1.push(await wait(queues[0]!));
      rounds.wait2.push(await wait(queues[1]!));
    }
    const pair = (one: number[], two: number[]): RedisStageCase => ({
      oneWorker: median(one),
      twoWorkers: median(two),
      speedup: median(two) / median(one),
    });
    return {
      items,
      itemMs,
      stageWorkers,
      cpu: pair(rounds.cpu1, rounds.cpu2),
      wait: pair(rounds.wait1, rounds.wait2),
      loadAverage,
    };
  } finally {
    for (const c of children) c.kill("SIGTERM");
    await Promise.all(children.map((c) => new Promise((r) => c.once("exit", r))));
    const client = new Redis(url);
    for (const q of queues) {
      const keys = await client.keys(`bull:${q}:*`);
      if (keys.length > 0) await client.del(...keys);
    }
    client.disconnect();
  }
}

/** Measures rate accuracy (10 s) and the Redis stage on 1 and 2 workers (about 20 s). */
export async function benchStreamOptions(): Promise<StreamOptionsResult> {
  return { rate: await rateAccuracy(), redis: await redisStage() };
}
