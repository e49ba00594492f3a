import type { AnyPipeFunc } from "../graph/types.ts";
import { DEFAULT_VARIANT_GROUP, type VariantGroupView } from "../graph/variants.ts";

/** What the text views read from a pipeline. */
export interface PipelineView {
  readonly name: string;
  readonly sortedFunctions: readonly AnyPipeFunc[];
  /** Every function, the variants not in `sortedFunctions` included. */
  readonly functions?: readonly AnyPipeFunc[];
  /** The variant groups, with the variant run without a choice. */
  readonly variantGroups?: readonly VariantGroupView[];
}

/**
 * The functions a view draws: those in execution order, each other variant of a variant
 * pipeline right after the variant of its outputs that is drawn.
 */
export function drawnFunctions(view: PipelineView): readonly AnyPipeFunc[] {
  const sorted = view.sortedFunctions;
  const all = view.functions ?? sorted;
  if (all.length === sorted.length) return sorted;
  const drawn = new Set(sorted);
  const out: AnyPipeFunc[] = [];
  for (const f of sorted) {
    out.push(f);
    if (f.variant === undefined) continue;
    for (const g of all) {
      if (
        !drawn.has(g) &&
        g.variant !== undefined &&
        g.outputs.some((o) => f.outputs.includes(o))
      ) {
        drawn.add(g);
        out.push(g);
      }
    }
  }
  for (const g of all) if (!drawn.has(g)) out.push(g);
  return out;
}

/**
 * A variant function's label: `variant solver: fast`, marked `(chosen)` when the pipeline
 * runs it without a choice, `(choose one)` when its group has no default; undefined for the
 * other functions.
 */
export function variantLabel(f: AnyPipeFunc, view: PipelineView): string | undefined {
  if (f.variant === undefined) return undefined;
  const groups = view.variantGroups ?? [];
  const name = f.variantGroup ?? (groups.length === 1 ? groups[0]!.group : DEFAULT_VARIANT_GROUP);
  const group = groups.find((g) => g.group === name);
  const mark =
    group === undefined || group.variants.length < 2
      ? ""
      : group.chosen === undefined
        ? " (choose one)"
        : group.chosen === f.variant
          ? " (chosen)"
          : "";
  return `variant ${name}: ${f.variant}${mark}`;
}

/** Where an edge starts: a root input (or config path) or a function. */
export type EdgeSource =
  | { readonly kind: "input"; readonly index: number }
  | { readonly kind: "function"; readonly index: number };

/** What {@link layout} reads of a function. */
export interface Connected {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** The graph as the views draw it: inputs, functions in execution order, labelled edges. */
export interface GraphLayout<F extends Connected = AnyPipeFunc> {
  readonly inputs: readonly string[];
  readonly functions: readonly F[];
  readonly edges: readonly {
    readonly from: EdgeSource;
    readonly to: number;
    readonly label: string;
  }[];
}

/** Resolves each function input to the function producing it, or to a root input node. */
export function layout(view: PipelineView): GraphLayout {
  return layoutOf(drawnFunctions(view));
}

/** {@link layout} of any functions with inputs and outputs, in execution order. */
export function layoutOf<F extends Connected>(functions: readonly F[]): GraphLayout<F> {
  // Several variants may produce one name: each is drawn with its edges.
  const producer = new Map<string, number[]>();
  functions.forEach((f, i) => {
    for (const o of f.outputs) producer.set(o, [...(producer.get(o) ?? []), i]);
  });
  const inputs: string[] = [];
  const inputIndex = new Map<string, number>();
  const edges: GraphLayout<F>["edges"][number][] = [];
  functions.forEach((f, to) => {
    for (const name of f.inputs) {
      const producers = producer.get(name);
      if (producers !== undefined) {
        for (const p of producers)
          edges.push({ from: { kind: "function", index: p }, to, label: name });
        continue;
      }
      let index = inputIndex.get(name);
      if (index === undefined) {
        index = inputs.push(name) - 1;
        inputIndex.set(name, index);
      }
      edges.push({ from: { kind: "input", index }, to, label: name });
    }
  });
  return { inputs, functions, edges };
}

/** A one-line summary of a function's outputs (or that it is a side-effect node). */
export function outputSummary(f: AnyPipeFunc): string {
  return f.outputs.length > 0 ? f.outputs.join(", ") : "(side effect)";
}
