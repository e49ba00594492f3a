import { TimedAttempts } from "./attempt-timeout.ts";
import { type Channel, DONE, EMPTY } from "./channel.ts";
import type { StageTally } from "./monitor.ts";
import { Err, isErr, isOkWrapper } from "./result.ts";
import { SKIP } from "./skip.ts";
import type { AttemptContext, Handler, Stage } from "./stage.ts";
import { startThreads } from "./thread-stage.ts";
import { WorkerState } from "./worker-state.ts";

/** What every stage of one run shares: the cancellation of the whole stream. */
export interface RunControl {
  /** Aborted when the stream is cancelled; handlers see it as `context.signal`. */
  readonly signal: AbortSignal;
  /** Called when a stage's machinery (not a handler) fails: the stream fails with it. */
  readonly fail: (error: unknown) => void;
  /** Hooks run on cancel, to release waits that channels do not own. */
  readonly onCancel: (hook: () => void) => void;
  /** Threads the run's threaded stages use at once, all together (see `threadsOf`). */
  readonly threads: number;
}

/** The same function, turned into the worker's call of one handler. */
type Call = (item: unknown) => unknown;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { then?: unknown }).then === "function";

/**
 * Starts a stage's workers between `input` and `output`, and closes `output` once they have
 * all finished. With a `tally` (the run is monitored) the workers run counting loops; without
 * one, loops that count nothing.
 *
 * @returns A promise resolved when every worker has stopped.
 */
export function runStage(
  stage: Stage<unknown, unknown>,
  name: string,
  input: Channel<unknown>,
  output: Channel<unknown>,
  control: RunControl,
  tally?: StageTally,
): Promise<void> {
  const { workers, ordered } = stage.options;
  const threaded = stage.options.threads ? startThreads(stage, name, control) : undefined;
  const work = threaded?.stage ?? stage;
  const emit = ordered && workers > 1 ? orderedEmitter(output, control) : undefined;
  const loops: Promise<void>[] = [];
  for (let w = 0; w < workers; w++) {
    const call = workerCall(work, name, w, control);
    loops.push(
      tally
        ? emit
          ? countedOrderedLoop(call, input, emit, tally)
          : countedLoop(call, input, output, tally)
        : emit
          ? orderedLoop(call, input, emit)
          : loop(call, input, output),
    );
  }
  return Promise.all(loops)
    .catch((error: unknown) => control.fail(error))
    .then(() => {
      threaded?.close();
      output.close();
    });
}

async function loop(call: Call, input: Channel<unknown>, output: Channel<unknown>): Promise<void> {
  for (;;) {
    let item = input.tryTake();
    if (item === EMPTY) item = await input.take();
    if (item === DONE) return;
    let out = isErr(item) ? item : call(item);
    if (isThenable(out)) out = await out;
    if (out !== SKIP && !output.tryPut(out)) await output.put(out);
  }
}

/**
 * One item through a counting worker: counts it in and the worker busy, then what came of it
 * (an Err passed by, or the handler's outcome once settled). The caller counts the worker
 * free once the next stage has the result.
 *
 * @returns The result, or a promise of it for an async handler.
 */
function countedCall(call: Call, item: unknown, tally: StageTally): unknown {
  tally.in++;
  tally.busy++;
  if (isErr(item)) {
    tally.passed++;
    return item;
  }
  const out = call(item);
  if (!isThenable(out)) {
    tally.settle(out);
    return out;
  }
  return out.then((value) => {
    tally.settle(value);
    return value;
  });
}

/**
 * {@link loop}, counting for a monitor. A worker is busy from taking an item until the next
 * stage has accepted what came of it.
 */
async function countedLoop(
  call: Call,
  input: Channel<unknown>,
  output: Channel<unknown>,
  tally: StageTally,
): Promise<void> {
  for (;;) {
    let item = input.tryTake();
    if (item === EMPTY) item = await input.take();
    if (item === DONE) return;
    let out = countedCall(call, item, tally);
    if (isThenable(out)) out = await out;
    if (out !== SKIP && !output.tryPut(out)) await output.put(out);
    tally.busy--;
  }
}

interface OrderedEmitter {
  /** The next sequence number, taken with an item. */
  ticket(): number;
  /** Emits `value` (or nothing, for SKIP) when every earlier ticket has been emitted. */
  emit(ticket: number, value: unknown): Promise<void> | undefined;
}

async function orderedLoop(call: Call, input: Channel<unknown>, emit: OrderedEmitter) {
  for (;;) {
    let item = input.tryTake();
    // Continuations of takes run in the order the items were handed out, so tickets follow
    // the input order.
    if (item === EMPTY) item = await input.take();
    if (item === DONE) return;
    const ticket = emit.ticket();
    let out = isErr(item) ? item : call(item);
    if (isThenable(out)) out = await out;
    const waiting = emit.emit(ticket, out);
    if (waiting) await waiting;
  }
}

/** {@link orderedLoop}, counting for a monitor, as {@link countedLoop} does. */
async function countedOrderedLoop(
  call: Call,
  input: Channel<unknown>,
  emit: OrderedEmitter,
  tally: StageTally,
) {
  for (;;) {
    let item = input.tryTake();
    if (item === EMPTY) item = await input.take();
    if (item === DONE) return;
    const ticket = emit.ticket();
    let out = countedCall(call, item, tally);
    if (isThenable(out)) out = await out;
    const waiting = emit.emit(ticket, out);
    if (waiting) await waiting;
    tally.busy--;
  }
}

function orderedEmitter(output: Channel<unknown>, control: RunControl): OrderedEmitter {
  let issued = 0;
  let next = 0;
  const turns = new Map<number, () => void>();
  control.onCancel(() => {
    for (const resolve of turns.values()) resolve();
    turns.clear();
  });
  const advance = () => {
    next++;
    const resolve = turns.get(next);
    if (resolve) {
      turns.delete(next);
      resolve();
    }
  };
  const put = (value: unknown): Promise<void> | undefined => {
    if (value === SKIP || output.tryPut(value)) {
      advance();
      return undefined;
    }
    return output.put(value).then(advance);
  };
  return {
    ticket: () => issued++,
    emit(ticket, value) {
      if (ticket === next) return put(value);
      if (control.signal.aborted) return undefined;
      return new Promise<void>((resolve) => turns.set(ticket, resolve)).then(() =>
        control.signal.aborted ? undefined : put(value),
      );
    },
  };
}

/** One worker's way of handling an item: retries, timeouts, Ok/Err/SKIP, fork and merge. */
function workerCall(
  stage: Stage<unknown, unknown>,
  name: string,
  worker: number,
  control: RunControl,
): Call {
  const work = stage.work;
  if (work.kind === "pool") return attempts(work.handler, stage, name, worker, control);
  if (work.kind === "mix") return attempts(work.handlers[worker]!, stage, name, worker, control);
  const calls = work.handlers.map((h, k) =>
    attempts(h, stage, name, worker * work.handlers.length + k, control),
  );
  const merge = work.merge;
  return (item) => {
    const results = calls.map((c) => c(item));
    const combine = (values: readonly unknown[]): unknown => {
      for (const v of values) if (isErr(v)) return v;
      try {
        const merged = merge(values);
        return isThenable(merged)
          ? Promise.resolve(merged).catch((error: unknown) =>
              Err(error, { item, stage: name, attempts: 1 }),
            )
          : merged;
      } catch (error) {
        return Err(error, { item, stage: name, attempts: 1 });
      }
    };
    return results.some(isThenable) ? Promise.all(results).then(combine) : combine(results);
  };
}

/**
 * Calls `handler` up to `retries` times until it neither throws nor rejects; the result is
 * the value, SKIP, or an Err naming the item, the stage and the attempts made.
 */
function attempts(
  handler: Handler<unknown, unknown>,
  stage: Stage<unknown, unknown>,
  name: string,
  worker: number,
  control: RunControl,
): Call {
  const { retries, timeoutMs } = stage.options;
  const state = new WorkerState(name, worker);
  const timed = timeoutMs === undefined ? undefined : new TimedAttempts(name, timeoutMs);
  if (timed) control.onCancel(() => timed.abortAll(control.signal.reason));
  // Without a timeout every attempt shares the stream's signal, so the hot path allocates
  // nothing; a first attempt reuses one context object.
  const first: AttemptContext = { signal: control.signal, attempt: 1 };
  const settle = (item: unknown, value: unknown, attempt: number): unknown => {
    if (value === SKIP) return SKIP;
    if (isOkWrapper(value)) return value.value;
    if (isErr(value)) {
      return value.stage === undefined
        ? Err(value.error, { item, stage: name, attempts: attempt, ...value })
        : value;
    }
    return value;
  };
  const failed = (item: unknown, error: unknown, attempt: number): unknown =>
    attempt < retries && !control.signal.aborted
      ? run(item, attempt + 1)
      : Err(error, { item, stage: name, attempts: attempt });
  const run = (item: unknown, attempt: number): unknown => {
    let context = first;
    let controller: AbortController | undefined;
    if (attempt > 1 || timeoutMs !== undefined) {
      if (timeoutMs === undefined) context = { signal: control.signal, attempt };
      else {
        controller = new AbortController();
        context = { signal: controller.signal, attempt };
      }
    }
    let value: unknown;
    try {
      value = handler(item, state, context);
    } catch (error) {
      return failed(item, error, attempt);
    }
    if (!isThenable(value)) return settle(item, value, attempt);
    const pending = controller
      ? timed!.race(value, controller, attempt, control.signal)
      : Promise.resolve(value);
    return pending.then(
      (v) => settle(item, v, attempt),
      (error: unknown) => failed(item, error, attempt),
    );
  };
  return (item) => run(item, 1);
}
