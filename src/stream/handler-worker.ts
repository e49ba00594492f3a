/**
 * What a thread of the shared pool runs for a stream stage with `threads: true`: imports the
 * module that declared the handler (once per thread), keeps one `WorkerState` per handler for
 * each run of the stage it serves, and handles one item per task. SKIP, `Err` and a throw
 * travel back as tagged outcomes, serialised here so that a result that cannot cross threads
 * fails its item with an `UnclonableValueError` instead of crashing the thread. Errors travel as plain data
 * (`serializeError`), so the stage sees the thrown value with its fields, as it would inline;
 * a throw counts as a failed attempt.
 */

import { serialize } from "node:v8";
import type { MessagePort } from "node:worker_threads";
import { UnclonableValueError } from "../errors.ts";
import { describeKind, describeUnclonable } from "../executor/clone.ts";
import { serializeError } from "../executor/error-data.ts";
import type { SerializedError } from "../executor/types.ts";
import { prepareImport } from "../executor/worker-runtime.ts";
import type { TraceCarrier } from "../otel/carrier.ts";
import { continueTrace } from "../otel/continue-trace.ts";
import { type AnyHandler, type HandlerReference, resolveHandler } from "./define-handler.ts";
import { isErr, isOkWrapper } from "./result.ts";
import { SKIP } from "./skip.ts";
import type { AttemptContext } from "./stage.ts";
import { ENDED, SERVED, type StageRun } from "./stage-run.ts";
import { WorkerState } from "./worker-state.ts";

/** What the stage posts for one attempt at one item. */
export interface HandlerTask {
  readonly handler: HandlerReference;
  readonly stage: string;
  readonly run: StageRun;
  readonly item: unknown;
  readonly attempt: number;
  /** Told when the handler starts, so a timeout counts the handler's time only. */
  readonly started?: MessagePort;
  /** The attempt's span, which the handler's own spans continue, when the run is traced. */
  readonly trace?: TraceCarrier;
}

/** What a thread answers for one attempt. */
export type HandlerOutcome =
  | { readonly kind: "value"; readonly value: unknown }
  | { readonly kind: "skip" }
  | { readonly kind: "err"; readonly error: SerializedError }
  | { readonly kind: "thrown"; readonly error: SerializedError }
  | { readonly kind: "undeclared"; readonly message: string };

/** The handlers this thread has loaded, by module and name; they stay for the thread's life. */
const handlers = new Map<string, AnyHandler>();

/** What this thread keeps for one stage run it serves. */
interface Served {
  readonly words: Int32Array;
  /** This thread's worker number in the run. */
  readonly worker: number;
  /** One state per handler (a fork stage runs several). */
  readonly states: Map<string, WorkerState>;
}
const served = new Map<number, Served>();

/**
 * This thread's part in a stage run. A run it has not served yet takes the run's next worker
 * number, and first lets go of the states of runs that have ended, so no state outlives its
 * run by more than this thread's next new run (or the thread).
 */
function servedRun(run: StageRun): Served {
  let entry = served.get(run.id);
  if (entry) return entry;
  for (const [id, old] of served) if (Atomics.load(old.words, ENDED) === 1) served.delete(id);
  const words = new Int32Array(run.shared);
  entry = { words, worker: Atomics.add(words, SERVED, 1), states: new Map() };
  served.set(run.id, entry);
  return entry;
}

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
  let handler = handlers.get(key);
  if (!handler) {
    await prepareImport(task.handler.module);
    handler = await resolveHandler(task.handler);
    if (!handler) {
      return {
        kind: "undeclared",
        message:
          `Module ${task.handler.module} does not declare a handler named "${task.handler.name}" ` +
          "at its top level, so stage threads cannot load it. Call " +
          "defineHandler(import.meta.url, name, handler) there, outside any condition.",
      };
    }
    handlers.set(key, handler);
  }
  const run = servedRun(task.run);
  let state = run.states.get(key);
  if (!state) {
    state = new WorkerState(task.stage, run.worker);
    run.states.set(key, state);
  }
  if (task.started) {
    task.started.postMessage(0);
    task.started.close();
  }
  const context: AttemptContext = { signal, attempt: task.attempt };
  const value = await continueTrace(task.trace, () => handler(task.item as never, state, context));
  if (value === SKIP) return { kind: "skip" };
  if (isOkWrapper(value)) return { kind: "value", value: value.value };
  if (isErr(value)) return { kind: "err", error: serializeError(value.error) };
  return { kind: "value", value };
}
