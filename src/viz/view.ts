import type { AnyPipeFunc } from "../graph/types.ts";

/** What the text views read from a pipeline. */
export interface PipelineView {
  readonly name: string;
  readonly sortedFunctions: readonly AnyPipeFunc[];
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
  return layoutOf(view.sortedFunctions);
}

/** {@link layout} of any functions with inputs and outputs, in execution order. */
export function layoutOf<F extends Connected>(functions: readonly F[]): GraphLayout<F> {
  const producer = new Map<string, number>();
  functions.forEach((f, i) => {
    for (const o of f.outputs) producer.set(o, i);
  });
  const inputs: string[] = [];
  const inputIndex = new Map<string, number>();
  const edges: GraphLayout<F>["edges"][number][] = [];
  functions.forEach((f, to) => {
    for (const name of f.inputs) {
      const p = producer.get(name);
      if (p !== undefined) {
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
