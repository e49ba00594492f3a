import { isDeepStrictEqual } from "node:util";
import { closestNames } from "../_internal/closest.ts";
import { isWorkerImport, suspendedRun } from "../_internal/declarations.ts";
import { own, setOwn } from "../_internal/own.ts";
import { type AdaptiveOptions, type AdaptivePipeline, runAdaptive } from "../adaptive/adaptive.ts";
import type { AdaptiveResult } from "../adaptive/result.ts";
import { captureIdentity } from "../cache/key.ts";
import { NodeCache } from "../cache/node-cache.ts";
import type { CacheOptions } from "../cache/options.ts";
import type { CacheStats } from "../cache/store.ts";
import {
  AmbiguousOutputError,
  PipelineDefinitionError,
  RegistryConflictError,
  UnknownOutputError,
  UnusedInputError,
} from "../errors.ts";
import type { ResolvedResources, Resources } from "../executor/resources.ts";
import {
  addMapspecAxis,
  followBoth,
  type MapAsyncOptions,
  type MapHooks,
  type MapInputs,
  type MapOptions,
  MapRun,
  type MapSummary,
  type OnlyOutputs,
  runMap,
  type SummaryOnly,
  type SweepInputs,
  sweepLayout,
} from "../map/index.ts";
import type { MapResultsMembers } from "../map/results.ts";
import { startRunTrace } from "../otel/run-trace.ts";
import { resolveTracing } from "../otel/tracing.ts";
import type { TracingOption } from "../otel/types.ts";
import { Profiler, type ProfileStats, printProfilingStats } from "../profile/profiler.ts";
import { type RestoreRequest, restorable, storedIdentity } from "../registry/provenance.ts";
import {
  GONE,
  openRegistryStore,
  type Registry,
  type RegistryOptions,
  type RegistryStore,
} from "../registry/registry.ts";
import { toAscii } from "../viz/ascii.ts";
import { toDot } from "../viz/dot.ts";
import { toHtml } from "../viz/html.ts";
import { toMermaid } from "../viz/mermaid.ts";
import { checkCaptures, withPipelineCaptures } from "./captures.ts";
import { compile, compileBinder, type Runner, type RunnerEnv } from "./compile.ts";
import { describePipeline, type PipelineDescription } from "./describe.ts";
import { formatDocumentation } from "./describe-format.ts";
import { createEnv } from "./engine.ts";
import type { RunListener } from "./events.ts";
import { type ExecutionOrder, forwardOutputs, Graph, isConfigName } from "./graph.ts";
import { type HistoryEntry, HistoryRecorder } from "./history.ts";
import type { PipelineMapInputs, PipelineMapResults } from "./map-types.ts";
import { nestFunctions } from "./nest.ts";
import type { PipeFunc } from "./pipe-func.ts";
import { pipelineCaptures, pipelineDescriptions, pipelineResources } from "./pipeline-options.ts";
import { ALL, buildPlan } from "./plan.ts";
import { flattenScopes, hasScopes } from "./scopes.ts";
import type {
  AnyPipeFunc,
  CheckConnections,
  InputsOf,
  LeafOutput,
  OutputMap,
  OutputName,
  OutputsOf,
  PickedOutputs,
  RunInputs,
  Simplify,
} from "./types.ts";
import {
  checkNoVariants,
  sameOutputs,
  type VariantGroupView,
  type VariantOptionOf,
  type VariantPipelineOptions,
  type VariantRunOptions,
  type VariantSelection,
  type VariantSelectionOf,
  type VariantTable,
  variantTableOf,
} from "./variants.ts";

/** Options of a {@link Pipeline}. */
export interface PipelineOptions extends VariantPipelineOptions {
  /** Name shown in views and errors. @defaultValue "pipeline" */
  readonly name?: string;
  /** What the pipeline computes, shown by `describe()` and its views. @defaultValue none */
  readonly description?: string;
  /**
   * What each input means, by graph name: `inputs: { a: "the amplitude" }`. Wins over a
   * function's `inputDescriptions` and a schema's description. @defaultValue none
   */
  readonly inputs?: Readonly<Record<string, string>>;
  /** Values for `config` and `config.<path>` inputs. @defaultValue {} */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Runtime objects given to every run (connections, clients). Caller inputs win. @defaultValue {} */
  readonly constants?: Readonly<Record<string, unknown>>;
  /** `"auto"` orders by dependencies; `"declared"` runs functions as listed. @defaultValue "auto" */
  readonly order?: ExecutionOrder;
  /**
   * Persist every output in a folder and restore it on later runs instead of recomputing, as
   * long as what produced it is unchanged: the function's identity (source, bound values,
   * defaults, captures, version) and every config value, constant and input it read.
   */
  readonly registry?: RegistryOptions;
  /** Record each executed function's inputs and outputs in `pipeline.history`. @defaultValue false */
  readonly history?: boolean;
  /** Profile every function (else only those with `profile: true`). @defaultValue false */
  readonly profile?: boolean;
  /** Check declared Standard Schemas at run time. @defaultValue false */
  readonly validate?: boolean;
  /**
   * Values that functions read from outside themselves, by the name they read them as,
   * declared once for every function: `captures: { K, SCALE }`. Each function that reads one
   * of these names (as data, or calls it) gets it added to its own `captures` (pipefunc's
   * option; a function's own declaration of a name wins), so the value enters its identity
   * for caches, run folders and Redis workers, as if the function declared it.
   * @defaultValue none
   */
  readonly captures?: Readonly<Record<string, unknown>>;
  /** Accept inputs that no function reads. @defaultValue false */
  readonly allowUnused?: boolean;
  /**
   * Where functions with `cache: true` keep their results: `lru`, `hybrid`, `disk`, `redis`
   * or a store of your own. @defaultValue `{ type: "lru", maxSize: 128 }` when a function has
   * `cache: true`
   */
  readonly cache?: CacheOptions;
  /**
   * Resources every function needs unless it says otherwise (pipefunc's `default_resources`):
   * a function's own `resources` overlay these key by key, its `extra` flags added to these.
   * Checked when the pipeline is made.
   * @defaultValue none
   */
  readonly resources?: Resources;
  /**
   * Trace every `run`, `map` and `adaptive` point of the pipeline with OpenTelemetry (see
   * {@link TracingOption}); a run's own `tracing` overrides it.
   * @defaultValue off
   */
  readonly tracing?: TracingOption;
}

/** Options of one run. */
export interface RunOptions extends VariantRunOptions {
  /** Accept inputs that no function reads. @defaultValue the pipeline's `allowUnused` */
  readonly allowUnused?: boolean;
  /**
   * Trace the run with OpenTelemetry: a span for the run and one per function call, each the
   * active span while its function runs (see {@link TracingOption}).
   * @defaultValue the pipeline's `tracing` (off)
   */
  readonly tracing?: TracingOption;
}

/** What {@link Pipeline.info} returns. */
export interface PipelineInfo {
  /** Root inputs: read by some function, produced by none (config paths excluded). */
  readonly inputs: readonly string[];
  /**
   * Leaf outputs: the outputs of the functions whose outputs nothing reads (pipefunc's leaf
   * nodes). `run(undefined, inputs)` computes the leaf output when there is exactly one.
   */
  readonly outputs: readonly string[];
  /** Root inputs without a default. */
  readonly requiredInputs: readonly string[];
  /** Root inputs with a default. */
  readonly optionalInputs: readonly string[];
  /** Every other output (never listed in `outputs`). */
  readonly intermediate: readonly string[];
}

/** Result of {@link Pipeline.topologicalGenerations}. */
export interface Generations {
  /** Inputs no function produces. */
  readonly rootInputs: readonly string[];
  /** Functions grouped so each group depends only on earlier groups. */
  readonly generations: readonly (readonly AnyPipeFunc[])[];
}

/** A pipe function whose types are not tracked (after renames, nesting, subpipelines). */
export type UntypedPipeFunc = PipeFunc<Record<string, unknown>, Record<string, unknown>>;

type WithoutProducer<Fns extends readonly AnyPipeFunc[], K> = Fns extends readonly [
  infer H extends AnyPipeFunc,
  ...infer T extends readonly AnyPipeFunc[],
]
  ? H extends PipeFunc<object, infer O>
    ? K extends keyof O
      ? WithoutProducer<T, K>
      : [H, ...WithoutProducer<T, K>]
    : never
  : Fns;

interface PlanEntry {
  /** Caller keys this entry matches (the raw keys, before flattening scopes). */
  readonly keys: readonly string[];
  readonly flatten: boolean;
  readonly unused: readonly string[];
  /** Names the plan reads from `extra` (constants and registry entries). */
  readonly reads: readonly string[];
  readonly build: (instrumented: boolean, isAsync: boolean) => Runner;
  readonly runners: (Runner | undefined)[];
  /** An instrumented runner told `listeners` as well as the pipeline's (a traced run's). */
  readonly withListeners: (isAsync: boolean, listeners: readonly RunListener[]) => Runner;
}

/**
 * What a run computes: an output name (its own cache key, so a run allocates nothing), or a
 * list / every output with the key its compiled plans are cached under.
 */
type Target = string | { readonly target: readonly string[] | typeof ALL; readonly key: string };

/** What `run` accepts as its target: an output name, a list of them, or undefined (the leaf). */
export type RunTarget<Fns extends readonly AnyPipeFunc[]> =
  | OutputName<Fns>
  | readonly OutputName<Fns>[]
  | undefined;

/**
 * What `run(output)` gives: the output's value, `{ name: value }` for a list, or the leaf
 * output's value for `undefined` (unknown for untyped pipelines).
 */
export type RunResult<Fns extends readonly AnyPipeFunc[], K> = K extends string
  ? OutputMap<Fns>[K & keyof OutputMap<Fns>]
  : K extends readonly string[]
    ? PickedOutputs<Fns, K[number]>
    : [LeafOutput<Fns>] extends [never]
      ? unknown
      : OutputMap<Fns>[LeafOutput<Fns>];

/**
 * The functions of a pipeline type. `map` types itself through its `this` (the pipeline it is
 * called on) rather than through `Fns`: its signature is then the same for every pipeline, so
 * a typed pipeline stays assignable to `Pipeline<readonly AnyPipeFunc[]>` without TypeScript
 * relating the conditional types of two different lists of functions.
 */
export type FunctionsOf<P> = P extends Pipeline<infer Fns, string> ? Fns : never;

/** Names a pipeline type gives values itself (`constants`, `withDefaults`); see {@link FunctionsOf}. */
export type ProvidedOf<P> = P extends Pipeline<readonly AnyPipeFunc[], infer N> ? N : never;

/** The functions with their mapspecs unknown to the types (after `addMapspecAxis`). */
export type WithoutMapSpecTypes<Fns extends readonly AnyPipeFunc[]> = {
  [I in keyof Fns]: PipeFunc<InputsOf<Fns[I]>, OutputsOf<Fns[I]>>;
};

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});
const ALL_TARGET: Target = { target: ALL, key: "\u0000all" };

/**
 * A DAG of functions that name their outputs, run for any output from any inputs.
 *
 * Pipelines are immutable: `add`, `drop`, `replace`, `withRenames` … return new pipelines.
 *
 * @example
 * ```ts
 * const pipeline = new Pipeline([fC, fD, fE]);
 * await pipeline.run("d", { a: 2, b: 3 }); // 15
 * ```
 */
export class Pipeline<
  const out Fns extends readonly AnyPipeFunc[] = readonly UntypedPipeFunc[],
  Provided extends string = never,
> {
  readonly #graph: Graph;
  readonly #options: PipelineOptions;
  readonly #plans = new Map<string, PlanEntry[]>();
  // Not readonly: a pipeline derived for a variant shares these with its parent (#adopt).
  #listeners: RunListener[] = [];
  #profiler: Profiler | undefined;
  #history: HistoryRecorder | undefined;
  #registry: RegistryStore | undefined;
  readonly #hasExtra: boolean;
  #cache: NodeCache | undefined;
  readonly #resources: ResolvedResources | undefined;
  readonly #variants: VariantTable | undefined;

  /**
   * @param functions - The functions; each output must have one producer.
   * @param options - Config, constants, order, registry, history, profiling, validation.
   * @throws {@link PipelineDefinitionError} listing every definition problem.
   * @throws {@link CycleError} when functions depend on each other in a circle.
   * @throws {@link RegistryConflictError} when a constant is also a stored output, or shares
   *   its name with a function's output.
   * @throws {@link MapSpecError} when mapspecs give one name different axes.
   * @throws {@link UndeclaredCaptureError} when a cached function, or one whose outputs a
   *   registry keeps, reads data from outside itself that neither its `captures`, the
   *   pipeline's `captures` nor its `version` declares.
   * @throws {@link InvalidOptionError} when `captures` is not an object of values by name, or
   *   such a function declares a captured value that cannot be hashed; when `resources` has a
   *   bad value ("negative cpus", "4 gigs").
   */
  constructor(
    functions: Fns & CheckConnections<Fns>,
    options: PipelineOptions & { readonly constants?: Readonly<Record<Provided, unknown>> } = {},
  ) {
    const captures = pipelineCaptures(options);
    this.#resources = pipelineResources(options);
    const all = captures
      ? (functions as readonly AnyPipeFunc[]).map((f) => withPipelineCaptures(f, captures))
      : (functions as readonly AnyPipeFunc[]);
    // A variant pipeline's graph is one selection's (see variants.ts); it keeps every function.
    this.#variants = variantTableOf(all, options);
    this.#graph = new Graph(this.#variants?.selected ?? all, options.order ?? "auto");
    this.#options = options;
    pipelineDescriptions(
      options,
      all.flatMap((f) => f.inputs),
    );
    const clash = Object.keys(options.constants ?? {}).filter((n) => this.#graph.producer.has(n));
    if (clash.length > 0) {
      throw new RegistryConflictError(
        clash,
        clash.map((n) => this.#graph.functions[this.#graph.producer.get(n)!]!.name),
      );
    }
    // Mapspecs that disagree about a name's axes are a definition error, found before `map`.
    if (this.#graph.functions.some((f) => f.mapspec !== undefined)) {
      sweepLayout(this, this.sortedFunctions);
    }
    // Every variant counts, as the pipelines derived for other variants share these (#adopt).
    const every = this.#variants?.functions ?? this.#graph.functions;
    const anyProfiled = options.profile || every.some((f) => f.profile);
    if (anyProfiled) {
      this.#profiler = new Profiler(options.profile === true);
      this.#listeners.push(this.#profiler.listener);
    }
    if (options.history) {
      this.#history = new HistoryRecorder();
      this.#listeners.push(this.#history.listener);
    }
    if (options.registry) {
      // A stored output is restored only while its function is the same: one that reads
      // values it does not declare could change without its identity changing. Side-effect
      // functions store nothing.
      for (const f of this.#graph.functions) {
        if (f.outputs.length === 0) continue;
        checkCaptures(f, "its outputs are kept in the registry");
        storedIdentity(f);
      }
      this.#registry = openRegistryStore(options.registry, options.constants ?? {});
      this.#listeners.push(this.#registry.listener);
    }
    this.#hasExtra =
      this.#registry !== undefined || Object.keys(options.constants ?? {}).length > 0;
    if (options.cache || every.some((f) => f.cache)) {
      this.#cache = new NodeCache(options.cache ?? { type: "lru" });
      // A cached function that reads values it does not declare, or declares one that cannot
      // be hashed, fails here, before any work, not at its first call.
      for (const f of this.#graph.functions) {
        if (!f.cache) continue;
        checkCaptures(f, "it is cached");
        captureIdentity(f);
      }
    }
  }

  /** The functions, in declaration order (every variant included). */
  get functions(): Fns {
    return (this.#variants?.functions ?? this.#graph.functions) as unknown as Fns;
  }

  /** The variant groups, their variants and the one run without a choice (empty: none). */
  get variantGroups(): readonly VariantGroupView[] {
    return this.#variants?.view ?? [];
  }

  /**
   * The plain pipeline with the chosen variants (pipefunc's `with_variant`; groups left out
   * take the `defaultVariant`), or this one when it has no other variant to choose.
   * @param selection - `{ group: variant }`, or a variant's name when there is one group.
   * @throws {@link UnknownVariantError}, {@link VariantRequiredError} (see variants.ts).
   */
  withVariant(selection?: VariantSelectionOf<Fns>): Pipeline<Fns> {
    const choice = selection as VariantSelection | undefined;
    if (!this.#variants) checkNoVariants(this.name, choice);
    const { defaultVariant: _, ...options } = this.#options;
    const build = (f: readonly AnyPipeFunc[]) => {
      const derived = new Pipeline<Fns>(f as never, options);
      derived.#adopt(this);
      return derived;
    };
    return this.#variants?.choose<Pipeline<Fns>>(choice, this, build) ?? this;
  }

  /**
   * Shares the parent's listeners, profiler, history, registry and cache: a variant chosen
   * from a pipeline is a view of it, so `on()`, `history`, `profilingStats()` and
   * `cacheStats()` of the parent see the runs of its variants. (Cache keys hold each
   * function's identity, so variants of one output never share entries.)
   */
  #adopt(parent: Pipeline<Fns>): void {
    this.#listeners = parent.#listeners;
    this.#profiler = parent.#profiler;
    this.#history = parent.#history;
    this.#registry = parent.#registry;
    this.#cache = parent.#cache;
  }

  /** The options this pipeline was built with. */
  get options(): PipelineOptions {
    return this.#options;
  }

  /**
   * The pipeline's default resources, checked and in one unit each (memory in MB, time in
   * minutes); executors pass them to `resourcesFor` with each function.
   */
  get resources(): ResolvedResources | undefined {
    return this.#resources;
  }

  /** Name shown in views and errors. */
  get name(): string {
    return this.#options.name ?? "pipeline";
  }

  /** Functions in execution order. */
  get sortedFunctions(): readonly AnyPipeFunc[] {
    return this.#graph.order.map((i) => this.#graph.functions[i]!);
  }

  /** Functions whose outputs no other function reads. */
  get leaves(): readonly AnyPipeFunc[] {
    return this.#graph.functions.filter((f) => f.outputs.every((o) => !this.#graph.readers.has(o)));
  }

  /** Functions that read only root inputs (nothing another function produces). */
  get roots(): readonly AnyPipeFunc[] {
    return this.#graph.functions.filter((f) => f.inputs.every((i) => !this.#graph.producer.has(i)));
  }

  /** Entries recorded by the last run when `history: true` (else empty). */
  get history(): readonly HistoryEntry[] {
    return this.#history?.entries ?? [];
  }

  /**
   * Computes one output (or runs one side-effect node by name), several outputs, or the
   * pipeline's one leaf output.
   *
   * @param output - The output name; a list of names (resolves to `{ name: value }`); or
   *   `undefined` for the unique leaf output (see {@link Pipeline.info}).
   * @param inputs - Root inputs, and any intermediate value (its producer is skipped).
   * @param options - Per-run options.
   * @returns A promise of the output's value (or of the outputs by name).
   * @throws {@link MissingInputError}, {@link UnknownOutputError}, {@link AmbiguousOutputError},
   *   {@link NodeExecutionError} (as rejections); {@link MapRequiredError} when the output
   *   needs a function with a mapspec (use {@link Pipeline.map}, or pass its outputs).
   * @example
   * ```ts
   * await pipeline.run("d", { a: 2, b: 3 }); // 15
   * await pipeline.run(["c", "d"], { a: 2, b: 3 }); // { c: 5, d: 15 }
   * ```
   */
  run<const K extends RunTarget<Fns>>(
    output: K,
    inputs?: RunInputs<Fns>,
    options?: RunOptions & VariantOptionOf<Fns>,
  ): Promise<RunResult<Fns, K>> {
    if (isWorkerImport()) return suspendedRun();
    try {
      return this.#execute(this.#target(output), inputs, options, true) as Promise<
        RunResult<Fns, K>
      >;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Computes one output, several outputs or the unique leaf output synchronously; see
   * {@link Pipeline.run}.
   *
   * @throws {@link AsyncInSyncRunError} naming the first function that returns a Promise.
   */
  runSync<const K extends RunTarget<Fns>>(
    output: K,
    inputs?: RunInputs<Fns>,
    options?: RunOptions & VariantOptionOf<Fns>,
  ): RunResult<Fns, K> {
    return this.#execute(this.#target(output), inputs, options, false) as RunResult<Fns, K>;
  }

  /** The plan target and its cache key for what `run` was asked. */
  #target(output: string | readonly string[] | undefined): Target {
    if (typeof output === "string") return output;
    if (output === undefined) {
      const leaves = this.#leafOutputs();
      if (leaves.length !== 1) throw new AmbiguousOutputError(this.name, leaves);
      return leaves[0]!;
    }
    if (!Array.isArray(output) || output.some((o) => typeof o !== "string")) {
      throw new UnknownOutputError(String(output), [], this.#leafOutputs());
    }
    return { target: output, key: `\u0001${output.join("\u0001")}` };
  }

  /** Outputs of the functions whose outputs nothing reads (pipefunc's leaf nodes). */
  #leafOutputs(): readonly string[] {
    return this.leaves.flatMap((f) => f.outputs);
  }

  /**
   * Runs every function and resolves to every given and computed value by name.
   *
   * @param inputs - Root inputs (and intermediates to skip their producers).
   */
  runAll<I extends RunInputs<Fns> = {}>(
    inputs?: I,
    options?: RunOptions & VariantOptionOf<Fns>,
  ): Promise<Simplify<OutputMap<Fns> & I>> {
    if (isWorkerImport()) return suspendedRun();
    try {
      return this.#execute(ALL_TARGET, inputs, options, true) as Promise<
        Simplify<OutputMap<Fns> & I>
      >;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Runs every function synchronously; see {@link Pipeline.runAll}. */
  runAllSync<I extends RunInputs<Fns> = {}>(
    inputs?: I,
    options?: RunOptions & VariantOptionOf<Fns>,
  ): Simplify<OutputMap<Fns> & I> {
    return this.#execute(ALL_TARGET, inputs, options, false) as Simplify<OutputMap<Fns> & I>;
  }

  #execute(
    target: Target,
    inputs: Readonly<Record<string, unknown>> | undefined,
    options: RunOptions | undefined,
    isAsync: boolean,
  ): unknown {
    if (options?.variant !== undefined || this.#variants?.open.length) {
      const chosen = this.withVariant(options?.variant as never);
      if (chosen !== this) return chosen.#execute(target, inputs, options, isAsync);
    }
    const given = inputs ?? EMPTY;
    let extra = this.#hasExtra ? (this.#options.constants ?? EMPTY) : EMPTY;
    let restored: ReadonlyMap<AnyPipeFunc, Record<string, unknown>> | undefined;
    let entry: PlanEntry;
    if (this.#registry) ({ extra, entry, restored } = this.#restore(this.#registry, target, given));
    else entry = this.#entry(target, given, extra);
    if (entry.unused.length > 0 && !(options?.allowUnused ?? this.#options.allowUnused)) {
      throw this.#unusedError(entry.unused);
    }
    const instrumented =
      this.#listeners.length > 0 || this.#options.validate === true || this.#cache !== undefined;
    const slot = (instrumented ? 2 : 0) + (isAsync ? 1 : 0);
    let runner = entry.runners[slot];
    if (!runner) {
      runner = entry.build(instrumented, isAsync);
      entry.runners[slot] = runner;
    }
    const history = this.#history;
    history?.reset();
    if (history && restored) for (const [f, outputs] of restored) history.restored(f.name, outputs);
    const input = entry.flatten ? flattenScopes(given, this.#graph.names) : given;
    const tracing = options?.tracing ?? this.#options.tracing;
    if (tracing) return this.#runTraced(entry, tracing, target, input, extra, isAsync);
    return runner(input, extra);
  }

  /** Runs with a span for the run and one per function call (the `tracing` option). */
  #runTraced(
    entry: PlanEntry,
    option: TracingOption,
    target: Target,
    input: Readonly<Record<string, unknown>>,
    extra: Readonly<Record<string, unknown>>,
    isAsync: boolean,
  ): unknown {
    const outputs =
      typeof target === "string"
        ? [target]
        : target.target === ALL
          ? [...this.#graph.producer.keys()]
          : target.target;
    const trace = startRunTrace(resolveTracing(option)!, this.name, outputs);
    let result: unknown;
    try {
      result = entry.withListeners(isAsync, [trace.listener])(input, extra);
    } catch (error) {
      trace.end(error);
      throw error;
    }
    if (!isAsync) {
      trace.end();
      return result;
    }
    return Promise.resolve(result).then(
      (value) => {
        trace.end();
        return value;
      },
      (error: unknown) => {
        trace.end(error);
        throw error;
      },
    );
  }

  /**
   * The constants and the registry entries a run restores, and its plan. Entries are checked
   * against what would produce them now (see registry/provenance.ts), and the ones the plan
   * reads are read before it runs: one that another process deleted or rewrote since it was
   * checked is then recomputed, with what depends on it.
   *
   * @returns The run's `extra` values, its plan, and (with `history`) the outputs restored
   *   per function.
   */
  #restore(
    store: RegistryStore,
    target: Target,
    given: Readonly<Record<string, unknown>>,
  ): {
    extra: Record<string, unknown>;
    entry: PlanEntry;
    restored: Map<AnyPipeFunc, Record<string, unknown>> | undefined;
  } {
    const graph = this.#graph;
    const constants = this.#options.constants ?? EMPTY;
    const session = store.session();
    const request: RestoreRequest = {
      target: typeof target === "string" ? target : target.target,
      given: hasScopes(given, graph.names) ? flattenScopes(given, graph.names) : given,
      constants,
      config: this.#options.config,
    };
    for (;;) {
      const found = restorable(graph, request, session);
      const extra: Record<string, unknown> = { ...constants };
      for (const name of found.keys()) setOwn(extra, name, undefined);
      const entry = this.#entry(target, given, extra);
      const restored = this.#history ? new Map<AnyPipeFunc, Record<string, unknown>>() : undefined;
      let gone: string | undefined;
      for (const name of entry.reads) {
        if (!found.has(name)) continue;
        const value = session.load(name, found.get(name));
        if (value === GONE) {
          gone = name;
          break;
        }
        setOwn(extra, name, value);
        const producer = graph.producer.get(name);
        if (!restored || producer === undefined) continue;
        const f = graph.functions[producer]!;
        const outputs = restored.get(f) ?? {};
        setOwn(outputs, name, value);
        restored.set(f, outputs);
      }
      if (gone === undefined) return { extra, entry, restored };
      // Each pass forgets one more entry, so this ends.
      session.forget(gone);
    }
  }

  /** Finds (or builds) the plan for this target and key set, without allocating on a hit. */
  #entry(
    target: Target,
    given: Readonly<Record<string, unknown>>,
    extra: Readonly<Record<string, unknown>>,
  ): PlanEntry {
    const key = typeof target === "string" ? target : target.key;
    const cacheKey = this.#registry ? `${key}\u0000${Object.keys(extra).sort().join()}` : key;
    let list = this.#plans.get(cacheKey);
    if (list) {
      let count = 0;
      for (const _ in given) count++;
      for (const e of list) {
        if (e.keys.length !== count) continue;
        let ok = true;
        for (const k of e.keys) {
          // Own keys only: `"constructor" in given` is true for every object.
          if (!Object.hasOwn(given, k)) {
            ok = false;
            break;
          }
        }
        if (ok) return e;
      }
    } else {
      list = [];
      this.#plans.set(cacheKey, list);
    }
    const entry = this.#plan(target, given, extra);
    list.push(entry);
    return entry;
  }

  #plan(
    target: Target,
    given: Readonly<Record<string, unknown>>,
    extra: Readonly<Record<string, unknown>>,
  ): PlanEntry {
    const graph = this.#graph;
    const keys = Object.keys(given);
    const flatten = hasScopes(given, graph.names);
    const flatKeys = flatten ? Object.keys(flattenScopes(given, graph.names)) : keys;
    const unused = flatKeys.filter(
      (k) => !graph.names.has(k) && !graph.byName.has(k) && !isConfigName(k),
    );
    const plan = buildPlan(graph, {
      target: typeof target === "string" ? target : target.target,
      inputs: new Set(flatKeys),
      extra: new Set(Object.keys(extra)),
      config: this.#options.config,
    });
    const steps = plan.steps.map((s) => graph.functions[s.fn]!);
    const sequential = this.#options.order === "declared";
    const reads = new Set<string>();
    for (const step of plan.steps) {
      for (const source of step.args) if (source.kind === "extra") reads.add(source.name);
    }
    const binders: ((makeEnv: (values: unknown[]) => RunnerEnv) => Runner)[] = [];
    const envFor = (
      values: unknown[],
      isAsync: boolean,
      listeners: readonly RunListener[] = this.#listeners,
    ): RunnerEnv =>
      createEnv(steps, values, {
        listeners,
        validate: this.#options.validate === true,
        cache: this.#cache,
        sync: !isAsync,
      });
    const results =
      plan.result.kind === "one" ? [plan.result.source] : plan.result.entries.map((e) => e[1]);
    for (const source of results) if (source.kind === "extra") reads.add(source.name);
    return {
      keys,
      flatten,
      unused,
      reads: [...reads],
      runners: [],
      build: (instrumented, isAsync) =>
        compile(plan, graph.functions, { async: isAsync, instrumented, sequential }, (values) =>
          envFor(values, isAsync),
        ),
      withListeners: (isAsync, listeners) => {
        binders[isAsync ? 1 : 0] ??= compileBinder(plan, graph.functions, {
          async: isAsync,
          instrumented: true,
          sequential,
        });
        return binders[isAsync ? 1 : 0]!((values) =>
          envFor(values, isAsync, [...this.#listeners, ...listeners]),
        );
      },
    };
  }

  #unusedError(unused: readonly string[]): UnusedInputError {
    const known = [...this.#graph.names];
    // No prototype: the error reads `suggestions[name]`, and "constructor" must find nothing.
    const suggestions: Record<string, string> = Object.create(null);
    for (const u of unused) {
      const best = closestNames(u, known, 1)[0];
      if (best) suggestions[u] = best;
    }
    return new UnusedInputError(unused, suggestions);
  }

  /** Describes the pipeline's inputs and outputs. */
  info(): PipelineInfo {
    const g = this.#graph;
    const inputs = g.rootInputs;
    const hasDefault = (name: string) =>
      g.defaults.has(name) ||
      (g.readers.get(name) ?? []).every((i) =>
        g.functions[i]!.call.params.some((p) => p.graph === name && p.default.kind !== "none"),
      );
    const outputs = this.#leafOutputs();
    const leaf = new Set(outputs);
    return {
      inputs,
      outputs,
      requiredInputs: inputs.filter((n) => !hasDefault(n)),
      optionalInputs: inputs.filter(hasDefault),
      intermediate: [...g.producer.keys()].filter((o) => !leaf.has(o)),
    };
  }

  /**
   * The pipeline's documentation as data: its name and description; its root inputs with
   * their descriptions, schema type hints, defaults and the functions reading them; every
   * output with its producer, mapspec and axes; the functions in execution order.
   */
  describe(): PipelineDescription {
    return describePipeline(this);
  }

  /**
   * Prints {@link Pipeline.describe} as tables of inputs, outputs and functions (pipefunc's
   * `print_documentation`).
   * @param write - Where the text goes. @defaultValue console.log
   */
  printDocumentation(write: (text: string) => void = console.log): void {
    write(formatDocumentation(this.describe()));
  }

  /** Root inputs and the functions grouped into dependency generations. */
  topologicalGenerations(): Generations {
    return {
      rootInputs: this.#graph.rootInputs,
      generations: this.#graph.generations.map((gen) => gen.map((i) => this.#graph.functions[i]!)),
    };
  }

  /**
   * The function producing `output` (or named `output`).
   * @throws {@link UnknownOutputError} when none does.
   */
  get(output: OutputName<Fns> | (string & {})): AnyPipeFunc {
    const g = this.#graph;
    const i = g.producer.get(output) ?? g.byName.get(output);
    if (i === undefined) {
      const known = [...g.producer.keys(), ...g.byName.keys()];
      throw new UnknownOutputError(output, closestNames(output, new Set(known)), known);
    }
    return g.functions[i]!;
  }

  /** A new pipeline with `fn` added. */
  add<F extends AnyPipeFunc>(fn: F): Pipeline<[...Fns, F], Provided> {
    return this.#derive([...this.functions, fn]) as Pipeline<[...Fns, F], Provided>;
  }

  /** A new pipeline without the function producing `output`. */
  drop<K extends OutputName<Fns>>(output: K): Pipeline<WithoutProducer<Fns, K>, Provided> {
    const target = this.get(output);
    return this.#derive(this.functions.filter((f) => !sameOutputs(f, target))) as Pipeline<
      WithoutProducer<Fns, K>,
      Provided
    >;
  }

  /** A new pipeline where `fn` takes the place of the function producing `output`. */
  replace<K extends OutputName<Fns>, F extends AnyPipeFunc>(
    output: K,
    fn: F,
  ): Pipeline<[...WithoutProducer<Fns, K>, F], Provided> {
    const target = this.get(output);
    return this.#derive(
      this.functions.flatMap((f) => (f === target ? [fn] : sameOutputs(f, target) ? [] : [f])),
    ) as Pipeline<[...WithoutProducer<Fns, K>, F], Provided>;
  }

  /**
   * A new pipeline with `other`'s functions after these (linepipe's `+`). Configs, constants
   * and captures merge; a key both define with different values is an error, never overwritten.
   *
   * @throws {@link PipelineDefinitionError} for duplicate outputs or conflicting options.
   */
  concat<G extends readonly AnyPipeFunc[], P extends string = never>(
    other: Pipeline<G, P>,
  ): Pipeline<[...Fns, ...G], Provided | P> {
    const a = this.#options;
    const b = other.options;
    const problems: string[] = [];
    const merge = (kind: "config" | "constants" | "captures" | "inputs") => {
      const out: Record<string, unknown> = { ...a[kind] };
      for (const [k, v] of Object.entries(b[kind] ?? {})) {
        if (Object.hasOwn(out, k) && !isDeepStrictEqual(out[k], v)) {
          problems.push(
            `Both pipelines set ${kind} "${k}" to different values. Give one of them another name.`,
          );
        }
        setOwn(out, k, v);
      }
      return out;
    };
    const options: PipelineOptions = {
      ...b,
      ...a,
      config: merge("config"),
      constants: merge("constants"),
      ...(a.captures || b.captures ? { captures: merge("captures") } : {}),
      ...(a.inputs || b.inputs ? { inputs: merge("inputs") as Record<string, string> } : {}),
    };
    if (problems.length > 0) throw new PipelineDefinitionError(problems);
    return new Pipeline([...this.functions, ...other.functions] as never, options) as never;
  }

  /**
   * The smallest pipeline computing `outputs` (default: every leaf output) from `inputs`
   * (default: the root inputs).
   *
   * @throws {@link PipelineDefinitionError} when an output cannot be computed from `inputs`.
   */
  subpipeline(selection: {
    readonly inputs?: readonly string[];
    readonly outputs?: readonly string[];
  }): Pipeline<readonly UntypedPipeFunc[]> {
    const g = this.#graph;
    const cut = new Set(selection.inputs ?? []);
    const outputs =
      selection.outputs ??
      (selection.inputs
        ? forwardOutputs(g, cut)
        : this.leaves.flatMap((f) => (f.outputs.length > 0 ? f.outputs : [f.name])));
    const keep = new Set<number>();
    const problems: string[] = [];
    const visit = (name: string, reader: string, optional: boolean) => {
      if (cut.has(name) || isConfigName(name)) return;
      const p = g.producer.get(name);
      if (p !== undefined) visitFn(p);
      else if (selection.inputs && !optional && !g.defaults.has(name)) {
        problems.push(
          `"${reader}" needs "${name}", which is not among the inputs ${JSON.stringify(selection.inputs)}. Add it to inputs.`,
        );
      }
    };
    const visitFn = (i: number) => {
      if (keep.has(i)) return;
      keep.add(i);
      const f = g.functions[i]!;
      for (const p of f.call.params) visit(p.graph, f.name, p.default.kind !== "none");
    };
    for (const o of outputs) {
      const i = g.producer.get(o) ?? g.byName.get(o);
      if (i === undefined) this.get(o);
      else visitFn(i);
    }
    if (keep.size === 0 && selection.inputs) {
      problems.push(
        `Nothing can be computed from the inputs ${JSON.stringify(selection.inputs)}: no function ` +
          `reads only them. The pipeline's root inputs are ${JSON.stringify(g.rootInputs)}.`,
      );
    }
    if (problems.length > 0) throw new PipelineDefinitionError(problems);
    return this.#derive(g.functions.filter((_, i) => keep.has(i))) as never;
  }

  /**
   * A new pipeline where the functions producing `outputs` become one nested function
   * (pipefunc's NestedPipeFunc) with every output of the group.
   *
   * @param outputs - Outputs whose producers are combined.
   * @param name - Name of the nested function. @defaultValue the group's names joined
   */
  nest(outputs: readonly string[], name?: string): Pipeline<readonly UntypedPipeFunc[]> {
    const group = [...new Set(outputs.map((o) => this.get(o)))];
    const nested = nestFunctions(group, name, (fns) => new Pipeline(fns as never) as never);
    const first = this.functions.findIndex((f) => group.includes(f));
    const rest = this.functions.filter((f) => !group.includes(f));
    rest.splice(first, 0, nested);
    return this.#derive(rest) as never;
  }

  /** A new pipeline with graph names renamed (inputs and outputs), `{ old: "new" }`. */
  withRenames(renames: Readonly<Record<string, string>>): Pipeline<readonly UntypedPipeFunc[]> {
    const unknown = Object.keys(renames).filter((k) => !this.#graph.names.has(k));
    if (unknown.length > 0) {
      throw new PipelineDefinitionError(
        unknown.map(
          (k) =>
            `Cannot rename "${k}": no function reads or produces it.` +
            hint(closestNames(k, this.#graph.names, 1)),
        ),
      );
    }
    return this.#derive(
      this.functions.map((f) => f.renameGraph(renames)),
      renames,
    ) as never;
  }

  /** A new pipeline with new defaults for inputs, by graph name. */
  withDefaults<const D extends Readonly<Record<string, unknown>>>(
    defaults: D,
  ): Pipeline<Fns, Provided | (keyof D & string)> {
    const unknown = Object.keys(defaults).filter((k) => !this.#graph.readers.has(k));
    if (unknown.length > 0) {
      throw new PipelineDefinitionError(
        unknown.map(
          (k) =>
            `Cannot set a default for "${k}": no function reads it.` +
            hint(closestNames(k, this.#graph.readers.keys(), 1)),
        ),
      );
    }
    return this.#derive(
      this.functions.map((f) => {
        const mine = f.call.params.filter((p) => Object.hasOwn(defaults, p.graph));
        if (mine.length === 0) return f;
        const byArg: Record<string, unknown> = {};
        for (const p of f.call.params) {
          if (p.default.kind === "value") setOwn(byArg, p.arg, p.default.value);
        }
        for (const p of mine) setOwn(byArg, p.arg, defaults[p.graph]);
        return f.with({ defaults: byArg });
      }),
    ) as unknown as Pipeline<Fns, Provided | (keyof D & string)>;
  }

  /**
   * Runs a sweep: every function with a mapspec is called once per element of its output
   * axes, the others once; see docs/mapspec.md.
   *
   * @param inputs - Inputs by name (arrays for mapped inputs), or a `sweep(...)`.
   * @param options - Run folder, storage, executor, resume, progress, errors, signal.
   * @returns Each output as `{ output, array, shape, dims }`, with `errors` and `toRows()`;
   *   with `returnResults: false`, a {@link MapSummary} (the results stay in the run folder).
   * @throws {@link MapSpecSyntaxError}, {@link MapSpecError}, {@link ShapeMismatchError},
   *   {@link MissingInputError}, {@link RunFolderMismatchError}, {@link RunFolderExistsError},
   *   {@link NodeExecutionError} (with `errors: "raise"`), {@link AbortError} (as rejections).
   * @example
   * ```ts
   * const add = pipefunc({ output: "c", mapspec: "a[i], b[j] -> c[i, j]" }, ({ a, b }: { a: number; b: number }) => a + b);
   * const results = await new Pipeline([add]).map({ a: [1, 2], b: [10, 20, 30] });
   * results.c.array.shape; // [2, 3]
   * ```
   */
  // With `outputs`, the inputs of the functions left out are not needed: every input is optional.
  map<P extends Pipeline<readonly AnyPipeFunc[], string>>(
    this: P,
    inputs: Partial<PipelineMapInputs<FunctionsOf<P>, ProvidedOf<P>>> | SweepInputs,
    options: MapOptions & OnlyOutputs & SummaryOnly & VariantOptionOf<FunctionsOf<P>>,
  ): Promise<MapSummary>;
  map<P extends Pipeline<readonly AnyPipeFunc[], string>>(
    this: P,
    inputs: Partial<PipelineMapInputs<FunctionsOf<P>, ProvidedOf<P>>> | SweepInputs,
    options: MapOptions & OnlyOutputs & VariantOptionOf<FunctionsOf<P>>,
  ): Promise<PipelineMapResults<FunctionsOf<P>>>;
  map<P extends Pipeline<readonly AnyPipeFunc[], string>>(
    this: P,
    inputs: PipelineMapInputs<FunctionsOf<P>, ProvidedOf<P>> | SweepInputs,
    options: MapOptions & SummaryOnly & VariantOptionOf<FunctionsOf<P>>,
  ): Promise<MapSummary>;
  map<P extends Pipeline<readonly AnyPipeFunc[], string>>(
    this: P,
    inputs: PipelineMapInputs<FunctionsOf<P>, ProvidedOf<P>> | SweepInputs,
    options?: MapOptions & VariantOptionOf<FunctionsOf<P>>,
  ): Promise<PipelineMapResults<FunctionsOf<P>>>;
  map(
    this: Pipeline<readonly AnyPipeFunc[], string>,
    inputs: MapInputs,
    options?: MapOptions & { readonly variant?: VariantSelection },
  ): Promise<unknown> {
    return this.mapAsync(inputs as never, (options ?? {}) as never).result();
  }

  /**
   * Starts a sweep and returns at once (pipefunc's `map_async`): a {@link MapRun} with the
   * result `map` would resolve with, its live status, its events, `done` and `cancel()`.
   * With `start: false` it waits for `run.start()` or for `launchMaps`.
   *
   * @param inputs - As {@link Pipeline.map}'s.
   * @param options - As {@link Pipeline.map}'s, and `start`.
   * @returns The run, started unless `start: false`.
   * @example
   * ```ts
   * const run = pipeline.mapAsync({ a: [1, 2, 3] });
   * for await (const event of run.events()) if (event.type === "function-ended") console.log(event.function);
   * const results = await run.result();
   * ```
   */
  mapAsync<P extends Pipeline<readonly AnyPipeFunc[], string>>(
    this: P,
    inputs: Partial<PipelineMapInputs<FunctionsOf<P>, ProvidedOf<P>>> | SweepInputs,
    options: MapAsyncOptions & OnlyOutputs & SummaryOnly & VariantOptionOf<FunctionsOf<P>>,
  ): MapRun<MapSummary>;
  mapAsync<P extends Pipeline<readonly AnyPipeFunc[], string>>(
    this: P,
    inputs: Partial<PipelineMapInputs<FunctionsOf<P>, ProvidedOf<P>>> | SweepInputs,
    options: MapAsyncOptions & OnlyOutputs & VariantOptionOf<FunctionsOf<P>>,
  ): MapRun<PipelineMapResults<FunctionsOf<P>>>;
  mapAsync<P extends Pipeline<readonly AnyPipeFunc[], string>>(
    this: P,
    inputs: PipelineMapInputs<FunctionsOf<P>, ProvidedOf<P>> | SweepInputs,
    options: MapAsyncOptions & SummaryOnly & VariantOptionOf<FunctionsOf<P>>,
  ): MapRun<MapSummary>;
  mapAsync<P extends Pipeline<readonly AnyPipeFunc[], string>>(
    this: P,
    inputs: PipelineMapInputs<FunctionsOf<P>, ProvidedOf<P>> | SweepInputs,
    options?: MapAsyncOptions & VariantOptionOf<FunctionsOf<P>>,
  ): MapRun<PipelineMapResults<FunctionsOf<P>>>;
  mapAsync(
    this: Pipeline<readonly AnyPipeFunc[], string>,
    inputs: MapInputs,
    options: MapAsyncOptions & { readonly variant?: VariantSelection } = {},
  ): MapRun<unknown> {
    return new MapRun<unknown>(this.name, options, (hooks, signal) =>
      this.#map(inputs, { ...options, signal: followBoth(options.signal, signal) }, hooks),
    );
  }

  #map(
    inputs: MapInputs,
    options: MapOptions & { readonly variant?: VariantSelection },
    hooks: MapHooks,
  ): Promise<unknown> {
    if (options.variant !== undefined || this.#variants?.open.length) {
      const chosen = this.withVariant(options.variant as never);
      if (chosen !== this) return chosen.#map(inputs, options, hooks);
    }
    // The registry stores whole outputs of `run`; per-element values are not outputs.
    const listeners = this.#listeners.filter((l) => l !== this.#registry?.listener);
    this.#history?.reset();
    return runMap(
      this,
      inputs,
      options,
      { cache: this.#cache, listeners, validate: this.#options.validate === true },
      hooks,
    );
  }

  /**
   * Learns `output` over one or two continuous inputs, choosing each next point where the
   * result is least known (python-adaptive's learners), with `concurrency` points in flight.
   *
   * @param options - Dimensions, output, inputs, goal, loss, executor, run folder…
   * @returns The points in the order computed, the loss, rows and interpolation.
   * @throws {@link InvalidOptionError} (3+ dimensions among others), a failed point's error
   *   with `errors: "raise"`, {@link AbortError} (as rejections).
   * @example
   * ```ts
   * const result = await pipeline.adaptive({ dimensions: { x: [-1, 1] }, output: "y", goal: { loss: 0.01 } });
   * result.interpolate(0.5);
   * ```
   */
  adaptive(options: AdaptiveOptions): Promise<AdaptiveResult> {
    return runAdaptive(this as unknown as AdaptivePipeline, options);
  }

  /**
   * Hits and misses of cached functions since the pipeline was made (or its cache cleared),
   * and the entries in the store.
   *
   * @returns `{ hits, misses, size }`; all 0 when nothing is cached.
   */
  async cacheStats(): Promise<CacheStats> {
    return this.#cache ? this.#cache.stats() : { hits: 0, misses: 0, size: 0 };
  }

  /** Removes every cached result from the store and resets the counts. */
  async clearCache(): Promise<void> {
    await this.#cache?.clear();
  }

  /**
   * Closes the cache's connection (a `redis` cache opened from `connection`), so the process
   * can exit. The cache reconnects if used again.
   */
  async closeCache(): Promise<void> {
    await this.#cache?.close();
  }

  /** Axes of every mapped name (root inputs and outputs), `{ name: axes }`. */
  get mapspecAxes(): Readonly<Record<string, readonly string[]>> {
    return Object.fromEntries(sweepLayout(this, this.sortedFunctions).dims);
  }

  /**
   * A new pipeline where input `name` is mapped along a new `axis` by every function reading
   * it, and the axis is carried downstream (pipefunc's `add_mapspec_axis`):
   * `"x[i] -> y[i]"` becomes `"x[i], z[k] -> y[i, k]"` and a reduction `"y[:, k] -> sum[k]"`.
   */
  addMapspecAxis(name: string, axis: string): Pipeline<WithoutMapSpecTypes<Fns>, Provided> {
    return this.#derive(
      addMapspecAxis(this, this.sortedFunctions, name, axis),
    ) as unknown as Pipeline<WithoutMapSpecTypes<Fns>, Provided>;
  }

  /** Adds a lifecycle listener; returns a function that removes it. */
  on(listener: RunListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  /** Profiling statistics per function name (empty unless profiling is on). */
  profilingStats(): Readonly<Record<string, ProfileStats>> {
    return this.#profiler?.stats() ?? {};
  }

  /**
   * Prints the profiling table, with linepipe's `[node] ΔMem: … | Peak: …` lines.
   * @param write - Where to print. @defaultValue console.log
   */
  printProfilingStats(write: (text: string) => void = console.log): void {
    write(printProfilingStats(this.profilingStats()));
  }

  /** Reopens the registry for inspection. @throws {@link PipelineDefinitionError} without one. */
  openRegistry(): Registry {
    if (!this.#registry) {
      throw new PipelineDefinitionError(
        `Pipeline "${this.name}" has no registry. Pass { registry: { path } } to its options.`,
      );
    }
    return this.#registry.open(this.#options.constants ?? {});
  }

  /** linepipe-style text view: functions in order with their inputs and outputs. */
  toAscii(): string {
    return toAscii(this);
  }

  /** Mermaid `flowchart` source. */
  toMermaid(): string {
    return toMermaid(this);
  }

  /** Graphviz DOT source. */
  toDot(): string {
    return toDot(this);
  }

  /**
   * One self-contained HTML page showing the graph: laid out (with dagre, here in Node, so the
   * page carries only coordinates), pan and zoom, inputs and outputs drawn apart from functions,
   * mapspecs and axes on mapped functions, and a details panel per node (inputs, outputs,
   * defaults, bound values, mapspec, cache and, after a profiled run, its figures). It loads
   * nothing from the network; write it to a `.html` file and open it.
   *
   * @param results - What `map` returned: each numeric mapped output with one axis is drawn
   *   below the graph as a line, with two as a heatmap, over its coordinates (the mapped
   *   inputs' values; a generated axis's positions 0..n-1); failed elements are marked, their
   *   errors in the tooltips. Big outputs are drawn binned (the mean of each bin).
   * @returns The page's HTML.
   * @example
   * ```ts
   * const results = await pipeline.map({ a: [1, 2, 3], b: [4, 5] });
   * writeFileSync("sweep.html", pipeline.toHtml(results));
   * ```
   */
  toHtml(results?: MapResultsMembers): string {
    return toHtml(this, results);
  }

  /**
   * A pipeline of other functions with these options; input descriptions follow `renames`
   * and are dropped for inputs no function reads any more (after `drop`, `subpipeline`).
   */
  #derive(
    functions: readonly AnyPipeFunc[],
    renames: Readonly<Record<string, string>> = {},
  ): Pipeline<readonly UntypedPipeFunc[]> {
    const described = this.#options.inputs;
    if (described === undefined) return new Pipeline(functions as never, this.#options) as never;
    const read = new Set(functions.flatMap((f) => f.inputs));
    const inputs: Record<string, string> = {};
    for (const [name, text] of Object.entries(described)) {
      const renamed = own(renames, name) ?? name;
      if (read.has(renamed)) setOwn(inputs, renamed, text);
    }
    return new Pipeline(functions as never, { ...this.#options, inputs }) as never;
  }
}

function hint(names: readonly string[]): string {
  return names.length > 0 ? ` Did you mean "${names[0]}"?` : "";
}
