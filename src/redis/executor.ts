import { randomBytes } from "node:crypto";
import type { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { assertInstalled, importOptional } from "../_internal/optional-dependency.ts";
import {
  AbortError,
  type ErrorMessage,
  ExecutorError,
  UndeclaredPipelineError,
} from "../errors.ts";
import { describeElements } from "../executor/describe-elements.ts";
import type { Chunk, Executor, ItemResult } from "../executor/types.ts";
import { type PipelineReference, resolveReference } from "../map/define.ts";
import { unravelIndex } from "../map/ndarray.ts";
import { defaultConnection, describeConnection, type RedisConnection } from "./address.ts";
import { bounded, openClient, waitReady } from "./connection.ts";
import {
  checkOptions,
  DEFAULTS,
  type RedisExecutor,
  type RedisExecutorOptions,
  type RedisExecutorStats,
} from "./executor-options.ts";
import {
  type ChunkJobData,
  type ChunkJobResult,
  type ChunkNeeds,
  definitionHash,
  describeNeeds,
  fits,
  JOB_NAME,
  needsOf,
  PROTOCOL,
  packItems,
  parseRefusal,
  resultKey,
  runKey,
  sharedKey,
  sizeOfWorker,
  unpackResults,
} from "./protocol.ts";

/** The longest pause between two checks on Redis and the workers. */
const TICK_MAX_MS = 2000;
/** The least time a call to Redis gets, however late a check runs. */
const MIN_REPLY_MS = 250;
/**
 * How long a job's worker must be missing from Redis's clients before its lock is released:
 * longer than a live worker takes to reconnect after a dropped connection (ioredis backs off
 * up to 2 s).
 */
const GONE_AFTER_MS = 3000;
/**
 * How long BullMQ's events reader blocks per read. With Redis lost, a read waits this plus a
 * second before BullMQ gives it up, and that wait keeps the process alive after close().
 */
const EVENTS_BLOCK_MS = 500;
/** The least time workers keep a chunk's results for the coordinator. */
const MIN_KEEP_MS = 60_000;
/**
 * Releases a job's lock if it is still the token seen and the job still names the worker
 * seen as its holder (another worker may have taken it since).
 */
const RELEASE_LOCK = `
if redis.call("GET", KEYS[1]) == ARGV[1] and redis.call("HGET", KEYS[2], "pb") == ARGV[2] then
  return redis.call("DEL", KEYS[1])
end
return 0`;

const BULLMQ = {
  name: "bullmq",
  feature: "The redis executor",
  alternative: 'run the map on "inline" or "threads"',
} as const;

/** A chunk waiting for its results. */
interface Pending {
  readonly node: string;
  /** The linear indexes of the chunk's elements sent, and the map's shape, to name them. */
  readonly elements: readonly number[];
  readonly shape: readonly number[] | undefined;
  /** The coordinator's definition hash, sent with the chunk. */
  readonly hash: string;
  /** What each element needs of a worker, when anything. */
  readonly needs: ChunkNeeds | undefined;
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
  /** Why the last check failed, until one succeeds. */
  #silence: unknown;
  /** Since when chunks wait and no worker is connected to the queue. */
  #idleSince: number | undefined;
  /** Jobs of this run whose worker is missing from Redis's clients: the token and since when. */
  readonly #orphans = new Map<string, { readonly token: string; readonly since: number }>();
  /** Jobs of this run whose dead worker's lock was released, with that worker's name. */
  readonly #released = new Map<string, string>();
  /** The names of the workers connected to the queue at the last check (where Redis lists them). */
  #workers: readonly string[] | undefined;
  /** Jobs of this run that no connected worker fits, and since when. */
  readonly #unfitSince = new Map<string, number>();
  readonly #share: boolean;
  readonly #measure: boolean;
  /** Whole arguments serialized, by id (null: sent in the jobs). */
  readonly #sharedMemory = new Map<string, Uint8Array | null>();
  /** The keys shared arguments are stored under: refreshed with the run, deleted by close. */
  readonly #sharedKeys = new Set<string>();
  #stats = { chunks: 0, bytesSent: 0, sharedValues: 0, sharedBytes: 0, sharedLoads: 0 };

  /**
   * How long the run stays alive in Redis without a refresh (refreshed 4 times as often):
   * `timeoutMs`, at least a second, so one slow refresh never ends a live run.
   */
  get #runTtl(): number {
    return Math.max(this.#timeoutMs, 1000);
  }

  /** How often Redis and the workers are checked on. */
  get #every(): number {
    return Math.max(100, Math.min(TICK_MAX_MS, Math.floor(this.#timeoutMs / 4)));
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
    this.#share = options.shareWholeInputs ?? true;
    this.#measure = options.measureBytes ?? false;
  }

  stats(): RedisExecutorStats {
    return { ...this.#stats };
  }

  async submit(chunk: Chunk, signal?: AbortSignal): Promise<ItemResult[]> {
    if (!chunk.pipeline) throw new UndeclaredPipelineError(chunk.node, "redis");
    throwIfAborted(signal);
    const session = await this.#open();
    const { name, hash } = await this.#definitionOf(chunk.pipeline);
    throwIfAborted(signal);
    const { payload, refused, shared, made } = packItems(
      chunk,
      this.#share ? this.#sharedMemory : undefined,
    );
    if (payload === undefined) return refused;
    for (const { id, bytes } of made) await this.#storeShared(session, id, bytes!);
    const unsent = new Set(refused.map((r) => r.index));
    const elements = chunk.items.map((item) => item.index).filter((i) => !unsent.has(i));
    const needs = needsOf(chunk.resources);
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
      // Read at once by a live coordinator (or after a shorter outage than its timeoutMs).
      keepMs: Math.max(2 * this.#runTtl, MIN_KEEP_MS),
      ...(needs ? { needs } : {}),
      ...(shared.length > 0 ? { shared } : {}),
      ...(chunk.trace ? { trace: chunk.trace } : {}),
    };
    this.#stats.chunks++;
    if (this.#measure) this.#stats.bytesSent += Buffer.byteLength(JSON.stringify(data));
    const jobId = `${this.runId}.${++this.#seq}`;
    const done = new Promise<ItemResult[]>((resolve, reject) => {
      this.#pending.set(jobId, {
        node: chunk.node,
        elements,
        shape: chunk.shape,
        hash,
        needs,
        resolve,
        reject,
      });
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

  /** Stores a whole argument for the run's workers, alive as long as the run's key. */
  async #storeShared(session: Session, id: string, bytes: Uint8Array): Promise<void> {
    const key = sharedKey((type) => session.queue.toKey(type), this.runId, id);
    try {
      await bounded(
        session.client.set(
          key,
          Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
          "PX",
          this.#runTtl,
        ),
        this.#timeoutMs,
        "storing an argument every element reads",
      );
    } catch (error) {
      this.#sharedMemory.delete(id);
      throw this.#unreachable(error);
    }
    // Workers read it from Redis: only its id need stay here.
    this.#sharedMemory.set(id, new Uint8Array(0));
    this.#sharedKeys.add(key);
    this.#stats.sharedValues++;
    this.#stats.sharedBytes += bytes.length;
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
    const { client, queue, events } = session;
    if (client.status === "ready") {
      // Closing never waits long, even for a server that stops answering now.
      const bound = Math.min(this.#timeoutMs, 2000);
      // The run is over: workers skip its jobs still queued.
      await bounded(client.del(session.runKey, ...this.#sharedKeys), bound, "").catch(
        () => undefined,
      );
      await bounded(Promise.allSettled([events.close(), queue.close()]), bound, "").catch(
        () => undefined,
      );
    } else {
      // Redis is away: a graceful close would wait for it. These drop the connections (which,
      // closed, stop reconnecting: see #retry) without waiting for a reply that cannot come.
      events.close().catch(() => undefined);
      queue.close().catch(() => undefined);
    }
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
        blockingTimeout: EVENTS_BLOCK_MS,
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
    if (result?.kind === "stored") {
      this.#stats.sharedLoads += result.loaded ?? 0;
      void this.#fetch(jobId, pending, result);
      return;
    }
    pending.reject(
      this.#error(
        (o) =>
          `lost chunks of "${pending.node}": worker ${result?.host} pid ${result?.pid} skipped ` +
          "them because this run's heartbeat in Redis lapsed (Redis was unreachable from here " +
          `for longer than ${o("timeoutMs")}). Resume the map with ${o("resume", true)}.`,
      ),
    );
  }

  /** Reads a completed chunk's results and deletes them from Redis. */
  async #fetch(
    jobId: string,
    pending: Pending,
    from: { readonly host: string; readonly pid: number },
  ): Promise<void> {
    const { client, queue } = this.#session!;
    const key = resultKey((type) => queue.toKey(type), jobId);
    let bytes: Buffer | null | undefined;
    try {
      const replies = await bounded(
        client.multi().getBuffer(key).del(key).exec(),
        this.#timeoutMs,
        "fetching a chunk's results",
      );
      const [error, value] = replies?.[0] ?? [new Error("the transaction was discarded"), null];
      if (error) throw error;
      bytes = value as Buffer | null;
    } catch (error) {
      pending.reject(this.#unreachable(error));
      return;
    }
    const worker = `worker ${from.host} pid ${from.pid}`;
    if (!bytes) {
      pending.reject(
        this.#error(
          (o) =>
            `found no results of the chunk of "${pending.node}" that ${worker} ran: the worker ` +
            "could not store them (see its log), or they expired before this coordinator read " +
            `them. Resume the map with ${o("resume", true)}.`,
        ),
      );
      return;
    }
    try {
      pending.resolve(unpackResults(bytes, from));
    } catch (error) {
      pending.reject(
        this.#error(
          `received results of "${pending.node}" it cannot read from ${worker}. Run workers ` +
            "of the same pipeweave version as the coordinator.",
          { cause: error },
        ),
      );
    }
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
    const elements = describeElements(pending.elements, pending.shape);
    const fields = { node: pending.node, elements: this.#indexes(pending) };
    if (/stalled/i.test(text)) {
      pending.reject(
        this.#error(
          (o) =>
            `lost the workers that ran ${elements} of "${pending.node}" more times than their ` +
            `maxStalledCount allows (${text}): each died mid-chunk (killed, out of memory, an ` +
            "element that exits the process) or blocked its event loop past its " +
            `${o("lockDuration")}. Run those elements inline to see what they do, fix it, and ` +
            `resume the map with ${o("resume", true)}.`,
          fields,
        ),
      );
      return;
    }
    pending.reject(
      this.#error(
        (o) =>
          `ran ${elements} of "${pending.node}", which the workers failed: ${text}. Fix the ` +
          `cause and resume the map with ${o("resume", true)}.`,
        fields,
      ),
    );
  }

  /** A pending chunk's element indexes, as the map's outputs index them. */
  #indexes(pending: Pending): number[][] {
    const { shape } = pending;
    return pending.elements.map((i) => (shape ? unravelIndex(shape, i) : [i]));
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
    this.#orphans.delete(jobId);
    this.#released.delete(jobId);
    this.#unfitSince.delete(jobId);
    return pending;
  }

  #failAll(error: ExecutorError): void {
    const ids = [...this.#pending.keys()];
    for (const id of ids) this.#settle(id)?.reject(error);
    this.#forget(ids);
  }

  /**
   * Removes queued jobs nobody waits for any more (best effort: a running one stays). Not
   * awaited nor timed, so that nothing keeps the process alive for it.
   */
  #forget(ids: readonly string[]): void {
    const session = this.#session;
    if (!session || ids.length === 0 || session.client.status !== "ready") return;
    for (const id of ids) session.queue.remove(id).catch(() => undefined);
  }

  #schedule(delay = this.#every): void {
    if (this.#closed) return;
    this.#ticker = setTimeout(() => {
      void this.#tick().then((next) => this.#schedule(next));
    }, delay);
    // Waiting chunks keep the process alive through their connections, not through this timer.
    this.#ticker.unref();
  }

  /**
   * Keeps the run alive in Redis and watches for a map that cannot progress: Redis away for
   * `timeoutMs` since it last answered, or chunks waiting while no worker is connected to the
   * queue for `timeoutMs`.
   *
   * @returns How long to wait before the next check.
   */
  async #tick(): Promise<number> {
    const session = this.#session;
    if (!session) return this.#every;
    const t = this.#timeoutMs;
    const silent = () => Date.now() - this.#lastContact;
    // The last check failed and Redis has not answered since, for timeoutMs now.
    if (this.#silence !== undefined && silent() >= t) return this.#lost(this.#silence);
    // Each call gets what is left of timeoutMs since Redis last answered (a little more where a
    // check runs late), so that a lost Redis fails the map timeoutMs after its last answer.
    const left = () => Math.max(t - silent(), MIN_REPLY_MS);
    try {
      const { client } = session;
      await bounded(
        client.set(session.runKey, "1", "PX", this.#runTtl),
        left(),
        "refreshing the run",
      );
      // The shared arguments live as long as the run.
      for (const key of this.#sharedKeys) {
        await bounded(client.pexpire(key, this.#runTtl), left(), "refreshing the run");
      }
      this.#lastContact = Date.now();
      this.#silence = undefined;
      if (this.#pending.size === 0) {
        this.#idleSince = undefined;
        return this.#every;
      }
      const busy = await this.#watchWorkers(session, left);
      const now = Date.now();
      this.#lastContact = now;
      if (busy) this.#idleSince = undefined;
      else this.#idleSince ??= now;
      if (this.#idleSince !== undefined && now - this.#idleSince > t) {
        this.#idleSince = undefined;
        this.#failAll(this.#noWorker());
      }
      this.#failUnfit(now);
      return this.#every;
    } catch (error) {
      if (silent() >= t) return this.#lost(error);
      // Check again when the time is up, not a whole period later.
      this.#silence = error;
      return Math.min(this.#every, t - silent());
    }
  }

  /** Fails the waiting chunks: Redis has not answered for timeoutMs. */
  #lost(error: unknown): number {
    this.#silence = undefined;
    this.#lastContact = Date.now();
    this.#failAll(this.#unreachable(error));
    return this.#every;
  }

  /**
   * Whether any worker can run the waiting chunks: one connected to the queue (its connection
   * stays open while its process lives, however long an element blocks it), a job lock held,
   * or a stalled check run lately (where Redis does not list its clients). Releases the lock of
   * a chunk of this run whose worker's connection is gone, so that BullMQ's stalled check puts
   * it back in the queue now, not once the lock expires.
   */
  async #watchWorkers(session: Session, left: () => number): Promise<boolean> {
    const { client, queue } = session;
    const active = await bounded(client.lrange(queue.keys.active!, 0, 199), left(), "");
    const reads = client.pipeline().exists(queue.keys["stalled-check"]!);
    for (const id of active) reads.get(`${queue.toKey(id)}:lock`).hget(queue.toKey(id), "pb");
    const replies = (await bounded(reads.exec(), left(), "")) ?? [];
    const value = (k: number) => (replies[k]?.[0] ? null : replies[k]?.[1]);
    // Where Redis does not list its clients, BullMQ answers with one nameless entry; where
    // its ACL forbids it, with an error.
    const clients = await bounded(queue.getWorkers(), left(), "").catch(() => undefined);
    const listed = clients?.every((c) => typeof c.rawname === "string") ?? false;
    // Each is "<prefix>:<queue in base64>:w:<worker's name>" (workers name themselves).
    const alive = new Set(clients?.map((c) => String(c.rawname).split(":w:")[1]));
    this.#workers = listed ? [...alive].filter((n): n is string => n !== undefined) : undefined;
    let busy = listed ? clients!.length > 0 : value(0) === 1;
    const now = Date.now();
    const seen = new Set<string>();
    for (const [k, id] of active.entries()) {
      const token = value(1 + 2 * k);
      const holder = value(2 + 2 * k);
      if (typeof token === "string") busy = true;
      if (!(listed && typeof holder === "string" && this.#pending.has(id)) || alive.has(holder)) {
        continue;
      }
      // A chunk of this run whose worker's connection is gone: the worker died.
      if (typeof token !== "string") {
        this.#released.set(id, holder);
        continue;
      }
      seen.add(id);
      const orphan = this.#orphans.get(id);
      if (orphan?.token !== token) {
        this.#orphans.set(id, { token, since: now });
      } else if (now - orphan.since >= GONE_AFTER_MS) {
        const job = queue.toKey(id);
        await bounded(client.eval(RELEASE_LOCK, 2, `${job}:lock`, job, token, holder), left(), "");
        this.#released.set(id, holder);
      }
    }
    for (const id of this.#orphans.keys()) if (!seen.has(id)) this.#orphans.delete(id);
    return busy;
  }

  /**
   * Fails each waiting chunk that no connected worker fits (each declines it: it needs more
   * cpus or memory than the worker's `--cpus`/`--memory`) once that has lasted `timeoutMs`,
   * naming what it needs and what the workers offer. Where Redis does not list its clients,
   * the workers' sizes are unknown and nothing is failed.
   */
  #failUnfit(now: number): void {
    const workers = this.#workers?.map((name) => ({ name, size: sizeOfWorker(name) }));
    for (const [id, pending] of this.#pending) {
      const { needs } = pending;
      // A worker of unknown size may fit; none at all is the no-worker error's case.
      if (!needs || !workers?.length || workers.some((w) => !w.size || fits(needs, w.size))) {
        this.#unfitSince.delete(id);
        continue;
      }
      const since = this.#unfitSince.get(id);
      if (since === undefined) this.#unfitSince.set(id, now);
      else if (now - since > this.#timeoutMs) {
        const sizes = workers
          .map((w) => `${describeWorker(w.name)} offers ${describeNeeds(w.size!)}`)
          .join("; ");
        this.#settle(id)?.reject(
          this.#error(
            (o) =>
              `has had ${describeElements(pending.elements, pending.shape)} of ` +
              `"${pending.node}", which need ${describeNeeds(needs)} each, waiting for more ` +
              `than ${this.#timeoutMs} ms (${o("timeoutMs")}) while no connected worker fits ` +
              `them (${sizes}). Start a worker that does (pipeweave worker <module>#<export> ` +
              `--queue ${this.queue}${needs.cpus === undefined ? "" : ` --cpus ${needs.cpus}`}` +
              `${needs.memoryMb === undefined ? "" : ` --memory ${needs.memoryMb}MB`}), or lower ` +
              `the function's resources; resume the map with ${o("resume", true)}.`,
            { node: pending.node, elements: this.#indexes(pending) },
          ),
        );
        this.#forget([id]);
      }
    }
  }

  /** The error for chunks waiting while no worker is connected to the queue. */
  #noWorker(): ExecutorError {
    const t = this.#timeoutMs;
    const lost = [...this.#released]
      .flatMap(([id, holder]) => {
        const pending = this.#pending.get(id);
        if (!pending) return [];
        const elements = describeElements(pending.elements, pending.shape);
        return [`worker ${describeWorker(holder)} died running ${elements} of "${pending.node}"`];
      })
      .join("; ");
    return this.#error(
      (o) =>
        `has had chunks waiting for more than ${t} ms (${o("timeoutMs")}) while no worker was ` +
        `connected to the queue${lost ? ` (${lost})` : ""}. Start workers on it ` +
        `(pipeweave worker <module>#<export> --redis ${this.#address} --queue ${this.queue}), ` +
        `or raise ${o("timeoutMs")}; resume the map with ${o("resume", true)}.`,
    );
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
      (o) =>
        `cannot work: Redis at ${this.#address} is unreachable (${reason.replace(/\.$/, "")}). ` +
        `Check that the server runs and the connection (REDIS_URL or the ${o("connection")} option) is ` +
        `right; what was stored is kept, and ${o("resume", true)} finishes the run.`,
      { cause: error },
    );
  }

  #error(
    text: ErrorMessage,
    options: {
      readonly hashes?: { readonly coordinator: string; readonly worker: string };
      readonly worker?: string;
      readonly node?: string;
      readonly elements?: readonly (readonly number[])[];
      readonly cause?: unknown;
    } = {},
  ): ExecutorError {
    const head = `The redis executor (queue "${this.queue}") `;
    const message: ErrorMessage =
      typeof text === "string" ? head + text : (name) => head + text(name);
    return new ExecutorError(this.name, message, { queue: this.queue, ...options });
  }
}

/** A worker's name (`<host>:<pid>:<random>`, see runWorker) as messages say it. */
function describeWorker(name: string): string {
  const parts = name.split(":");
  return parts.length >= 3 ? `${parts.slice(0, -2).join(":")} pid ${parts.at(-2)}` : name;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError("a chunk on the redis executor", signal.reason);
}

/**
 * An executor that runs map elements on worker processes through Redis (BullMQ): each chunk
 * of elements is one job; any number of workers (`pipeweave worker <module>#<export> --redis
 * URL`, or {@link runWorker}) on any machine that reaches the Redis take them, and results
 * return to this process, which stores them (so workers need Redis and the code, not the run
 * folder). A worker killed mid-chunk loses nothing: its connection to Redis closes, this
 * executor releases its chunk and BullMQ's stalled check gives it to another worker (about
 * 10 s after the death with the workers' defaults), and each element is stored once. Workers
 * whose pipeline differs (another definition hash) refuse the jobs, and the map fails with an
 * `ExecutorError`.
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
