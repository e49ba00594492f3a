import { setOwn } from "../_internal/own.ts";
import { PipelineDefinitionError } from "../errors.ts";
import {
  combineResources,
  evaluateResources,
  type ResourcesOption,
  type ResourcesScope,
  toResources,
} from "../executor/resources.ts";
import { type ArraySpec, formatMapSpec, type MapSpec, parseMapSpec } from "../map/mapspec.ts";
import {
  checkOptionKeys,
  composeRenames,
  graphNamer,
  type ParamSpec,
  PipeFunc,
  type PipeFuncOptions,
  sourceText,
} from "./pipe-func.ts";
import type { AnyPipeFunc } from "./types.ts";

/** Runs a group of functions; what the nested function calls. */
export interface InnerPipeline {
  runAll(inputs: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>>;
  runAllSync(inputs: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

/** What a nested function can be given, and changed with `.with()`. */
type NestedOptions = Pick<
  PipeFuncOptions,
  | "name"
  | "renames"
  | "defaults"
  | "bound"
  | "mapspec"
  | "cache"
  | "cacheKey"
  | "version"
  | "captures"
  | "profile"
  | "schema"
  | "resources"
  | "resourcesScope"
  | "variant"
  | "variantGroup"
>;

const CHANGEABLE: ReadonlySet<string> = new Set<keyof NestedOptions>([
  "name",
  "renames",
  "defaults",
  "bound",
  "mapspec",
  "cache",
  "cacheKey",
  "version",
  "captures",
  "profile",
  "schema",
  "resources",
  "resourcesScope",
  "variant",
  "variantGroup",
]);

/**
 * Combines functions into one (pipefunc's NestedPipeFunc): its inputs are what the group
 * reads from outside, its outputs every output of the group. It runs synchronously when every
 * inner function is a plain (non-async) function, else it returns a promise.
 *
 * The group's mapspecs are combined into one (`x[i] -> y[i]` and `y[i] -> z[i]` give
 * `x[i] -> y[i], z[i]`), so a sweep still maps the nested function element by element.
 *
 * Its resources are enough for every part (see {@link nestedResources}) unless it is given
 * its own with `.with({ resources })`.
 *
 * @param group - The functions to combine.
 * @param name - Name of the nested function. @defaultValue the inner names joined by "+"
 * @param makePipeline - Builds the inner pipeline (breaks the import cycle with Pipeline).
 * @throws {@link PipelineDefinitionError} when the group's mapspecs cannot be combined.
 */
export function nestFunctions(
  group: readonly AnyPipeFunc[],
  name: string | undefined,
  makePipeline: (functions: readonly AnyPipeFunc[]) => InnerPipeline,
): AnyPipeFunc {
  if (group.length === 0) {
    throw new PipelineDefinitionError("nest() needs at least one output to nest.");
  }
  const nestedName = name ?? group.map((f) => f.name).join("+");
  // The outer pipeline caches the nested function as a whole, in its own store.
  const inner = makePipeline(group.map((f) => (f.cache ? f.with({ cache: false }) : f)));
  const produced = new Set(group.flatMap((f) => f.outputs));
  const args = [...new Set(group.flatMap((f) => f.inputs))].filter((n) => !produced.has(n));
  const outputs = group.flatMap((f) => f.outputs);
  const isAsync = group.some((f) => f.call.fn.constructor.name === "AsyncFunction");
  const pick =
    outputs.length === 1
      ? (all: Record<string, unknown>) => all[outputs[0]!]
      : (all: Record<string, unknown>) => outputs.map((o) => all[o]);
  const fn = isAsync
    ? async (values: Record<string, unknown>) => pick(await inner.runAll(values))
    : (values: Record<string, unknown>) => pick(inner.runAllSync(values));
  const ownDefaults = new Map<string, ParamSpec["default"]>();
  for (const p of group.flatMap((f) => f.call.params)) {
    if (!ownDefaults.has(p.graph) || ownDefaults.get(p.graph)!.kind === "none") {
      ownDefaults.set(p.graph, p.default);
    }
  }
  // Identity for caches and run folders: the inner functions, not the wrapper above (their
  // captures and versions enter it through `parts`).
  const source = `nest(${group.map((f) => `${sourceText(f)}|${f.mapspec ?? ""}`).join(",")})`;
  const combined = combineMapspecs(group, nestedName, new Set(args));
  const resources = nestedResources(group, nestedName);

  const build = (options: NestedOptions): PipeFunc => {
    const fnName = options.name ?? nestedName;
    const renames = options.renames ?? {};
    const defaults = (options.defaults ?? {}) as Record<string, unknown>;
    const bound = (options.bound ?? {}) as Record<string, unknown>;
    checkOptionKeys(fnName, args, outputs, { renames, defaults, bound });
    const toGraph = graphNamer(renames, undefined);
    const params: ParamSpec[] = args
      .filter((a) => !Object.hasOwn(bound, a))
      .map((a) => ({
        arg: a,
        graph: toGraph(a),
        default: Object.hasOwn(defaults, a)
          ? { kind: "value", value: defaults[a] }
          : ownDefaults.get(a)!,
      }));
    const call = {
      fn,
      style: "object" as const,
      params,
      bound,
      outputs: outputs.map(toGraph),
      rawOutputs: outputs,
      outputPicker: undefined,
      source,
      parts: group,
    };
    return new PipeFunc({
      name: fnName,
      call,
      mapspec: options.mapspec ?? combined,
      cache: options.cache,
      cacheKey: options.cacheKey,
      version: options.version,
      captures: options.captures,
      profile: options.profile,
      schema: options.schema,
      ...("resources" in options ? { resources: options.resources } : resources),
      ...("resourcesScope" in options ? { resourcesScope: options.resourcesScope } : {}),
      ...variantOfGroup(group),
      ...("variant" in options ? { variant: options.variant } : {}),
      ...("variantGroup" in options ? { variantGroup: options.variantGroup } : {}),
      derive: {
        renameGraph: (more, mapspec) =>
          build({ ...options, renames: composeRenames(call, more), mapspec }),
        with: (changes) => {
          const fixed = Object.keys(changes).filter((k) => !CHANGEABLE.has(k));
          if (fixed.length > 0) {
            throw new PipelineDefinitionError(
              `Nested function "${fnName}" cannot change ${fixed.map((k) => `\`${k}\``).join(", ")} ` +
                `with .with() (it can change ${[...CHANGEABLE].map((k) => `\`${k}\``).join(", ")}). ` +
                "Change its inner functions and nest them again.",
            );
          }
          return build({ ...options, ...(changes as NestedOptions) });
        },
      },
    });
  };
  return build({});
}

/**
 * The variant a nested group implements: the one variant its functions declare (a group
 * nesting one variant's functions, with or without shared ones, is that variant); none when
 * they declare none or several.
 */
function variantOfGroup(group: readonly AnyPipeFunc[]): {
  readonly variant?: string;
  readonly variantGroup?: string;
} {
  const labels = new Set(
    group
      .filter((f) => f.variant !== undefined)
      .map((f) => `${f.variantGroup ?? ""}\u0000${f.variant}`),
  );
  if (labels.size !== 1) return {};
  const f = group.find((g) => g.variant !== undefined)!;
  return f.variantGroup === undefined
    ? { variant: f.variant! }
    : { variant: f.variant!, variantGroup: f.variantGroup };
}

/**
 * A nested function's resources, as pipefunc combines them: the most cpus, memory, gpus and
 * wall time any part needs, every part's `extra` flags and their one partition. When a part
 * computes its resources, so does the nested function: each part's are evaluated with the
 * nested function's arguments that the part reads (a value computed inside the group is not
 * known yet, so absent), per element when any such part has `resourcesScope: "element"`.
 *
 * @throws {@link InvalidOptionError} when fixed parts ask for different partitions.
 */
function nestedResources(
  group: readonly AnyPipeFunc[],
  name: string,
): { readonly resources?: ResourcesOption; readonly resourcesScope?: ResourcesScope } {
  const owners = group.filter((f) => f.resources !== undefined);
  if (owners.length === 0) return {};
  const where = `"${name}"`;
  const computed = owners.filter((f) => typeof f.resources === "function");
  if (computed.length === 0) {
    const fixed = owners.map((f) => ({
      name: f.name,
      resources: evaluateResources(f.resources, {}, `function "${f.name}"`),
    }));
    return { resources: toResources(combineResources(fixed, where)!) };
  }
  // The nested function's arguments are the group's graph names; each part reads its own.
  const evaluate = (args: Readonly<Record<string, unknown>>) =>
    toResources(
      combineResources(
        owners.map((f) => {
          const own: Record<string, unknown> = { ...f.call.bound };
          for (const p of f.call.params) {
            if (Object.hasOwn(args, p.graph)) setOwn(own, p.arg, args[p.graph]);
          }
          return {
            name: f.name,
            resources: evaluateResources(f.resources, own, `function "${f.name}"`),
          };
        }),
        where,
      )!,
    );
  const perElement = computed.some((f) => f.resourcesScope === "element");
  return { resources: evaluate, resourcesScope: perElement ? "element" : "map" };
}

/**
 * The mapspec of a nested group (pipefunc's rule): every function maps element-wise over the
 * same axes (no reduction, no new axis), and the group maps over them once.
 *
 * @returns The combined mapspec in the group's own names, or undefined when none has one.
 * @throws {@link PipelineDefinitionError} naming the function whose mapspec does not combine.
 */
function combineMapspecs(
  group: readonly AnyPipeFunc[],
  name: string,
  external: ReadonlySet<string>,
): string | undefined {
  const specs = group.map((f) => (f.mapspec === undefined ? undefined : parseMapSpec(f.mapspec)));
  if (specs.every((s) => s === undefined)) return undefined;
  const problems: string[] = [];
  const fix =
    "Nest only functions that map element-wise over the same axes, or leave this one out of the group.";
  let axes: readonly string[] | undefined;
  const inputs = new Map<string, ArraySpec>();
  specs.forEach((spec, k) => {
    const f = group[k]!;
    if (!spec) {
      problems.push(
        `Cannot nest "${f.name}", which has no mapspec, with functions that have one ("${name}"). ${fix}`,
      );
      return;
    }
    const own = spec.outputs[0]?.axes.filter((a): a is string => a !== null) ?? [];
    const read = new Set(spec.inputs.flatMap((a) => a.axes));
    if (spec.generates || read.has(null) || own.some((a) => !read.has(a))) {
      problems.push(
        `Cannot nest "${f.name}" (mapspec "${f.mapspec}"): a nested group maps element-wise, ` +
          `so its functions cannot reduce (":") or create axes. ${fix}`,
      );
      return;
    }
    if (axes === undefined) axes = own;
    else if (axes.join() !== own.join()) {
      problems.push(
        `Cannot nest "${f.name}" (mapspec "${f.mapspec}") with a function whose outputs have ` +
          `axes [${axes.join(", ")}]: every nested function needs the same axes. ${fix}`,
      );
    }
    for (const a of spec.inputs) {
      if (!external.has(a.name)) continue;
      const seen = inputs.get(a.name);
      if (seen && seen.axes.join() !== a.axes.join()) {
        problems.push(
          `Nested functions read "${a.name}" with different axes ([${seen.axes.join(", ")}] and ` +
            `[${a.axes.join(", ")}]). Use the same axes in every mapspec.`,
        );
      }
      inputs.set(a.name, a);
    }
  });
  if (problems.length > 0) throw new PipelineDefinitionError(problems);
  const spec: MapSpec = {
    inputs: [...inputs.values()],
    outputs: group.flatMap((f) => f.outputs).map((o) => ({ name: o, axes: axes ?? [] })),
    generates: false,
  };
  return formatMapSpec(spec);
}
