import { boundedList, clip } from "../_internal/bounded-text.ts";
import { MapSpecError } from "../errors.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { type ArraySpec, internalAxes, type MapSpec, parseMapSpec } from "./mapspec.ts";

/** How one function takes part in a sweep. */
export interface NodeLayout {
  readonly func: AnyPipeFunc;
  /**
   * Its parsed mapspec; undefined for a function called once. A function without a mapspec
   * whose output a downstream mapspec indexes gets `... -> x[i]` (pipefunc's rule).
   */
  readonly spec: MapSpec | undefined;
  /** Axes of its outputs (empty for a function called once). */
  readonly outputDims: readonly string[];
  /**
   * Axes it is called along, one call per element: `outputDims` without the internal axes.
   * Empty for a generator and for a function called once.
   */
  readonly elementDims: readonly string[];
  /** Axes along which each call returns an array (`x[i] -> y[i, j]` gives `j`); trailing. */
  readonly internalDims: readonly string[];
  /** Per parameter (in `call.params` order): the axes it is read with, or undefined (whole). */
  readonly paramAxes: readonly (readonly (string | null)[] | undefined)[];
}

/** Mapspecs of a whole pipeline, checked against each other. */
export interface SweepLayout {
  /** Functions in execution order. */
  readonly nodes: readonly NodeLayout[];
  /** Axes of every mapped name (root inputs read with axes, and outputs); absent = 0-D. */
  readonly dims: ReadonlyMap<string, readonly string[]>;
  /** The function producing each output. */
  readonly producer: ReadonlyMap<string, NodeLayout>;
}

const cache = new WeakMap<object, SweepLayout>();

/**
 * Parses every mapspec of the pipeline and checks that they fit together: a mapspec names
 * only the function's own inputs and outputs, and every name has one set of axes. Functions
 * without a mapspec whose output a mapspec indexes become generators.
 *
 * @throws {@link MapSpecSyntaxError} or {@link MapSpecError} naming the function.
 */
export function sweepLayout(key: object, functions: readonly AnyPipeFunc[]): SweepLayout {
  const cached = cache.get(key);
  if (cached) return cached;
  const dims = new Map<string, readonly string[]>();
  const producer = new Map<string, NodeLayout>();
  const nodes: NodeLayout[] = [];
  // A name read with `:` somewhere gets its axis names from where it is produced or indexed.
  const claim = (name: string, axes: readonly string[], f: AnyPipeFunc) => {
    const known = dims.get(name);
    if (known && known.join() !== axes.join()) {
      throw new MapSpecError(
        `Function "${f.name}" uses "${clip(name)}" with axes [${axisList(axes)}], but it has ` +
          `axes [${axisList(known)}] elsewhere. Use the same axis names for "${clip(name)}" in ` +
          "every mapspec.",
        f.name,
      );
    }
    dims.set(name, axes);
  };
  const specs = functions.map((f) =>
    f.mapspec === undefined ? undefined : parseMapSpec(f.mapspec, f.name),
  );
  const indexed = indexedNames(specs);
  functions.forEach((f, k) => {
    const spec = specs[k] ?? generatorFor(f, indexed);
    const outputDims = spec ? (spec.outputs[0]?.axes ?? []).map((a) => a ?? "") : [];
    const internalDims = spec ? internalAxes(spec) : [];
    const internal = new Set(internalDims);
    const byName = new Map<string, ArraySpec>(spec?.inputs.map((a) => [a.name, a]) ?? []);
    const node: NodeLayout = {
      func: f,
      spec,
      outputDims,
      elementDims: spec && !spec.generates ? outputDims.filter((d) => !internal.has(d)) : [],
      internalDims,
      paramAxes: f.call.params.map((p) => byName.get(p.graph)?.axes),
    };
    nodes.push(node);
    for (const o of f.outputs) {
      producer.set(o, node);
      if (outputDims.length > 0) claim(o, outputDims, f);
    }
  });
  // Inputs indexed by name fix their axes; positions read with `:` take the producer's.
  for (const node of nodes) {
    for (const input of node.spec?.inputs ?? []) {
      const known = dims.get(input.name);
      if (known) {
        if (known.length !== input.axes.length) {
          throw new MapSpecError(
            `Function "${node.func.name}" reads "${clip(input.name)}" with ${input.axes.length} ` +
              `ax${input.axes.length === 1 ? "is" : "es"}, but "${clip(input.name)}" has ` +
              `${known.length} ([${axisList(known)}]). Index every axis, using ":" for the ones ` +
              "to take whole.",
            node.func.name,
          );
        }
        input.axes.forEach((a, k) => {
          if (a !== null && a !== known[k]) {
            throw new MapSpecError(
              `Function "${node.func.name}" reads "${clip(input.name)}" as ` +
                `[${axisList(input.axes)}], but its axes are [${axisList(known)}] elsewhere. ` +
                `Write axis ${k + 1} as "${clip(known[k] ?? "")}" or ":", or rename the axis ` +
                "everywhere so each name has one set of axes.",
              node.func.name,
            );
          }
        });
      } else if (!producer.has(input.name) && input.axes.length > 0) {
        claim(
          input.name,
          input.axes.map((a, k) => a ?? `${input.name}:${k}`),
          node.func,
        );
      }
    }
  }
  const layout = { nodes, dims, producer };
  cache.set(key, layout);
  return layout;
}

/** Each name read with axes by some mapspec, with the axes of its first such read. */
function indexedNames(
  specs: readonly (MapSpec | undefined)[],
): ReadonlyMap<string, readonly (string | null)[]> {
  const out = new Map<string, readonly (string | null)[]>();
  for (const spec of specs) {
    for (const a of spec?.inputs ?? [])
      if (a.axes.length > 0 && !out.has(a.name)) out.set(a.name, a.axes);
  }
  return out;
}

/**
 * The mapspec pipefunc gives a function without one whose output a mapspec indexes: its
 * single call returns the array (`... -> x[i]`). All its outputs share those axes.
 */
function generatorFor(
  f: AnyPipeFunc,
  indexed: ReadonlyMap<string, readonly (string | null)[]>,
): MapSpec | undefined {
  const read = f.outputs.find((o) => indexed.has(o));
  if (read === undefined) return undefined;
  const axes = indexed.get(read)!.map((a, k) => a ?? `${read}:${k}`);
  return {
    inputs: [],
    outputs: f.outputs.map((name) => ({ name, axes })),
    generates: true,
  };
}

/** Axes for a message, `:` for a whole axis; a long list or name is cut short. */
function axisList(axes: readonly (string | null)[]): string {
  return boundedList(axes, (a) => (a === null ? ":" : clip(a)));
}
