/**
 * The worker side of stream stages on Redis (`pool({ redis })`): takes one job per attempt at
 * one item from the stage's queue, runs the declared handler it names and answers with the
 * outcome, v8-serialised. The side of `pipeweave worker <module>#<handler>`.
 */

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { deserialize, serialize } from "node:v8";
import type { Job, Worker } from "bullmq";
import { importOptional } from "../_internal/optional-dependency.ts";
import { ExecutorError, UnclonableValueError } from "../errors.ts";
import { describeKind, describeUnclonable } from "../executor/clone.ts";
import { serializeError } from "../executor/error-data.ts";
import { continueTrace } from "../otel/continue-trace.ts";
import type { AnyHandler } from "../stream/define-handler.ts";
import type { HandlerOutcome } from "../stream/handler-worker.ts";
import { STAGE_PROTOCOL, type StageJobData } from "../stream/redis-stage.ts";
import { isErr, isOkWrapper } from "../stream/result.ts";
import { SKIP } from "../stream/skip.ts";
import { WorkerState } from "../stream/worker-state.ts";
import { defaultConnection, describeConnection, type RedisConnection } from "./address.ts";
import { bounded, openClient, waitReady } from "./connection.ts";

/** Options of {@link runStageWorker}. */
export interface StageWorkerOptions {
  /**
   * Where Redis is: a URL or ioredis options.
   * @defaultValue `process.env.REDIS_URL`, else `"redis://127.0.0.1:6379"`
   */
  readonly connection?: RedisConnection;
  /** The stage's queue (its `redis.queue`). @defaultValue `"pipeweave-stream"` */
  readonly queue?: string;
  /** Items handled at once: more than 1 helps async handlers. @defaultValue 1 */
  readonly concurrency?: number;
  /**
   * BullMQ's lock on a running job. A worker that dies keeps its items until their locks
   * expire; then another worker takes them. Keep it above the longest handler call.
   * @defaultValue 30000
   */
  readonly lockDuration?: number;
  /** How often this worker looks for jobs whose worker died. @defaultValue 5000 */
  readonly stalledInterval?: number;
  /** Times a job may lose its worker before it fails (an attempt failed). @defaultValue 1 */
  readonly maxStalledCount?: number;
  /** How long to wait for Redis when starting, before failing. @defaultValue 30000 */
  readonly timeoutMs?: number;
  /** Stops the worker: it finishes the items it runs, then resolves. */
  readonly signal?: AbortSignal;
  /** Told what the worker does (the CLI prints it). */
  readonly onEvent?: (event: StageWorkerEvent) => void;
}

/** What a stage worker tells its `onEvent` listener. */
export type StageWorkerEvent =
  | { readonly type: "ready"; readonly queue: string; readonly handlers: readonly string[] }
  | { readonly type: "done"; readonly job: string; readonly stage: string; readonly ms: number }
  | { readonly type: "error"; readonly message: string };

/** States kept per run: a worker serving many runs lets go of the oldest. */
const RUNS_KEPT = 64;

// A running handler cannot be interrupted from the coordinator: its signal never aborts.
const signal = new AbortController().signal;

/**
 * Serves stream stages whose handlers `handlers` holds (by declared name) until `signal`
 * aborts: one `WorkerState` per stage run and handler in this process.
 *
 * @param handlers - Declared handlers by name (what the CLI finds in the module).
 * @param options - Connection, queue, concurrency, lock settings, signal, listener.
 * @returns The number of items handled, once stopped.
 * @throws {@link ExecutorError} when Redis cannot be reached within `timeoutMs`.
 */
export async function runStageWorker(
  handlers: ReadonlyMap<string, AnyHandler>,
  options: StageWorkerOptions = {},
): Promise<{ readonly items: number }> {
  const queue = options.queue ?? "pipeweave-stream";
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { Worker, UnrecoverableError } = await importOptional(
    { name: "bullmq", feature: "The redis stage worker" },
    () => import("bullmq"),
  );
  const emit = options.onEvent ?? (() => undefined);
  const connection = options.connection ?? defaultConnection();
  const client = openClient(connection, { maxRetriesPerRequest: null });
  let lastError: Error | undefined;
  const onError = (error: Error) => {
    lastError = error;
    emit({ type: "error", message: error.message });
  };
  client.on("error", onError);
  try {
    await waitReady(client, timeoutMs, () => lastError);
  } catch (error) {
    client.disconnect();
    throw new ExecutorError(
      "redis",
      `A redis stage worker for queue "${queue}" cannot reach Redis at ` +
        `${describeConnection(connection)}: ${(error as Error).message}.`,
      { queue, cause: error },
    );
  }
  const states = new Map<string, WorkerState>();
  let items = 0;
  const stateOf = (run: string, handler: string, stage: string): WorkerState => {
    const key = `${run}#${handler}`;
    let state = states.get(key);
    if (!state) {
      if (states.size >= RUNS_KEPT) states.delete(states.keys().next().value!);
      state = new WorkerState(stage, process.pid);
      states.set(key, state);
    }
    return state;
  };
  const processor = async (job: Job): Promise<string> => {
    const data = job.data as StageJobData;
    if (data.protocol !== STAGE_PROTOCOL) {
      throw new UnrecoverableError(
        `the job is of format ${String(data.protocol)}, this worker reads format ` +
          `${STAGE_PROTOCOL}: run workers of the same pipeweave version as the stream.`,
      );
    }
    const started = performance.now();
    const handler = handlers.get(data.handler);
    let outcome: HandlerOutcome;
    if (!handler) {
      outcome = {
        kind: "undeclared",
        message:
          `The worker (pid ${process.pid} on ${hostname()}) serving queue "${queue}" has no ` +
          `handler named "${data.handler}" (it serves ${[...handlers.keys()].map((n) => `"${n}"`).join(", ")}). ` +
          "Start workers with the module that declares it, and give each stage its own queue.",
      };
    } else {
      try {
        const item = deserialize(Buffer.from(data.item, "base64"));
        const state = stateOf(data.run, data.handler, data.stage);
        const value = await continueTrace(data.trace, () =>
          handler(item as never, state, { signal, attempt: data.attempt }),
        );
        outcome =
          value === SKIP
            ? { kind: "skip" }
            : isOkWrapper(value)
              ? { kind: "value", value: value.value }
              : isErr(value)
                ? { kind: "err", error: serializeError(value.error) }
                : { kind: "value", value };
      } catch (error) {
        outcome = { kind: "thrown", error: serializeError(error) };
      }
    }
    let bytes: Buffer;
    try {
      bytes = serialize(outcome);
    } catch {
      const value = outcome.kind === "value" ? outcome.value : outcome;
      const type = describeUnclonable(value) ?? describeKind(value);
      const refusal = new UnclonableValueError(data.stage, "result", type, "returned");
      bytes = serialize({ kind: "err", error: serializeError(refusal) } satisfies HandlerOutcome);
    }
    items++;
    emit({ type: "done", job: String(job.id), stage: data.stage, ms: performance.now() - started });
    return bytes.toString("base64");
  };
  const worker: Worker = new Worker(queue, processor, {
    connection: client,
    name: `pipeweave-stage:${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`,
    concurrency: options.concurrency ?? 1,
    lockDuration: options.lockDuration ?? 30_000,
    stalledInterval: options.stalledInterval ?? 5_000,
    maxStalledCount: options.maxStalledCount ?? 1,
    autorun: false,
  });
  worker.on("error", onError);
  const running = worker.run();
  running.catch(() => undefined);
  try {
    await bounded(worker.waitUntilReady(), timeoutMs, "from the worker's connection");
  } catch (error) {
    await worker.close(true).catch(() => undefined);
    client.disconnect();
    throw new ExecutorError(
      "redis",
      `A redis stage worker for queue "${queue}" could not start: ${(error as Error).message}.`,
      { queue, cause: error },
    );
  }
  emit({ type: "ready", queue, handlers: [...handlers.keys()] });
  await new Promise<void>((resolve) => {
    if (!options.signal) return;
    if (options.signal.aborted) resolve();
    else options.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await worker.close();
  await running.catch(() => undefined);
  await client.quit().catch(() => client.disconnect());
  return { items };
}
