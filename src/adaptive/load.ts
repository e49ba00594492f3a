import { InvalidArgumentError } from "../errors.ts";
import { createLearner } from "./adaptive.ts";
import { BalancingLearner } from "./balancing.ts";
import { type AdaptiveFailure, type AdaptivePointResult, AdaptiveResult } from "./result.ts";
import { readStore } from "./store.ts";

/** Options of {@link loadAdaptive}. */
export interface LoadAdaptiveOptions {
  /** The run folder the sweep was stored in. */
  readonly runFolder: string;
}

/**
 * Reads an adaptive sweep back from its run folder, in any process and without the pipeline:
 * its points, and learners rebuilt from them (for `loss()` and `interpolate()`). A sweep
 * with a custom loss is rebuilt with the default loss, the function not being stored.
 *
 * @param options - The run folder.
 * @returns The sweep as far as it was stored.
 * @throws {@link RunFolderNotFoundError} when the folder holds no adaptive sweep;
 *   {@link RunFolderCorruptError} when its settings cannot be read.
 * @example
 * ```ts
 * const result = await loadAdaptive({ runFolder: "runs/peak" });
 * result.points.length;
 * ```
 */
export async function loadAdaptive(options: LoadAdaptiveOptions): Promise<AdaptiveResult> {
  if (!options || typeof options.runFolder !== "string") {
    throw new InvalidArgumentError(
      "options",
      `Expected { runFolder: string }, got ${JSON.stringify(options)}.`,
    );
  }
  return readAdaptive(options.runFolder);
}

/** {@link loadAdaptive}, synchronously (the dashboard redraws from it). */
export function readAdaptive(runFolder: string): AdaptiveResult {
  const { settings, points: stored } = readStore(runFolder);
  const dimensions = Object.keys(settings.dimensions);
  const bounds = dimensions.map((d) => settings.dimensions[d]!);
  const loss = settings.loss === "curvature" ? "curvature" : "default";
  const learners = settings.selections.map(() => createLearner(bounds, loss));
  const balanced = new BalancingLearner(learners);
  const points: AdaptivePointResult[] = [];
  const failures: AdaptiveFailure[] = [];
  for (const p of stored) {
    const inputs: Record<string, unknown> = {};
    dimensions.forEach((d, k) => {
      inputs[d] = p.point[k];
    });
    for (const m of settings.mapped) inputs[m] = settings.selections[p.learner]?.[m];
    if ("error" in p) {
      balanced.tellFailed(p.learner, p.point);
      failures.push({ inputs, learner: p.learner, error: p.error });
    } else {
      balanced.tell(p.learner, p.point, p.value);
      points.push({ inputs, value: p.value, learner: p.learner });
    }
  }
  return new AdaptiveResult({
    output: settings.output,
    dimensions,
    bounds,
    mapped: settings.mapped,
    selections: settings.selections,
    learners,
    points,
    failures,
  });
}
