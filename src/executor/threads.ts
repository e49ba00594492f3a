import { availableParallelism } from "node:os";
import type { Piscina } from "piscina";
import { piscina } from "../_internal/piscina.ts";
import {
  ExecutorError,
  InvalidOptionError,
  UnclonableValueError,
  UndeclaredPipelineError,
} from "../errors.ts";
import { describeUnclonable, isCloneable, isDataCloneError, toBytes } from "./clone.ts";
import { serializeError } from "./error-data.ts";
import type { ResolvedResources } from "./resources.ts";
import { type SharedChunk, shareWhole } from "./shared-inputs.ts";
import { Slots } from "./slots.ts";
import {
  closeSharedPools,
  configureSharedPools,
  poolConfig,
  type SharedPoolHandle,
  type SharedPoolSettings,
  sharedPool,
} from "./thread-pool.ts";
import type { StaleModule, ThreadAnswer, ThreadTask } from "./thread-worker.ts";
import { encode, unpackResults } from "./transfer.ts";
import type { Chunk, ChunkItem, Executor, ItemResult } from "./types.ts";
import { moduleFingerprint } from "./worker-runtime.ts";

/**
 * Memory and stack limits of each worker thread: Node's `Worker` `resourceLimits`. A thread
 * that reaches its heap limit ends; the elements it was running fail with an
 * `ERR_WORKER_OUT_OF_MEMORY` error and the pool starts a fresh thread.
 */
export interface ThreadResourceLimits {
  /** Size of the main heap, in megabytes. @defaultValue Node's, from the system's memory */
  readonly maxOldGenerationSizeMb?: number;
  /** Size of the heap space for recently created objects, in megabytes. @defaultValue Node's */
  readonly maxYoungGenerationSizeMb?: number;
  /** Size of the memory range for generated code, in megabytes. @defaultValue Node's */
  readonly codeRangeSizeMb?: number;
  /** The thread's stack size, in megabytes. @defaultValue `4` */
  readonly stackSizeMb?: number;
}

/** Options of the {@link ThreadExecutor}. */
export interface ThreadExecutorOptions {
  /**
   * Threads this executor runs chunks on at once. With the shared pool, the pool grows to the
   * largest number any executor asked for, starting threads as chunks need them. A chunk
   * whose function needs `resources: { cpus }` holds that many of them while it runs.
   *
   * @defaultValue `os.availableParallelism()`
   */
  readonly threads?: number;
  /**
   * Heap and stack limits of each thread, so one element that allocates without bound fails
   * alone instead of taking the process's memory. Executors with other limits use another
   * pool.
   *
   * @defaultValue Node's limits (a thread's heap is sized like the main thread's)
   */
  readonly resourceLimits?: ThreadResourceLimits;
  /**
   * Whose threads run the chunks. `"shared"`: the process's pool for this configuration,
   * started by the first chunk, kept warm between maps (a thread keeps the modules it
   * imported), its threads ended after idling (see {@link ThreadExecutor.configureShared});
   * `close()` releases this executor only. `"own"`: threads of this executor alone, started
   * now and ended by `close()`, for work that must not share a thread with other maps.
   *
   * @defaultValue `"shared"`
   */
  readonly pool?: "shared" | "own";
  /**
   * Send each argument every element reads whole (a large array, a lookup table; 64 KiB or
   * more serialized) once per thread, as shared memory each thread reads once and keeps for
   * the chunks that follow, instead of copying it into every chunk. Functions must not modify
   * such an argument: a thread's later chunks see the same value (as elements do inline).
   *
   * @defaultValue `true`
   */
  readonly shareWholeInputs?: boolean;
  /**
   * Measure the bytes of every chunk sent (its items serialized, shared arguments counted as
   * their ids), reported by {@link ThreadExecutor.stats}; costs one serialization per chunk.
   *
   * @defaultValue `false`
   */
  readonly measureBytes?: boolean;
}

/** What a {@link ThreadExecutor} has sent, from {@link ThreadExecutor.stats}. */
export interface ThreadExecutorStats {
  /** Chunks submitted. */
  readonly chunks: number;
  /** Bytes of the chunks sent, when `measureBytes` is set (else 0). */
  readonly bytesSent: number;
  /** Whole arguments put in shared memory (once per value per map). */
  readonly sharedValues: number;
  /** Their bytes. */
  readonly sharedBytes: number;
  /** Times a thread read a shared whole argument: at most once per value per thread. */
  readonly sharedLoads: number;
}

/** Settings of the process's shared thread pools: see {@link ThreadExecutor.configureShared}. */
export type SharedThreadsOptions = SharedPoolSettings;

const LIMITS: readonly (keyof ThreadResourceLimits)[] = [
  "maxOldGenerationSizeMb",
  "maxYoungGenerationSizeMb",
  "codeRangeSizeMb",
  "stackSizeMb",
];

function checkLimits(limits: unknown): ThreadResourceLimits | undefined {
  if (limits === undefined) return undefined;
  if (typeof limits !== "object" || limits === null) {
    throw new InvalidOptionError(
      "resourceLimits",
      `Expected \`resourceLimits\` to be an object with any of ${LIMITS.join(", ")}, got \`${String(limits)}\` (${typeof limits}).`,
    );
  }
  for (const [key, value] of Object.entries(limits)) {
    if (!(LIMITS as readonly string[]).includes(key)) {
      throw new InvalidOptionError(
        `resourceLimits.${key}`,
        `Unknown limit \`resourceLimits.${key}\`. Use any of ${LIMITS.join(", ")}.`,
      );
    }
    if (value !== undefined && !(typeof value === "number" && value > 0 && value < Infinity)) {
      throw new InvalidOptionError(
        `resourceLimits.${key}`,
        `Expected \`resourceLimits.${key}\` to be a positive number of megabytes, got \`${String(value)}\` (${typeof value}).`,
      );
    }
  }
  return limits as ThreadResourceLimits;
}

const POOLS = ["shared", "own"] as const;

function checkThreads(threads: unknown): number {
  if (threads === undefined) return availableParallelism();
  if (typeof threads !== "number" || !Number.isInteger(threads) || threads < 1) {
    throw new InvalidOptionError(
      "threads",
      `Expected \`threads\` to be an integer from 1 up, got \`${String(threads)}\` (${typeof threads}).`,
    );
  }
  return threads;
}

function checkPool(pool: unknown): "shared" | "own" {
  if (pool === undefined) return "shared";
  if (!(POOLS as readonly unknown[]).includes(pool)) {
    throw new InvalidOptionError(
      "pool",
      `Expected \`pool\` to be one of "shared", "own", got \`${String(pool)}\` (${typeof pool}).`,
    );
  }
  return pool as "shared" | "own";
}

/**
 * Each pipeline module's fingerprint when this process first sent it to a thread (what its
 * threads must load), by URL. A module imported again under another URL (`?v=2`) is another
 * module.
 */
const fingerprints = new Map<string, string | undefined>();

function fingerprintOf(module: string): string | undefined {
  if (!fingerprints.has(module)) fingerprints.set(module, moduleFingerprint(module));
  return fingerprints.get(module);
}

/**
 * Runs chunks on worker threads (piscina). Each worker imports the module that declared the
 * pipeline with `definePipeline`, so functions run with their own closures and imports. A
 * worker that dies rejects only its chunk; the pool starts a replacement.
 *
 * By default the threads are the process's shared pool, started by the first chunk and kept
 * warm between maps: a second `map` on threads (this executor or another, `executor:
 * "threads"` included) starts at once, and a thread that imported a pipeline's module keeps
 * it. Threads idle for 30 s end ({@link ThreadExecutor.configureShared}); idle threads never
 * keep the process alive, so closing is optional. `pool: "own"` gives the executor threads of
 * its own instead.
 *
 * Arguments and results cross by structured clone. One that cannot (a function, a symbol, a
 * socket) fails its own element with an `UnclonableValueError`; what a function throws comes
 * back as it was thrown (see `SerializedError`).
 *
 * @example
 * ```ts
 * const threads = new ThreadExecutor({ threads: 4, resourceLimits: { maxOldGenerationSizeMb: 512 } });
 * await pipeline.map(inputs, { executor: threads });
 * await pipeline.map(others, { executor: threads }); // same threads, modules already loaded
 * ```
 */
export class ThreadExecutor implements Executor {
  readonly name = "threads";
  readonly remote = true;
  /** Chunks of this executor running at once: its `threads`. */
  readonly #threads: number;
  readonly #limits: ThreadResourceLimits | undefined;
  readonly #own: Piscina<ThreadTask, ThreadAnswer> | undefined;
  readonly #shared: SharedPoolHandle | undefined;
  /** One per chunk given to the pool and not yet answered, to end them on close. */
  readonly #pending = new Set<AbortController>();
  /**
   * This executor's `threads` as slots: a chunk holds one per cpu its elements need (one
   * without `resources.cpus`) while it runs.
   */
  readonly #slots: Slots;
  #isClosed = false;
  readonly #share: boolean;
  readonly #measure: boolean;
  /** Whole arguments in shared memory by id (null: sent in the chunks), the latest last. */
  readonly #sharedMemory = new Map<string, Uint8Array | null>();
  #stats = { chunks: 0, bytesSent: 0, sharedValues: 0, sharedBytes: 0, sharedLoads: 0 };

  /**
   * Sets how the shared pools (those of `map` and of `threads: true` stream stages) treat
   * idle threads. Threads running now finish their tasks first; the next task starts threads
   * with the new settings.
   *
   * @param options - The idle timeout.
   * @throws InvalidOptionError when `idleTimeoutMs` is not a number from 0 up.
   * @example
   * ```ts
   * ThreadExecutor.configureShared({ idleTimeoutMs: 5_000 });
   * ```
   */
  static configureShared(options: SharedThreadsOptions): void {
    configureSharedPools(options);
  }

  /**
   * Ends the shared pools' threads once the tasks they were given (map chunks, stream items)
   * are done, to free their memory or to start the next map or stream run cold; the next task
   * starts new threads.
   *
   * @returns A promise resolved when the threads have exited.
   */
  static closeShared(): Promise<void> {
    return closeSharedPools();
  }

  /**
   * @param options - Threads, per-thread resource limits and whose pool.
   * @throws InvalidOptionError when `threads` is not an integer from 1 up, `pool` is not
   *   `"shared"` or `"own"`, or a resource limit is not a positive number.
   */
  constructor(options: ThreadExecutorOptions = {}) {
    this.#threads = checkThreads(options.threads);
    this.#slots = new Slots(this.#threads);
    this.#limits = checkLimits(options.resourceLimits);
    this.#share = options.shareWholeInputs ?? true;
    this.#measure = options.measureBytes ?? false;
    const config = poolConfig(this.#limits ? { ...this.#limits } : undefined);
    if (checkPool(options.pool) === "shared") {
      this.#shared = sharedPool(config);
    } else {
      this.#own = new (piscina().Piscina)({
        ...config,
        execArgv: [...config.execArgv],
        minThreads: this.#threads,
        maxThreads: this.#threads,
      });
    }
  }

  /**
   * What this executor has sent so far: chunks, their bytes (with `measureBytes`), and the
   * whole arguments shared with threads and how often a thread read one.
   */
  stats(): ThreadExecutorStats {
    return { ...this.#stats };
  }

  /** Number of threads this executor runs chunks on at once. */
  get threads(): number {
    return this.#threads;
  }

  /**
   * Refuses a function that needs more cpus than this executor has threads: its chunks could
   * never get their slots.
   *
   * @throws {@link InvalidOptionError} naming the function, its cpus and the pool's size.
   */
  checkResources(node: string, resources: ResolvedResources): void {
    const cpus = resources.cpus ?? 1;
    if (cpus <= this.#threads) return;
    throw new InvalidOptionError(
      "resources.cpus",
      `Function "${node}" needs ${cpus} cpus per element, but the thread executor has ` +
        `${this.#threads} thread${this.#threads === 1 ? "" : "s"}: an element holds one thread ` +
        `per cpu, so it could never run. Give the executor at least ${cpus} threads (map's ` +
        `\`threads: ${cpus}\`, or new ThreadExecutor({ threads: ${cpus} })), or lower the ` +
        "function's cpus.",
    );
  }

  async submit(chunk: Chunk, signal?: AbortSignal): Promise<ItemResult[]> {
    if (!chunk.pipeline) throw new UndeclaredPipelineError(chunk.node, "threads");
    if (chunk.resources) this.checkResources(chunk.node, chunk.resources);
    const { items, shared } = this.#share
      ? this.#shareWhole(chunk)
      : {
          items: chunk.items.map((item) => ({
            index: item.index,
            values: item.values.map(encode),
          })),
          shared: [],
        };
    const task: ThreadTask = {
      pipeline: chunk.pipeline,
      node: chunk.node,
      output: chunk.output,
      items,
      validate: chunk.validate === true,
      shape: chunk.shape,
      fingerprint: fingerprintOf(chunk.pipeline.module),
      ...(shared.length > 0 ? { shared } : {}),
      ...(chunk.trace ? { trace: chunk.trace } : {}),
    };
    this.#stats.chunks++;
    if (this.#measure) this.#stats.bytesSent += measuredBytes(task);
    let answer: ThreadAnswer;
    try {
      answer = await this.#run(task, chunk.resources?.cpus ?? 1, signal);
    } catch (error) {
      // Posting the task failed before any of it ran: fail the elements whose arguments
      // cannot cross and send the others again.
      if (isDataCloneError(error)) return this.#resubmit(chunk, task, error, signal);
      const code = exitCodeOf(error);
      if (code !== undefined) return this.#isolate(chunk, code, error, signal);
      throw this.#explain(error, chunk);
    }
    if ("stale" in answer) throw staleModule(answer.stale, chunk);
    if (!(answer instanceof Uint8Array)) this.#stats.sharedLoads += answer.loaded ?? 0;
    return unpackResults(answer);
  }

  /** The chunk's items with its large whole arguments left out, and those in shared memory. */
  #shareWhole(chunk: Chunk): SharedChunk {
    const out = shareWhole(chunk, this.#sharedMemory);
    for (const { bytes } of out.made) {
      this.#stats.sharedValues++;
      this.#stats.sharedBytes += bytes!.length;
    }
    // Ids are per map: an executor kept across maps forgets the oldest.
    for (const id of this.#sharedMemory.keys()) {
      if (this.#sharedMemory.size <= 8) break;
      this.#sharedMemory.delete(id);
    }
    return out;
  }

  /** Runs a task once `cpus` of this executor's threads are free, ended by close(). */
  async #run(
    task: ThreadTask,
    cpus: number,
    signal: AbortSignal | undefined,
  ): Promise<ThreadAnswer> {
    // A finishing chunk hands its slots straight to the waiting ones, in order, so no chunk
    // that arrives meanwhile takes them and more than `threads` run.
    const waiting = this.#slots.acquire(cpus);
    if (waiting) await waiting;
    const controller = new AbortController();
    const forward = () => controller.abort(signal!.reason);
    try {
      if (this.#isClosed) throw closedError();
      if (signal?.aborted) forward();
      else signal?.addEventListener("abort", forward, { once: true });
      this.#pending.add(controller);
      const options = { signal: controller.signal };
      return await (this.#shared
        ? this.#shared.run<ThreadAnswer>(this.#threads, task, options)
        : this.#own!.run(task, options));
    } finally {
      signal?.removeEventListener("abort", forward);
      this.#pending.delete(controller);
      this.#slots.release(cpus);
    }
  }

  async #resubmit(
    chunk: Chunk,
    task: ThreadTask,
    error: unknown,
    signal: AbortSignal | undefined,
  ): Promise<ItemResult[]> {
    const refused: ItemResult[] = [];
    const sendable: ChunkItem[] = [];
    chunk.items.forEach((item, k) => {
      const at = task.items[k]!.values.findIndex((v) => !isCloneable(v));
      if (at < 0) {
        sendable.push(item);
        return;
      }
      const argument = chunk.func.call.params[at]?.graph ?? `#${at}`;
      const type = describeUnclonable(item.values[at]) ?? "a value";
      const refusal = new UnclonableValueError(chunk.node, argument, type, "received");
      refused.push({ index: item.index, ok: false, error: serializeError(refusal) });
    });
    // Nothing to blame on an argument (a transfer list, say): the error is the executor's.
    if (refused.length === 0) throw error;
    if (sendable.length === 0) return refused;
    return [...refused, ...(await this.submit({ ...chunk, items: sendable }, signal))];
  }

  /**
   * A thread ended (an element called `process.exit`, or crashed it) while running `chunk`,
   * taking the results of the elements it had run with it. The chunk's elements run again one
   * per task, so that only an element that ends its thread fails, and its error names it.
   */
  async #isolate(
    chunk: Chunk,
    code: number,
    error: unknown,
    signal: AbortSignal | undefined,
  ): Promise<ItemResult[]> {
    if (chunk.items.length > 1) {
      const alone = chunk.items.map((item) => this.submit({ ...chunk, items: [item] }, signal));
      return (await Promise.all(alone)).flat();
    }
    const ended = new Error(
      `The worker thread running "${chunk.node}" on this element exited with code ${code} ` +
        "before the function returned: the function (or code it calls) ended the thread with " +
        "process.exit() or crashed it. Throw an error instead of exiting.",
      { cause: error },
    );
    return [{ index: chunk.items[0]!.index, ok: false, error: serializeError(ended) }];
  }

  /** Names the limit a thread that ran out of memory had, and what to change. */
  #explain(error: unknown, chunk: Chunk): unknown {
    if ((error as { code?: unknown } | null)?.code !== "ERR_WORKER_OUT_OF_MEMORY") return error;
    const limits = this.#limits
      ? `resourceLimits { ${Object.entries(this.#limits)
          .map(([k, v]) => `${k}: ${String(v)}`)
          .join(", ")} }`
      : "Node's default heap limit";
    const reason = (error as Error).message.replace(/\.$/, "");
    const explained = new Error(
      `${reason} while running "${chunk.node}" on a thread with ${limits}. Raise the limit ` +
        "(new ThreadExecutor({ resourceLimits: { maxOldGenerationSizeMb } })) or hold less " +
        "memory per element; every element of the chunk on that thread failed.",
      { cause: error },
    );
    return Object.assign(explained, { code: "ERR_WORKER_OUT_OF_MEMORY" });
  }

  /**
   * Stops this executor: chunks it still has running end (their threads with them), and
   * later chunks are refused. A shared pool's other threads stay for other executors, ended
   * after idling; an own pool's threads end now.
   */
  async close(): Promise<void> {
    this.#isClosed = true;
    // Each ended chunk hands its place to a waiting one, which is refused in turn.
    for (const controller of this.#pending) controller.abort(closedError());
    await this.#own?.destroy();
  }
}

/** A task's size on the wire: its items serialized, a shared argument as its id. */
function measuredBytes(task: ThreadTask): number {
  const { shared, ...rest } = task;
  const ids = (shared ?? []).map(({ position, id }) => ({ position, id }));
  try {
    return toBytes({ ...rest, shared: ids }).length;
  } catch {
    return 0;
  }
}

/** The exit code of a thread that ended while running a task (piscina's error), if so. */
function exitCodeOf(error: unknown): number | undefined {
  const found = /^worker exited with code: (-?\d+)$/.exec((error as Error | null)?.message ?? "");
  return found ? Number(found[1]) : undefined;
}

function closedError(): ExecutorError {
  return new ExecutorError(
    "threads",
    "This ThreadExecutor was closed, so it runs no more chunks. Create a new one: with the " +
      "shared pool (the default) it starts on the threads already running.",
  );
}

/** The error for a thread that found another file where the pipeline module was. */
function staleModule(stale: StaleModule["stale"], chunk: Chunk): ExecutorError {
  return new ExecutorError(
    "threads",
    `A thread started for "${chunk.node}" found ${stale.module} changed on disk since this ` +
      "process first sent it to a thread, so it would run other code than the pipeline this " +
      "process defined. Restart the process, or import the changed module under a new URL " +
      "(import(`./module.ts?v=2`)) and map the pipeline it declares.",
    { hashes: { coordinator: stale.coordinator, worker: stale.worker } },
  );
}
