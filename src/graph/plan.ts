import { closestNames } from "../_internal/closest.ts";
import { MapRequiredError, MissingInputError, UnknownOutputError } from "../errors.ts";
import { type MapSpec, parseMapSpec } from "../map/mapspec.ts";
import { type Graph, isConfigName } from "./graph.ts";
import type { AnyPipeFunc } from "./types.ts";

/** Where a value comes from when a plan runs. */
export type Source =
  /** The caller's inputs object. */
  | { readonly kind: "input"; readonly name: string }
  /** Values supplied by the pipeline per run (constants, registry entries). */
  | { readonly kind: "extra"; readonly name: string }
  /** A value fixed when the plan is built (config paths, explicit defaults). */
  | { readonly kind: "value"; readonly value: unknown }
  /** Output `output` of plan step `step`. */
  | { readonly kind: "node"; readonly step: number; readonly output: number }
  /** Leave the argument out: the function applies the default written in its pattern. */
  | { readonly kind: "omit" };

/** One function call of a plan. */
export interface PlanStep {
  /** Index of the function in the graph. */
  readonly fn: number;
  /** Source of each parameter, aligned with the function's `call.params`. */
  readonly args: readonly Source[];
}

/** What a plan returns: one value, or every given and computed name. */
export type PlanResult =
  | { readonly kind: "one"; readonly source: Source }
  | { readonly kind: "all"; readonly entries: readonly (readonly [string, Source])[] };

/** A resolved, validated execution plan for one request and one set of given names. */
export interface Plan {
  readonly steps: readonly PlanStep[];
  readonly result: PlanResult;
}

/** What a plan is built for. */
export interface PlanRequest {
  /** An output (or side-effect node) name, several of them, or {@link ALL} for every function. */
  readonly target: string | readonly string[] | typeof ALL;
  /** Names the caller passes. */
  readonly inputs: ReadonlySet<string>;
  /** Names the pipeline supplies itself (constants, registry entries). */
  readonly extra: ReadonlySet<string>;
  /** The pipeline's config object, for `config` and `config.<path>` inputs. */
  readonly config: Readonly<Record<string, unknown>> | undefined;
}

/** Target meaning "run every function". */
export const ALL: unique symbol = Symbol("pipeweave.all");

/**
 * Resolves which functions to call, in which order, and where each argument comes from.
 * Given names (intermediates included) cut the graph: their producers are skipped.
 *
 * @throws {@link UnknownOutputError} for a target nothing produces.
 * @throws {@link MapRequiredError} when a function would get a value that only `map` gives it.
 * @throws {@link MissingInputError} listing every missing root input.
 */
export function buildPlan(graph: Graph, request: PlanRequest): Plan {
  const { inputs, extra } = request;
  const isGiven = (name: string) => inputs.has(name) || extra.has(name);
  const needed = new Set<number>();
  const missing = new Map<string, string[]>();
  const configMisses: string[] = [];

  const visitName = (name: string, reader: string | undefined, hasDefault: boolean): void => {
    if (isGiven(name)) return;
    if (isConfigName(name)) {
      if (!lookupConfig(request.config, name).found) configMisses.push(name);
      return;
    }
    const p = graph.producer.get(name);
    if (p !== undefined) visitFn(p);
    else if (!hasDefault) {
      const list = missing.get(name) ?? [];
      if (reader !== undefined && !list.includes(reader)) list.push(reader);
      missing.set(name, list);
    }
  };
  const visitFn = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    const f = graph.functions[i]!;
    for (const p of f.call.params) {
      visitName(p.graph, f.name, p.default.kind !== "none" || graph.defaults.has(p.graph));
    }
  };

  const target = request.target;
  const visitTarget = (name: string): void => {
    if (isGiven(name) || isConfigName(name)) {
      visitName(name, undefined, false);
      return;
    }
    const p = graph.producer.get(name) ?? sideEffectNode(graph, name);
    if (p !== undefined) visitFn(p);
    else if (graph.readers.has(name)) visitName(name, undefined, false);
    else {
      const known = [...new Set([...graph.producer.keys(), ...graph.byName.keys()])];
      throw new UnknownOutputError(name, closestNames(name, known), known);
    }
  };
  let label: string;
  if (target === ALL) {
    label = "all outputs";
    graph.functions.forEach((f, i) => {
      if (f.outputs.length === 0 || !f.outputs.every(isGiven)) visitFn(i);
    });
  } else if (typeof target === "string") {
    label = target;
    visitTarget(target);
  } else {
    label = target.join(", ");
    for (const name of target) visitTarget(name);
  }

  // Before the missing inputs: no inputs would let `run` compute what needs `map`.
  checkRunnable(graph, needed, isGiven, target === ALL ? undefined : target);

  if (missing.size > 0 || configMisses.length > 0) {
    const names = [...missing.keys(), ...configMisses];
    const readers = Object.fromEntries(missing);
    for (const c of configMisses) readers[c] = readersOf(graph, c);
    const detail =
      configMisses.length > 0 && missing.size === 0
        ? `Add ${configMisses.map((c) => `"${c.slice("config.".length) || "config"}"`).join(", ")} to the pipeline's config option.`
        : "";
    throw new MissingInputError(label, names, readers, detail);
  }

  const stepOf = new Map<number, number>();
  const steps: PlanStep[] = [];
  const sourceOf = (name: string): Source | undefined => {
    if (inputs.has(name)) return { kind: "input", name };
    if (extra.has(name)) return { kind: "extra", name };
    if (isConfigName(name))
      return { kind: "value", value: lookupConfig(request.config, name).value };
    const p = graph.producer.get(name);
    if (p === undefined) return undefined;
    const step = stepOf.get(p);
    if (step === undefined) return undefined;
    return { kind: "node", step, output: graph.functions[p]!.outputs.indexOf(name) };
  };
  for (const i of graph.order) {
    if (!needed.has(i)) continue;
    const f = graph.functions[i]!;
    const args = f.call.params.map((p): Source => {
      const s = sourceOf(p.graph);
      if (s) return s;
      if (p.default.kind === "value") return { kind: "value", value: p.default.value };
      if (p.default.kind === "own") return { kind: "omit" };
      // Like pipefunc, a default one function declares serves every reader of that input.
      return { kind: "value", value: graph.defaults.get(p.graph) };
    });
    stepOf.set(i, steps.length);
    steps.push({ fn: i, args });
  }

  const resultOf = (name: string): Source => sourceOf(name) ?? { kind: "value", value: undefined };
  let result: PlanResult;
  if (target === ALL) {
    const entries: [string, Source][] = [...inputs].map((n) => [n, { kind: "input", name: n }]);
    // Outputs a registry restored are results of this run too, though nothing recomputed them.
    for (const n of extra)
      if (graph.producer.has(n) && !inputs.has(n)) entries.push([n, resultOf(n)]);
    for (const step of steps) {
      for (const out of graph.functions[step.fn]!.outputs) {
        if (!inputs.has(out)) entries.push([out, resultOf(out)]);
      }
    }
    result = { kind: "all", entries };
  } else if (typeof target === "string") {
    result = { kind: "one", source: resultOf(target) };
  } else {
    result = { kind: "all", entries: target.map((n) => [n, resultOf(n)] as const) };
  }
  return { steps, result };
}

/**
 * Refuses a plan in which a function would get a value that only `map` gives it. `run` calls
 * each function once, so an element-wise function (`x[i] -> y[i]`) given element values
 * computes one element, as `map` would; but a function that reads the elements of a computed
 * mapped output together (without mapspec, or along `:`) needs `map` to gather them, and one
 * that maps over a computed value needs `map` to split it. Values the caller gives are taken
 * as given.
 *
 * @throws {@link MapRequiredError} naming the first such function in execution order.
 */
function checkRunnable(
  graph: Graph,
  needed: ReadonlySet<number>,
  isGiven: (name: string) => boolean,
  asked: string | readonly string[] | undefined,
): void {
  if (!graph.functions.some((f) => f.mapspec !== undefined)) return;
  const specs = new Map<number, MapSpec | undefined>();
  const specOf = (i: number) => {
    if (!specs.has(i)) {
      const { mapspec, name } = graph.functions[i]!;
      specs.set(i, mapspec === undefined ? undefined : parseMapSpec(mapspec, name));
    }
    return specs.get(i);
  };
  for (const i of graph.order) {
    if (!needed.has(i)) continue;
    const reader = graph.functions[i]!;
    for (const { graph: name } of reader.call.params) {
      const p = graph.producer.get(name);
      if (p === undefined || isGiven(name) || !needed.has(p)) continue;
      const producer = graph.functions[p]!;
      const made = specOf(p);
      // null: read whole; else the axes it is read along (null for ":").
      const axes = specOf(i)?.inputs.find((a) => a.name === name)?.axes ?? null;
      const perElement = axes !== null && axes.length > 0 && !axes.includes(null);
      const fail = (node: AnyPipeFunc, why: string, canPass: boolean): never => {
        throw new MapRequiredError(asked, node.name, node.mapspec!, name, why, canPass);
      };
      if (made === undefined) {
        if (perElement) {
          fail(
            reader,
            `function "${reader.name}" (mapspec "${reader.mapspec}") is called once per element ` +
              `of "${name}", which function "${producer.name}" returns whole, and only map splits ` +
              "it into elements",
            false,
          );
        }
      } else if (!isElementWise(made)) {
        fail(
          producer,
          `function "${reader.name}" reads "${name}", whose axes function "${producer.name}" ` +
            `makes (mapspec "${producer.mapspec}"), and only map splits its results into elements`,
          false,
        );
      } else if (!perElement) {
        fail(
          producer,
          `function "${reader.name}" reads the elements of "${name}" together, which function ` +
            `"${producer.name}" computes one at a time (mapspec "${producer.mapspec}"), and ` +
            "only map gathers them",
          true,
        );
      }
    }
  }
}

/** Whether every output axis comes from a mapped input: one call makes one element. */
function isElementWise(spec: MapSpec): boolean {
  if (spec.generates) return false;
  const read = new Set(spec.inputs.flatMap((a) => a.axes));
  return spec.outputs.every((o) => o.axes.every((a) => a !== null && read.has(a)));
}

function sideEffectNode(graph: Graph, name: string): number | undefined {
  const i = graph.byName.get(name);
  return i !== undefined && graph.functions[i]!.outputs.length === 0 ? i : undefined;
}

function readersOf(graph: Graph, name: string): string[] {
  return (graph.readers.get(name) ?? []).map((i) => graph.functions[i]!.name);
}

/** Reads `config` or `config.a.b` from the pipeline's config object. */
export function lookupConfig(
  config: Readonly<Record<string, unknown>> | undefined,
  name: string,
): { readonly found: boolean; readonly value: unknown } {
  if (config === undefined) return { found: false, value: undefined };
  if (name === "config") return { found: true, value: config };
  let value: unknown = config;
  for (const part of name.slice("config.".length).split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) {
      return { found: false, value: undefined };
    }
    value = (value as Record<string, unknown>)[part];
  }
  return { found: true, value };
}
