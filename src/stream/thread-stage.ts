import { deserialize } from "node:v8";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import { StageTimeoutError, UnclonableValueError } from "../errors.ts";
import { describeKind, describeUnclonable, isDataCloneError } from "../executor/clone.ts";
import { poolConfig, sharedPool } from "../executor/thread-pool.ts";
import { carriedTrace } from "../otel/continue-trace.ts";
import { handlerReference } from "./define-handler.ts";
import type { HandlerOutcome, HandlerTask } from "./handler-worker.ts";
import { settleOutcome } from "./outcome.ts";
import { Err } from "./result.ts";
import type { RunControl } from "./run-stage.ts";
import type { Handler, Stage, StageKind } from "./stage.ts";
import { endStageRun, newStageRun } from "./stage-run.ts";

/** A stage whose handlers call into the shared threads, and the way to say its run is over. */
export interface ThreadedStage {
  readonly stage: Stage<unknown, unknown>;
  /** Tells the threads that this run of the stage is over, so they drop its states. */
  readonly close: () => void | Promise<void>;
}

/** How many attempts a threaded stage runs at once: a worker's, times a fork's handlers. */
export function threadsOf(stage: Stage<unknown, unknown>): number {
  if (!stage.options.threads) return 0;
  const { work } = stage;
  return stage.options.workers * (work.kind === "fork" ? work.handlers.length : 1);
}

/**
 * Returns `stage` with each handler replaced by a call into the process's shared thread pool
 * (the one `map` uses), so the next run, or a stream after a map, finds the threads started
 * and their modules imported. The pool grows to what the whole run asks for at once
 * (`control.threads`): the run's threaded stages do not wait for each other's threads.
 * Retries, order and Err handling stay on this thread, unchanged. A timeout is timed here
 * from the moment the thread starts the handler (thread start-up and module loading do not
 * count) and ends that thread; cancelling the run ends the threads running its items. A
 * traced run's span for each call is made on this thread, around the task, so its time
 * includes the trip to the thread and back.
 */
export function startThreads(
  stage: Stage<unknown, unknown>,
  name: string,
  control: RunControl,
): ThreadedStage {
  const work = stage.work;
  const { timeoutMs } = stage.options;
  const pool = sharedPool(poolConfig());
  const run = newStageRun();
  // Aborting a running task ends its thread, the only way to stop a handler from outside it.
  const running = new Set<AbortController>();
  control.onCancel(() => {
    for (const controller of running) controller.abort(control.signal.reason);
  });
  const { threads } = control;
  const post = (task: HandlerTask, controller: AbortController, transferList?: MessagePort[]) => {
    if (control.signal.aborted) controller.abort(control.signal.reason);
    running.add(controller);
    return pool
      .run<Uint8Array>(threads, task, { signal: controller.signal, transferList })
      .finally(() => running.delete(controller));
  };

  const settle = (bytes: Uint8Array): unknown =>
    settleOutcome(deserialize(bytes) as HandlerOutcome, control);
  const timed = (task: HandlerTask): Promise<Uint8Array> => {
    const ms = timeoutMs!;
    const controller = new AbortController();
    const { port1, port2 } = new MessageChannel();
    let timer: NodeJS.Timeout | undefined;
    port1.once("message", () => {
      timer = setTimeout(() => controller.abort(new StageTimeoutError(name, ms, task.attempt)), ms);
    });
    return post({ ...task, started: port2 }, controller, [port2])
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
      const trace = carriedTrace();
      const task: HandlerTask = {
        handler: ref,
        stage: name,
        run,
        item,
        attempt,
        ...(trace ? { trace } : {}),
      };
      const answer = timeoutMs === undefined ? post(task, new AbortController()) : timed(task);
      return answer.then(settle, (error) => {
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
      : work.kind === "mix" || work.kind === "fork"
        ? { ...work, handlers: work.handlers.map(remote) }
        : work;
  return {
    stage: { ...stage, options: { ...stage.options, timeoutMs: undefined }, work: threaded },
    close: () => endStageRun(run),
  };
}
