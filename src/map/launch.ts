/**
 * Several sweeps at once (pipefunc's `launch_maps` / `gather_maps`): runs made with
 * `mapAsync(..., { start: false })` (or specs of them) started with a cap on how many run at
 * once, one combined status, and one set of progress bars for them all.
 */
import type { Dashboard, DashboardOptions } from "../dashboard/server.ts";
import { InvalidArgumentError, InvalidOptionError } from "../errors.ts";
import type { PipelineMapResults } from "../graph/map-types.ts";
import type { Pipeline } from "../graph/pipeline.ts";
import type { RunStatus } from "../status/types.ts";
import { HOLD, type MapAsyncOptions, MapRun, type MapRunEnd, START_WITH } from "./map-run.ts";
import type { MapSummary, SummaryOnly } from "./partial.ts";
import { progressBoard } from "./progress.ts";
import type { MapInputs } from "./run-map.ts";

/** Runs a launchMaps holds: queued, but not to be started (or launched) by anyone else. */
const launched = new WeakSet<MapRun<unknown>>();

/** Options of {@link launchMaps} and {@link gatherMaps}. */
export interface LaunchOptions {
  /**
   * How many runs go at once; the others wait, `queued`, in the order given.
   * @defaultValue 1 (one after the other, as pipefunc's `max_concurrency`)
   */
  readonly concurrency?: number;
  /**
   * One set of progress bars on stderr for every run (each bar named `[k] function`, k the
   * run's place from 1); the runs draw none of their own. A run's own listener
   * (`progress: listener`) still hears its events.
   * @defaultValue bars when stderr is a TTY, else nothing
   */
  readonly progress?: boolean;
  /**
   * Serve one live dashboard of every run on 127.0.0.1 (see `DashboardOptions`): a row per run
   * with its state and a bar per function. It keeps showing the final states after the runs,
   * without keeping the process alive; {@link LaunchedMaps.dashboard} resolves once it listens.
   * @defaultValue false
   */
  readonly dashboard?: boolean | DashboardOptions;
}

/** A sweep to launch, as `pipeline.mapAsync(inputs, options)` would start it. */
export interface LaunchSpec {
  /** The pipeline (anything with `mapAsync`). */
  readonly pipeline: {
    mapAsync(inputs: MapInputs, options: MapAsyncOptions): MapRun<unknown>;
  };
  /** The inputs of its `mapAsync`. */
  readonly inputs: MapInputs;
  /** The options of its `mapAsync` (`start` is ignored: `launchMaps` starts it). */
  readonly options?: MapAsyncOptions;
}

/** The run a spec (or a run) given to {@link launchMaps} becomes. */
export type LaunchedRun<T> =
  T extends MapRun<infer R>
    ? MapRun<R>
    : T extends { readonly options: SummaryOnly }
      ? MapRun<MapSummary>
      : T extends { readonly pipeline: Pipeline<infer Fns, string> }
        ? MapRun<PipelineMapResults<Fns>>
        : T extends { readonly pipeline: { mapAsync(...args: never[]): infer M } }
          ? M
          : never;

/** What {@link gatherMaps} resolves with for each run: its result. */
export type GatheredResults<Runs extends readonly unknown[]> = {
  -readonly [K in keyof Runs]: Runs[K] extends MapRun<infer R> ? R : never;
};

/** The combined status of the runs of {@link launchMaps}. */
export interface MapsStatus {
  /** How many runs are in each state. */
  readonly counts: Readonly<Record<"queued" | "running" | "done" | "failed" | "aborted", number>>;
  /** Every run's status, in the order given. */
  readonly runs: readonly RunStatus[];
}

/**
 * Runs launched together by {@link launchMaps}: each run, one status over them all, their end,
 * and a way to stop them all.
 *
 * @typeParam Runs - The runs, in the order given.
 */
export class LaunchedMaps<Runs extends readonly MapRun<unknown>[]> {
  /** The runs, in the order given. */
  readonly runs: Runs;
  /** Settles once every run is over, with how each ended; never rejects. */
  readonly done: Promise<MapRunEnd[]>;
  /**
   * With the `dashboard` option: the dashboard once it listens (it rejects with a
   * `DashboardError` when its address cannot be bound; the runs go on regardless).
   */
  readonly dashboard: Promise<Dashboard> | undefined;

  /** Made by {@link launchMaps}. */
  constructor(
    runs: Runs,
    done: Promise<MapRunEnd[]>,
    dashboard: Promise<Dashboard> | undefined = undefined,
  ) {
    this.runs = runs;
    this.done = done;
    this.dashboard = dashboard;
  }

  /** Every run's status and how many are in each state. */
  status(): MapsStatus {
    const runs = this.runs.map((r) => r.status());
    const counts = { queued: 0, running: 0, done: 0, failed: 0, aborted: 0 };
    for (const run of this.runs) counts[run.state]++;
    return { counts, runs };
  }

  /** Cancels every run (see {@link MapRun.cancel}): queued ones never start. */
  async cancel(reason?: unknown): Promise<void> {
    await Promise.all(this.runs.map((r) => r.cancel(reason)));
  }

  /** Every run's result, in order; see {@link gatherMaps}. */
  results(): Promise<GatheredResults<Runs>> {
    return gatherMaps(this);
  }
}

/**
 * Starts several sweeps with at most `concurrency` going at once: runs made with
 * `mapAsync(..., { start: false })`, or specs `{ pipeline, inputs, options }` of them. A run
 * starts when one before it ends, in the order given; each keeps its own run folder, status
 * file and events, so `pipeweave runs` lists those with run folders side by side.
 *
 * @param runs - Runs not yet started, or specs of them.
 * @param options - The cap, and whether to draw progress bars.
 * @returns The launched runs, at once.
 * @throws {@link InvalidArgumentError} when a run was already started.
 * @throws {@link InvalidOptionError} when `concurrency` is not an integer from 1 and up.
 * @example
 * ```ts
 * const launched = launchMaps(
 *   [{ pipeline, inputs: { a: [1, 2] } }, { pipeline, inputs: { a: [3, 4] } }],
 *   { concurrency: 2 },
 * );
 * const [first, second] = await gatherMaps(launched);
 * ```
 */
export function launchMaps<const T extends readonly (MapRun<unknown> | LaunchSpec)[]>(
  runs: T,
  options: LaunchOptions = {},
): LaunchedMaps<{ -readonly [K in keyof T]: LaunchedRun<T[K]> }> {
  const concurrency = options.concurrency ?? 1;
  if (!(Number.isInteger(concurrency) && concurrency >= 1) && concurrency !== Infinity) {
    throw new InvalidOptionError(
      "concurrency",
      `Expected \`concurrency\` to be an integer from 1 and up, got \`${String(concurrency)}\` (${typeof concurrency}).`,
    );
  }
  const list = runs.map((item, k) => {
    if (item instanceof MapRun) {
      if (item.state !== "queued" || launched.has(item)) {
        throw new InvalidArgumentError(
          `runs[${k}]`,
          `Run ${k} (pipeline "${item.pipeline}") was already started: launchMaps starts the runs ` +
            "itself. Make it with mapAsync(inputs, { start: false }).",
        );
      }
      return item;
    }
    return item.pipeline.mapAsync(item.inputs, { ...item.options, start: false });
  });
  for (const run of list) {
    launched.add(run);
    run[HOLD]();
  }
  const draw =
    options.progress === true || (options.progress === undefined && process.stderr.isTTY);
  const board = draw ? progressBoard() : undefined;
  let next = 0;
  const startNext = (): void => {
    while (next < list.length) {
      const k = next++;
      const run = list[k]!;
      // A run cancelled while queued is over already: its slot goes to the next one.
      if (run.state !== "queued") continue;
      run[START_WITH]({ listener: board?.listenerFor(`[${k + 1}]`), bars: !board });
      void run.done.then(startNext);
      return;
    }
  };
  for (let k = 0; k < Math.min(concurrency, list.length); k++) startNext();
  const done = Promise.all(list.map((r) => r.done));
  void done.then(() => board?.stop());
  return new LaunchedMaps(list as never, done, serveDashboard(list, done, options.dashboard));
}

/** The dashboard of every run, released once they are all over. */
function serveDashboard(
  runs: readonly MapRun<unknown>[],
  done: Promise<unknown>,
  option: LaunchOptions["dashboard"],
): Promise<Dashboard> | undefined {
  if (!option) return undefined;
  const settings = option === true ? {} : option;
  // Loaded on first use: launching without a dashboard never loads the server or the page.
  const served = import("../dashboard/runs.ts").then(({ startRunsDashboard }) =>
    startRunsDashboard(
      `pipeweave: ${runs.length} sweeps`,
      () => runs.map((r) => r.status()),
      settings,
    ),
  );
  // A dashboard that could not listen is the caller's to see (through `dashboard`), not a crash.
  served.catch(() => undefined);
  void done.then(() => served.then((d) => d.release())).catch(() => undefined);
  return served;
}

/**
 * Every run's result, in order (pipefunc's `gather_maps`), once all of them are over. Runs not
 * yet started are launched first (see {@link launchMaps}, with `options`).
 *
 * @param runs - The runs, or what {@link launchMaps} returned.
 * @param options - For runs not started: the cap and the bars.
 * @returns Their results, each typed as its `map`'s.
 * @throws The first failed run's error, in the order given (as a rejection), once every run is
 *   over: no run is left going behind the caller's back.
 */
export async function gatherMaps<const Runs extends readonly MapRun<unknown>[]>(
  runs: Runs | LaunchedMaps<Runs>,
  options: LaunchOptions = {},
): Promise<GatheredResults<Runs>> {
  const list: readonly MapRun<unknown>[] = runs instanceof LaunchedMaps ? runs.runs : runs;
  const waiting = list.filter((r) => r.state === "queued" && !launched.has(r));
  if (waiting.length > 0) launchMaps(waiting, options);
  const ends = await Promise.all(list.map((r) => r.done));
  const failed = ends.findIndex((e) => e.state !== "done");
  if (failed >= 0) throw ends[failed]!.error;
  return (await Promise.all(list.map((r) => r.result()))) as GatheredResults<Runs>;
}
