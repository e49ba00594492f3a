/**
 * What {@link redis} takes and gives besides the executor's work: its options, checked, their
 * defaults, and the executor's interface and figures.
 */
import { InvalidOptionError } from "../errors.ts";
import type { Executor } from "../executor/types.ts";
import { checkConnectionUrl, type RedisConnection } from "./address.ts";

/** Options of {@link redis}. */
export interface RedisExecutorOptions {
  /**
   * Where Redis is: a URL or ioredis options (`{ host, port, password, tls … }`).
   * @defaultValue `process.env.REDIS_URL`, else `"redis://127.0.0.1:6379"`
   */
  readonly connection?: RedisConnection;
  /**
   * The BullMQ queue to send chunks to; workers started with the same queue take them. Give
   * each pipeline (and each version of it) its own queue when several share a Redis.
   * @defaultValue `"pipeweave"`
   */
  readonly queue?: string;
  /**
   * Elements per job, when `map` is not given its own `chunkSize`. Larger chunks cost less
   * per element (one job, one round trip each); smaller ones spread better over workers.
   * @defaultValue map's choice: about 8 chunks per worker slot of `capacity`, at most 1024
   */
  readonly chunkSize?: number;
  /**
   * How long the map waits without any sign of progress before it fails with an
   * `ExecutorError`: Redis unreachable (when the map starts, or for this long since it last
   * answered), no worker connected to the queue, or a chunk whose function's `resources`
   * (cpus, memory) no connected worker offers. A chunk a live worker is running is never
   * cut short, however long it takes; one whose worker died goes to another worker. Also how
   * long this run's jobs stay valid after its coordinator is gone.
   * @defaultValue 30000
   */
  readonly timeoutMs?: number;
  /**
   * Worker slots to keep busy (worker processes × their concurrency): `map` keeps twice as
   * many chunks queued, so no worker waits for the coordinator.
   * @defaultValue 8
   */
  readonly capacity?: number;
  /**
   * Store each argument every element reads whole (64 KiB or more serialized) in Redis once
   * per run, for each worker to fetch once and keep, instead of copying it into every job.
   * @defaultValue `true`
   */
  readonly shareWholeInputs?: boolean;
  /**
   * Measure the bytes of every job queued (its JSON data), reported by
   * {@link RedisExecutor.stats}.
   * @defaultValue `false`
   */
  readonly measureBytes?: boolean;
}

/** What a Redis executor has sent, from {@link RedisExecutor.stats}. */
export interface RedisExecutorStats {
  /** Jobs (chunks) queued. */
  readonly chunks: number;
  /** Bytes of the jobs' data, when `measureBytes` is set (else 0). */
  readonly bytesSent: number;
  /** Whole arguments stored in Redis (once per value per map). */
  readonly sharedValues: number;
  /** Their bytes. */
  readonly sharedBytes: number;
  /** Times a worker fetched a shared whole argument: at most once per value per worker. */
  readonly sharedLoads: number;
}

export const DEFAULTS = Object.freeze({ queue: "pipeweave", timeoutMs: 30_000, capacity: 8 });

/** The executor {@link redis} returns. */
export interface RedisExecutor extends Executor {
  readonly name: "redis";
  /** The queue jobs go to. */
  readonly queue: string;
  /** The run id in every job this executor queues (random, one per executor). */
  readonly runId: string;
  /**
   * What this executor has sent so far: jobs, their bytes (with `measureBytes`), and the
   * whole arguments stored for workers and how often a worker fetched one.
   */
  stats(): RedisExecutorStats;
}

/**
 * @throws {@link InvalidOptionError} for an option that cannot work.
 */
export function checkOptions(options: RedisExecutorOptions): void {
  const { queue, chunkSize, timeoutMs, capacity } = options;
  checkConnectionUrl(options.connection);
  if (queue !== undefined && (typeof queue !== "string" || queue === "" || queue.includes(":"))) {
    throw new InvalidOptionError(
      "queue",
      `Expected \`queue\` to be a non-empty name without ":", got ${JSON.stringify(queue)} ` +
        `(${typeof queue}). Leave it out for "${DEFAULTS.queue}".`,
    );
  }
  for (const [name, value] of [
    ["chunkSize", chunkSize],
    ["capacity", capacity],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      throw new InvalidOptionError(
        name,
        `Expected \`${name}\` to be an integer from 1 and up, got \`${String(value)}\` (${typeof value}).`,
      );
    }
  }
  if (timeoutMs !== undefined && !(typeof timeoutMs === "number" && timeoutMs > 0)) {
    throw new InvalidOptionError(
      "timeoutMs",
      `Expected \`timeoutMs\` to be a number of milliseconds above 0, got \`${String(timeoutMs)}\` ` +
        `(${typeof timeoutMs}). Leave it out for ${DEFAULTS.timeoutMs} ms.`,
    );
  }
}
