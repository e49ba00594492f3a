/**
 * Partial maps (pipefunc's `output_names`, `fixed_indices` and `return_results=False`): a map
 * that computes only what some outputs need, only some elements along an axis, or keeps its
 * results on disk and resolves with a summary.
 */
import { closestNames } from "../_internal/closest.ts";
import { setOwn } from "../_internal/own.ts";
import { FixedIndicesError, InvalidOptionError, UnknownOutputError } from "../errors.ts";
import type { ErrorSnapshot } from "./error-snapshot.ts";
import type { ProgressListener } from "./events.ts";
import type { NodeLayout } from "./layout.ts";

/** `fixedIndices` of `map`: per axis, the one index or the indices to compute. */
export type FixedIndices = Readonly<Record<string, number | readonly number[]>>;

/** `map` options asking for a {@link MapSummary} instead of results. */
export interface SummaryOnly {
  readonly returnResults: false;
}

/** `map` options naming the outputs to compute: the other functions' inputs are not needed. */
export interface OnlyOutputs {
  readonly outputs: readonly string[];
}

/** What one function did in a map that resolved with a {@link MapSummary}. */
export interface FunctionSummary {
  /** Elements this run had to settle (1 for a function called once). */
  readonly total: number;
  /** Elements already stored when it started (a resumed run): not computed again. */
  readonly reused: number;
  /** Elements computed and stored by this run. */
  readonly computed: number;
  /** Elements whose call failed (`errors: "continue"`). */
  readonly failed: number;
  /** Elements not computed because an input they read failed or was skipped. */
  readonly skipped: number;
}

/**
 * What `map` resolves with under `returnResults: false`: the results stay in the run folder
 * (read them with `loadOutputs`, `loadAll` or `loadDataset`), not in memory.
 */
export interface MapSummary {
  /** The run folder holding the results (undefined for a sweep in memory storage). */
  readonly runFolder: string | undefined;
  /** What each function that ran did, by function name, in run order. */
  readonly functions: Readonly<Record<string, FunctionSummary>>;
  /** The outputs the run computed (those of the functions it ran). */
  readonly outputs: readonly string[];
  /** Failures recorded under `errors: "continue"`, in run order. */
  readonly errors: readonly ErrorSnapshot[];
}

/**
 * The functions a map with `outputs` runs: those producing the outputs and what they read,
 * in run order; every function without `outputs`.
 *
 * @throws {@link UnknownOutputError} for a name no function produces, with the closest names.
 * @throws {@link InvalidOptionError} when `outputs` is not a list of names.
 */
export function neededNodes(
  nodes: readonly NodeLayout[],
  outputs: readonly string[] | undefined,
): readonly NodeLayout[] {
  if (outputs === undefined) return nodes;
  if (!Array.isArray(outputs) || outputs.some((o) => typeof o !== "string")) {
    throw new InvalidOptionError(
      "outputs",
      `Expected \`outputs\` to be a list of output names, got ${JSON.stringify(outputs)}.`,
    );
  }
  const producer = new Map<string, NodeLayout>();
  for (const node of nodes) {
    for (const o of node.func.outputs) producer.set(o, node);
    if (node.func.outputs.length === 0) producer.set(node.func.name, node);
  }
  const keep = new Set<NodeLayout>();
  const visit = (node: NodeLayout) => {
    if (keep.has(node)) return;
    keep.add(node);
    for (const input of node.func.inputs) {
      const from = producer.get(input);
      if (from && from !== node) visit(from);
    }
  };
  for (const name of outputs) {
    const node = producer.get(name);
    if (!node) {
      const known = [...producer.keys()];
      throw new UnknownOutputError(name, closestNames(name, known), known);
    }
    visit(node);
  }
  return nodes.filter((n) => keep.has(n));
}

/**
 * Checks `fixedIndices` against the functions that run and the axis lengths known, and
 * returns the indices to compute per axis.
 *
 * @throws {@link FixedIndicesError} for an axis no function maps over, an index out of range,
 *   or a function reading a whole output along a fixed axis (a reduction, or a function
 *   without mapspec): it would see only the fixed elements.
 */
export function checkFixedIndices(
  fixed: FixedIndices | undefined,
  planned: readonly NodeLayout[],
  axisLengths: ReadonlyMap<string, number>,
): ReadonlyMap<string, ReadonlySet<number>> | undefined {
  if (fixed === undefined) return undefined;
  if (typeof fixed !== "object" || fixed === null || Array.isArray(fixed)) {
    throw new InvalidOptionError(
      "fixedIndices",
      `Expected \`fixedIndices\` to be { axis: index } or { axis: [indices] }, got ${String(fixed)}.`,
    );
  }
  const mapped = new Set(planned.flatMap((n) => n.elementDims));
  const out = new Map<string, Set<number>>();
  for (const [axis, given] of Object.entries(fixed)) {
    if (!mapped.has(axis)) {
      const suggestion = closestNames(axis, mapped, 1)[0];
      throw new FixedIndicesError(
        axis,
        `fixedIndices names axis "${axis}", but no function of this map runs along it (its axes: ` +
          `${[...mapped].map((a) => `"${a}"`).join(", ") || "none"}).` +
          (suggestion ? ` Did you mean "${suggestion}"?` : " Fix the axis name."),
      );
    }
    const list = typeof given === "number" ? [given] : given;
    const length = axisLengths.get(axis);
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      list.some((k) => !Number.isInteger(k) || k < 0 || (length !== undefined && k >= length))
    ) {
      throw new FixedIndicesError(
        axis,
        `fixedIndices.${axis} is ${JSON.stringify(given)}; expected an index or a non-empty list ` +
          `of indices, integers from 0${length === undefined ? "" : ` to ${length - 1} (axis "${axis}" has length ${length})`}.`,
      );
    }
    out.set(axis, new Set(list));
  }
  // An output along a fixed axis holds only the fixed elements: reading it whole would
  // compute on a partial array as if it were complete.
  const partial = new Map<string, readonly string[]>();
  for (const node of planned) {
    if (!node.outputDims.some((d) => out.has(d))) continue;
    for (const o of node.func.outputs) partial.set(o, node.outputDims);
  }
  for (const node of planned) {
    node.func.call.params.forEach((p, k) => {
      const dims = partial.get(p.graph);
      if (!dims || node.func.outputs.includes(p.graph)) return;
      const axes = node.paramAxes[k];
      const whole = dims.filter((d, at) => out.has(d) && (!axes || axes[at] === null));
      if (whole.length === 0) return;
      const axis = whole[0]!;
      throw new FixedIndicesError(
        axis,
        `Function "${node.func.name}" reads "${p.graph}" whole along axis "${axis}" ` +
          `(${node.func.mapspec ? `mapspec "${node.func.mapspec}"` : "it has no mapspec"}), but ` +
          `fixedIndices computes only some elements along "${axis}", so it would reduce a partial ` +
          `array. Leave it out with \`outputs\` (the outputs it does not lead to), or drop ` +
          `fixedIndices.${axis}.`,
        node.func.name,
      );
    });
  }
  return out;
}

/**
 * Which elements of a function a map with fixed indices computes: a test of an element's
 * coordinates along its axes, or undefined when it computes them all.
 */
export function elementFilter(
  node: NodeLayout,
  fixed: ReadonlyMap<string, ReadonlySet<number>> | undefined,
): ((coords: readonly number[]) => boolean) | undefined {
  if (!fixed) return undefined;
  const tests: [number, ReadonlySet<number>][] = [];
  node.elementDims.forEach((d, at) => {
    const allowed = fixed.get(d);
    if (allowed) tests.push([at, allowed]);
  });
  if (tests.length === 0) return undefined;
  return (coords) => {
    for (const [at, allowed] of tests) if (!allowed.has(coords[at]!)) return false;
    return true;
  };
}

/** Counts what each function does, for the {@link MapSummary}; a listener of the map's events. */
export class SummaryCounter implements ProgressListener {
  readonly #counts = new Map<
    string,
    { total: number; reused: number; settled: number; failed: number; skipped: number }
  >();

  readonly onNodeStart = (node: string, total: number, done: number): void => {
    this.#counts.set(node, { total, reused: done, settled: 0, failed: 0, skipped: 0 });
  };

  readonly onProgress = (node: string, done: number, failed: number, skipped: number): void => {
    const c = this.#counts.get(node);
    if (!c) return;
    c.settled += done;
    c.failed += failed;
    c.skipped += skipped;
  };

  /** The summary of a finished map. */
  summary(
    runFolder: string | undefined,
    planned: readonly NodeLayout[],
    errors: readonly ErrorSnapshot[],
  ): MapSummary {
    const functions: Record<string, FunctionSummary> = {};
    for (const node of planned) {
      const c = this.#counts.get(node.func.name);
      if (!c) continue;
      setOwn(functions, node.func.name, {
        total: c.total,
        reused: c.reused,
        computed: c.settled - c.failed - c.skipped,
        failed: c.failed,
        skipped: c.skipped,
      });
    }
    const outputs = planned.flatMap((n) => n.func.outputs);
    return { runFolder, functions, outputs, errors };
  }
}
