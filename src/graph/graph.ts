import { isDeepStrictEqual } from "node:util";
import { CycleError, PipelineDefinitionError } from "../errors.ts";
import type { AnyPipeFunc } from "./types.ts";

/** The order in which functions run: by dependencies, or exactly as declared. */
export type ExecutionOrder = "auto" | "declared";

/** True for inputs that resolve from the pipeline's `config` option. */
export function isConfigName(name: string): boolean {
  return name === "config" || name.startsWith("config.");
}

/**
 * The DAG of a list of functions, validated once at construction. Indices refer to positions
 * in `functions`; everything the engine looks up per run is precomputed here.
 */
export class Graph {
  readonly functions: readonly AnyPipeFunc[];
  /** Output name -> index of the function producing it. */
  readonly producer: ReadonlyMap<string, number>;
  /** Function name -> index (first function of that name). */
  readonly byName: ReadonlyMap<string, number>;
  /** Input name -> indices of the functions reading it. */
  readonly readers: ReadonlyMap<string, readonly number[]>;
  /** Function indices grouped so each group depends only on earlier groups. */
  readonly generations: readonly (readonly number[])[];
  /** Function indices in execution order. */
  readonly order: readonly number[];
  /** Every name an input or output of some function. */
  readonly names: ReadonlySet<string>;
  /** Known default value of each input, from any function that declares one. */
  readonly defaults: ReadonlyMap<string, unknown>;

  /**
   * @param functions - The pipeline's functions.
   * @param order - `"declared"` runs them in the given order and rejects reads of later outputs.
   * @throws {@link PipelineDefinitionError} listing every definition problem.
   * @throws {@link CycleError} naming the functions on a cycle.
   */
  constructor(functions: readonly AnyPipeFunc[], order: ExecutionOrder = "auto") {
    this.functions = functions;
    const problems: string[] = [];
    const producer = new Map<string, number>();
    const byName = new Map<string, number>();
    const readers = new Map<string, number[]>();
    const names = new Set<string>();
    functions.forEach((f, i) => {
      if (!byName.has(f.name)) byName.set(f.name, i);
      for (const out of f.outputs) {
        names.add(out);
        const previous = producer.get(out);
        if (previous === undefined) producer.set(out, i);
        else {
          problems.push(
            `Functions "${functions[previous]!.name}" and "${f.name}" both produce "${out}". ` +
              "Each output needs exactly one producer: rename one output (renames) or drop one function.",
          );
        }
      }
      for (const input of f.inputs) {
        names.add(input);
        const list = readers.get(input);
        if (list) list.push(i);
        else readers.set(input, [i]);
      }
    });
    problems.push(...defaultConflicts(functions, readers));
    if (order === "declared") problems.push(...declaredOrderProblems(functions, producer));
    if (problems.length > 0) throw new PipelineDefinitionError(problems);

    this.producer = producer;
    this.byName = byName;
    this.readers = readers;
    this.names = names;
    const defaults = new Map<string, unknown>();
    for (const f of functions) {
      for (const [name, value] of Object.entries(f.defaults)) defaults.set(name, value);
    }
    this.defaults = defaults;
    this.generations = computeGenerations(functions, producer);
    this.order = order === "declared" ? functions.map((_, i) => i) : this.generations.flat();
  }

  /** Inputs of the whole pipeline that no function produces. */
  get rootInputs(): string[] {
    return [...this.readers.keys()].filter((n) => !this.producer.has(n) && !isConfigName(n));
  }
}

function defaultConflicts(
  functions: readonly AnyPipeFunc[],
  readers: ReadonlyMap<string, readonly number[]>,
): string[] {
  const problems: string[] = [];
  for (const [input, indices] of readers) {
    let first: { name: string; value: unknown; text: string } | undefined;
    for (const i of indices) {
      const f = functions[i]!;
      const param = f.call.params.find((p) => p.graph === input)!;
      const d = param.default;
      if (d.kind === "none") continue;
      const known = d.kind === "value" || d.known;
      const value = known ? d.value : d.source;
      const text = known ? safeStringify(d.value) : d.source;
      if (!first) {
        first = { name: f.name, value, text };
      } else if (!isDeepStrictEqual(first.value, value)) {
        problems.push(
          `Functions "${first.name}" and "${f.name}" read "${input}" with different defaults ` +
            `(${first.text} vs ${text}). Make the defaults equal, or rename the input of one ` +
            "function (renames) so they are different inputs.",
        );
      }
    }
  }
  return problems;
}

function declaredOrderProblems(
  functions: readonly AnyPipeFunc[],
  producer: ReadonlyMap<string, number>,
): string[] {
  const problems: string[] = [];
  functions.forEach((f, i) => {
    for (const input of f.inputs) {
      const p = producer.get(input);
      if (p !== undefined && p > i) {
        problems.push(
          `Node "${f.name}" (position ${i + 1}) reads "${input}", which "${functions[p]!.name}" ` +
            `produces later (position ${p + 1}). With order "declared", move "${functions[p]!.name}" ` +
            'before it or use order "auto".',
        );
      }
    }
  });
  return problems;
}

function computeGenerations(
  functions: readonly AnyPipeFunc[],
  producer: ReadonlyMap<string, number>,
): number[][] {
  const deps = functions.map((f) => {
    const set = new Set<number>();
    for (const input of f.inputs) {
      const p = producer.get(input);
      if (p !== undefined) set.add(p);
    }
    return set;
  });
  const level = new Array<number>(functions.length).fill(-1);
  const state = new Array<0 | 1 | 2>(functions.length).fill(0);
  const stack: number[] = [];
  const visit = (i: number): number => {
    if (state[i] === 2) return level[i]!;
    if (state[i] === 1) {
      const start = stack.indexOf(i);
      const cycle = [...stack.slice(start), i].map((k) => functions[k]!.name);
      throw new CycleError(cycle);
    }
    state[i] = 1;
    stack.push(i);
    let l = 0;
    for (const d of deps[i]!) l = Math.max(l, visit(d) + 1);
    stack.pop();
    state[i] = 2;
    level[i] = l;
    return l;
  };
  for (let i = 0; i < functions.length; i++) visit(i);
  const generations: number[][] = [];
  level.forEach((l, i) => {
    const generation = generations[l];
    if (generation) generation.push(i);
    else generations[l] = [i];
  });
  return generations;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Outputs computable from `inputs` alone (defaults and config included). */
export function forwardOutputs(g: Graph, inputs: ReadonlySet<string>): string[] {
  const available = new Set(inputs);
  const out: string[] = [];
  for (const i of g.order) {
    const f = g.functions[i]!;
    const ok = f.call.params.every(
      (p) =>
        available.has(p.graph) ||
        isConfigName(p.graph) ||
        p.default.kind !== "none" ||
        g.defaults.has(p.graph),
    );
    if (ok) {
      for (const o of f.outputs) available.add(o);
      out.push(...(f.outputs.length > 0 ? f.outputs : [f.name]));
    }
  }
  return out;
}
