import { randomBytes } from "node:crypto";
import type { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { assertInstalled, importOptional } from "../_internal/optional-dependency.ts";
import {
  AbortError,
  ExecutorError,
  InvalidOptionError,
  UndeclaredPipelineError,
} from "../errors.ts";
import type { Chunk, Executor, ItemResult } from "../executor/types.ts";
import { type PipelineReference, resolveReference } from "../map/define.ts";
import { defaultConnection, describeConnection, type RedisConnection } from "./address.ts";
import { bounded, openClient, waitReady } from "./connection.ts";
import {
  type ChunkJobData,
  type ChunkJobResult,
  definitionHash,
  JOB_NAME,
  PROTOCOL,
  packItems,
  parseRefusal,
  runKey,
  unpackResults,
} from "./protocol.ts";

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
   * `ExecutorError`: Redis unreachable (when the map starts or later), or none of the queue's
   * jobs held by a live worker. A chunk a live worker is running is never cut short, however
   * long it takes. Also how long this run's jobs stay valid after its coordinator is gone.
   * @defaultValue 30000
   */
  readonly timeoutMs?: number;
  /**
   * Worker slots to keep busy (worker processes × their concurrency): `map` keeps twice as
   * many chunks queued, so no worker waits for the coordinator.
   * @defaultValue 8
   */
  readonly capacity?: number;
}

const DEFAULTS = Object.freeze({ queue: "pipeweave", timeoutMs: 30_000, capacity: 8 });

const BULLMQ = {
  name: "bullmq",
  feature: "The redis executor",
  alternative: 'run the map on "inline" or "threads"',
} as const;

/** A chunk waiting for its results. */
interface Pending {
  readonly node: string;
  /** The coordinator's definition hash, sent with the chunk. */
  readonly hash: string;
  readonly resolve: (results: ItemResult[]) => void;
  readonly reject: (error: unknown) => void;
}

/** A declared pipeline's name and definition hash. */
interface Definition {
  readonly name: string;
  readonly hash: string;
}

/** The open connections: one for commands and the queue, one (BullMQ's) for events. */
interface Session {
  readonly client: Redis;
  readonly queue: Queue;
  readonly events: QueueEvents;
  readonly runKey: string;
}

/**
 * Runs chunks of map elements as BullMQ jobs on worker processes (`runWorker`, or
 * `pipeweave worker`), on this machine or others that reach the same Redis; see {@link redis}.
 */
class RedisChunkExecutor implements Executor {
  readonly name = "redis";
  readonly remote = true;
  readonly isOutOfProcess = true;
  readonly capacity: number;
  readonly chunkSize: number | undefined;
  /** The queue jobs go to. */
  readonly queue: string;
  /**
   * This executor's run id, in every job it queues: workers skip the jobs of a run whose
   * coordinator is gone, and results only ever reach the run that queued them.
   */
  readonly runId = randomBytes(8).toString("hex");
  readonly #connection: RedisConnection;
  readonly #address: string;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, Pending>();
  readonly #definitions = new Map<string, Promise<Definition>>();
  #opening: Promise<Session> | undefined;
  #session: Session | undefined;
  #lastError: Error | undefined;
  #closed = false;
  #seq = 0;
  #ticker: NodeJS.Timeout | undefined;
  /** When Redis last answered. */
  #lastContact = Date.now();
  /** Since when chunks wait and no worker holds any job of the queue. */
  #idleSince: number | undefined;

  /**
   * How long the run stays alive in Redis without a refresh (refreshed 4 times as often):
   * `timeoutMs`, at least a second, so one slow refresh never ends a live run.
   */
  get #runTtl(): number {
    return Math.max(this.#timeoutMs, 1000);
  }

  constructor(options: RedisExecutorOptions) {
    checkOptions(options);
    assertInstalled(BULLMQ);
    this.queue = options.queue ?? DEFAULTS.queue;
    this.chunkSize = options.chunkSize;
    this.capacity = options.capacity ?? DEFAULTS.capacity;
    this.#timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.#connection = options.connection ?? defaultConnection();
    this.#address = describeConnection(this.#connection);
  }

  async submit(chunk: Chunk, signal?: AbortSignal): Promise<ItemResult[]> {
    if (!chunk.pipeline) throw new UndeclaredPipelineError(chunk.node, "redis");
    throwIfAborted(signal);
    const session = await this.#open();
    const { name, hash } = await this.#definitionOf(chunk.pipeline);
    throwIfAborted(signal);
    const { payload, refused } = packItems(chunk);
    if (payload === undefined) return refused;
    const data: ChunkJobData = {
      protocol: PROTOCOL,
      pipeline: name,
      hash,
      run: this.runId,
      node: chunk.node,
      output: chunk.output,
      validate: chunk.validate === true,
      ...(chunk.shape ? { shape: chunk.shape } : {}),
      items: payload,
    };
    const jobId = `${this.runId}.${++this.#seq}`;
    const done = new Promise<ItemResult[]>((resolve, reject) => {
      this.#pending.set(jobId, { node: chunk.node, hash, resolve, reject });
    });
    // Settled by events that may come before the job is added (a closing executor): handled
    // below, not an unhandled rejection meanwhile.
    done.catch(() => undefined);
    this.#idleSince ??= Date.now();
    try {
      await bounded(
        session.queue.add(JOB_NAME, data, {
          jobId,
          attempts: 1,
          removeOnComplete: true,
          removeOnFail: true,
        }),
        this.#timeoutMs,
        `queueing a chunk of "${chunk.node}"`,
      );
    } catch (error) {
      this.#pending.delete(jobId);
      throw this.#unreachable(error);
    }
    const onAbort = () => {
      this.#settle(jobId)?.reject(
        new AbortError(`chunk of "${chunk.node}" on queue "${this.queue}"`, signal!.reason),
      );
      this.#forget([jobId]);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const results = await done;
      return refused.length > 0 ? [...refused, ...results] : results;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#ticker);
    this.#failAll(
      this.#error(
        "was closed while chunks were waiting for workers. Close the executor after the map ends.",
      ),
    );
    const session = await this.#opening?.catch(() => undefined);
    if (!session) return;
    // Closing never waits long: with Redis away, the connections are dropped (and, closed,
    // they stop reconnecting: see #retry).
    const bound = Math.min(this.#timeoutMs, 2000);
    const { client, queue, events } = session;
    // The run is over: workers skip its jobs still queued.
    if (client.status === "ready") {
      await bounded(client.del(session.runKey), bound, "").catch(() => undefined);
    }
    await bounded(Promise.allSettled([events.close(), queue.close()]), bound, "").catch(
      () => undefined,
    );
    client.disconnect();
  }

  /**
   * ioredis's reconnection delay: backing off up to 2 s while the executor is open; none once
   * it is closed, so no connection (BullMQ's copies included) keeps reconnecting after close.
   */
  readonly #retry = (times: number): number | null =>
    this.#closed ? null : Math.min(100 * 2 ** (times - 1), 2000);

  /** Connects once (again after a failed attempt), within `timeoutMs`. */
  #open(): Promise<Session> {
    if (this.#closed) {
      return Promise.reject(this.#error("is closed. Make a new one with redis({ ... })."));
    }
    if (this.#session) return Promise.resolve(this.#session);
    this.#opening ??= this.#connect().then(
      (session) => {
        this.#session = session;
        return session;
      },
      (error: unknown) => {
        this.#opening = undefined;
        throw error;
      },
    );
    return this.#opening;
  }

  async #connect(): Promise<Session> {
    const { Queue, QueueEvents } = await importOptional(BULLMQ, () => import("bullmq"));
    const t = this.#timeoutMs;
    const client = openClient(this.#connection, {
      connectTimeout: t,
      retryStrategy: this.#retry,
      // A command fails after one retry instead of waiting for the server (ioredis's 20).
      maxRetriesPerRequest: 1,
    });
    client.on("error", (error: Error) => {
      this.#lastError = error;
    });
    let queue: Queue | undefined;
    let events: QueueEvents | undefined;
    try {
      await waitReady(client, t, () => this.#lastError);
      queue = new Queue(this.queue, { connection: client });
      queue.on("error", (error: Error) => {
        this.#lastError = error;
      });
      await bounded(queue.waitUntilReady(), t, "from the queue");
      const key = runKey((type) => queue!.toKey(type), this.runId);
      await bounded(client.set(key, "1", "PX", this.#runTtl), t, "marking the run alive");
      // Events are read from the stream's present end, so no result of ours can be missed
      // however long the events connection takes to start.
      const last = await bounded(
        client.xrevrange(queue.keys.events!, "+", "-", "COUNT", 1),
        t,
        "reading the events stream",
      );
      events = new QueueEvents(this.queue, {
        // BullMQ makes its own blocking connection from this one (and closes it).
        connection: client.duplicate({ maxRetriesPerRequest: null, lazyConnect: true }),
        lastEventId: last[0]?.[0] ?? "0-0",
      });
      events.on("error", (error: Error) => {
        this.#lastError = error;
      });
      events.on("completed", ({ jobId, returnvalue }) => this.#completed(jobId, returnvalue));
      events.on("failed", ({ jobId, failedReason }) => this.#failed(jobId, failedReason));
      await bounded(events.waitUntilReady(), t, "from the events connection");
      this.#lastContact = Date.now();
      this.#schedule();
      return { client, queue, events, runKey: key };
    } catch (error) {
      // Bounded: BullMQ's disconnect waits for a connection that may never come.
      const bound = Math.min(t, 2000);
      await bounded(Promise.allSettled([events?.close(), queue?.close()]), bound, "").catch(
        () => undefined,
      );
      client.disconnect();
      throw this.#unreachable(error);
    }
  }

  #completed(jobId: string, value: unknown): void {
    const pending = this.#settle(jobId);
    if (!pending) return;
    const result = value as ChunkJobResult;
    if (result?.kind === "results") {
      try {
        pending.resolve(unpackResults(result.results, { host: result.host, pid: result.pid }));
      } catch (error) {
        pending.reject(
          this.#error(
            `received results of "${pending.node}" it cannot read from worker ${result.host} ` +
              `pid ${result.pid}. Run workers of the same pipeweave version as the coordinator.`,
            { cause: error },
          ),
        );
      }
      return;
    }
    pending.reject(
      this.#error(
        `lost chunks of "${pending.node}": worker ${result?.host} pid ${result?.pid} skipped ` +
          "them because this run's heartbeat in Redis lapsed (Redis was unreachable from here " +
          "for longer than timeoutMs). Resume the map with { resume: true }.",
      ),
    );
  }

  #failed(jobId: string, reason: unknown): void {
    const pending = this.#settle(jobId);
    if (!pending) return;
    const refusal = parseRefusal(reason);
    if (refusal?.reason === "version") {
      const coordinator = pending.hash;
      pending.reject(
        this.#error(
          `sent "${pending.node}" to worker ${refusal.host} pid ${refusal.pid}, which runs another ` +
            `version of the pipeline: its definition hash is ${refusal.workerHash}, the ` +
            `coordinator's is ${coordinator}. Restart the workers with the same version of the ` +
            "code as the coordinator (or give each version its own queue); no result of theirs was used.",
          {
            hashes: { coordinator, worker: refusal.workerHash },
            worker: `${refusal.host} pid ${refusal.pid}`,
          },
        ),
      );
      return;
    }
    if (refusal) {
      pending.reject(
        this.#error(`sent "${pending.node}" to a worker that refused it: ${refusal.message}`, {
          worker: `${refusal.host} pid ${refusal.pid}`,
        }),
      );
      return;
    }
    const text = String(reason).replace(/\.$/, "");
    const hint = /stalled/i.test(text)
      ? " The workers that ran it died (out of memory, killed, an element that exits the " +
        "process), or blocked their event loop past the lock duration."
      : "";
    pending.reject(
      this.#error(
        `ran a chunk of "${pending.node}" that the workers failed: ${text}.${hint} Fix the cause ` +
          "and resume the map with { resume: true }.",
      ),
    );
  }

  /** The declared pipeline's name and definition hash, worked out once per pipeline. */
  #definitionOf(ref: PipelineReference): Promise<Definition> {
    const key = `${ref.module}#${ref.name}`;
    let definition = this.#definitions.get(key);
    if (!definition) {
      definition = resolveReference(ref).then(
        (pipeline) => ({ name: pipeline.name, hash: definitionHash(pipeline) }),
        (error: unknown) => {
          throw this.#error(
            `cannot load pipeline "${ref.name}" from ${ref.module} to hash its definition: ` +
              `${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
        },
      );
      this.#definitions.set(key, definition);
    }
    return definition;
  }

  /** Takes a pending chunk out of the table (undefined when it is not ours or settled). */
  #settle(jobId: string): Pending | undefined {
    const pending = this.#pending.get(jobId);
    if (!pending) return undefined;
    this.#pending.delete(jobId);
    this.#lastContact = Date.now();
    this.#idleSince = this.#pending.size > 0 ? Date.now() : undefined;
    return pending;
  }

  #failAll(error: ExecutorError): void {
    const ids = [...this.#pending.keys()];
    for (const id of ids) this.#settle(id)?.reject(error);
    this.#forget(ids);
  }

  /** Removes queued jobs nobody waits for any more (best effort: a running one stays). */
  #forget(ids: readonly string[]): void {
    const session = this.#session;
    if (!session || ids.length === 0) return;
    for (const id of ids) {
      bounded(session.queue.remove(id), this.#timeoutMs, "removing a job").catch(() => undefined);
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    const every = Math.max(100, Math.min(5000, Math.floor(this.#timeoutMs / 4)));
    this.#ticker = setTimeout(() => {
      void this.#tick().finally(() => this.#schedule());
    }, every);
    // Waiting chunks keep the process alive through their promises, not through this timer.
    this.#ticker.unref();
  }

  /**
   * Keeps the run alive in Redis and watches for a map that cannot progress: Redis away, or
   * chunks waiting while no worker holds any job of the queue (none started, all dead).
   */
  async #tick(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    const { client, queue } = session;
    const t = this.#timeoutMs;
    const now = Date.now();
    try {
      await bounded(client.set(session.runKey, "1", "PX", this.#runTtl), t, "refreshing the run");
      let busy = false;
      if (this.#pending.size > 0) {
        const active = await bounded(client.lrange(queue.keys.active!, 0, 99), t, "");
        if (active.length > 0) {
          const locks = client.pipeline();
          for (const id of active) locks.exists(`${queue.toKey(id)}:lock`);
          const found = (await bounded(locks.exec(), t, "")) ?? [];
          busy = found.some(([error, n]) => error === null && n === 1);
        }
      }
      this.#lastContact = Date.now();
      if (this.#pending.size === 0 || busy) this.#idleSince = undefined;
      else this.#idleSince ??= now;
      if (this.#idleSince !== undefined && now - this.#idleSince > t) {
        this.#idleSince = undefined;
        this.#failAll(
          this.#error(
            `has had chunks waiting for more than ${t} ms (timeoutMs) while no worker held any ` +
              "job of the queue. Start workers on it " +
              `(pipeweave worker <module>#<export> --redis ${this.#address} --queue ${this.queue}), ` +
              "or raise timeoutMs; resume the map with { resume: true }.",
          ),
        );
      }
    } catch (error) {
      if (now - this.#lastContact > t) {
        this.#lastContact = now;
        this.#failAll(this.#unreachable(error));
      }
    }
  }

  /** The error for Redis not answering. */
  #unreachable(error: unknown): ExecutorError {
    if (error instanceof ExecutorError) return error;
    const message = error instanceof Error ? error.message : String(error);
    const reason =
      this.#lastError && message !== this.#lastError.message
        ? `${message.replace(/\.$/, "")}; last connection error: ${this.#lastError.message}`
        : message;
    return this.#error(
      `cannot work: Redis at ${this.#address} is unreachable (${reason.replace(/\.$/, "")}). ` +
        "Check that the server runs and the connection (REDIS_URL or the connection option) is " +
        "right; what was stored is kept, and { resume: true } finishes the run.",
      { cause: error },
    );
  }

  #error(
    text: string,
    options: {
      readonly hashes?: { readonly coordinator: string; readonly worker: string };
      readonly worker?: string;
      readonly cause?: unknown;
    } = {},
  ): ExecutorError {
    return new ExecutorError(this.name, `The redis executor (queue "${this.queue}") ${text}`, {
      queue: this.queue,
      ...options,
    });
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError("a chunk on the redis executor", signal.reason);
}

function checkOptions(options: RedisExecutorOptions): void {
  const { queue, chunkSize, timeoutMs, capacity } = options;
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

/** The executor {@link redis} returns. */
export interface RedisExecutor extends Executor {
  readonly name: "redis";
  /** The queue jobs go to. */
  readonly queue: string;
  /** The run id in every job this executor queues (random, one per executor). */
  readonly runId: string;
}

/**
 * An executor that runs map elements on worker processes through Redis (BullMQ): each chunk
 * of elements is one job; any number of workers (`pipeweave worker <module>#<export> --redis
 * URL`, or {@link runWorker}) on any machine that reaches the Redis take them, and results
 * return to this process, which stores them (so workers need Redis and the code, not the run
 * folder). A worker killed mid-chunk loses nothing: BullMQ gives the chunk to another worker
 * once its lock expires, and each element is stored once. Workers whose pipeline differs
 * (another definition hash) refuse the jobs, and the map fails with an `ExecutorError`.
 *
 * The pipeline must be declared with `definePipeline`, and loaded the same way on both sides
 * (tsx on both, or the same built JavaScript): the hash covers functions' source text as the
 * runtime prints it. Close the executor when done.
 *
 * @param options - Connection, queue, chunk size, timeout and capacity.
 * @returns The executor, for `map(inputs, { executor })` (or per function).
 * @throws {@link InvalidOptionError} for an option that cannot work.
 * @throws {@link MissingDependencyError} when bullmq is not installed.
 * @example
 * ```ts
 * import { redis } from "pipeweave/redis";
 * const executor = redis({ connection: "redis://127.0.0.1:6379", queue: "sweep" });
 * try {
 *   await pipeline.map(inputs, { executor, runFolder: "runs/sweep" });
 * } finally {
 *   await executor.close();
 * }
 * ```
 */
export function redis(options: RedisExecutorOptions = {}): RedisExecutor {
  return new RedisChunkExecutor(options);
}
