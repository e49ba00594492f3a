import { TimedAttempts } from "./attempt-timeout.ts";
import { backoffDelay, RetryWaits } from "./backoff.ts";
import { batchedCall, batchLoop, unbatchLoop } from "./batch.ts";
import { Circuit } from "./breaker.ts";
import { type Channel, DONE, EMPTY } from "./channel.ts";
import type { StageTally } from "./monitor.ts";
import { RateLimiter } from "./rate-limit.ts";
import { startRedisStage } from "./redis-stage.ts";
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
export type Call = (item: unknown) => unknown;

/**
 * What a stage's workers share in one run besides their input and output: the rate
 * limiter, the circuit, the waits between retries, and the monitor's counts.
 */
interface Guards {
  readonly limiter: RateLimiter | undefined;
  readonly circuit: Circuit | undefined;
  readonly waits: RetryWaits | undefined;
  readonly tally: StageTally | undefined;
}

/** The guards of one run of `stage`, created only for the options it has. */
function guardsOf(
  stage: Stage<unknown, unknown>,
  name: string,
  control: RunControl,
  tally: StageTally | undefined,
): Guards {
  const { rate, breaker, backoff } = stage.options;
  const limiter =
    rate === undefined
      ? undefined
      : rate instanceof RateLimiter
        ? rate
        : new RateLimiter(rate.perSecond, rate.burst);
  const circuit = breaker === undefined ? undefined : new Circuit(breaker, name);
  const waits = backoff === undefined ? undefined : new RetryWaits();
  if (waits) control.onCancel(() => waits.releaseAll());
  if (tally && circuit) tally.circuit = circuit;
  if (tally && stage.options.batched) tally.batched = true;
  return { limiter, circuit, waits, tally };
}

export const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { then?: unknown }).then === "function";

/**
 * Starts a stage's workers between `input` and `output`, and closes `output` once they have
 * all finished. With a `tally` (the run is watched: monitored or traced) the workers run
 * counting loops and the tally's listener hears the stage; without one, loops that count
 * nothing and tell no one.
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
  tally?.begin();
  // The stage's end, once its workers stopped: `error` when its machinery failed.
  let failure: { readonly error: unknown } | undefined;
  const failed = (error: unknown) => {
    failure = { error };
    control.fail(error);
  };
  const ended = () => {
    tally?.end(failure?.error);
    output.close();
  };
  if (stage.work.kind === "batch" || stage.work.kind === "unbatch") {
    const done =
      stage.work.kind === "batch"
        ? batchLoop(stage.work.size, stage.work.maxWaitMs, input, output, control, tally)
        : unbatchLoop(input, output, tally);
    return done.catch(failed).then(ended);
  }
  const { threads, redis } = stage.options;
  const remote = threads
    ? startThreads(stage, name, control)
    : redis
      ? startRedisStage(stage, name, control, redis)
      : undefined;
  const work = remote?.stage ?? stage;
  const emit = ordered && workers > 1 ? orderedEmitter(output, control) : undefined;
  const guards = guardsOf(stage, name, control, tally);
  const loops: Promise<void>[] = [];
  for (let w = 0; w < workers; w++) {
    let call = workerCall(work, name, w, control, guards);
    if (stage.options.batched) call = batchedCall(call, name, tally);
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
    .catch(failed)
    .then(() => remote?.close())
    .then(ended);
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
  guards: Guards,
): Call {
  const work = stage.work;
  if (work.kind === "pool") return attempts(work.handler, stage, name, worker, control, guards);
  if (work.kind === "mix") {
    return attempts(work.handlers[worker]!, stage, name, worker, control, guards);
  }
  if (work.kind !== "fork") throw new TypeError(`A ${work.kind} stage has no handler.`);
  const calls = work.handlers.map((h, k) =>
    attempts(h, stage, name, worker * work.handlers.length + k, control, guards),
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
 * Calls `handler` up to `retries` times until it neither throws nor rejects (waiting out the
 * backoff between attempts, and stopping early when `retryIf` says no); the result is the
 * value, SKIP, or an Err naming the item, the stage and the attempts made. With a circuit,
 * an open one fails the item at once; with a rate, each attempt waits for its token.
 */
function attempts(
  handler: Handler<unknown, unknown>,
  stage: Stage<unknown, unknown>,
  name: string,
  worker: number,
  control: RunControl,
  guards: Guards,
): Call {
  const { retries, timeoutMs, backoff, retryIf } = stage.options;
  const { limiter, circuit, waits, tally } = guards;
  // Read once: an untraced run's attempts never look for a listener.
  const listener = tally?.listener;
  const state = new WorkerState(name, worker);
  const timed = timeoutMs === undefined ? undefined : new TimedAttempts(name, timeoutMs);
  if (timed) control.onCancel(() => timed.abortAll(control.signal.reason));
  // Without a timeout every attempt shares the stream's signal, so the hot path allocates
  // nothing; a first attempt reuses one context object.
  const first: AttemptContext = { signal: control.signal, attempt: 1 };
  const settle = (item: unknown, value: unknown, attempt: number): unknown => {
    if (circuit) circuit.success();
    if (value === SKIP) return SKIP;
    if (isOkWrapper(value)) return value.value;
    if (isErr(value)) {
      return value.stage === undefined
        ? Err(value.error, { item, stage: name, attempts: attempt, ...value })
        : value;
    }
    return value;
  };
  const giveUp = (item: unknown, error: unknown, attempt: number): unknown =>
    Err(error, { item, stage: name, attempts: attempt });
  const worthAnother = (error: unknown, attempt: number): boolean => {
    if (attempt >= retries || control.signal.aborted) return false;
    if (retryIf === undefined) return true;
    // A throwing retryIf is a bug in it, not a reason to hide the handler's error: no retry.
    try {
      return retryIf(error, attempt) === true;
    } catch {
      return false;
    }
  };
  const failed = (item: unknown, error: unknown, attempt: number): unknown => {
    if (circuit) circuit.failure();
    if (!worthAnother(error, attempt)) return giveUp(item, error, attempt);
    if (tally) tally.retried++;
    if (!waits) return run(item, attempt + 1);
    return waits
      .wait(backoffDelay(backoff!, attempt))
      .then(() => (control.signal.aborted ? giveUp(item, error, attempt) : run(item, attempt + 1)));
  };
  // One attempt: what the handler returned, or its promise raced against the timeout. A
  // throw is the attempt's failure.
  const once = (item: unknown, attempt: number): unknown => {
    let context = first;
    let controller: AbortController | undefined;
    if (attempt > 1 || timeoutMs !== undefined) {
      if (timeoutMs === undefined) context = { signal: control.signal, attempt };
      else {
        controller = new AbortController();
        context = { signal: controller.signal, attempt };
      }
    }
    const value = handler(item, state, context);
    return controller && isThenable(value)
      ? timed!.race(value, controller, attempt, control.signal)
      : value;
  };
  // A traced run calls each attempt within its listener (its span); chosen once, so an
  // untraced run's attempts are the plain calls.
  const attempt = listener
    ? (item: unknown, n: number): unknown => listener.within(worker, n, item, () => once(item, n))
    : once;
  const call = (item: unknown, n: number): unknown => {
    let value: unknown;
    try {
      value = attempt(item, n);
    } catch (error) {
      return failed(item, error, n);
    }
    if (!isThenable(value)) return settle(item, value, n);
    return Promise.resolve(value).then(
      (v) => settle(item, v, n),
      (error: unknown) => failed(item, error, n),
    );
  };
  // The plain path, chosen once, for stages with neither a circuit nor a rate.
  const run =
    circuit === undefined && limiter === undefined
      ? call
      : (item: unknown, attempt: number): unknown => {
          const open = circuit?.admit();
          // The handler is not called: the Err counts the attempts that did call it.
          if (open) {
            listener?.onRefused(worker, attempt, item, open);
            return Err(open, { item, stage: name, attempts: attempt - 1 });
          }
          if (limiter === undefined || limiter.tryAcquire()) return call(item, attempt);
          return limiter.acquire(control.signal).then(
            () => call(item, attempt),
            (error: unknown) => giveUp(item, error, attempt - 1),
          );
        };
  return (item) => run(item, 1);
}
