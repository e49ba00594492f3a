/**
 * `pipeline.adaptive(...)`: the ask/tell loop that keeps `concurrency` points in flight on an
 * executor, tells each value to its learner as it arrives, stores it in the run folder, and
 * stops at the goal, at the first failure (`errors: "raise"`) or when the signal aborts.
 */
import { isWorkerImport, suspendedRun } from "../_internal/declarations.ts";
import type { DashboardOptions, ServedDashboard } from "../dashboard/server.ts";
import { AbortError, InvalidOptionError } from "../errors.ts";
import type { ExecutorChoice } from "../map/run-map.ts";
import { BalancingLearner } from "./balancing.ts";
import { createEvaluator, type EvaluatedPipeline } from "./evaluate.ts";
import { type AdaptiveGoal, type AdaptiveProgress, resolveGoal } from "./goal.ts";
import { Learner1D } from "./learner1d.ts";
import { Learner2D } from "./learner2d.ts";
import type { Loss1D, Loss1DName } from "./loss.ts";
import type { Loss2D } from "./loss2d.ts";
import { type PlannedPipeline, planAdaptive } from "./plan.ts";
import { progressBar } from "./progress.ts";
import { type AdaptiveFailure, type AdaptivePointResult, AdaptiveResult } from "./result.ts";
import { type AdaptiveSettings, type AdaptiveStore, openStore, type StoredPoint } from "./store.ts";
import type { AdaptivePoint, AdaptiveValue, Learner } from "./types.ts";

/** Options of {@link Pipeline.adaptive}. */
export interface AdaptiveOptions {
  /**
   * The inputs to learn over, each with its bounds: one (`{ x: [-1, 1] }`, a 1-D learner) or
   * two (`{ x: [-1, 1], y: [0, 2] }`, a 2-D learner on a Delaunay triangulation).
   */
  readonly dimensions: Readonly<Record<string, readonly [number, number]>>;
  /** The output to learn: a number (or, in 1-D, a fixed-length vector of numbers). */
  readonly output: string;
  /**
   * The pipeline's other inputs, fixed. An input mapped by a mapspec that the output is mapped
   * over, given as an array, runs one learner per value (balanced: the worst-known learner
   * gets the next point).
   * @defaultValue `{}`
   */
  readonly inputs?: Readonly<Record<string, unknown>>;
  /** When to stop: `{ loss }`, `{ points }`, `{ seconds }` or a predicate of the progress. */
  readonly goal: AdaptiveGoal;
  /**
   * The learner's loss: in 1-D `"default"`, `"curvature"` or a function of the interval; in
   * 2-D `"default"` or a function of the triangle.
   * @defaultValue "default"
   */
  readonly loss?: Loss1DName | Loss1D | Loss2D;
  /**
   * Where points are evaluated: `"inline"` (this thread), `"threads"` (a worker-thread pool;
   * the pipeline must be declared with `definePipeline`) or an executor. When a point is a
   * whole map (the output reduces a sweep), the map's elements go to it.
   * @defaultValue "inline"
   */
  readonly executor?: ExecutorChoice;
  /** Size of the `"threads"` pool. @defaultValue `os.availableParallelism()` */
  readonly threads?: number;
  /**
   * Points in flight at once; each finished point's slot is refilled at once with the
   * learner's next point.
   * @defaultValue the executor's capacity (its threads; 1 inline)
   */
  readonly concurrency?: number;
  /**
   * A failed point: `"raise"` stops the sweep with its error; `"continue"` records it in
   * `failures`, never asks it again and goes on.
   * @defaultValue "raise"
   */
  readonly errors?: "raise" | "continue";
  /** A folder where every point is stored as it completes, with the sweep's settings. */
  readonly runFolder?: string;
  /**
   * Continue the sweep in `runFolder`: its points are told to the learners, then the sweep
   * goes on to the (new) goal.
   * @defaultValue false
   */
  readonly resume?: boolean;
  /** Replace the sweep in `runFolder` (only its own files). @defaultValue false */
  readonly overwrite?: boolean;
  /**
   * A progress bar on stderr (true), or a listener told the progress after every point.
   * @defaultValue false
   */
  readonly progress?: boolean | ((progress: AdaptiveProgress) => void);
  /** Stops the sweep: it rejects with an `AbortError` whose cause is the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * Serve a live dashboard of the sweep on 127.0.0.1 (a free port, the URL with its token
   * printed on stderr, or given to `onReady`), as `map`'s option does: the curve (1-D) or the
   * coloured triangulation (2-D) with the points and the loss against the goal, redrawn as
   * points arrive. No run folder is needed. It keeps showing the final drawing after the
   * sweep while the process lives, without keeping the process alive.
   * @defaultValue false
   */
  readonly dashboard?: boolean | DashboardOptions;
}

/** What `adaptive` needs of a pipeline. */
export type AdaptivePipeline = PlannedPipeline & EvaluatedPipeline;

const DEFAULT_INPUTS: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * Runs an adaptive sweep of a pipeline; see {@link Pipeline.adaptive}.
 *
 * @throws {@link InvalidOptionError} for bad options (three or more dimensions among them),
 *   and whatever a failed point threw with `errors: "raise"`; {@link AbortError} on abort.
 */
export function runAdaptive(
  pipeline: AdaptivePipeline,
  options: AdaptiveOptions,
): Promise<AdaptiveResult> {
  if (isWorkerImport()) return suspendedRun();
  try {
    return sweep(pipeline, options);
  } catch (error) {
    return Promise.reject(error);
  }
}

function check(options: AdaptiveOptions): void {
  if (!options || typeof options !== "object") {
    throw new InvalidOptionError(
      "options",
      "Expected adaptive options { dimensions, output, goal, … }, got " +
        `${String(options)}. For example { dimensions: { x: [-1, 1] }, output: "y", goal: { loss: 0.01 } }.`,
    );
  }
  const { concurrency, errors } = options;
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new InvalidOptionError(
      "concurrency",
      `Expected \`concurrency\` to be an integer from 1 up, got \`${String(concurrency)}\` ` +
        `(${typeof concurrency}).`,
    );
  }
  if (errors !== undefined && errors !== "raise" && errors !== "continue") {
    throw new InvalidOptionError(
      "errors",
      `Expected \`errors\` to be "raise" or "continue", got ${JSON.stringify(errors)}.`,
    );
  }
  if (options.resume && options.runFolder === undefined) {
    throw new InvalidOptionError(
      "resume",
      "`resume: true` continues the sweep stored in a run folder, but no `runFolder` was given. " +
        "Pass the folder the sweep was stored in.",
    );
  }
  const n = Object.keys(options.dimensions ?? {}).length;
  if (n > 2) {
    throw new InvalidOptionError(
      "dimensions",
      `An adaptive sweep learns over one or two dimensions, got ${n} ` +
        `(${Object.keys(options.dimensions).join(", ")}). Fix all but two of them in \`inputs\`, ` +
        "or map the others as discrete inputs.",
    );
  }
}

/** The learner for a plan's dimensions. */
export function createLearner(
  bounds: readonly (readonly [number, number])[],
  loss: AdaptiveOptions["loss"],
): Learner {
  if (bounds.length === 1) return new Learner1D(bounds[0]!, { loss: loss as Loss1DName | Loss1D });
  if (loss === "curvature") {
    throw new InvalidOptionError(
      "loss",
      'The "curvature" loss is for one dimension; a 2-D sweep takes "default" or a function ' +
        "of the triangle.",
    );
  }
  return new Learner2D([bounds[0]!, bounds[1]!], { loss: loss as "default" | Loss2D });
}

/** The loss as a run folder records it. */
export function lossName(loss: AdaptiveOptions["loss"]): string {
  return typeof loss === "function" ? "custom" : (loss ?? "default");
}

async function sweep(
  pipeline: AdaptivePipeline,
  options: AdaptiveOptions,
): Promise<AdaptiveResult> {
  check(options);
  const inputs = options.inputs ?? DEFAULT_INPUTS;
  const plan = planAdaptive(pipeline, options.output, options.dimensions, inputs);
  const goal = resolveGoal(options.goal);
  const learners = plan.selections.map(() => createLearner(plan.bounds, options.loss));
  const balanced = new BalancingLearner(learners, {
    labels: plan.selections.map((s) => JSON.stringify(s)),
  });
  const points: AdaptivePointResult[] = [];
  const failures: AdaptiveFailure[] = [];
  const inputsOf = (learner: number, point: AdaptivePoint) => {
    const out: Record<string, unknown> = {};
    plan.dimensions.forEach((d, k) => {
      out[d] = point[k];
    });
    for (const m of plan.mapped) out[m] = plan.selections[learner]![m];
    return out;
  };
  const record = (stored: StoredPoint) => {
    const where = inputsOf(stored.learner, stored.point);
    if ("error" in stored) {
      balanced.tellFailed(stored.learner, stored.point);
      failures.push({ inputs: where, learner: stored.learner, error: stored.error });
    } else {
      balanced.tell(stored.learner, stored.point, stored.value);
      points.push({ inputs: where, value: stored.value, learner: stored.learner });
    }
  };
  const { signal } = options;
  let store: AdaptiveStore | undefined;
  if (options.runFolder !== undefined) {
    const settings: AdaptiveSettings = {
      kind: "adaptive",
      pipeline: pipeline.name,
      output: plan.output,
      dimensions: Object.fromEntries(plan.dimensions.map((d, k) => [d, plan.bounds[k]!])),
      inputs: JSON.parse(JSON.stringify(inputs)) as Record<string, unknown>,
      mapped: plan.mapped,
      selections: plan.selections,
      loss: lossName(options.loss),
      goal: goal.json,
    };
    store = await openStore(
      options.runFolder,
      settings,
      options.resume === true,
      options.overwrite === true,
    );
    for (const p of store.previous) record(p);
  }
  const evaluator = createEvaluator(
    pipeline,
    plan,
    options.executor,
    options.threads,
    options.runFolder,
  );
  const concurrency = options.concurrency ?? evaluator.capacity;
  const listener =
    options.progress === true
      ? progressBar(goal.text)
      : typeof options.progress === "function"
        ? { update: options.progress, stop: () => {} }
        : undefined;
  const started = performance.now();
  const internal = new AbortController();
  const stop = signal ? AbortSignal.any([signal, internal.signal]) : internal.signal;
  let inFlight = 0;
  const progress = (): AdaptiveProgress => ({
    points: points.length + failures.length,
    failed: failures.length,
    inFlight,
    loss: balanced.loss(),
    elapsedMs: performance.now() - started,
  });
  let failure: { error: unknown } | undefined;
  let wake: () => void = () => {};
  const onAbort = () => wake();
  signal?.addEventListener("abort", onAbort, { once: true });
  let dashboard: ServedDashboard | undefined;
  try {
    await evaluator.start?.();
    if (options.dashboard) {
      // Loaded on first use: a sweep without a dashboard never loads the server or the page.
      const { startAdaptiveDashboard } = await import("./dashboard.ts");
      dashboard = await startAdaptiveDashboard(
        // A predicate goal has no words: the caption leaves it out.
        () => ({ result: resultNow(), goal: goal.json === undefined ? undefined : goal.text }),
        () => points.length + failures.length,
        options.dashboard === true ? {} : options.dashboard,
      );
    }
    for (;;) {
      if (failure || signal?.aborted) break;
      let now = progress();
      if (goal.isReached(now)) {
        if (inFlight === 0) break;
      } else {
        while (inFlight < concurrency && goal.room(now) > 0 && !goal.isReached(now)) {
          const { learner, point } = balanced.ask();
          inFlight++;
          void evaluator.evaluate(plan.inputsFor(learner, point), stop).then(
            (returned) => {
              inFlight--;
              if (failure || signal?.aborted) return;
              const value = plan.valueOf(returned) as AdaptiveValue;
              const stored: StoredPoint = { learner, point, value };
              try {
                record(stored);
              } catch (error) {
                // A value the learner cannot take (not a number) fails like a thrown error.
                onError(learner, point, error);
                return;
              }
              store?.append(stored);
              wake();
            },
            (error: unknown) => {
              inFlight--;
              if (failure || signal?.aborted) return;
              onError(learner, point, error);
            },
          );
          now = progress();
        }
        if (inFlight === 0) break;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      listener?.update(progress());
    }
    if (signal?.aborted) {
      throw new AbortError(
        `Adaptive sweep of "${plan.output}"`,
        signal.reason,
        options.runFolder === undefined
          ? "pass a runFolder to keep the points and resume later."
          : "the points computed are kept in the run folder; pass resume: true to go on.",
      );
    }
    if (failure) throw failure.error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    internal.abort();
    listener?.stop();
    dashboard?.release();
    await evaluator.close();
    await store?.close();
  }
  return resultNow();

  function resultNow(): AdaptiveResult {
    return new AdaptiveResult({
      output: plan.output,
      dimensions: plan.dimensions,
      bounds: plan.bounds,
      mapped: plan.mapped,
      selections: plan.selections,
      learners,
      points,
      failures,
    });
  }

  function onError(learner: number, point: AdaptivePoint, error: unknown): void {
    if (options.errors === "continue") {
      const stored: StoredPoint = {
        learner,
        point,
        error: error instanceof Error ? error.message : String(error),
      };
      record(stored);
      store?.append(stored);
    } else {
      failure = { error };
    }
    wake();
  }
}
