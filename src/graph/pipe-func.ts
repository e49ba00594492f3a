import type { StandardSchemaV1 } from "@standard-schema/spec";
import { boundedList, clip } from "../_internal/bounded-text.ts";
import { closestNames } from "../_internal/closest.ts";
import { own, setOwn } from "../_internal/own.ts";
import { InvalidOptionError, MapSpecError, PipelineDefinitionError } from "../errors.ts";
import {
  checkResourcesOption,
  checkResourcesScope,
  type Resources,
  type ResourcesOption,
  type ResourcesScope,
} from "../executor/resources.ts";
import { formatMapSpec, type MapSpec, parseMapSpec } from "../map/mapspec.ts";
import type { GraphMapSpec } from "./map-types.ts";
import {
  PARTIAL_SIGNATURE,
  PARTIAL_TARGET,
  type PartialSignature,
  type PartialTarget,
} from "./named-partial.ts";
import { evaluateLiteral, type ParsedSignature, parseSignature } from "./signature.ts";
import type { GraphInputs, GraphOutputs } from "./types.ts";
import type { VariantMarkOf } from "./variants.ts";

/** Standard Schemas checked at run time when the pipeline has `validate: true`. */
export interface PipeFuncSchema {
  /** One schema per argument name (as the function declares it). */
  readonly inputs?: Readonly<Record<string, StandardSchemaV1>>;
  /** Schema of the returned value. */
  readonly output?: StandardSchemaV1;
}

/**
 * Names a mapspec reads along some axis: `"a[i], b, c[:, j] -> y[i, j]"` gives `"a" | "c"`.
 * Split at `]`, so commas inside brackets do not matter.
 */
export type MappedNames<M extends string> = M extends `${infer Inputs} -> ${string}`
  ? NamesBeforeBracket<Inputs>
  : never;

type NamesBeforeBracket<T extends string> = T extends `${infer Piece}]${infer Rest}`
  ? NameOfPiece<Piece> | NamesBeforeBracket<Rest>
  : never;

type NameOfPiece<P extends string> = P extends `${infer Before}[${string}`
  ? LastName<Before>
  : never;

/** The name after the last comma of `x, y` (the one the bracket belongs to), trimmed. */
type LastName<T extends string> = T extends `${string},${infer Rest}` ? LastName<Rest> : Trim<T>;

type Trim<T extends string> = T extends ` ${infer U}`
  ? Trim<U>
  : T extends `${infer U} `
    ? Trim<U>
    : T;

/**
 * `defaults` of a function with mapspec `M`: an argument the mapspec maps takes the array
 * `map` indexes (one value per element), the others a value of their own type.
 */
export type MappedDefaults<A, M extends string> = {
  readonly [K in keyof A]?: K extends MappedNames<M> ? A[K] | readonly A[K][] : A[K];
};

/** Options of {@link pipefunc}. `A` is the function's argument object type. */
export interface PipeFuncOptions<A = Record<string, unknown>> {
  /** Name(s) of the output(s). With several, the function returns a tuple or an object keyed by them. */
  readonly output: string | readonly string[];
  /** Input names, when they cannot be read from the function's destructuring pattern. */
  readonly inputs?: readonly string[];
  /** Argument name -> name in the graph. A key naming an output renames that output. */
  readonly renames?: Readonly<Record<string, string>>;
  /** Default values by argument name; they override defaults written in the pattern. */
  readonly defaults?: Partial<A>;
  /** Fixed argument values by argument name; bound arguments are not graph inputs. */
  readonly bound?: Partial<A>;
  /** Mapspec such as `"a[i], b[j] -> c[i, j]"`, used by `pipeline.map`. */
  readonly mapspec?: string;
  /** Cache results of this function (see the pipeline's `cache` option). @defaultValue false */
  readonly cache?: boolean;
  /**
   * What identifies a call for the cache, when the arguments themselves cannot be hashed
   * (functions, class instances): return plain data instead, such as `model.id`. The node's
   * identity (name, source, bound values, `version`, `captures`) is always part of the key,
   * so what the function captures must still be declared; what `cacheKey` itself reads from
   * outside is not checked (it only chooses which arguments identify a call).
   * @defaultValue every argument value
   */
  readonly cacheKey?: (args: A) => unknown;
  /**
   * A label you change whenever what the function uses from outside itself (module
   * constants, closure variables, and the helpers it calls, which are never hashed) changes.
   * It enters the function's identity, so a cache or run folder never returns results
   * computed with the old values. With a `version`, the data the function reads need not be
   * listed in `captures`.
   * @defaultValue none: a cached function, one whose results a run folder keeps, or one sent
   *   to other processes, must declare the data it reads in `captures`
   */
  readonly version?: string | number;
  /**
   * The values the function reads from outside itself, by the name it reads them as:
   * `({ x }) => x * k` declares `captures: { k }`. Their hash enters the function's identity
   * (as cache keys hash arguments; a function value by its source text), so another value
   * is another cache entry and a run folder written with the old one refuses to resume.
   * A cached function (or one in a run folder, or sent to other processes) that reads data
   * it neither declares here, nor in the pipeline's `captures`, nor covers with `version`
   * is an `UndeclaredCaptureError`. Names only called (`sum(y)`, `stats.mean(y)`: code) or
   * only written (`calls++`: side effects) and globals (`Math`, `JSON`, `console`) need no
   * declaring.
   * @defaultValue none
   */
  readonly captures?: Readonly<Record<string, unknown>>;
  /** Record profiling statistics for this function. @defaultValue false */
  readonly profile?: boolean;
  /** Standard Schemas checked when the pipeline runs with `validate: true`. */
  readonly schema?: PipeFuncSchema;
  /** Display name. @defaultValue `fn.name`, else the first output's name */
  readonly name?: string;
  /**
   * What the function computes, in a sentence: shown by `pipeline.describe()`,
   * `printDocumentation()`, `pipeweave info` and the HTML view. @defaultValue none
   */
  readonly description?: string;
  /**
   * What each argument means, by the function's own argument name (as `defaults`):
   * `{ a: "the amplitude" }`. Named so because `inputs` already lists input names. A
   * description the pipeline's `inputs` gives wins; without either, a schema's description
   * is used. @defaultValue none
   */
  readonly inputDescriptions?: Readonly<Record<string, string>>;
  /**
   * Picks each output from the returned value: `(returned, outputName) => value`. Used for
   * every output, also when there is only one.
   */
  readonly outputPicker?: (returned: unknown, outputName: string) => unknown;
  /** Prefix every input and output as `scope.name`. */
  readonly scope?: string;
  /**
   * What the function needs to run (pipefunc's `resources`): `{ cpus, memory, gpus, time,
   * partition, extra }` (memory as `"4GB"`, time as `"1:30:00"` or minutes, `extra` for other
   * `sbatch` flags), or a function of its arguments returning them. Executors honour what
   * they can: threads count `cpus` as slots, Redis workers take the chunks that fit their
   * `--cpus`/`--memory`, SLURM turns them into `sbatch` options; inline runs ignore them.
   * Fixed resources are checked when the function is made, a function's each time it is
   * evaluated (see `resourcesScope`); both overlay the pipeline's `resources` key by key.
   * @defaultValue the pipeline's `resources`, else none
   */
  readonly resources?: ResourcesOption<Partial<A>>;
  /**
   * When a `resources` function is evaluated, as pipefunc's `resources_scope`: `"map"`, once
   * per map of the function, with its arguments that are not mapped (mapped ones may still be
   * computing); `"element"`, for every element, with that element's arguments (elements
   * needing the same resources are sent out together).
   * @defaultValue "map"
   */
  readonly resourcesScope?: ResourcesScope;
  /**
   * Makes this function one variant (one implementation) of its outputs, as pipefunc's
   * `variant`: a pipeline may then hold several functions of the same outputs, one per
   * variant, and `withVariant` or the run's `variant` option picks one. See
   * {@link PipeFuncOptions.variantGroup}.
   * @defaultValue none: the function is the only producer of its outputs
   */
  readonly variant?: string;
  /**
   * The group of alternatives this variant belongs to (pipefunc's `variant_group`), chosen
   * as a whole: `{ solver: "fast" }`. May be left out when the pipeline has one group (the
   * function joins it; with no named group at all, the group is called `"variant"`).
   * @defaultValue the pipeline's one group
   */
  readonly variantGroup?: string;
}

/** How an argument's default is known. */
export type ParamDefault =
  | { readonly kind: "none" }
  /** A value to pass when nothing else provides the argument. */
  | { readonly kind: "value"; readonly value: unknown; readonly source?: string }
  /** Written in the function's own pattern; the function applies it when given `undefined`. */
  | {
      readonly kind: "own";
      readonly source: string;
      readonly value?: unknown;
      readonly known: boolean;
    };

/** One argument the engine passes, linking the function's name for it to the graph's name. */
export interface ParamSpec {
  /** Name the function reads (object key); for positional calls, the input name as declared. */
  readonly arg: string;
  /** Name in the graph (after renames and scope). */
  readonly graph: string;
  readonly default: ParamDefault;
}

/** What the engine needs to call a function; computed once per PipeFunc. @internal */
export interface CallSpec {
  readonly fn: Function;
  /** `object`: `fn({ a, b })`; `positional`: `fn(a, b)`. */
  readonly style: "object" | "positional";
  /** Arguments read from the graph, in call order. */
  readonly params: readonly ParamSpec[];
  /** Fixed arguments by argument name (object style only). */
  readonly bound: Readonly<Record<string, unknown>>;
  /** Output names in the graph. */
  readonly outputs: readonly string[];
  /** Output names as the function returns them (keys of a returned object). */
  readonly rawOutputs: readonly string[];
  readonly outputPicker: ((returned: unknown, outputName: string) => unknown) | undefined;
  /**
   * Text that identifies the function for caches and run folders, when its own source does
   * not (a nested function's wrapper); else `fn`'s source is used.
   */
  readonly source?: string;
  /**
   * The functions whose code `fn` runs (a nested function's group): their captures and
   * versions stand for `fn`'s, which only calls them.
   */
  readonly parts?: readonly PipeFunc<object, object>[];
}

/** The text identifying a function's code: what caches and run folders hash. @internal */
export function sourceText(f: { readonly call: CallSpec }): string {
  return f.call.source ?? functionSource(f.call.fn);
}

/** A function's source; a namedPartial's is the wrapped function's (its wrapper's is shared). */
function functionSource(fn: Function): string {
  const target = (fn as { [PARTIAL_TARGET]?: PartialTarget })[PARTIAL_TARGET];
  if (target) return `namedPartial(${functionSource(target.fn)})`;
  return Function.prototype.toString.call(fn);
}

/**
 * True when the returned value is split into outputs (several outputs, or an `outputPicker`,
 * which is honoured for a single output too). @internal
 */
export function splitsResult(call: CallSpec): boolean {
  return call.outputs.length > 1 || (call.outputs.length === 1 && call.outputPicker !== undefined);
}

const noSchema: PipeFuncSchema = Object.freeze({});

/**
 * A function that names its output(s), ready to be a node of a {@link Pipeline}.
 * `In` and `Out` are the graph-facing input and output types; `Spec` is its mapspec as the
 * type system knows it: parsed from a literal (a `ParsedMapSpec` in graph names), `null`
 * for none, `unknown` when it is not known (a `string`, or a function rebuilt by `with`).
 */
export class PipeFunc<
  In extends object = Record<string, unknown>,
  Out extends object = Record<string, unknown>,
  Spec = unknown,
> {
  /** Phantom field carrying the graph-facing types; never set at run time. */
  declare readonly types?: { readonly in: In; readonly out: Out; readonly spec: Spec };
  /** Display name, used in errors, views and profiles. */
  readonly name: string;
  /** Output names in the graph. */
  readonly outputs: readonly string[];
  /** Input names in the graph (bound arguments excluded). */
  readonly inputs: readonly string[];
  /** Default values by graph name (literal defaults read from the pattern, and `defaults`). */
  readonly defaults: Readonly<Record<string, unknown>>;
  /**
   * The mapspec in canonical form and in graph names (renames and scope applied), if any.
   * It was parsed and checked against the function's inputs and outputs when the function
   * was made.
   */
  readonly mapspec: string | undefined;
  /** Whether results are cached. */
  readonly cache: boolean;
  /** What identifies a call for the cache, if not its arguments. */
  readonly cacheKey: ((args: Readonly<Record<string, unknown>>) => unknown) | undefined;
  /** The label covering what the function captures, if given (see {@link PipeFuncOptions.version}). */
  readonly version: string | number | undefined;
  /** The declared captured values, if any (see {@link PipeFuncOptions.captures}). */
  readonly captures: Readonly<Record<string, unknown>> | undefined;
  /** Whether calls are profiled. */
  readonly profile: boolean;
  /** Declared Standard Schemas. */
  readonly schema: PipeFuncSchema;
  /** The scope prefix, if any. */
  readonly scope: string | undefined;
  /**
   * What the function needs to run, as given (fixed, already checked, or a function of its
   * arguments by name); executors read it through `resourcesFor`, which adds the pipeline's.
   */
  readonly resources: ResourcesOption | undefined;
  /** When a `resources` function is evaluated: once per map, or per element. */
  readonly resourcesScope: ResourcesScope;
  /** The variant this function implements, if it is one (see {@link PipeFuncOptions.variant}). */
  readonly variant: string | undefined;
  /** The variant's group as declared; undefined when left to the pipeline's one group. */
  readonly variantGroup: string | undefined;
  /** What the function computes, if described (see {@link PipeFuncOptions.description}). */
  readonly description: string | undefined;
  /** Descriptions of its inputs by graph name (renames and scope applied). */
  readonly inputDescriptions: Readonly<Record<string, string>>;
  /** @internal How the engine calls this function. */
  readonly call: CallSpec;
  readonly #derive: PipeFuncDerive;

  /** @internal Use {@link pipefunc} or {@link Node}. */
  constructor(init: {
    readonly name: string;
    readonly call: CallSpec;
    readonly mapspec?: string | undefined;
    readonly cache?: boolean | undefined;
    readonly cacheKey?: ((args: never) => unknown) | undefined;
    readonly version?: string | number | undefined;
    readonly captures?: Readonly<Record<string, unknown>> | undefined;
    readonly profile?: boolean | undefined;
    readonly schema?: PipeFuncSchema | undefined;
    readonly scope?: string | undefined;
    readonly resources?: Resources | ((args: never) => Resources) | undefined;
    readonly resourcesScope?: ResourcesScope | undefined;
    readonly variant?: string | undefined;
    readonly variantGroup?: string | undefined;
    readonly description?: string | undefined;
    /** By argument name; stored by graph name. */
    readonly inputDescriptions?: Readonly<Record<string, string>> | undefined;
    readonly derive: PipeFuncDerive;
  }) {
    this.name = init.name;
    this.call = init.call;
    this.outputs = init.call.outputs;
    this.inputs = init.call.params.map((p) => p.graph);
    const defaults: Record<string, unknown> = {};
    for (const p of init.call.params) {
      if (p.default.kind === "value") setOwn(defaults, p.graph, p.default.value);
      else if (p.default.kind === "own" && p.default.known) {
        setOwn(defaults, p.graph, p.default.value);
      }
    }
    this.defaults = defaults;
    this.mapspec =
      init.mapspec === undefined ? undefined : graphMapSpec(init.name, init.mapspec, init);
    this.cache = init.cache ?? false;
    this.cacheKey = init.cacheKey as PipeFunc["cacheKey"];
    checkIdentityOptions(init.name, init.version, init.captures);
    this.version = init.version;
    this.captures = init.captures;
    this.profile = init.profile ?? false;
    this.schema = init.schema ?? noSchema;
    this.scope = init.scope;
    checkResourcesOption(init.resources, `function "${init.name}"`);
    this.resources = init.resources as ResourcesOption | undefined;
    this.resourcesScope = checkResourcesScope(init.resourcesScope, `function "${init.name}"`);
    checkVariantOptions(init.name, init.variant, init.variantGroup);
    this.variant = init.variant;
    this.variantGroup = init.variantGroup;
    this.description = checkDescription(init.name, "description", init.description);
    this.inputDescriptions = graphDescriptions(init.name, init.call, init.inputDescriptions);
    this.#derive = init.derive;
  }

  /** Names of inputs that have a default (so need not be given). */
  get optionalInputs(): readonly string[] {
    return this.call.params.filter((p) => p.default.kind !== "none").map((p) => p.graph);
  }

  /**
   * @internal Renames graph names (inputs and outputs) without touching the function:
   * the building block of `Pipeline.withRenames`.
   */
  renameGraph(renames: Readonly<Record<string, string>>): PipeFunc {
    const mapspec =
      this.mapspec === undefined
        ? undefined
        : formatMapSpec(renameArrays(parseMapSpec(this.mapspec, this.name), renames));
    return this.#derive.renameGraph(renames, mapspec);
  }

  /**
   * Returns a copy with some options changed (pipefunc's `update_*`). Options may change
   * names, so the copy's names are untyped.
   * @param options - Options to override; the rest are kept.
   */
  with(options: Partial<PipeFuncOptions>): PipeFunc {
    return this.#derive.with(options);
  }
}

/** A description as given, refused when it is not a string. */
function checkDescription(name: string, option: string, value: unknown): string | undefined {
  if (value === undefined || typeof value === "string") return value;
  throw new InvalidOptionError(
    option,
    `Function "${name}" has \`${option}\` ${String(value)} (${typeof value}); expected text ` +
      'such as description: "the amplitude".',
  );
}

/** Input descriptions keyed by argument name, rekeyed by graph name; unknown keys refused. */
function graphDescriptions(
  name: string,
  call: CallSpec,
  given: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (given === undefined) return out;
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new InvalidOptionError(
      "inputDescriptions",
      `Function "${name}" has \`inputDescriptions\` ${String(given)}; expected an object of ` +
        'texts by argument name, such as inputDescriptions: { a: "the amplitude" }.',
    );
  }
  const args = call.params.map((p) => p.arg);
  for (const [key, text] of Object.entries(given)) {
    const param = call.params.find((p) => p.arg === key);
    if (param === undefined) {
      const hint = closestNames(key, args, 1).map((c) => ` Did you mean "${c}"?`)[0] ?? "";
      throw new InvalidOptionError(
        "inputDescriptions",
        `Function "${name}" has no input "${key}" (its inputs: ${args.map((a) => `"${a}"`).join(", ") || "none"}). ` +
          `Fix the key in \`inputDescriptions\`.${hint}`,
      );
    }
    setOwn(out, param.graph, checkDescription(name, `inputDescriptions.${key}`, text)!);
  }
  return out;
}

/** Rejects a variant or group that is not a non-empty string, or a group without variant. */
function checkVariantOptions(name: string, variant: unknown, group: unknown): void {
  for (const [option, value] of [
    ["variant", variant],
    ["variantGroup", group],
  ] as const) {
    if (value !== undefined && (typeof value !== "string" || value === "")) {
      throw new InvalidOptionError(
        option,
        `Function "${name}" has \`${option}\` ${JSON.stringify(value) ?? String(value)}; expected a ` +
          'non-empty name such as variant: "fast", variantGroup: "solver".',
      );
    }
  }
  if (group !== undefined && variant === undefined) {
    throw new InvalidOptionError(
      "variantGroup",
      `Function "${name}" has variantGroup "${String(group)}" but no \`variant\`. Name the ` +
        'variant it implements: variant: "fast".',
    );
  }
}

/** Rejects a `version` or `captures` of the wrong type, naming the function. */
function checkIdentityOptions(name: string, version: unknown, captures: unknown): void {
  if (
    version !== undefined &&
    typeof version !== "string" &&
    (typeof version !== "number" || !Number.isFinite(version))
  ) {
    throw new InvalidOptionError(
      "version",
      `Function "${name}" has \`version\` ${String(version)} (${typeof version}); expected a ` +
        'string or a finite number. Pass a label such as version: "2".',
    );
  }
  if (
    captures !== undefined &&
    (typeof captures !== "object" || captures === null || Array.isArray(captures))
  ) {
    throw new InvalidOptionError(
      "captures",
      `Function "${name}" has \`captures\` ${Array.isArray(captures) ? "an array" : String(captures)}; ` +
        "expected an object of the captured values by name, such as captures: { k }.",
    );
  }
}

/** @internal How a factory rebuilds its PipeFunc with changes. */
export interface PipeFuncDerive {
  /** Renames graph names (inputs and outputs), keeping the function. */
  /** `mapspec` is the current one with the renames applied. */
  readonly renameGraph: (
    renames: Readonly<Record<string, string>>,
    mapspec: string | undefined,
  ) => PipeFunc;
  /** Rebuilds from the original options merged with `changes`. */
  readonly with: (changes: Partial<PipeFuncOptions>) => PipeFunc;
}

/**
 * Wraps a function that takes one object of named arguments into a pipeline node.
 *
 * Input names come from `options.inputs`, else from the destructuring pattern of `fn`'s first
 * parameter; defaults written there (`x = 1`) become the node's defaults.
 *
 * @param options - The output name(s) and optional settings.
 * @param fn - The function; sync or async.
 * @returns A {@link PipeFunc}.
 * @throws {@link PipelineDefinitionError} when input names cannot be read and `inputs` is not given.
 * @example
 * ```ts
 * const add = pipefunc({ output: "c" }, ({ a, b }: { a: number; b: number }) => a + b);
 * ```
 */
export function pipefunc<
  const O extends string | readonly string[],
  A extends object,
  R,
  const Rn extends Readonly<Record<string, string>> = {},
  const B extends Partial<A> = {},
  const S extends string = string,
  // `never` when no mapspec is given: no mapspec is not the same as one the types cannot read.
  const M extends string = never,
  const D extends MappedDefaults<NoInfer<A>, M> = {},
  const V extends string = never,
  const G extends string = never,
>(
  options: Omit<PipeFuncOptions<NoInfer<A>>, "defaults"> & {
    readonly variant?: V;
    readonly variantGroup?: G;
    readonly output: O;
    readonly renames?: Rn;
    readonly bound?: B;
    readonly scope?: S;
    readonly mapspec?: M;
    readonly defaults?: D;
  },
  fn: (args: A) => R,
): PipeFunc<
  GraphInputs<A, Rn, B, S, D>,
  GraphOutputs<O, Awaited<R>, Rn, S>,
  GraphMapSpec<M, Rn, S>
> &
  VariantMarkOf<V, G> {
  return buildPipeFunc(options as PipeFuncOptions, fn) as PipeFunc<
    GraphInputs<A, Rn, B, S, D>,
    GraphOutputs<O, Awaited<R>, Rn, S>,
    GraphMapSpec<M, Rn, S>
  > &
    VariantMarkOf<V, G>;
}

function buildPipeFunc(options: PipeFuncOptions, fn: Function): PipeFunc {
  if (typeof fn !== "function") {
    throw new PipelineDefinitionError(
      `pipefunc for output ${JSON.stringify(options?.output)} expected a function, got ${typeof fn}. ` +
        "Pass the function as the second argument: pipefunc({ output }, fn).",
    );
  }
  const outputs = normalizeOutputs(options.output, fn);
  // An inline arrow has no name of its own: it is named after its first output, so two inline
  // functions never share a name (in profiles, views and errors).
  const name = options.name ?? (fn.name && fn.name !== "anonymous" ? fn.name : outputs[0]!);
  const args = readArguments(options, fn, name);
  const bound = (options.bound ?? {}) as Record<string, unknown>;
  const explicitDefaults = (options.defaults ?? {}) as Record<string, unknown>;
  const renames = options.renames ?? {};
  checkOptionKeys(
    name,
    args.map((a) => a.key),
    outputs,
    { renames, defaults: explicitDefaults, bound },
  );
  const toGraph = graphNamer(renames, options.scope);
  const params: ParamSpec[] = [];
  for (const a of args) {
    if (Object.hasOwn(bound, a.key)) continue;
    params.push({ arg: a.key, graph: toGraph(a.key), default: defaultFor(a, explicitDefaults) });
  }
  const call: CallSpec = {
    fn,
    style: "object",
    params,
    bound,
    outputs: outputs.map(toGraph),
    rawOutputs: outputs,
    outputPicker: options.outputPicker,
  };
  checkDistinct(name, call);
  // Rebuilds start from the mapspec in the function's own names, so new renames or a new
  // scope apply to it as they apply to the arguments.
  let ownMapspec: string | undefined;
  const made = new PipeFunc({
    name,
    call,
    mapspec: options.mapspec,
    cache: options.cache,
    cacheKey: options.cacheKey,
    version: options.version,
    captures: options.captures,
    profile: options.profile,
    schema: options.schema,
    scope: options.scope,
    resources: options.resources,
    resourcesScope: options.resourcesScope,
    variant: options.variant,
    variantGroup: options.variantGroup,
    description: options.description,
    inputDescriptions: options.inputDescriptions,
    derive: {
      // Renames arrive as full graph names, so the scope is already folded into them.
      renameGraph: (renameGraph) =>
        buildPipeFunc(
          {
            ...options,
            scope: undefined,
            renames: composeRenames(call, renameGraph),
            mapspec: ownMapspec,
          },
          fn,
        ),
      with: (changes) => buildPipeFunc({ ...options, mapspec: ownMapspec, ...changes }, fn),
    },
  });
  if (made.mapspec !== undefined) {
    const toOwn: Record<string, string> = {};
    for (const p of params) setOwn(toOwn, p.graph, p.arg);
    call.outputs.forEach((o, k) => {
      setOwn(toOwn, o, call.rawOutputs[k]!);
    });
    ownMapspec = formatMapSpec(renameArrays(parseMapSpec(made.mapspec, name), toOwn));
  }
  return made;
}

interface ArgumentInfo {
  readonly key: string;
  readonly defaultSource?: string | undefined;
}

/** Reads a function's object pattern, or the open arguments a named partial recorded. */
function signatureOf(fn: Function): ParsedSignature {
  const partial = (fn as { [PARTIAL_SIGNATURE]?: PartialSignature })[PARTIAL_SIGNATURE];
  if (partial?.kind === "object")
    return {
      kind: "object",
      params: partial.params.map((p) => ({ ...p, hasDefault: p.defaultSource !== undefined })),
      hasRest: false,
    };
  return parseSignature(fn);
}

function readArguments(options: PipeFuncOptions, fn: Function, name: string): ArgumentInfo[] {
  if (options.inputs) {
    const parsed = signatureOf(fn);
    const sources = new Map(
      parsed.kind === "object" ? parsed.params.map((p) => [p.key, p.defaultSource]) : [],
    );
    return options.inputs.map((key) => ({ key, defaultSource: sources.get(key) }));
  }
  const parsed = signatureOf(fn);
  if (parsed.kind === "none") return [];
  if (parsed.kind === "unreadable") {
    throw new PipelineDefinitionError(
      `Cannot read the input names of function "${name}": ${parsed.reason}. ` +
        'Destructure its first parameter ({ a, b }) => ... or pass `inputs: ["a", "b"]`.',
    );
  }
  return parsed.params.map((p) => ({ key: p.key, defaultSource: p.defaultSource }));
}

function defaultFor(a: ArgumentInfo, explicit: Readonly<Record<string, unknown>>): ParamDefault {
  if (Object.hasOwn(explicit, a.key)) {
    return { kind: "value", value: explicit[a.key], source: a.defaultSource };
  }
  if (a.defaultSource === undefined) return { kind: "none" };
  const literal = evaluateLiteral(a.defaultSource);
  return literal.ok
    ? { kind: "own", source: a.defaultSource, value: literal.value, known: true }
    : { kind: "own", source: a.defaultSource, known: false };
}

function normalizeOutputs(output: string | readonly string[] | undefined, fn: Function): string[] {
  const list = typeof output === "string" ? [output] : Array.isArray(output) ? [...output] : [];
  if (list.length === 0 || list.some((o) => typeof o !== "string" || o === "")) {
    throw new PipelineDefinitionError(
      `Function "${fn.name || "anonymous"}" needs \`output\`: a non-empty name or list of names, ` +
        `got ${JSON.stringify(output)}. Pass pipefunc({ output: "name" }, fn).`,
    );
  }
  return list;
}

/** @internal Maps an argument or output name to its graph name. */
export function graphNamer(
  renames: Readonly<Record<string, string>>,
  scope: string | undefined,
): (name: string) => string {
  return (name) => {
    const renamed = own(renames, name) ?? name;
    if (!scope || renamed === "config" || renamed.startsWith("config.")) return renamed;
    return renamed.startsWith(`${scope}.`) ? renamed : `${scope}.${renamed}`;
  };
}

/**
 * Checks that `renames`, `defaults` and `bound` name arguments (or, for renames, outputs) the
 * function has, and that no argument is both bound and defaulted.
 *
 * @throws {@link PipelineDefinitionError} listing every problem. @internal
 */
export function checkOptionKeys(
  name: string,
  args: readonly string[],
  outputs: readonly string[],
  options: {
    readonly renames: Readonly<Record<string, unknown>>;
    readonly defaults: Readonly<Record<string, unknown>>;
    readonly bound: Readonly<Record<string, unknown>>;
  },
): void {
  const problems: string[] = [];
  const list = (names: readonly string[]) => names.map((n) => `"${n}"`).join(", ") || "none";
  const renamedTo = new Map(Object.entries(options.renames).map(([k, v]) => [String(v), k]));
  const check = (option: "renames" | "defaults" | "bound", known: readonly string[]) => {
    for (const key of Object.keys(options[option])) {
      if (known.includes(key)) continue;
      const own = renamedTo.get(key);
      const hint =
        own !== undefined && option !== "renames"
          ? ` \`${option}\` is keyed by the function's own argument names: use "${own}", which is renamed to "${key}".`
          : (closestNames(key, known, 1).map((c) => ` Did you mean "${c}"?`)[0] ?? "");
      problems.push(
        `Function "${name}" has no ${option === "renames" ? "argument or output" : "argument"} ` +
          `"${key}" (its arguments: ${list(args)}${option === "renames" ? `; outputs: ${list(outputs)}` : ""}). ` +
          `Fix the key in \`${option}\`.${hint}`,
      );
    }
  };
  check("renames", [...args, ...outputs]);
  check("defaults", args);
  check("bound", args);
  for (const key of Object.keys(options.bound)) {
    if (Object.hasOwn(options.defaults, key)) {
      problems.push(
        `Function "${name}" has argument "${key}" both in \`bound\` and in \`defaults\`. A bound ` +
          "value is always used, so the default could never apply: keep one of them.",
      );
    }
  }
  if (problems.length > 0) throw new PipelineDefinitionError(problems);
}

/** Turns graph-name renames into argument-name renames for a rebuild. @internal */
export function composeRenames(
  call: CallSpec,
  renameGraph: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of call.params) setOwn(out, p.arg, own(renameGraph, p.graph) ?? p.graph);
  call.rawOutputs.forEach((raw, i) => {
    const graph = call.outputs[i]!;
    setOwn(out, raw, own(renameGraph, graph) ?? graph);
  });
  return out;
}

/** @internal Rejects a function that reads or produces one name twice. */
export function checkDistinct(name: string, call: CallSpec): void {
  for (const [kind, list] of [
    ["inputs", call.params.map((p) => p.graph)],
    ["outputs", call.outputs],
  ] as const) {
    const duplicate = list.find((n, i) => list.indexOf(n) !== i);
    if (duplicate !== undefined) {
      throw new PipelineDefinitionError(
        `Function "${name}" has "${duplicate}" twice among its ${kind}. ` +
          "Rename one of them with `renames`.",
      );
    }
  }
}

/** A mapspec with its array names passed through `renames` (graph name -> graph name). */
function renameArrays(spec: MapSpec, renames: Readonly<Record<string, string>>): MapSpec {
  const rename = (a: MapSpec["inputs"][number]) => ({
    ...a,
    name: own(renames, a.name) ?? a.name,
  });
  return { ...spec, inputs: spec.inputs.map(rename), outputs: spec.outputs.map(rename) };
}

/**
 * Parses a function's mapspec and writes it in graph names. A name may be written as the
 * graph knows it, as the function's own argument or output name (before renames), or without
 * the function's scope, as pipefunc allows.
 *
 * @throws MapSpecSyntaxError or MapSpecError naming the function.
 */
function graphMapSpec(
  node: string,
  text: string,
  init: { readonly call: CallSpec; readonly scope?: string | undefined },
): string {
  const { call, scope } = init;
  const inputs = new Set(call.params.map((p) => p.graph));
  const outputs = new Set(call.outputs);
  const own = new Map<string, string>();
  for (const p of call.params) own.set(p.arg, p.graph);
  for (const [k, raw] of call.rawOutputs.entries()) own.set(raw, call.outputs[k]!);
  const resolve = (name: string, known: ReadonlySet<string>): string | undefined => {
    if (known.has(name)) return name;
    const mine = own.get(name);
    if (mine !== undefined && known.has(mine)) return mine;
    const scoped = scope ? `${scope}.${name}` : undefined;
    return scoped !== undefined && known.has(scoped) ? scoped : undefined;
  };
  const spec = parseMapSpec(text, node);
  // Names and lists are cut short: a mapspec may list thousands of arrays.
  const shown = clip(text, 160);
  const quoted = (n: string) => `"${clip(n)}"`;
  const list = (names: readonly string[]) => boundedList(names, quoted) || "none";
  const mapped = spec.inputs.map((a) => {
    const name = resolve(a.name, inputs);
    if (name === undefined) {
      throw new MapSpecError(
        `The mapspec "${shown}" of "${node}" reads ${quoted(a.name)}, which is not one of its ` +
          `inputs (${list([...inputs])}). Fix the name in the mapspec.`,
        node,
      );
    }
    return { ...a, name };
  });
  const produced = spec.outputs.map((a) => ({ ...a, name: resolve(a.name, outputs) ?? a.name }));
  const names = produced.map((a) => a.name);
  if (names.length !== outputs.size || names.some((n) => !outputs.has(n))) {
    throw new MapSpecError(
      `The mapspec "${shown}" of "${node}" produces [${boundedList(spec.outputs, (a) => clip(a.name))}], ` +
        `but the function's outputs are [${boundedList([...outputs], clip)}]. List exactly the ` +
        'function\'s outputs after "->".',
      node,
    );
  }
  if (names.some((n, k) => n !== call.outputs[k])) {
    throw new MapSpecError(
      `The mapspec "${shown}" of "${node}" lists its outputs as [${boundedList(names, clip)}], ` +
        `but \`output\` lists them as [${boundedList(call.outputs, clip)}]. Write them in the same order ` +
        'after "->", so each returned value lands in the array of its name.',
      node,
    );
  }
  return formatMapSpec({ ...spec, inputs: mapped, outputs: produced });
}
