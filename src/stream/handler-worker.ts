/**
 * Entry of each worker thread of a stream stage with `threads: true`: imports the module that
 * declared the handler, keeps one `WorkerState` per handler for the thread's life, and
 * handles one item per task. SKIP, `Err` and a throw travel back as tagged outcomes,
 * serialised here so that a result that cannot cross threads fails its item with an
 * `UnclonableValueError` instead of crashing the thread. Errors travel as plain data
 * (`serializeError`), so the stage sees the thrown value with its fields, as it would inline;
 * a throw counts as a failed attempt.
 */

import { serialize } from "node:v8";
import type { MessagePort } from "node:worker_threads";
import { workerData } from "piscina";
import { UnclonableValueError } from "../errors.ts";
import { describeKind, describeUnclonable } from "../executor/clone.ts";
import { serializeError } from "../executor/error-data.ts";
import type { SerializedError } from "../executor/types.ts";
import { prepareImport } from "../executor/worker-runtime.ts";
import { type AnyHandler, type HandlerReference, resolveHandler } from "./define-handler.ts";
import { isErr, isOkWrapper } from "./result.ts";
import { SKIP } from "./skip.ts";
import type { AttemptContext } from "./stage.ts";
import { WorkerState } from "./worker-state.ts";

/** What the stage posts for one attempt at one item. */
export interface HandlerTask {
  readonly handler: HandlerReference;
  readonly stage: string;
  readonly item: unknown;
  readonly attempt: number;
  /** Told when the handler starts, so a timeout counts the handler's time only. */
  readonly started?: MessagePort;
}

/** What a thread answers for one attempt. */
export type HandlerOutcome =
  | { readonly kind: "value"; readonly value: unknown }
  | { readonly kind: "skip" }
  | { readonly kind: "err"; readonly error: SerializedError }
  | { readonly kind: "thrown"; readonly error: SerializedError }
  | { readonly kind: "undeclared"; readonly message: string };

/** Shared by every thread of one stage. */
export interface HandlerWorkerData {
  /** One Int32 counting the threads started, so each takes the next worker number. */
  readonly started: SharedArrayBuffer;
}

const worker = Atomics.add(new Int32Array((workerData as HandlerWorkerData).started), 0, 1);
const handlers = new Map<string, { readonly handler: AnyHandler; readonly state: WorkerState }>();
// A running attempt cannot be interrupted from outside a thread: a timeout or a cancelled
// stream ends the whole thread instead. So the signal a threaded handler sees never aborts.
const signal = new AbortController().signal;

/** Runs one attempt. */
export default async function runAttempt(task: HandlerTask): Promise<Uint8Array> {
  let outcome: HandlerOutcome;
  try {
    outcome = await attempt(task);
  } catch (error) {
    outcome = { kind: "thrown", error: serializeError(error) };
  }
  try {
    return serialize(outcome);
  } catch {
    // What the handler gave cannot cross: the item fails at once (a retry would give the same
    // kind of value), naming what refused.
    const value = outcome.kind === "value" ? outcome.value : outcome;
    const type = describeUnclonable(value) ?? describeKind(value);
    const refusal = new UnclonableValueError(task.stage, "result", type, "returned");
    return serialize({ kind: "err", error: serializeError(refusal) } satisfies HandlerOutcome);
  }
}

async function attempt(task: HandlerTask): Promise<HandlerOutcome> {
  const key = `${task.handler.module}#${task.handler.name}`;
  let entry = handlers.get(key);
  if (!entry) {
    await prepareImport(task.handler.module);
    const handler = await resolveHandler(task.handler);
    if (!handler) {
      return {
        kind: "undeclared",
        message:
          `Module ${task.handler.module} does not declare a handler named "${task.handler.name}" ` +
          "at its top level, so stage threads cannot load it. Call " +
          "defineHandler(import.meta.url, name, handler) there, outside any condition.",
      };
    }
    entry = { handler, state: new WorkerState(task.stage, worker) };
    handlers.set(key, entry);
  }
  if (task.started) {
    task.started.postMessage(0);
    task.started.close();
  }
  const context: AttemptContext = { signal, attempt: task.attempt };
  const value = await entry.handler(task.item as never, entry.state, context);
  if (value === SKIP) return { kind: "skip" };
  if (isOkWrapper(value)) return { kind: "value", value: value.value };
  if (isErr(value)) return { kind: "err", error: serializeError(value.error) };
  return { kind: "value", value };
}
