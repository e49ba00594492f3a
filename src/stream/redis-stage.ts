/**
 * A stream stage whose handler runs on `pipeweave worker` processes through BullMQ
 * (`pool({ workers, redis: { connection, queue } })`). Each attempt at an item is one job;
 * the stage's workers each wait for their job, so no more than `workers` items are ever out
 * on Redis, however fast the source. Retries, timeouts, order, rate limits and the breaker
 * stay on this side, unchanged; only the handler's call travels.
 */

import { randomUUID } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import type { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { importOptional } from "../_internal/optional-dependency.ts";
import { ExecutorError, UnclonableValueError } from "../errors.ts";
import { describeKind, describeUnclonable } from "../executor/clone.ts";
import type { TraceCarrier } from "../otel/carrier.ts";
import { carriedTrace } from "../otel/continue-trace.ts";
import { defaultConnection, describeConnection, type RedisConnection } from "../redis/address.ts";
import { handlerReference } from "./define-handler.ts";
import type { HandlerOutcome } from "./handler-worker.ts";
import { settleOutcome } from "./outcome.ts";
import { Err } from "./result.ts";
import type { RunControl } from "./run-stage.ts";
import { SKIP } from "./skip.ts";
import type { Handler, Stage, StageKind } from "./stage.ts";

/** Where a Redis stage's jobs go (`pool({ redis })`). */
export interface RedisStageOptions {
  /**
   * Where Redis is: a URL or ioredis options.
   * @defaultValue `process.env.REDIS_URL`, else `"redis://127.0.0.1:6379"`
   */
  readonly connection?: RedisConnection;
  /**
   * The BullMQ queue the stage's jobs go to; `pipeweave worker <module>#<handler> --queue`
   * serves it. Give each stage its own queue. @defaultValue `"pipeweave-stream"`
   */
  readonly queue?: string;
  /** How long to wait for Redis when the stage starts, before the run fails. @defaultValue 30000 */
  readonly timeoutMs?: number;
}

/** A Redis stage's settled options. */
export interface ResolvedRedisStage {
  readonly connection: RedisConnection;
  readonly queue: string;
  readonly timeoutMs: number;
}

/** The BullMQ job name of one attempt at one item. */
export const STAGE_JOB = "pipeweave-stage-item";
/** The format of {@link StageJobData}; a worker refuses jobs of another. */
export const STAGE_PROTOCOL = 1;

/** One attempt at one item, as a job. */
export interface StageJobData {
  readonly protocol: number;
  /** The handler's declared name (`defineHandler(url, name, …)`). */
  readonly handler: string;
  readonly stage: string;
  /** The stage run, so a worker keeps one `WorkerState` per run. */
  readonly run: string;
  readonly attempt: number;
  /** The item, v8-serialised, base64. */
  readonly item: string;
  /** The attempt's span, which the handler's own spans continue, when the run is traced. */
  readonly trace?: TraceCarrier;
}

const DEFAULTS = Object.freeze({ queue: "pipeweave-stream", timeoutMs: 30_000 });

/** Merges `options` over the defaults. */
export function resolveRedisStage(options: RedisStageOptions): ResolvedRedisStage {
  return {
    connection: options.connection ?? defaultConnection(),
    queue: options.queue ?? DEFAULTS.queue,
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
  };
}

interface Session {
  readonly client: Redis;
  readonly queue: Queue;
  readonly events: QueueEvents;
}

interface Waiting {
  readonly resolve: (bytes: string) => void;
  readonly reject: (error: unknown) => void;
}

/** A stage whose handlers call out to Redis workers, and the way to let the connections go. */
export interface RemoteStage {
  readonly stage: Stage<unknown, unknown>;
  readonly close: () => Promise<void>;
}

/**
 * Returns `stage` with each handler replaced by a job on the stage's queue, answered by a
 * `pipeweave worker` process serving the module that declared the handler. The connection
 * opens with the first item; a run that cannot reach Redis within `timeoutMs` fails. A
 * traced run's span for each call is made on this side, around the job, so its time includes
 * the queue's wait and the trips to Redis and back.
 */
export function startRedisStage(
  stage: Stage<unknown, unknown>,
  name: string,
  control: RunControl,
  options: ResolvedRedisStage,
): RemoteStage {
  const run = randomUUID();
  const waiting = new Map<string, Waiting>();
  let closed = false;
  let lastError: Error | undefined;
  let opening: Promise<Session> | undefined;
  let withdrawing: Promise<unknown> = Promise.resolve();
  const failAll = (error: unknown) => {
    const ids = [...waiting.keys()];
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
    // A job no worker has taken yet is taken off the queue: a cancelled run's items must not
    // run later (an API called, a mail sent). One a worker holds is locked and stays; its
    // answer is ignored.
    if (ids.length > 0 && opening) {
      const session = opening;
      withdrawing = Promise.all([
        withdrawing,
        session
          .then(({ queue }) => Promise.allSettled(ids.map((id) => queue.remove(id))))
          .catch(() => undefined),
      ]);
    }
  };
  control.onCancel(() => failAll(control.signal.reason));
  const open = (): Promise<Session> => {
    opening ??= connect();
    return opening;
  };
  const connect = async (): Promise<Session> => {
    const { Queue, QueueEvents } = await importOptional(
      { name: "bullmq", feature: "A stream stage on Redis workers" },
      () => import("bullmq"),
    );
    // Loaded here, with ioredis: `import "pipeweave"` loads neither.
    const { bounded, openClient, waitReady } = await import("../redis/connection.ts");
    const t = options.timeoutMs;
    const client = openClient(options.connection, {
      connectTimeout: t,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => (closed ? null : Math.min(100 * 2 ** (times - 1), 2000)),
    });
    client.on("error", (error: Error) => {
      lastError = error;
    });
    try {
      await waitReady(client, t, () => lastError);
      const queue = new Queue(options.queue, { connection: client });
      queue.on("error", (error: Error) => {
        lastError = error;
      });
      await bounded(queue.waitUntilReady(), t, "from the queue");
      // Events from the stream's present end: no answer to a job of ours can come before.
      const last = await client.xrevrange(queue.keys.events!, "+", "-", "COUNT", 1);
      const events = new QueueEvents(options.queue, {
        connection: client.duplicate({ maxRetriesPerRequest: null, lazyConnect: true }),
        lastEventId: last[0]?.[0] ?? "0-0",
        blockingTimeout: 1_000,
      });
      events.on("error", (error: Error) => {
        lastError = error;
      });
      events.on("completed", ({ jobId, returnvalue }) => {
        const w = waiting.get(jobId);
        if (!w) return;
        waiting.delete(jobId);
        w.resolve(returnvalue as unknown as string);
      });
      events.on("failed", ({ jobId, failedReason }) => {
        const w = waiting.get(jobId);
        if (!w) return;
        waiting.delete(jobId);
        // A job fails on Redis's side only when its worker died more often than BullMQ
        // allows, or refused it: a failed attempt, like a throw.
        w.reject(
          new ExecutorError(
            "redis",
            `Stage "${name}": a job on queue "${options.queue}" failed on the worker's side: ` +
              `${failedReason}.`,
            { queue: options.queue },
          ),
        );
      });
      await bounded(events.waitUntilReady(), t, "from the events connection");
      return { client, queue, events };
    } catch (error) {
      client.disconnect();
      throw new ExecutorError(
        "redis",
        `Stage "${name}" cannot reach Redis at ${describeConnection(options.connection)} ` +
          `for queue "${options.queue}": ${(error as Error).message}. Check that the server ` +
          "runs and the URL is right.",
        { queue: options.queue, cause: error },
      );
    }
  };

  const remote = (handler: Handler<unknown, unknown>): Handler<unknown, unknown> => {
    // Checked when the stage was made; a handler cannot lose its declaration.
    const ref = handlerReference(handler)!;
    return async (item, _state, { attempt }) => {
      const trace = carriedTrace();
      let bytes: string;
      try {
        bytes = Buffer.from(serialize(item)).toString("base64");
      } catch {
        const type = describeUnclonable(item) ?? describeKind(item);
        return Err(new UnclonableValueError(name, "item", type, "received"));
      }
      let session: Session;
      try {
        session = await open();
      } catch (error) {
        // The stage cannot work at all: the run fails rather than every item.
        control.fail(error);
        return SKIP;
      }
      const jobId = `${run}-${randomUUID()}`;
      const answer = new Promise<string>((resolve, reject) => {
        waiting.set(jobId, { resolve, reject });
      });
      answer.catch(() => undefined);
      const data: StageJobData = {
        protocol: STAGE_PROTOCOL,
        handler: ref.name,
        stage: name,
        run,
        attempt,
        item: bytes,
        ...(trace ? { trace } : {}),
      };
      await session.queue.add(STAGE_JOB, data, {
        jobId,
        attempts: 1,
        removeOnComplete: true,
        removeOnFail: true,
      });
      const outcome = deserialize(Buffer.from(await answer, "base64")) as HandlerOutcome;
      return settleOutcome(outcome, control);
    };
  };
  const work = stage.work;
  const kind: StageKind =
    work.kind === "pool"
      ? { kind: "pool", handler: remote(work.handler) }
      : work.kind === "mix" || work.kind === "fork"
        ? { ...work, handlers: work.handlers.map(remote) }
        : work;
  return {
    stage: { ...stage, work: kind },
    close: async () => {
      closed = true;
      failAll(new ExecutorError("redis", `Stage "${name}" was closed.`, { queue: options.queue }));
      await withdrawing;
      const session = await opening?.catch(() => undefined);
      if (!session) return;
      const { client, queue, events } = session;
      const { bounded } = await import("../redis/connection.ts");
      await bounded(Promise.allSettled([events.close(), queue.close()]), 2_000, "").catch(
        () => undefined,
      );
      client.disconnect();
    },
  };
}
