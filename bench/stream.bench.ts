/**
 * Stream costs (a performance target): one million items through three one-worker stages in pipeweave,
 * RxJS, Effect Stream and a hand-written async-generator chain, all doing the same work (three
 * async functions) and summing the outputs; four workers on a stage that awaits a timer,
 * against p-map; and resident memory over ten million items with `buffer: 64` and a slow
 * consumer.
 */
import { Effect, Stream as EffectStream } from "effect";
import pMap from "p-map";
import { concatMap, from, lastValueFrom, reduce } from "rxjs";
import { pool, stream } from "../src/index.ts";
import { median } from "./harness.ts";

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
