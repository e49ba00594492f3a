import { randomBytes } from "node:crypto";
import { availableParallelism, hostname, totalmem } from "node:os";
import type { Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { importOptional } from "../_internal/optional-dependency.ts";
import { runnablePointFunction } from "../adaptive/point-function.ts";
import { ExecutorError, InvalidOptionError } from "../errors.ts";
import { callChunk } from "../executor/call-chunk.ts";
import { memoryInMb } from "../executor/resources.ts";
import { keepsShared, restoreShared, type SharedArgument } from "../executor/shared-inputs.ts";
import { Slots } from "../executor/slots.ts";
import { outputOf } from "../executor/thread-worker.ts";
import type { ChunkItem, ItemResult } from "../executor/types.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { everyVariant, type VariantChooser } from "../graph/variants.ts";
import {
  checkConnectionUrl,
  defaultConnection,
  describeConnection,
  type RedisConnection,
} from "./address.ts";
import { bounded, openClient, waitReady } from "./connection.ts";
import {
  type ChunkJobData,
  type ChunkJobResult,
  type ChunkNeeds,
  definitionHash,
  fits,
  PROTOCOL,
  packResults,
  type Refusal,
  type RefusalReason,
  resultKey,
  runKey,
  sharedKey,
  unpackItems,
  type WorkerIdentity,
  type WorkerSize,
  workerName,
} from "./protocol.ts";

/** Options of {@link runWorker}. */
export interface WorkerOptions {
  /**
   * Where Redis is: a URL or ioredis options.
   * @defaultValue `process.env.REDIS_URL`, else `"redis://127.0.0.1:6379"`
   */
  readonly connection?: RedisConnection;
  /** The queue to take chunks from (the coordinator's `queue`). @defaultValue `"pipeweave"` */
  readonly queue?: string;
  /**
   * Jobs run at once. Elements of one job run one after another, so more than 1 helps only
   * async (I/O-bound) functions; for CPU-bound work start more worker processes.
   * @defaultValue 1
   */
  readonly concurrency?: number;
  /**
   * BullMQ's lock on a running job, renewed while the worker lives. When a worker process
   * dies, the coordinator sees its connection to Redis close and releases its lock within
   * seconds; only a worker cut off from Redis without closing its connection (its machine
   * lost) keeps its chunk until the lock expires. Elements yield between calls so the lock is renewed, but
   * one element that blocks the event loop for more than about half of this may have its
   * chunk taken away and computed again elsewhere: keep it well above your longest element.
   * @defaultValue 30000
   */
  readonly lockDuration?: number;
  /**
   * How often this worker looks for chunks whose worker died, to put them back in the queue
   * (BullMQ's stalled check; one worker of the queue does it per interval). A dead worker's
   * chunk is taken again within about twice this once its lock is released.
   * @defaultValue 5000
   */
  readonly stalledInterval?: number;
  /**
   * Times a chunk may lose its worker before it fails (BullMQ): a chunk that kills every
   * worker it runs on fails the map instead of killing them all.
   * @defaultValue 1
   */
  readonly maxStalledCount?: number;
  /** How long to wait for Redis when starting, before failing. @defaultValue 30000 */
  readonly timeoutMs?: number;
  /**
   * CPUs this worker offers. It takes only chunks whose function needs at most this many
   * (`resources: { cpus }`); a chunk holds its cpus while it runs, so with `concurrency`
   * above 1 the chunks running at once never need more than this together.
   * @defaultValue `os.availableParallelism()`
   */
  readonly cpus?: number;
  /**
   * Memory this worker offers: `"16GB"`, `"512MB"`, or a number of megabytes. It takes only
   * chunks whose function needs at most this much (`resources: { memory }`).
   * @defaultValue the machine's memory (`os.totalmem()`)
   */
  readonly memory?: string | number;
  /** Stops the worker: it finishes the jobs it runs, then `runWorker` resolves. */
  readonly signal?: AbortSignal;
  /** Told what the worker does (the CLI prints it). */
  readonly onEvent?: (event: WorkerEvent) => void;
}

/** What a worker tells its `onEvent` listener. */
export type WorkerEvent =
  | {
      /** Connected and taking jobs. */
      readonly type: "ready";
      readonly queue: string;
      readonly pipeline: string;
      /** The pipeline's definition hash, which the coordinator's must equal. */
      readonly hash: string;
      readonly host: string;
      /** What it offers: the chunks it takes need at most this. */
      readonly size: WorkerSize;
    }
  | {
      /** A chunk ran; `elements` are the linear indexes of its elements. */
      readonly type: "done";
      readonly job: string;
      readonly run: string;
      readonly node: string;
      readonly elements: readonly number[];
      /** How many of them threw. */
      readonly failed: number;
      readonly ms: number;
    }
  | {
      /** A job of a run whose coordinator is gone: not run. */
      readonly type: "skipped";
      readonly job: string;
      readonly run: string;
    }
  | {
      /**
       * A job whose elements need more than this worker offers: put back in the queue (after
       * a short delay) for a worker that fits.
       */
      readonly type: "declined";
      readonly job: string;
      readonly run: string;
      readonly node: string;
      readonly needs: ChunkNeeds;
      /** What this worker offers. */
      readonly size: WorkerSize;
    }
  | {
      /** A job this worker cannot run (another pipeline or version): failed, naming why. */
      readonly type: "refused";
      readonly job: string;
      readonly run: string;
      readonly reason: RefusalReason;
      readonly message: string;
    }
  | {
      /** The connection or BullMQ reported an error; the worker carries on (and reconnects). */
      readonly type: "error";
      readonly message: string;
    };

/**
 * What a worker needs of its pipeline: its functions, found by their outputs; a pipeline
 * with `run` (any `Pipeline`) also evaluates the points of an adaptive sweep that are plain
 * graph runs.
 */
export interface WorkerPipeline {
  readonly name: string;
  readonly sortedFunctions: readonly AnyPipeFunc[];
}

/** What a worker did, once stopped. */
export interface WorkerSummary {
  /** Chunks run. */
  readonly jobs: number;
  /** Elements run. */
  readonly elements: number;
}

/** The options that have defaults, once merged. */
type ResolvedWorkerOptions = WorkerOptions & {
  readonly queue: string;
  readonly concurrency: number;
  readonly lockDuration: number;
  readonly stalledInterval: number;
  readonly maxStalledCount: number;
  readonly timeoutMs: number;
};

const DEFAULTS = Object.freeze({
  queue: "pipeweave",
  concurrency: 1,
  lockDuration: 30_000,
  stalledInterval: 5_000,
  maxStalledCount: 1,
  timeoutMs: 30_000,
});

/** How long a run seen alive is trusted before asking Redis again. */
const ALIVE_CACHE_MS = 500;
/**
 * How long a job this worker does not fit stays out of the queue: long enough that this
 * worker does not take it straight back, short enough that one that fits gets it soon.
 */
const DECLINE_DELAY_MS = 200;

/**
 * Runs chunks of map elements that a coordinator's {@link redis} executor queued, until
 * `signal` aborts: the library side of `pipeweave worker <module>#<export> --redis URL`.
 *
 * The worker runs jobs for `pipeline` only, finding each function by its output. It refuses
 * (fails, naming both hashes) a job whose pipeline definition hash differs from its own, so a
 * worker of another version never mixes its results into a run; it skips jobs of a run whose
 * coordinator is gone. What an element throws goes back as it was thrown, with its stack and
 * this worker's host and pid (field `worker`). Stopping finishes the jobs in progress first.
 *
 * @param pipeline - The pipeline the coordinator maps (the same code).
 * @param options - Connection, queue, concurrency, BullMQ lock settings, signal, listener.
 * @returns What the worker did, once stopped.
 * @throws {@link ExecutorError} when Redis cannot be reached within `timeoutMs` at start.
 * @throws {@link InvalidOptionError} for an option that cannot work.
 * @example
 * ```ts
 * import { runWorker } from "pipeweave/redis";
 * import { pipeline } from "./sweep.ts";
 * const stop = new AbortController();
 * process.once("SIGTERM", () => stop.abort());
 * await runWorker(pipeline, { connection: "redis://10.0.0.5:6379", signal: stop.signal });
 * ```
 */
export async function runWorker(
  pipeline: WorkerPipeline,
  options: WorkerOptions = {},
): Promise<WorkerSummary> {
  const o: ResolvedWorkerOptions = { ...DEFAULTS, ...definedOf(options) };
  checkOptions(o);
  const size = sizeOf(o);
  const { Worker, UnrecoverableError, DelayedError } = await importOptional(
    { name: "bullmq", feature: "The redis worker" },
    () => import("bullmq"),
  );
  const summary = { jobs: 0, elements: 0 };
  if (options.signal?.aborted) return summary;
  const hash = definitionHash(pipeline);
  // An adaptive point's chunk names a marked output: the point is a run of that pipeline
  // (see adaptive/point-function.ts), built here from the pipeline as the threads do.
  const byOutput = (p: WorkerPipeline) => {
    const functions = new Map(p.sortedFunctions.map((f) => [f.outputs[0], f]));
    return (output: string) => functions.get(output) ?? runnablePointFunction(p, output);
  };
  // A variant pipeline serves a map of any of its variants (`map(…, { variant })`), whose
  // definition hash is that choice's: the choices are hashed at the first job for another.
  const byHash = new Map([[hash, byOutput(pipeline)]]);
  let variantsHashed = false;
  const functionsOf = (jobHash: string) => {
    if (!byHash.has(jobHash) && !variantsHashed) {
      variantsHashed = true;
      for (const chosen of everyVariant(pipeline as VariantChooser<typeof pipeline>)) {
        byHash.set(definitionHash(chosen), byOutput(chosen));
      }
    }
    return byHash.get(jobHash);
  };
  const identity: WorkerIdentity = { host: hostname(), pid: process.pid };
  // BullMQ names this worker's connection after it and records it on each job it takes, so a
  // coordinator can tell a chunk whose worker process is gone (see the redis executor).
  // Its size is in its name too: the coordinator fails a chunk no connected worker fits.
  const name = workerName(identity, randomBytes(4).toString("hex"), size);
  const cpus = new Slots(size.cpus);
  const emit = options.onEvent ?? (() => undefined);
  const connection = options.connection ?? defaultConnection();
  const address = describeConnection(connection);
  // Commands wait for a lost connection to come back: a worker outlives a Redis restart.
  const client = openClient(connection, { maxRetriesPerRequest: null });
  let lastError: Error | undefined;
  const onError = (error: Error) => {
    lastError = error;
    emit({ type: "error", message: error.message });
  };
  client.on("error", onError);
  try {
    await waitReady(client, o.timeoutMs, () => lastError);
  } catch (error) {
    client.disconnect();
    throw new ExecutorError(
      "redis",
      `A redis worker for queue "${o.queue}" cannot reach Redis at ${address}: ` +
        `${(error as Error).message}. Check that the server runs and the URL is right.`,
      { queue: o.queue, cause: error },
    );
  }

  const alive = new Map<string, number>();
  const isAlive = async (toKey: (type: string) => string, run: string): Promise<boolean> => {
    const seen = alive.get(run);
    if (seen !== undefined && Date.now() - seen < ALIVE_CACHE_MS) return true;
    const found = (await client.exists(runKey(toKey, run))) === 1;
    if (found) alive.set(run, Date.now());
    else alive.delete(run);
    return found;
  };
  const refuse = (job: Job, reason: RefusalReason, message: string): never => {
    const data = job.data as Partial<ChunkJobData>;
    emit({ type: "refused", job: String(job.id), run: String(data.run), reason, message });
    const refusal: Refusal = {
      pipeweave: "refused",
      reason,
      message,
      workerHash: hash,
      ...identity,
    };
    throw new UnrecoverableError(JSON.stringify(refusal));
  };
  const yieldMs = Math.min(100, o.lockDuration / 4);

  let worker: Worker | undefined;
  const processor = async (job: Job, token?: string): Promise<ChunkJobResult> => {
    const data = job.data as ChunkJobData;
    const id = String(job.id);
    if (data.protocol !== PROTOCOL) {
      refuse(
        job,
        "protocol",
        `the job is of format ${String(data.protocol)}, this worker reads format ${PROTOCOL}: ` +
          "run workers of the same pipeweave version as the coordinator.",
      );
    }
    if (data.pipeline !== pipeline.name) {
      refuse(
        job,
        "pipeline",
        `the job is for pipeline "${data.pipeline}", this worker runs "${pipeline.name}": ` +
          "give each pipeline its own queue.",
      );
    }
    const functions = functionsOf(data.hash);
    if (!functions) {
      return refuse(
        job,
        "version",
        `the coordinator's definition hash is ${data.hash}, this worker's is ${hash}: run ` +
          "workers with the same version of the code as the coordinator.",
      );
    }
    const f = functions(data.output);
    if (!f) {
      return refuse(
        job,
        "function",
        `pipeline "${pipeline.name}" here has no function with output "${data.output}".`,
      );
    }
    const needs = data.needs;
    if (needs && !fits(needs, size)) {
      // Back to the queue, not failed: a worker that fits takes it (BullMQ counts no attempt).
      emit({ type: "declined", job: id, run: data.run, node: data.node, needs, size });
      await job.moveToDelayed(Date.now() + DECLINE_DELAY_MS, token);
      throw new DelayedError();
    }
    if (!(await isAlive((type) => worker!.toKey(type), data.run))) {
      emit({ type: "skipped", job: id, run: data.run });
      return { kind: "skipped", ...identity };
    }
    const fetched = await fetchShared(client, (type) => worker!.toKey(type), data);
    const { items, loaded } = restoreShared(unpackItems(data.items), fetched);
    // A chunk that declares cpus holds them while it runs (`concurrency` above 1).
    const held = needs?.cpus ?? 0;
    const waiting = held > 0 ? cpus.acquire(held) : undefined;
    if (waiting) await waiting;
    const started = performance.now();
    let results: ItemResult[];
    try {
      results = await runItems(f, items, data, yieldMs);
    } finally {
      cpus.release(held);
    }
    const packed = packResults(f, results, identity, outputOf);
    // Not awaited: BullMQ completes the job through this same connection, whose commands
    // Redis runs in order, so the results are stored before the coordinator hears of the job,
    // and a chunk costs no extra round trip. (Should it fail, the coordinator finds no results.)
    client
      .set(
        resultKey((type) => worker!.toKey(type), id),
        packed,
        "PX",
        data.keepMs,
      )
      .catch(onError);
    summary.jobs++;
    summary.elements += items.length;
    emit({
      type: "done",
      job: id,
      run: data.run,
      node: data.node,
      elements: items.map((item) => item.index),
      failed: results.filter((r) => !r.ok).length,
      ms: performance.now() - started,
    });
    return { kind: "stored", ...identity, ...(loaded > 0 ? { loaded } : {}) };
  };

  worker = new Worker(o.queue, processor, {
    // Shared with the run checks; BullMQ makes (and closes) its blocking connection from it.
    connection: client,
    name,
    concurrency: o.concurrency,
    lockDuration: o.lockDuration,
    stalledInterval: o.stalledInterval,
    maxStalledCount: o.maxStalledCount,
    autorun: false,
  });
  worker.on("error", onError);
  const running = worker.run();
  running.catch(() => undefined);
  try {
    await bounded(worker.waitUntilReady(), o.timeoutMs, "from the worker's connection");
  } catch (error) {
    await worker.close(true).catch(() => undefined);
    client.disconnect();
    throw new ExecutorError(
      "redis",
      `A redis worker for queue "${o.queue}" could not start on Redis at ${address}: ` +
        `${(error as Error).message}.`,
      { queue: o.queue, cause: error },
    );
  }
  emit({ type: "ready", queue: o.queue, pipeline: pipeline.name, hash, host: identity.host, size });
  await new Promise<void>((resolve) => {
    if (!options.signal) return;
    if (options.signal.aborted) resolve();
    else options.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  // Finishes the jobs in progress and hands in their results, then stops.
  await worker.close();
  await running.catch(() => undefined);
  await client.quit().catch(() => client.disconnect());
  return summary;
}

/**
 * A job's shared whole arguments, with the bytes of those this process does not keep yet,
 * read from Redis.
 *
 * @throws Error when one is gone from Redis (its run ended meanwhile): the job fails.
 */
async function fetchShared(
  client: Redis,
  toKey: (type: string) => string,
  data: ChunkJobData,
): Promise<SharedArgument[]> {
  const out: SharedArgument[] = [];
  for (const { position, id } of data.shared ?? []) {
    if (keepsShared(id)) {
      out.push({ position, id });
      continue;
    }
    const bytes = await client.getBuffer(sharedKey(toKey, data.run, id));
    if (bytes === null) {
      throw new Error(
        `An argument every element of "${data.node}" reads is gone from Redis: its run ended ` +
          "before this worker took the job.",
      );
    }
    out.push({ position, id, bytes });
  }
  return out;
}

/**
 * Runs a chunk's items in batches that grow while they are quick, yielding to the event loop
 * between batches at least every `yieldMs`: BullMQ renews the job's lock from a timer, which a
 * chunk of synchronous elements would otherwise starve (the chunk would be taken away).
 */
async function runItems(
  f: AnyPipeFunc,
  items: readonly ChunkItem[],
  job: Pick<ChunkJobData, "validate" | "shape" | "trace">,
  yieldMs: number,
): Promise<ItemResult[]> {
  const out: ItemResult[] = [];
  let batch = 1;
  let lastYield = performance.now();
  for (let k = 0; k < items.length; ) {
    const slice = items.slice(k, k + batch);
    const start = performance.now();
    out.push(...(await callChunk(f, slice, job.validate, job.shape, job.trace)));
    k += slice.length;
    const now = performance.now();
    if (now - start < yieldMs / 8) batch = Math.min(batch * 2, 1024);
    else batch = 1;
    if (now - lastYield >= yieldMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
  }
  return out;
}

/**
 * What the worker offers: its `cpus` and `memory`, the machine's by default.
 *
 * @throws {@link InvalidOptionError} for a bad amount.
 */
function sizeOf(o: ResolvedWorkerOptions): WorkerSize {
  if (o.cpus !== undefined && !(Number.isInteger(o.cpus) && o.cpus >= 1)) {
    throw new InvalidOptionError(
      "cpus",
      `Expected \`cpus\` to be an integer from 1 and up, got \`${String(o.cpus)}\` (${typeof o.cpus}). ` +
        "Leave it out for the machine's cpus.",
    );
  }
  const memoryMb = o.memory === undefined ? Math.floor(totalmem() / 2 ** 20) : memoryInMb(o.memory);
  if (memoryMb === undefined) {
    throw new InvalidOptionError(
      "memory",
      `Expected \`memory\` to be an amount such as "16GB" or "512MB", or a number of ` +
        `megabytes, got ${JSON.stringify(o.memory)}. Leave it out for the machine's memory.`,
    );
  }
  return { cpus: o.cpus ?? availableParallelism(), memoryMb };
}

function definedOf(options: WorkerOptions): Partial<WorkerOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

function checkOptions(o: ResolvedWorkerOptions): void {
  checkConnectionUrl(o.connection);
  if (typeof o.queue !== "string" || o.queue === "" || o.queue.includes(":")) {
    throw new InvalidOptionError(
      "queue",
      `Expected \`queue\` to be a non-empty name without ":", got ${JSON.stringify(o.queue)}.`,
    );
  }
  const positive: readonly (keyof typeof DEFAULTS)[] = [
    "concurrency",
    "lockDuration",
    "stalledInterval",
    "timeoutMs",
  ];
  for (const name of positive) {
    const value = o[name];
    if (!(typeof value === "number" && Number.isInteger(value) && value >= 1)) {
      throw new InvalidOptionError(
        name,
        `Expected \`${name}\` to be an integer from 1 and up, got \`${String(value)}\` (${typeof value}). ` +
          `Leave it out for ${DEFAULTS[name]}.`,
      );
    }
  }
  if (!(Number.isInteger(o.maxStalledCount) && o.maxStalledCount >= 0)) {
    throw new InvalidOptionError(
      "maxStalledCount",
      `Expected \`maxStalledCount\` to be an integer from 0 and up, got \`${String(o.maxStalledCount)}\`.`,
    );
  }
}
