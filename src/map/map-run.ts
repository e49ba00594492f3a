/**
 * A map you can hold (pipefunc's `map_async`): `pipeline.mapAsync` returns a {@link MapRun} at
 * once, whose result, status, events and end can be followed while it goes, and which can be
 * cancelled. `map` is `mapAsync(...).result()`.
 */
import { hostname } from "node:os";
import { resolve } from "node:path";
import { clip } from "../_internal/bounded-text.ts";
import { thrownMessage } from "../_internal/thrown-message.ts";
import { AbortError } from "../errors.ts";
import type { RunStatus } from "../status/types.ts";
import type { StatusWriter } from "../status/writer.ts";
import { combineListeners, type ProgressListener } from "./events.ts";
import { type MapRunEndState, type MapRunEvent, MapRunEvents } from "./map-run-events.ts";
import type { MapResults } from "./results.ts";
import type { MapHooks, MapOptions } from "./run-map.ts";

/** Options of {@link Pipeline.mapAsync}: those of `map`, and whether to start now. */
export interface MapAsyncOptions extends MapOptions {
  /**
   * Start the run now. `false` makes a run that waits for {@link MapRun.start}, or for
   * `launchMaps` to start it when one of its slots is free (pipefunc's `start=False`).
   * @defaultValue true
   */
  readonly start?: boolean;
}

/** Where a {@link MapRun} stands: `queued` until it starts, then running, then how it ended. */
export type MapRunState = "queued" | "running" | MapRunEndState;

/** What {@link MapRun.done} resolves with. */
export interface MapRunEnd {
  /** How the run ended. */
  readonly state: MapRunEndState;
  /** Why it failed or was aborted (what {@link MapRun.result} rejects with); absent when done. */
  readonly error?: unknown;
}

/** Starts the sweep of a {@link MapRun}, with its hooks and the signal its `cancel` aborts. */
export type MapLaunch<R> = (hooks: MapHooks, signal: AbortSignal) => Promise<R>;

/** What `launchMaps` gives a run it starts: a listener of its own, and no bars of its own. */
export interface LaunchHooks {
  readonly listener?: ProgressListener | undefined;
  readonly bars?: boolean | undefined;
}

/** Starts a run with what `launchMaps` adds; not part of the public API. */
export const START_WITH: unique symbol = Symbol("pipeweave.mapRun.startWith");

/** Marks a run as held by `launchMaps`; not part of the public API. */
export const HOLD: unique symbol = Symbol("pipeweave.mapRun.hold");

/** Characters of an error's message a status made by the run keeps (as status.json does). */
const ERROR_CHARS = 4000;

/**
 * One sweep, running or about to, as {@link Pipeline.mapAsync} returns it: its result, its
 * live status, its events, its end, and a way to stop it. Results are typed as `map`'s.
 *
 * `result()` rejects when the run fails or is cancelled; `done` never rejects. A run nobody
 * asks the result of does not make an unhandled rejection.
 *
 * @typeParam R - What `map` would resolve with: the results, or a `MapSummary`.
 * @example
 * ```ts
 * const run = pipeline.mapAsync({ a: [1, 2, 3] }, { runFolder: "runs/a" });
 * for await (const event of run.events()) console.log(event.type);
 * const results = await run.result();
 * ```
 */
export class MapRun<R = MapResults<Record<string, unknown>>> {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** The run folder (absolute), or undefined for a sweep without one. */
  readonly runFolder: string | undefined;
  /**
   * Settles once the run is over (its run folder unlocked and its executors closed), with how
   * it ended. It never rejects: the error is in {@link MapRunEnd.error}.
   */
  readonly done: Promise<MapRunEnd>;

  readonly #launch: MapLaunch<R>;
  readonly #events = new MapRunEvents();
  readonly #controller = new AbortController();
  readonly #result: Promise<R>;
  readonly #createdAt = Date.now();
  // Typed `unknown`, not R: a MapRun of some results is then a MapRun<unknown> too.
  #resolve!: (value: unknown) => void;
  #reject!: (error: unknown) => void;
  #endDone!: (end: MapRunEnd) => void;
  #state: MapRunState = "queued";
  #writer: StatusWriter | undefined;
  #startedAt = 0;
  #end: MapRunEnd | undefined;
  #isHeld = false;

  /**
   * Made by {@link Pipeline.mapAsync} (or `launchMaps`); not meant to be called directly.
   *
   * @param pipeline - The pipeline's name.
   * @param options - The map's options (its run folder, whether to start now).
   * @param launch - Runs the sweep.
   */
  constructor(pipeline: string, options: MapAsyncOptions, launch: MapLaunch<R>) {
    this.pipeline = pipeline;
    this.runFolder = options.runFolder === undefined ? undefined : resolve(options.runFolder);
    this.#launch = launch;
    this.#result = new Promise<R>((ok, fail) => {
      this.#resolve = ok as (value: unknown) => void;
      this.#reject = fail;
    });
    // Rejections are for those who ask for the result: a run nobody awaits must not crash.
    this.#result.catch(() => undefined);
    this.done = new Promise((ok) => {
      this.#endDone = ok;
    });
    if (options.start !== false) this.start();
  }

  /** Where the run stands. */
  get state(): MapRunState {
    return this.#state;
  }

  /**
   * Starts a run made with `{ start: false }`; nothing when it has started, was cancelled, or
   * is held by `launchMaps` (which starts it when a slot is free).
   *
   * @returns The run.
   */
  start(): this {
    return this.#isHeld ? this : this[START_WITH]({});
  }

  /** @internal `launchMaps` holds the run: only it starts it. */
  [HOLD](): void {
    this.#isHeld = true;
  }

  /** @internal Starts the run with a listener of `launchMaps`. */
  [START_WITH](hooks: LaunchHooks): this {
    if (this.#state !== "queued") return this;
    this.#state = "running";
    this.#startedAt = Date.now();
    let running: Promise<R>;
    try {
      running = this.#launch(
        {
          listener: combineListeners(this.#events.listener, hooks.listener),
          bars: hooks.bars,
          onStatus: (writer) => {
            this.#writer = writer;
          },
        },
        this.#controller.signal,
      );
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (value) => this.#finish({ state: "done" }, () => this.#resolve(value)),
      (error: unknown) =>
        this.#finish({ state: error instanceof AbortError ? "aborted" : "failed", error }, () =>
          this.#reject(error),
        ),
    );
    return this;
  }

  /**
   * The results, as `map` resolves with them (a `MapSummary` under `returnResults: false`).
   *
   * @returns The promise `map` would return: it rejects with the run's error, or an
   *   {@link AbortError} when it was cancelled.
   */
  result(): Promise<R> {
    return this.#result;
  }

  /**
   * The run's status now: the same {@link RunStatus} that `runStatus(runFolder)` reads from its
   * status file, for a run without a run folder too (its `runFolder` is then empty). Before the
   * sweep has planned its functions (and while `launchMaps` holds it back, state `queued`) it
   * lists no functions.
   */
  status(): RunStatus {
    const writer = this.#writer;
    if (writer) return writer.snapshot();
    const now = Date.now();
    const started = this.#startedAt || this.#createdAt;
    const end = this.#end;
    const state = end ? end.state : this.#state;
    return {
      format: 1,
      runFolder: this.runFolder ?? "",
      pipeline: this.pipeline,
      state,
      pid: process.pid,
      host: hostname(),
      startedAt: new Date(started).toISOString(),
      updatedAt: new Date(now).toISOString(),
      elapsedMs: this.#startedAt === 0 ? 0 : now - started,
      etaMs: null,
      functions: [],
      ...(end?.error === undefined ? {} : { error: clip(thrownMessage(end.error), ERROR_CHARS) }),
    };
  }

  /**
   * Stops the run: no new element starts, those running are waited for, and what finished is
   * kept, so the run folder can be resumed (`resume: true`). A queued run never starts.
   * `result()` then rejects with an {@link AbortError} whose `cause` is `reason`.
   *
   * @param reason - Why; the abort's reason.
   * @returns Once the run is over (as {@link MapRun.done}).
   */
  async cancel(reason: unknown = new Error("cancelled")): Promise<void> {
    if (this.#state === "queued") {
      const error = new AbortError(`map of pipeline "${this.pipeline}"`, reason);
      this.#state = "aborted";
      this.#finish({ state: "aborted", error }, () => this.#reject(error));
    } else if (this.#state === "running") {
      this.#controller.abort(reason);
    }
    await this.done;
  }

  /**
   * The run's events from now on, as an async iterable that ends after `run-ended` (at once
   * with only `run-ended` when the run is over). Each call gets its own queue; one opened before
   * the run starts (right after `mapAsync`) sees every event.
   *
   * A slow consumer never holds the run up, and its queue stays bounded: `elements-done` events
   * waiting are summed per function (so counts move earlier relative to other functions'
   * events, never past their own function's end), and past 1000 waiting `element-failed`
   * events the later ones are dropped (the counts still include them). Breaking out of the loop
   * stops the queue, not the run.
   */
  events(): AsyncIterableIterator<MapRunEvent> {
    return this.#events.open();
  }

  #finish(end: MapRunEnd, settle: () => void): void {
    this.#end = end;
    this.#state = end.state;
    settle();
    this.#events.end(end.state, end.error);
    this.#endDone(end);
  }
}

/** A signal aborted when either is: the caller's `signal` option, and the run's `cancel`. */
export function followBoth(user: AbortSignal | undefined, own: AbortSignal): AbortSignal {
  return user ? AbortSignal.any([user, own]) : own;
}
