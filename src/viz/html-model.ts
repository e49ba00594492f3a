import { inspect } from "node:util";
import { own, setOwn } from "../_internal/own.ts";
import type { PipelineDescription } from "../graph/describe.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { mapspecAxes, parseMapSpec } from "../map/mapspec.ts";
import type { FunctionRecord } from "../map/run-folder.ts";
import type { ProfileStats } from "../profile/profiler.ts";
import { profileFigures } from "./profile-figures.ts";
import { drawnFunctions, type PipelineView, variantLabel } from "./view.ts";

/** What the HTML view reads: the text views' fields and, when profiled, the figures. */
export interface HtmlView extends PipelineView {
  profilingStats(): Readonly<Record<string, ProfileStats>>;
  /** Descriptions, type hints and defaults of the inputs (a pipeline's `describe`). */
  describe?(): PipelineDescription;
}

/**
 * A function as the HTML graph draws it, whether it comes from a pipeline in memory, a run
 * folder's run.json or a stream's stages.
 */
export interface GraphFunction {
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly mapspec: string | null;
  /** What its details panel lists, besides its inputs, outputs and mapspec. */
  readonly details: Readonly<Record<string, unknown>>;
  /** The functions a nested function runs, in order. */
  readonly nested?: readonly GraphFunction[];
  /** A variant's label (`variant solver: fast (chosen)`), drawn on its node. */
  readonly variant?: string;
}

/** A graph to draw: a title and its functions in execution order. */
export interface GraphModel {
  readonly name: string;
  readonly functions: readonly GraphFunction[];
  /** What the details panel of each root input lists besides its kind, by input name. */
  readonly inputs?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** The graph of a pipeline in memory: every detail it knows, profiling figures included. */
export function modelOfPipeline(view: HtmlView): GraphModel {
  const stats = view.profilingStats();
  const describe = (f: AnyPipeFunc, isTop: boolean): GraphFunction => {
    const details: Record<string, unknown> = {
      defaults: previews(f.defaults),
      bound: previews(f.call.bound),
      // A nested function runs its inner functions uncached: the outer pipeline caches the whole.
      cache: isTop && f.cache,
    };
    if (f.description !== undefined) details.description = f.description;
    if (Object.keys(f.inputDescriptions).length > 0) {
      details.inputDescriptions = f.inputDescriptions;
    }
    if (f.scope !== undefined) details.scope = f.scope;
    const variant = isTop ? variantLabel(f, view) : undefined;
    if (variant) details.variant = variant.slice("variant ".length);
    const figures = isTop && Object.hasOwn(stats, f.name) ? stats[f.name] : undefined;
    if (figures) details.profile = profileFigures(figures);
    const parts = f.call.parts;
    return {
      name: f.name,
      inputs: f.inputs,
      outputs: f.outputs,
      mapspec: f.mapspec ?? null,
      details,
      ...(variant ? { variant } : {}),
      ...(parts ? { nested: parts.map((p) => describe(p as AnyPipeFunc, false)) } : {}),
    };
  };
  return {
    name: view.name,
    functions: drawnFunctions(view).map((f) => describe(f, true)),
    inputs: inputDetails(view.describe?.()),
  };
}

/** Each root input's description, type hint and default, where known. */
function inputDetails(
  described: PipelineDescription | undefined,
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const i of described?.inputs ?? []) {
    const details: Record<string, unknown> = {};
    if (i.description !== undefined) details.description = i.description;
    if (i.type !== undefined) details.type = i.type;
    if (i.default !== undefined) details.default = i.default.text;
    setOwn(out, i.name, details);
  }
  return out;
}

/** The graph of a run folder's pipeline, as its run.json records it (no code at hand). */
export function modelOfRecords(name: string, records: readonly FunctionRecord[]): GraphModel {
  return {
    name,
    functions: records.map((r) => ({
      name: r.name,
      inputs: r.inputs,
      outputs: r.outputs,
      mapspec: r.mapspec,
      details: {},
    })),
  };
}

/** The details of root input `name` in `model`, besides its kind. */
export function inputDetailsOf(model: GraphModel, name: string): Readonly<Record<string, unknown>> {
  return (model.inputs && own(model.inputs, name)) ?? {};
}

/** The axes of each array a mapspec names, or null without mapspec. */
export function axesOf(f: GraphFunction): Record<string, readonly (string | null)[]> | null {
  return f.mapspec === null ? null : mapspecAxes(parseMapSpec(f.mapspec, f.name));
}

/** Values shown as short inspected text: any value, safe to embed, never huge. */
function previews(values: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    const text = inspect(v, {
      depth: 2,
      maxArrayLength: 10,
      maxStringLength: 200,
      breakLength: 80,
    });
    out[k] = text.length > 400 ? `${text.slice(0, 400)}…` : text;
  }
  return out;
}
