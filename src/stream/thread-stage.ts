import { deserialize } from "node:v8";
import { MessageChannel } from "node:worker_threads";
import { piscina } from "../_internal/piscina.ts";
import { StageTimeoutError, UnclonableValueError } from "../errors.ts";
import { describeKind, describeUnclonable, isDataCloneError } from "../executor/clone.ts";
import { deserializeError } from "../executor/error-data.ts";
import { workerExecArgv, workerFile } from "../executor/worker-runtime.ts";
import { handlerReference } from "./define-handler.ts";
import type { HandlerOutcome, HandlerTask, HandlerWorkerData } from "./handler-worker.ts";
import { Err } from "./result.ts";
import type { RunControl } from "./run-stage.ts";
import { SKIP } from "./skip.ts";
import type { Handler, Stage, StageKind } from "./stage.ts";

/** A stage whose handlers call into a pool of threads, and the way to stop that pool. */
export interface ThreadedStage {
  readonly stage: Stage<unknown, unknown>;
  /** Ends the threads; safe to call more than once. */
  readonly close: () => Promise<void>;
}

/**
 * Starts one thread per worker of `stage` and returns the same stage with each handler
 * replaced by a call into those threads. Retries, order and Err handling stay on this thread,
 * unchanged. A timeout is timed here from the moment the thread starts the handler (thread
 * start-up and module loading do not count) and ends that thread.
 */
export function startThreads(
  stage: Stage<unknown, unknown>,
  name: string,
  control: RunControl,
): ThreadedStage {
  const work = stage.work;
  const { timeoutMs } = stage.options;
  const threads = stage.options.workers * (work.kind === "fork" ? work.handlers.length : 1);
  const filename = workerFile(import.meta.url, "handler-worker");
  const pool = new (piscina().Piscina)<HandlerTask, Uint8Array>({
    filename,
    minThreads: threads,
    maxThreads: threads,
    execArgv: workerExecArgv(filename),
    workerData: { started: new SharedArrayBuffer(4) } satisfies HandlerWorkerData,
  });
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= pool.destroy();
    return closed;
  };
  // Cancelling ends the threads, which rejects every attempt still running.
  control.onCancel(() => void close());

  const settle = (bytes: Uint8Array): unknown => {
    const outcome = deserialize(bytes) as HandlerOutcome;
    switch (outcome.kind) {
      case "value":
        return outcome.value;
      case "skip":
        return SKIP;
      case "err":
        return Err(deserializeError(outcome.error));
      case "thrown":
        throw deserializeError(outcome.error);
      case "undeclared":
        control.fail(new TypeError(outcome.message));
        return SKIP;
    }
  };
  const timed = (task: HandlerTask): Promise<Uint8Array> => {
    const ms = timeoutMs!;
    const controller = new AbortController();
    const { port1, port2 } = new MessageChannel();
    let timer: NodeJS.Timeout | undefined;
    port1.once("message", () => {
      timer = setTimeout(() => controller.abort(new StageTimeoutError(name, ms, task.attempt)), ms);
    });
    return pool
      .run({ ...task, started: port2 }, { signal: controller.signal, transferList: [port2] })
      .catch((error: unknown) => {
        throw controller.signal.aborted ? controller.signal.reason : error;
      })
      .finally(() => {
        clearTimeout(timer);
        port1.close();
      });
  };
  const remote = (handler: Handler<unknown, unknown>): Handler<unknown, unknown> => {
    // Checked when the stage was made; a handler cannot lose its declaration.
    const ref = handlerReference(handler)!;
    return (item, _state, { attempt }) => {
      const task: HandlerTask = { handler: ref, stage: name, item, attempt };
      return (timeoutMs === undefined ? pool.run(task) : timed(task)).then(settle, (error) => {
        // The item could not be posted to a thread: it fails at once, naming what refused.
        if (!isDataCloneError(error)) throw error;
        const type = describeUnclonable(item) ?? describeKind(item);
        return Err(new UnclonableValueError(name, "item", type, "received"));
      });
    };
  };
  const threaded: StageKind =
    work.kind === "pool"
      ? { kind: "pool", handler: remote(work.handler) }
      : { ...work, handlers: work.handlers.map(remote) };
  return {
    stage: { ...stage, options: { ...stage.options, timeoutMs: undefined }, work: threaded },
    close,
  };
}
