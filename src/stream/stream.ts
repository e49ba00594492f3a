import { isWorkerImport, suspendedRun } from "../_internal/declarations.ts";
import type { DashboardOptions } from "../dashboard/server.ts";
import { AbortError, InvalidArgumentError } from "../errors.ts";
import { startStreamTrace } from "../otel/stream-trace.ts";
import { resolveTracing, type Tracing } from "../otel/tracing.ts";

/** A traced run's tracing, and the run's name for its span. */
type StreamTracing = Tracing & { readonly runName: string | undefined };

import type { TracingOption } from "../otel/types.ts";
import { Channel, DONE, EMPTY } from "./channel.ts";
import { RunWatch, StreamMonitor, watch } from "./monitor.ts";
import { type Err, isErr } from "./result.ts";
import { type RunControl, runStage } from "./run-stage.ts";
import { type AnyStage, isStage, type Stage } from "./stage.ts";
import { threadsOf } from "./thread-stage.ts";

/** What a stream reads from: an iterable, an async iterable (Node streams too) or a stream. */
export type StreamSource<T> = Iterable<T> | AsyncIterable<T>;

/**
 * What {@link Stream.pipe} takes: a stage of items `I` to `O`, or a stream without a source
 * (made by `stream<I>()`) whose stages then run in its place.
 */
export type StreamStep<I, O> = Stage<I, O> | Stream<O, I>;

const ITEM_IN: unique symbol = Symbol("item in");

const NO_SOURCE = "has no source: stream<T>() made it to nest in another stream.";

/** Options of {@link Stream.run}, {@link Stream.toArray} and {@link Stream.iterate}. */
export interface StreamRunOptions {
  /** Stops every stage and the source promptly; the run rejects with an `AbortError`. */
  readonly signal?: AbortSignal;
  /**
   * Counts this run's items per stage, live, for {@link StreamMonitor.stats}. Without one the
   * stream counts nothing. A monitor watches one run at a time. @defaultValue none
   */
  readonly monitor?: StreamMonitor;
  /**
   * Serve a live dashboard of the run on 127.0.0.1 (a free port, the URL with its token printed
   * on stderr, or given to `onReady`): each stage's items in, out and failed, its buffer's fill
   * and the latest failed items. It counts through `monitor` (one is made when none is given),
   * and keeps showing the final state after the run while the process lives, without keeping
   * the process alive.
   * @defaultValue false
   */
  readonly dashboard?: boolean | DashboardOptions;
  /**
   * Trace the run with OpenTelemetry (see {@link TracingOption}): a span for the run (`stream
   * <name>` or `stream`, under the caller's active span), one per stage under it, and one per handler call
   * under its stage's (`item <stage>`: each attempt at an item, or at a batch of a `batched`
   * pool), the active span while the handler runs, so the handler's own spans are its
   * children. A failed attempt's span records its error (a throw, a timeout, a returned `Err`,
   * an open circuit's `CircuitOpenError`). For a stage on threads or Redis workers the call's
   * span is made here, around the remote call, so its time includes the transport. A stream
   * traces every item whatever `detail` says. Stage spans carry the stage's counts at its end,
   * as a monitor counts them.
   * @defaultValue off
   */
  readonly tracing?: TracingOption;
  /**
   * The run's name, which its trace span shows (`stream <name>`).
   * @defaultValue none: the span is named `stream`
   */
  readonly name?: string;
}

/** What {@link Stream.run} resolves to. */
export type StreamSummary =
  | { readonly ok: true; readonly count: number }
  | {
      readonly ok: false;
      readonly count: number;
      /** Every failed item, with its item, stage and attempts, in the order they came out. */
      readonly errors: readonly Err[];
    };

/**
 * An async dataflow: a source, then stages that each run bounded workers over a bounded
 * buffer. A stream is a description; each `run`, `toArray` or iteration starts it afresh.
 * Items are values, or `Err`s for items that failed in an earlier stage.
 *
 * `T` is the type of its outputs. `In` is the type of the items its stages take when it has no
 * source (`stream<In>()`) and is nested in another stream's `pipe()`; a stream with a source
 * keeps the default, `never`, and cannot be nested.
 */
export class Stream<T, In = never> implements AsyncIterable<T | Err> {
  /** Phantom type of the items a stream without a source takes; never set. */
  declare readonly [ITEM_IN]?: (item: In) => void;
  readonly #source: StreamSource<unknown> | undefined;
  readonly #stages: readonly AnyStage[];

  /** @internal Use {@link stream}. */
  constructor(source: StreamSource<unknown> | undefined, stages: readonly AnyStage[]) {
    if (source instanceof Stream && source.#source === undefined) {
      throw new InvalidArgumentError(
        "source",
        `stream() got a stream that ${NO_SOURCE} It cannot be a source; pass it to pipe() of ` +
          "a stream that has one instead: stream(items).pipe(nested).",
      );
    }
    this.#source = source;
    this.#stages = stages;
  }

  /** Number of stages, counting those of nested streams. */
  get length(): number {
    return this.#stages.length;
  }

  /**
   * Adds stages; returns a new stream and leaves this one unchanged. Each stage must take
   * what the one before gives (checked by the compiler for up to six stages per call; chain
   * `.pipe()` calls for more).
   *
   * A stream without a source, made by `stream<T>()`, may stand for a stage: its stages run
   * on this stream's items, in order, each with its own workers, buffer and retries.
   *
   * @param steps - Stages made by `pool`, `mix` or `fork`, or streams made by `stream<T>()`.
   * @returns The longer stream, typed by the last step's output.
   * @throws TypeError naming the argument's position when it is neither a stage nor a stream
   *   without a source.
   * @example
   * ```ts
   * const clean = stream<string>().pipe(trim, dropEmpty);
   * await stream(lines).pipe(clean, pool({}, (line: string) => line.length)).toArray();
   * ```
   */
  pipe<A>(s1: StreamStep<T, A>): Stream<A, In>;
  pipe<A, B>(s1: StreamStep<T, A>, s2: StreamStep<A, B>): Stream<B, In>;
  pipe<A, B, C>(s1: StreamStep<T, A>, s2: StreamStep<A, B>, s3: StreamStep<B, C>): Stream<C, In>;
  pipe<A, B, C, D>(
    s1: StreamStep<T, A>,
    s2: StreamStep<A, B>,
    s3: StreamStep<B, C>,
    s4: StreamStep<C, D>,
  ): Stream<D, In>;
  pipe<A, B, C, D, E>(
    s1: StreamStep<T, A>,
    s2: StreamStep<A, B>,
    s3: StreamStep<B, C>,
    s4: StreamStep<C, D>,
    s5: StreamStep<D, E>,
  ): Stream<E, In>;
  pipe<A, B, C, D, E, F>(
    s1: StreamStep<T, A>,
    s2: StreamStep<A, B>,
    s3: StreamStep<B, C>,
    s4: StreamStep<C, D>,
    s5: StreamStep<D, E>,
    s6: StreamStep<E, F>,
  ): Stream<F, In>;
  pipe(...steps: unknown[]): Stream<unknown, In> {
    const stages = this.#stages.slice();
    for (let k = 0; k < steps.length; k++) {
      const step = steps[k];
      // A nested stream's stages join this one's: no stage in between, no cost per item.
      if (step instanceof Stream && step.#source === undefined) stages.push(...step.#stages);
      else if (isStage(step)) stages.push(step);
      else throw notAStep(step, k + 1);
    }
    return new Stream(this.#source, stages);
  }

  /**
   * Drains the stream.
   *
   * @param options - `signal` to stop it, `monitor` to watch it.
   * @returns `{ ok: true, count }`, or `{ ok: false, count, errors }` listing every failed item.
   * @throws AbortError when the signal aborts; the source's own error when it throws.
   * @throws TypeError when `monitor` is watching another run that is still going.
   */
  async run(options: StreamRunOptions = {}): Promise<StreamSummary> {
    let count = 0;
    const errors: Err[] = [];
    const it = this.iterate(options);
    for (;;) {
      const step = await it.next();
      if (step.done) break;
      count++;
      if (isErr(step.value)) errors.push(step.value);
    }
    return errors.length === 0 ? { ok: true, count } : { ok: false, count, errors };
  }

  /**
   * Collects every output, `Err`s included, in arrival order.
   *
   * @param options - `signal` to stop it, `monitor` to watch it.
   * @returns The outputs.
   * @throws AbortError when the signal aborts; the source's own error when it throws.
   * @throws TypeError when `monitor` is watching another run that is still going.
   */
  async toArray(options: StreamRunOptions = {}): Promise<(T | Err)[]> {
    const out: (T | Err)[] = [];
    const it = this.iterate(options);
    for (;;) {
      const step = await it.next();
      if (step.done) return out;
      out.push(step.value);
    }
  }

  /** Iterates the outputs: `for await (const x of stream)`. Breaking out cancels every stage. */
  [Symbol.asyncIterator](): AsyncIterator<T | Err> {
    return this.iterate();
  }

  /**
   * Starts the stream and iterates its outputs, with options.
   *
   * @param options - `signal` to stop it, `monitor` to watch it.
   * @returns An async iterator; `return()` (a `break`) cancels the stages and the source.
   * @throws TypeError when `monitor` is watching another run that is still going.
   */
  iterate(options: StreamRunOptions = {}): AsyncIterableIterator<T | Err> {
    if (this.#source === undefined) {
      throw new InvalidArgumentError(
        "this",
        `This stream ${NO_SOURCE} It cannot run on its own; pass it to pipe() of a stream ` +
          "that has one, stream(items).pipe(nested), to run its stages on that stream's items.",
      );
    }
    // A worker importing the module that declared a handler must not start the stream again.
    if (isWorkerImport()) return suspendedIterator();
    const source = this.#source;
    // Resolved once, before anything starts: a bad value or a missing API throws here.
    const resolved = resolveTracing(options.tracing);
    const tracing = resolved ? { ...resolved, runName: options.name } : undefined;
    if (options.dashboard) return withDashboard<T>(source, this.#stages, options, tracing);
    return start<T>(source, this.#stages, options.signal, options.monitor, tracing);
  }
}

/** The TypeError for `value`, given as `pipe()`'s argument `position` (from 1). */
function notAStep(value: unknown, position: number): InvalidArgumentError {
  const where = `Argument ${position} of pipe()`;
  const argument = `pipe() argument ${position}`;
  if (typeof value === "function") {
    const name = value.name;
    return new InvalidArgumentError(
      argument,
      `${where} is a function${name ? ` (${name})` : ""}, not a stage. ` +
        `Wrap it with pool({}, ${name || "fn"}).`,
    );
  }
  if (Array.isArray(value)) {
    return new InvalidArgumentError(
      argument,
      `${where} is an array, not a stage. Spread it: pipe(...stages).`,
    );
  }
  if (value instanceof Stream) {
    return new InvalidArgumentError(
      argument,
      `${where} is a stream that reads its own source, not a stage. A nested stream takes the ` +
        "parent's items: build it without a source, stream<T>().pipe(...stages).",
    );
  }
  if (typeof (value as { then?: unknown } | null)?.then === "function") {
    return new InvalidArgumentError(
      argument,
      `${where} is a promise, not a stage. Await it first.`,
    );
  }
  return new InvalidArgumentError(
    argument,
    `${where} is ${describeValue(value)}, not a stage. Pass a stage made by pool(), mix() or fork(), ` +
      "or a stream made by stream<T>().",
  );
}

/** `undefined`, `null`, `a number (3)`, `a string ("x")`, `an object (Map)`… */
function describeValue(value: unknown): string {
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "string":
      return `a string (${JSON.stringify(value)})`;
    case "object": {
      if (value === null) return "null";
      const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)
        ?.constructor?.name;
      return name && name !== "Object" ? `an object (${name})` : "an object";
    }
    default:
      return `a ${typeof value} (${String(value)})`;
  }
}

/**
 * Makes a stream from a source: `stream(items).pipe(stage, stage).run()`.
 *
 * @param source - Any iterable, async iterable (arrays, generators, Node readable streams,
 *   web streams) or another stream.
 * @returns A stream with no stages yet.
 * @throws TypeError when the source is not iterable, or is a stream without a source.
 * @example
 * ```ts
 * const summary = await stream([1, 2, 3]).pipe(pool({ workers: 2 }, async (n: number) => n * 2)).run();
 * ```
 */
export function stream<T>(source: StreamSource<T> | Stream<T>): Stream<T>;
/**
 * Makes a stream without a source, to nest in other streams: its stages run on the items of
 * each stream whose `pipe()` it is given, as if they had been given there (pipevine's nested
 * pipeline). It cannot run on its own.
 *
 * @typeParam T - The type of the items it takes.
 * @returns A stream with no source and no stages yet.
 * @example
 * ```ts
 * const enrich = stream<number>().pipe(fetchItem, keepHigh);
 * await stream(ids).pipe(enrich, store).run();
 * ```
 */
export function stream<T>(): Stream<T, T>;
export function stream(...args: readonly unknown[]): Stream<unknown, unknown> {
  if (args.length === 0) return new Stream(undefined, []);
  const source = args[0];
  const s = source as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown };
  if (
    s === null ||
    typeof s !== "object" ||
    (typeof s[Symbol.iterator] !== "function" && typeof s[Symbol.asyncIterator] !== "function")
  ) {
    if (typeof source !== "string") {
      throw new InvalidArgumentError(
        "source",
        `Expected stream() to get an iterable or async iterable, got ${source === null ? "null" : typeof source}.`,
      );
    }
  }
  return new Stream(source as StreamSource<unknown>, []);
}

/** The run of {@link start}, once its dashboard listens; the dashboard is let go when it ends. */
async function* withDashboard<T>(
  source: StreamSource<unknown>,
  stages: readonly AnyStage[],
  options: StreamRunOptions,
  tracing: StreamTracing | undefined,
): AsyncIterableIterator<T | Err> {
  const monitor = options.monitor ?? new StreamMonitor();
  // Loaded on first use: a stream without a dashboard never loads the server or the page.
  const { startStreamDashboard } = await import("../dashboard/stream.ts");
  const settings = typeof options.dashboard === "object" ? options.dashboard : {};
  const dashboard = await startStreamDashboard(stages, monitor, settings);
  try {
    yield* start<T>(source, stages, options.signal, monitor, tracing);
  } finally {
    dashboard.release();
  }
}

/**
 * Starts the source pump and every stage; returns the iterator over the last channel. A
 * monitored or traced run is watched: its stages count, and tell the watch's listener.
 */
function start<T>(
  source: StreamSource<unknown>,
  stages: readonly AnyStage[],
  signal: AbortSignal | undefined,
  monitor: StreamMonitor | undefined,
  tracing: StreamTracing | undefined,
): AsyncIterableIterator<T | Err> {
  const controller = new AbortController();
  const cancelHooks: (() => void)[] = [];
  let failure: { readonly error: unknown } | undefined;
  let finished = false;
  const channels: Channel<unknown>[] = stages.map((s) => new Channel(s.options.buffer));
  const names = stages.map((s, k) => s.options.name ?? `stage ${k + 1}`);
  // Before anything starts: a monitor busy with another run refuses this one.
  const watchedStages = () =>
    stages.map((s, k) => ({ name: names[k]!, workers: s.options.workers, input: channels[k]! }));
  const watched: RunWatch | undefined = monitor
    ? watch(monitor, watchedStages())
    : tracing
      ? new RunWatch(watchedStages())
      : undefined;
  if (tracing) watched!.listener = startStreamTrace(tracing, tracing.runName);
  // The consumer takes straight from the last stage's workers, and the worker stays busy
  // with its item until the consumer asks for the next one: nothing hides between them.
  const last = new Channel<unknown>(0, true);
  channels.push(last);

  const cancel = (reason?: unknown) => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    for (const c of channels) c.cancel();
    for (const hook of cancelHooks.splice(0)) hook();
  };
  const control: RunControl = {
    signal: controller.signal,
    fail: (error) => {
      failure ??= { error };
      watched?.finish("failed", failure.error);
      cancel(error);
    },
    onCancel: (hook) => cancelHooks.push(hook),
    threads: stages.reduce((sum, stage) => sum + threadsOf(stage as Stage<unknown, unknown>), 0),
  };
  const aborted = () => new AbortError("stream", signal!.reason, "its stages were stopped.");
  const onAbort = () => {
    watched?.finish("aborted", aborted());
    cancel(signal!.reason);
  };
  const cleanup = () => {
    finished = true;
    signal?.removeEventListener("abort", onAbort);
  };

  const pumpDone = pump(source, channels[0]!, control, watched);
  stages.forEach((stage, k) => {
    const tally = watched?.stages[k];
    void runStage(
      stage as Stage<unknown, unknown>,
      names[k]!,
      channels[k]!,
      channels[k + 1]!,
      control,
      tally,
    );
  });
  if (signal) {
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  }

  const end = (): IteratorResult<T | Err> => {
    cleanup();
    // The monitor ends as the run does, whatever ended it first.
    if (signal?.aborted) {
      const error = aborted();
      watched?.finish("aborted", error, true);
      throw error;
    }
    if (failure) {
      watched?.finish("failed", failure.error, true);
      throw failure.error;
    }
    watched?.finish("done");
    return { done: true, value: undefined };
  };
  // Two versions of the per-item step, chosen once, so an unmonitored run counts nothing.
  const step = watched
    ? (item: unknown): IteratorResult<T | Err> => {
        if (item === DONE) return end();
        watched.output++;
        return { done: false, value: item as T | Err };
      }
    : (item: unknown): IteratorResult<T | Err> =>
        item === DONE ? end() : { done: false, value: item as T | Err };
  const iterator: AsyncIterableIterator<T | Err> = {
    next() {
      if (finished) return Promise.resolve({ done: true, value: undefined });
      try {
        const item = last.tryTake();
        if (item !== EMPTY) return Promise.resolve(step(item));
      } catch (error) {
        return Promise.reject(error);
      }
      return last.take().then(step);
    },
    async return() {
      if (!finished) {
        cleanup();
        // The consumer stopped early: the run ends well, as far as it went.
        watched?.finish("done");
        cancel();
        await pumpDone;
      }
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}

/**
 * Feeds the first channel from the source, pulling an item only when the channel has room,
 * so the source is never read further ahead than the buffers allow. Calls the source
 * iterator's `return()` when the stream is cancelled before the source ends.
 */
async function pump(
  source: StreamSource<unknown>,
  first: Channel<unknown>,
  control: RunControl,
  watched: RunWatch | undefined,
): Promise<void> {
  const sync = typeof (source as Iterable<unknown>)[Symbol.iterator] === "function";
  let it: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  let ended = false;
  const stop = () => {
    if (!ended && it?.return) {
      ended = true;
      // The source's own cleanup; its failure is not the consumer's problem.
      Promise.resolve()
        .then(() => it?.return?.())
        .catch(() => {});
    }
  };
  control.onCancel(stop);
  try {
    it = sync
      ? (source as Iterable<unknown>)[Symbol.iterator]()
      : (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    // Counting wraps the iterator, so the loop below stays the same with or without it.
    if (watched) it = watched.countSource(it);
    for (;;) {
      const room = first.room();
      if (room) await room;
      if (control.signal.aborted) break;
      let result = it.next();
      if (!sync) result = await result;
      const { done, value } = result as IteratorResult<unknown>;
      if (done) {
        ended = true;
        break;
      }
      if (control.signal.aborted) break;
      // There is room, unless the source feeds the consumer directly (no stages).
      if (!first.tryPut(value)) await first.put(value);
    }
  } catch (error) {
    ended = true;
    control.fail(error);
  } finally {
    if (control.signal.aborted) stop();
    first.close();
  }
}

/** An iterator whose first step never comes; see {@link suspendedRun}. */
function suspendedIterator<T>(): AsyncIterableIterator<T> {
  const it: AsyncIterableIterator<T> = {
    next: () => suspendedRun(),
    return: (value?: unknown) => Promise.resolve({ done: true, value: value as T }),
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}
