import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { InvalidOptionError, UnclonableValueError, UndeclaredPipelineError } from "../errors.ts";
import { describeUnclonable, isCloneable, isDataCloneError } from "./clone.ts";
import { serializeError } from "./error-data.ts";
import type { ThreadTask } from "./thread-worker.ts";
import { encode, type ThreadReply, unpackResults } from "./transfer.ts";
import type { Chunk, ChunkItem, Executor, ItemResult } from "./types.ts";
import { workerExecArgv, workerFile } from "./worker-runtime.ts";

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
  /** Worker threads in the pool. @defaultValue `os.availableParallelism()` */
  readonly threads?: number;
  /**
   * Heap and stack limits of each thread, so one element that allocates without bound fails
   * alone instead of taking the process's memory.
   *
   * @defaultValue Node's limits (a thread's heap is sized like the main thread's)
   */
  readonly resourceLimits?: ThreadResourceLimits;
}

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

/**
 * Runs chunks on a pool of worker threads (piscina). Each worker imports the module that
 * declared the pipeline with `definePipeline`, so functions run with their own closures and
 * imports. A worker that dies rejects only its chunk; piscina starts a replacement.
 *
 * Arguments and results cross by structured clone. One that cannot (a function, a symbol, a
 * socket) fails its own element with an `UnclonableValueError`; what a function throws comes
 * back as it was thrown (see `SerializedError`).
 *
 * @example
 * ```ts
 * const threads = new ThreadExecutor({ threads: 4, resourceLimits: { maxOldGenerationSizeMb: 512 } });
 * try {
 *   await pipeline.map(inputs, { executor: threads });
 * } finally {
 *   await threads.close();
 * }
 * ```
 */
export class ThreadExecutor implements Executor {
  readonly name = "threads";
  readonly remote = true;
  readonly #pool: Piscina<ThreadTask, ThreadReply>;
  readonly #limits: ThreadResourceLimits | undefined;

  /**
   * @param options - Pool size and per-thread resource limits.
   * @throws InvalidOptionError when a resource limit is not a positive number.
   */
  constructor(options: ThreadExecutorOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    this.#limits = checkLimits(options.resourceLimits);
    this.#pool = new Piscina({
      filename: workerFile(import.meta.url, "thread-worker"),
      minThreads: threads,
      maxThreads: threads,
      execArgv: workerExecArgv(),
      ...(this.#limits ? { resourceLimits: { ...this.#limits } } : {}),
    });
  }

  /** Number of threads in the pool. */
  get threads(): number {
    return this.#pool.maxThreads;
  }

  async submit(chunk: Chunk, signal?: AbortSignal): Promise<ItemResult[]> {
    if (!chunk.pipeline) throw new UndeclaredPipelineError(chunk.node, "threads");
    const task: ThreadTask = {
      pipeline: chunk.pipeline,
      node: chunk.node,
      output: chunk.output,
      items: chunk.items.map((item) => ({ index: item.index, values: item.values.map(encode) })),
      validate: chunk.validate === true,
      shape: chunk.shape,
    };
    let reply: ThreadReply;
    try {
      reply = await this.#pool.run(task, signal ? { signal } : {});
    } catch (error) {
      // Posting the task failed before any of it ran: fail the elements whose arguments
      // cannot cross and send the others again.
      if (isDataCloneError(error)) return this.#resubmit(chunk, task, error, signal);
      throw this.#explain(error, chunk);
    }
    return unpackResults(reply);
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

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}
