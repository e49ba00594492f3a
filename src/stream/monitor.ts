import { clip } from "../_internal/bounded-text.ts";
import { InvalidOptionError } from "../errors.ts";
import type { Circuit, CircuitState } from "./breaker.ts";
import type { Channel } from "./channel.ts";
import type { RunEnd, StageListener, StreamListener } from "./events.ts";
import { type Err, isErr } from "./result.ts";
import { SKIP } from "./skip.ts";

/** Failed items kept in {@link StreamStats.errors}. */
const ERRORS_KEPT = 20;
/** Characters of one failed item's message kept. */
const MESSAGE_CHARS = 500;

/** One stage of a monitored stream, as {@link StreamMonitor.stats} sees it now. */
export interface StageStats {
  /** The stage's name: its `name` option, else its handler's name, else `stage <n>` (from 1). */
  readonly name: string;
  /** Its workers (for a fork stage, the items it handles at once). */
  readonly workers: number;
  /** Items it took from its input buffer, `Err`s from earlier stages included. */
  readonly in: number;
  /** Values it put out that are not `Err`s. */
  readonly out: number;
  /** Items its handler dropped by returning `SKIP`: neither out nor failed. */
  readonly skipped: number;
  /** `Err`s it produced, after its retries (not those of earlier stages passing through). */
  readonly failed: number;
  /** `Err`s of earlier stages it passed on untouched. */
  readonly passed: number;
  /** Items waiting in its input buffer now. */
  readonly buffered: number;
  /** How many items its input buffer holds at most (its `buffer` option). */
  readonly capacity: number;
  /**
   * Workers holding an item now: from taking it until the next stage (or the consumer) has
   * accepted what came of it, so a worker waiting for room downstream counts as busy.
   */
  readonly busy: number;
  /** Attempts started again after a failure (each retry counts once). */
  readonly retried: number;
  /**
   * Its circuit breaker's state (`breaker` option): `"closed"`, `"open"` (failing items
   * fast) or `"half-open"` (one probe let through); null for a stage without one.
   */
  readonly circuit: CircuitState | null;
  /** Times its circuit opened in this run (0 without a breaker). */
  readonly circuitOpened: number;
}

/** One failed item in {@link StreamStats.errors}. */
export interface StreamErrorStats {
  /** The stage that produced the `Err`. */
  readonly stage: string;
  /** The error's message (or the error as text), cut to about 500 characters. */
  readonly message: string;
  /** Attempts made before giving up. */
  readonly attempts: number;
  /** When the stage gave up on the item, ISO 8601. */
  readonly at: string;
}

/** A monitored stream's state: what {@link StreamMonitor.stats} returns. */
export interface StreamStats {
  /**
   * `idle` before the first run; `running` from its start; then `done` when the stream was
   * drained or the consumer stopped early (a `break`, `return()`), `failed` when the run
   * rejected with the source's or a stage's own error, `aborted` when its signal aborted.
   */
  readonly state: "idle" | "running" | "done" | "failed" | "aborted";
  /** When the run started, ISO 8601; null while idle. */
  readonly startedAt: string | null;
  /** Milliseconds since the run started, or that it ran once it has ended. */
  readonly elapsedMs: number;
  /** Items the source gave so far, and whether it has ended. */
  readonly source: { readonly items: number; readonly done: boolean };
  /** Every stage, in order, nested streams' stages included. */
  readonly stages: readonly StageStats[];
  /** Items the consumer received, `Err`s included. */
  readonly output: number;
  /** The latest 20 `Err`s the stages produced, newest last. */
  readonly errors: readonly StreamErrorStats[];
  /** The error the run rejected with (the source threw, a stage's machinery failed, aborted). */
  readonly error?: string;
}

/**
 * Live counts of one stage, bumped by its workers when (and only when) a run is watched (a
 * monitor, a dashboard or tracing), and the stage's listener, told of its start, its
 * handler calls and its end. The fields mean what {@link StageStats}'s do.
 *
 * @internal
 */
export class StageTally {
  /** See {@link StageStats.in}. */
  in = 0;
  /** See {@link StageStats.out}. */
  out = 0;
  /** See {@link StageStats.skipped}. */
  skipped = 0;
  /** See {@link StageStats.failed}. */
  failed = 0;
  /** See {@link StageStats.passed}. */
  passed = 0;
  /** See {@link StageStats.busy}. */
  busy = 0;
  /** See {@link StageStats.retried}. */
  retried = 0;
  /** The stage's circuit in this run, when it has a breaker. */
  circuit: Circuit | undefined;
  /** The stage's handler returns arrays of results (`batched: true`), counted item by item. */
  batched = false;
  /** What hears the stage's handler calls, from {@link StageTally.begin}; none when untraced. */
  listener: StageListener | undefined;
  /** The stage's name. */
  readonly name: string;
  /** Its workers. */
  readonly workers: number;
  readonly #input: Channel<unknown>;
  readonly #watch: RunWatch;

  /**
   * @param name - The stage's name.
   * @param workers - Its workers.
   * @param input - Its input buffer, read for the fill at `stats()` time.
   * @param watch - The run, which keeps the latest errors.
   */
  constructor(name: string, workers: number, input: Channel<unknown>, watch: RunWatch) {
    this.name = name;
    this.workers = workers;
    this.#input = input;
    this.#watch = watch;
  }

  /** The stage starts its workers: tells the run's listener, and keeps what it returns. */
  begin(): void {
    this.listener = this.#watch.listener?.onStageStart(this);
  }

  /** Every worker has stopped (its machinery failed with `error`, when given). */
  end(error?: unknown): void {
    this.listener?.onStageEnd(error);
  }

  /** Counts what the handler made of one item: a value, SKIP, or an Err it produced. */
  settle(out: unknown): void {
    if (this.batched && Array.isArray(out)) {
      for (const value of out) this.settle(value);
      return;
    }
    if (out === SKIP) this.skipped++;
    else if (isErr(out)) {
      this.failed++;
      this.#watch.logError(this.name, out);
    } else this.out++;
  }

  /** The figures as of now. */
  snapshot(): StageStats {
    return {
      name: this.name,
      workers: this.workers,
      in: this.in,
      out: this.out,
      skipped: this.skipped,
      failed: this.failed,
      passed: this.passed,
      // Read from the channel now: buffer fill costs nothing per item.
      buffered: this.#input.size,
      capacity: this.#input.capacity,
      busy: this.busy,
      retried: this.retried,
      circuit: this.circuit?.state ?? null,
      circuitOpened: this.circuit?.opened ?? 0,
    };
  }
}

/**
 * One stage as the run gives it to its monitor.
 *
 * @internal
 */
export interface WatchedStage {
  /** The stage's name, as the stream names it. */
  readonly name: string;
  /** Its workers. */
  readonly workers: number;
  /** Its input buffer. */
  readonly input: Channel<unknown>;
}

/**
 * The counts of one watched run (monitored, on a dashboard or traced); the stream and its
 * stages write them, `stats()` reads, and the run's listener hears its stages and its end.
 *
 * @internal
 */
export class RunWatch {
  /** Each stage's counts, in order. */
  readonly stages: readonly StageTally[];
  /** See {@link StreamStats.state}. */
  state: StreamStats["state"] = "running";
  /** See {@link StreamStats.output}. */
  output = 0;
  /** Items the source gave. */
  sourceItems = 0;
  /** Whether the source has ended. */
  sourceDone = false;
  /** When the run started, ISO 8601. */
  readonly startedAt = new Date().toISOString();
  readonly #start = performance.now();
  #end: number | undefined;
  #error: string | undefined;
  readonly #errors: StreamErrorStats[] = [];
  /** Told of the run's stages and its end (tracing); set before the stages start. */
  listener: StreamListener | undefined;

  /** @param stages - The run's stages, in order. */
  constructor(stages: readonly WatchedStage[]) {
    this.stages = stages.map((s) => new StageTally(s.name, s.workers, s.input, this));
  }

  /**
   * Ends the run as `state`. Only the first end counts unless `final` (the end the consumer
   * sees, which matches what the run rejected with); the listener hears the first.
   */
  finish(state: RunEnd, error?: unknown, final = false): void {
    if (this.state !== "running" && !final) return;
    if (this.state === "running") this.listener?.onRunEnd(state, error, this.output);
    this.state = state;
    this.#end ??= performance.now();
    this.#error = error === undefined ? undefined : describe(error);
  }

  /** Keeps `err`, made by `stage`, among the latest errors. */
  logError(stage: string, err: Err): void {
    if (this.#errors.length === ERRORS_KEPT) this.#errors.shift();
    this.#errors.push({
      stage,
      message: describe(err.error),
      attempts: err.attempts ?? 1,
      at: new Date().toISOString(),
    });
  }

  /** Counts the items the source gives; used in place of the source's own iterator. */
  countSource<I extends Iterator<unknown> | AsyncIterator<unknown>>(it: I): I {
    const count = (result: IteratorResult<unknown>) => {
      if (result.done) this.sourceDone = true;
      else this.sourceItems++;
      return result;
    };
    const next = (): unknown => {
      const result = it.next();
      return typeof (result as { then?: unknown }).then === "function"
        ? (result as Promise<IteratorResult<unknown>>).then(count)
        : count(result as IteratorResult<unknown>);
    };
    const counted = { next } as unknown as { return?: (value?: unknown) => unknown };
    // The stream ends a source early through `return()`, and only when it has one.
    const ret = it.return as ((this: I, value?: unknown) => unknown) | undefined;
    if (ret) counted.return = (value?: unknown) => ret.call(it, value);
    return counted as I;
  }

  /** The figures as of now. */
  snapshot(): StreamStats {
    const stats = {
      state: this.state,
      startedAt: this.startedAt,
      elapsedMs: (this.#end ?? performance.now()) - this.#start,
      source: { items: this.sourceItems, done: this.sourceDone },
      stages: this.stages.map((s) => s.snapshot()),
      output: this.output,
      errors: this.#errors.slice(),
    };
    return this.#error === undefined ? stats : { ...stats, error: this.#error };
  }
}

/** A monitor's figures before its first run. */
const idle = (): StreamStats => ({
  state: "idle",
  startedAt: null,
  elapsedMs: 0,
  source: { items: 0, done: false },
  stages: [],
  output: 0,
  errors: [],
});

/** Starts a monitor's watch of a run; set by the class, so the class needs no public method. */
let watchRun: (monitor: StreamMonitor, stages: readonly WatchedStage[]) => RunWatch;

/**
 * Live statistics of a running stream, per stage: items in, out, skipped and failed, the
 * buffer's fill and the busy workers, for a dashboard or a progress line. Pass it as the
 * `monitor` option of `run`, `toArray` or `iterate`, and call {@link StreamMonitor.stats}
 * whenever you like, during the run or after it.
 *
 * The run ends `done` when it was drained, and also when the consumer stopped early (a
 * `break` out of `for await`, or the iterator's `return()`); `failed` when it rejected with
 * the source's or a stage's own error; `aborted` when its signal aborted. A run whose consumer
 * neither drains it nor returns stays `running`.
 *
 * A monitor watches one run at a time; once that run has ended it may watch another, and its
 * figures start again from zero. A stream without a monitor does no counting at all: its
 * workers run loops that have no counters in them.
 *
 * @example
 * ```ts
 * const monitor = new StreamMonitor();
 * const timer = setInterval(() => {
 *   for (const s of monitor.stats().stages) console.log(s.name, s.in, s.out, s.failed, `${s.buffered}/${s.capacity}`);
 * }, 1_000);
 * try {
 *   await stream(urls).pipe(fetchAll, parse).run({ monitor });
 * } finally {
 *   clearInterval(timer);
 * }
 * ```
 */
export class StreamMonitor {
  #run: RunWatch | undefined;

  static {
    watchRun = (monitor, stages) => monitor.#watch(stages);
  }

  /**
   * The figures of the run it watches (or watched last), as of now. Each call returns a new
   * object; nothing in it changes afterwards.
   *
   * @returns The stream's state and counts; `state: "idle"` with no stages before any run.
   * @example
   * ```ts
   * const { state, stages, output } = monitor.stats();
   * ```
   */
  stats(): StreamStats {
    return this.#run?.snapshot() ?? idle();
  }

  #watch(stages: readonly WatchedStage[]): RunWatch {
    const current = this.#run;
    if (current?.state === "running") {
      throw new InvalidOptionError(
        "monitor",
        `This StreamMonitor is watching a stream that is still running (started ` +
          `${current.startedAt}); a monitor watches one run at a time. Give this run ` +
          "its own new StreamMonitor(), or start it after the other run has ended.",
      );
    }
    this.#run = new RunWatch(stages);
    return this.#run;
  }
}

/**
 * Makes `monitor` watch a run of `stages` from now on, its figures reset.
 *
 * @internal
 * @throws TypeError when `monitor` is not a StreamMonitor, or is watching a run that is still
 *   going.
 */
export function watch(monitor: StreamMonitor, stages: readonly WatchedStage[]): RunWatch {
  if (!(monitor instanceof StreamMonitor)) {
    const got = monitor === null ? "null" : typeof monitor;
    throw new InvalidOptionError(
      "monitor",
      `Expected \`monitor\` to be a StreamMonitor, got ${got}. Pass new StreamMonitor(), or leave ` +
        "`monitor` out.",
    );
  }
  return watchRun(monitor, stages);
}

/** An error's message, or the thrown value as text, cut for a person to read. */
function describe(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? String(error.message || error.name) : String(error);
  } catch {
    // An object without a prototype (or with a throwing toString) has no text of its own.
    text = Object.prototype.toString.call(error);
  }
  return clip(text, MESSAGE_CHARS);
}
