/**
 * What one adaptive sweep evaluates, worked out once from the pipeline and the options before
 * any point runs: the dimensions, the learners (one per combination of the mapped inputs the
 * output is mapped over), and whether a point is a graph run or a whole map.
 */
import { InvalidOptionError, UnknownOutputError } from "../errors.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { NdArray } from "../map/ndarray.ts";
import type { AdaptivePoint } from "./types.ts";

/** What a plan needs of a pipeline. */
export interface PlannedPipeline {
  readonly name: string;
  readonly sortedFunctions: readonly AnyPipeFunc[];
  readonly mapspecAxes: Readonly<Record<string, readonly string[]>>;
  info(): { readonly inputs: readonly string[] };
}

/** An adaptive sweep's evaluation plan. */
export interface AdaptivePlan {
  readonly output: string;
  /** The adaptive dimensions' names, in the order of a point's coordinates. */
  readonly dimensions: readonly string[];
  readonly bounds: readonly (readonly [number, number])[];
  /** The mapped inputs that tell the learners apart, in order. */
  readonly mapped: readonly string[];
  /** The mapped inputs' values of each learner. */
  readonly selections: readonly Readonly<Record<string, unknown>>[];
  /** True when a point is a whole `map` (the output needs a function with a mapspec). */
  readonly isMap: boolean;
  /** The inputs one point of one learner evaluates the pipeline with. */
  inputsFor(learner: number, point: AdaptivePoint): Record<string, unknown>;
  /** The learned value out of what the evaluation returned. */
  valueOf(returned: unknown): unknown;
}

/**
 * Plans an adaptive sweep of `output` over `dimensions` with the other `inputs` fixed.
 *
 * @throws {@link UnknownOutputError} for an output no function produces;
 *   {@link InvalidOptionError} for a dimension that is not an input of the pipeline, is also
 *   given in `inputs`, or has bad bounds, or an output mapped over axes no given input spans.
 */
export function planAdaptive(
  pipeline: PlannedPipeline,
  output: string,
  dimensions: Readonly<Record<string, readonly [number, number]>>,
  inputs: Readonly<Record<string, unknown>>,
): AdaptivePlan {
  const producers = new Map<string, AnyPipeFunc>();
  for (const f of pipeline.sortedFunctions) for (const o of f.outputs) producers.set(o, f);
  if (typeof output !== "string" || !producers.has(output)) {
    const known = [...producers.keys()];
    throw new UnknownOutputError(String(output), [], known);
  }
  if (!dimensions || typeof dimensions !== "object" || Object.keys(dimensions).length === 0) {
    throw new InvalidOptionError(
      "dimensions",
      "Expected `dimensions` to name at least one input with its bounds, got " +
        `${JSON.stringify(dimensions)}. For example dimensions: { x: [-1, 1] }.`,
    );
  }
  const names = Object.keys(dimensions);
  const roots = new Set(pipeline.info().inputs);
  for (const name of names) {
    if (!roots.has(name)) {
      throw new InvalidOptionError(
        `dimensions.${name}`,
        `Dimension "${name}" is not an input of pipeline "${pipeline.name}" (its inputs: ` +
          `${[...roots].map((r) => `"${r}"`).join(", ") || "none"}). Sweep an input the ` +
          "pipeline reads.",
      );
    }
    if (Object.hasOwn(inputs, name)) {
      throw new InvalidOptionError(
        `inputs.${name}`,
        `"${name}" is both an adaptive dimension and given in \`inputs\`: the learner chooses ` +
          "its values. Leave it out of `inputs`.",
      );
    }
  }
  const isMap = needsMap(producers, output);
  const axes = pipeline.mapspecAxes;
  const outputAxes = axes[output] ?? [];
  // Mapped inputs the output is mapped over: each combination of their values is a learner.
  const byAxis = new Map<string, string[]>();
  for (const [name, value] of Object.entries(inputs)) {
    const own = axes[name];
    if (!own || !roots.has(name) || !Array.isArray(value)) continue;
    if (!own.every((a) => outputAxes.includes(a))) continue;
    if (own.length !== 1) {
      throw new InvalidOptionError(
        `inputs.${name}`,
        `Input "${name}" is mapped over ${own.length} axes (${own.join(", ")}); an adaptive ` +
          "sweep balances learners over inputs mapped along one axis each. Map it along one axis.",
      );
    }
    const group = byAxis.get(own[0]!) ?? [];
    group.push(name);
    byAxis.set(own[0]!, group);
  }
  const missing = outputAxes.filter((a) => !byAxis.has(a));
  if (missing.length > 0) {
    throw new InvalidOptionError(
      "inputs",
      `Output "${output}" is mapped over axis ${missing.map((a) => `"${a}"`).join(", ")}, ` +
        "which no input given as an array spans, so its learners cannot be told apart. Give " +
        "the input mapped along it as an array, or sweep an output that is not mapped.",
    );
  }
  const mapped = [...byAxis.values()].flat();
  const selections = combinations([...byAxis.values()], inputs);
  const order = outputAxes.length;
  return {
    output,
    dimensions: names,
    bounds: names.map((n) => dimensions[n]!),
    mapped,
    selections,
    isMap,
    inputsFor(learner, point) {
      const values: Record<string, unknown> = { ...inputs };
      const chosen = selections[learner]!;
      // A learner's mapped inputs are one-element arrays: the map keeps their axes, length 1.
      for (const name of mapped) values[name] = [chosen[name]];
      names.forEach((name, k) => {
        values[name] = point[k];
      });
      return values;
    },
    valueOf(returned) {
      if (order > 0 && returned instanceof NdArray) return returned.data[0];
      return returned;
    },
  };
}

/** Whether `output` needs a function with a mapspec, so a point must be a whole `map`. */
function needsMap(producers: ReadonlyMap<string, AnyPipeFunc>, output: string): boolean {
  const seen = new Set<AnyPipeFunc>();
  const stack = [producers.get(output)!];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    if (f.mapspec !== undefined) return true;
    for (const p of f.call.params) {
      const up = producers.get(p.graph);
      if (up) stack.push(up);
    }
  }
  return false;
}

/** Every combination of the groups' values: zipped within a group, outer product across. */
function combinations(
  groups: readonly (readonly string[])[],
  inputs: Readonly<Record<string, unknown>>,
): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const group of groups) {
    const length = Math.min(...group.map((n) => (inputs[n] as readonly unknown[]).length));
    const next: Record<string, unknown>[] = [];
    for (const base of out) {
      for (let i = 0; i < length; i++) {
        const c = { ...base };
        for (const n of group) c[n] = (inputs[n] as readonly unknown[])[i];
        next.push(c);
      }
    }
    out = next;
  }
  return out;
}
