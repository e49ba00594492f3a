import { join } from "node:path";
import { isWorkerImport, suspendedRun } from "../_internal/declarations.ts";
import { own, setOwn } from "../_internal/own.ts";
import type { NodeCache } from "../cache/node-cache.ts";
import { CACHE_MISS } from "../cache/store.ts";
import { isCacheUnavailable } from "../cache/unavailable.ts";
import type { DashboardOptions, ServedDashboard } from "../dashboard/server.ts";
import {
  AbortError,
  ExecutorError,
  InvalidOptionError,
  MissingInputError,
  NodeExecutionError,
  PipelineDefinitionError,
  ShapeMismatchError,
  ShapeTooLargeError,
  UndeclaredPipelineError,
  UnusedInputError,
  ValidationError,
} from "../errors.ts";
import { invokerOf, NO_VALUE } from "../executor/invoke.ts";
import { ThreadExecutor } from "../executor/threads.ts";
import { type Chunk, type ChunkItem, deserializeError, type Executor } from "../executor/types.ts";
import { callElement, isThenable, reportRemoteCall, splitOutputs } from "../graph/engine.ts";
import type { RunListener } from "../graph/events.ts";
import { isConfigName } from "../graph/graph.ts";
import { splitsResult } from "../graph/pipe-func.ts";
import { lookupConfig } from "../graph/plan.ts";
import { flattenScopes, hasScopes } from "../graph/scopes.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { createStatusWriter, plannedFunctions } from "../status/writer.ts";
import { referenceOf } from "./define.ts";
import { ErrorSnapshot } from "./error-snapshot.ts";
import { combineListeners, type ProgressListener, reportWorkers } from "./events.ts";
import { BlockStore, internalProblem, stackInternal } from "./internal-axes.ts";
import { type NodeLayout, sweepLayout } from "./layout.ts";
import { MISSING } from "./missing.ts";
import { NdArray, product, unravelIndex } from "./ndarray.ts";
import { progressBars } from "./progress.ts";
import { createMapResults, type MapResults, RESERVED_RESULT_NAMES } from "./results.ts";
import { type OutputRecord, openRunFolder, outputFolder, type RunFolder } from "./run-folder.ts";
import { maxElements } from "./storage/memory.ts";
import { createStore } from "./storage/open.ts";
import type { OutputStore, StorageKind } from "./storage/types.ts";
import { isSweep } from "./sweep.ts";

/** Where a function's elements run: in this thread, on worker threads, or your executor. */
export type ExecutorChoice = "inline" | "threads" | Executor;

/** Options of {@link Pipeline.map}. */
export interface MapOptions {
  /** Folder for run.json, inputs and results; results are kept in memory only without one. */
  readonly runFolder?: string;
  /**
   * Storage of mapped outputs; `"file"` and `"zarr"` need a `runFolder`.
   * @defaultValue "memory" without a run folder, "file" with one
   */
  readonly storage?: StorageKind;
  /**
   * Executor for every function, or per function as `{ [output]: executor }` (functions not
   * listed run inline). `"threads"` needs a pipeline declared with `definePipeline`.
   * @defaultValue "inline"
   */
  readonly executor?: ExecutorChoice | Readonly<Record<string, ExecutorChoice>>;
  /** Size of the `"threads"` pool. @defaultValue `os.availableParallelism()` */
  readonly threads?: number;
  /** Promises in flight per async function on the inline executor. @defaultValue 16 */
  readonly concurrency?: number;
  /** Elements per chunk sent to a non-inline executor. @defaultValue about 8 chunks per thread */
  readonly chunkSize?: number;
  /**
   * Shapes known before a function runs: of a generator's output (`... -> x[i]`), or of the
   * internal axes of `x[i] -> y[i, j]` (the length along `j` only), as `{ x: 10 }` or
   * `{ x: [10, 3] }`. Without it an internal axis is as long as the longest element, shorter
   * elements padded with MISSING; zarr storage needs it.
   */
  readonly internalShapes?: Readonly<Record<string, number | readonly number[]>>;
  /** Reuse the results already in `runFolder`, computing only missing elements. @defaultValue false */
  readonly resume?: boolean;
  /** Replace the results of a run already in `runFolder`. @defaultValue false */
  readonly overwrite?: boolean;
  /**
   * `true` draws a progress bar per mapped function on stderr; a listener receives the events.
   * @defaultValue bars when stderr is a TTY, else nothing
   */
  readonly progress?: boolean | ProgressListener;
  /** Stops scheduling new elements; the run folder stays resumable. */
  readonly signal?: AbortSignal;
  /** `"raise"` stops at the first failure; `"continue"` records it and masks dependants. @defaultValue "raise" */
  readonly errors?: "raise" | "continue";
  /** Accept inputs that no function reads. @defaultValue the pipeline's `allowUnused` */
  readonly allowUnused?: boolean;
  /**
   * Serve a live dashboard of the run on 127.0.0.1 (a free port, the URL with its token printed
   * on stderr, or given to `onReady`): the graph with each function's progress, the run's state
   * and its latest errors. It keeps showing the final state after the run while the process
   * lives, without keeping the process alive.
   * @defaultValue false
   */
  readonly dashboard?: boolean | DashboardOptions;
}

/** What `map` reads from a pipeline. */
export interface MappablePipeline {
  readonly name: string;
  readonly sortedFunctions: readonly AnyPipeFunc[];
  readonly options: {
    readonly config?: Readonly<Record<string, unknown>>;
    readonly constants?: Readonly<Record<string, unknown>>;
    readonly allowUnused?: boolean;
  };
}

/** What `map` shares with the pipeline's other runs. */
export interface MapContext {
  /** The pipeline's cache, for functions with `cache: true`. */
  readonly cache?: NodeCache | undefined;
  /** Lifecycle listeners (profiling, history, `on()`): told about every element. */
  readonly listeners?: readonly RunListener[];
  /** Check declared schemas on every element's arguments and result. */
  readonly validate?: boolean;
}

/** Inputs of `map`: values by name (arrays for mapped inputs), or a {@link Sweep}. */
export type MapInputs =
  | Readonly<Record<string, unknown>>
  | { toInputs(): Readonly<Record<string, readonly unknown[]>> };

const DEFAULT_CONCURRENCY = 16;
const PROGRESS_BATCH = 256;
/** While a function runs with a listener, elements finished are reported at least this often. */
const PROGRESS_MS = 250;

/** Runs a sweep; see {@link Pipeline.map}. */
export async function runMap(
  pipeline: MappablePipeline,
  rawInputs: MapInputs,
  options: MapOptions = {},
  context: MapContext = {},
): Promise<MapResults<Record<string, unknown>>> {
  // A worker importing the module that declared this pipeline must not sweep it again.
  if (isWorkerImport()) return suspendedRun();
  const given: Readonly<Record<string, unknown>> = isSweep(rawInputs)
    ? rawInputs.toInputs()
    : (rawInputs as Readonly<Record<string, unknown>>);
  const names = new Set(pipeline.sortedFunctions.flatMap((f) => [...f.inputs, ...f.outputs]));
  // Scoped inputs may be nested (`{ foo: { a } }`) as in `run`.
  const inputs = hasScopes(given, names) ? flattenScopes(given, names) : given;
  const layout = sweepLayout(pipeline, pipeline.sortedFunctions);
  const errorsMode = options.errors ?? "raise";
  const storage = storageOf(options);
  const run = new SweepRun(pipeline, inputs, options, layout.nodes, context);

  // Root inputs read along axes become NdArrays; their lengths fix the axes. A mapped input
  // left to its default (or a constant) is indexed the same way, never passed whole.
  for (const [name, value] of Object.entries(inputs)) {
    const dims = layout.dims.get(name);
    run.values.set(name, dims ? toNdArray(name, value, dims) : value);
  }
  for (const [name, dims] of layout.dims) {
    if (run.values.has(name) || layout.producer.has(name)) continue;
    const fallback = run.fallback(name);
    if (fallback.found) run.values.set(name, toNdArray(name, fallback.value, dims));
  }
  run.checkInputs(options.allowUnused ?? pipeline.options.allowUnused ?? false);
  run.fixInputAxes(layout.dims);
  run.checkSizes();

  const outputs: Record<string, OutputRecord> = {};
  for (const node of layout.nodes) {
    for (const o of node.func.outputs) {
      if (RESERVED_RESULT_NAMES.has(o)) {
        throw new PipelineDefinitionError(
          `Function "${node.func.name}" has an output named "${o}", which map results use for ` +
            "their own member. Rename the output (renames or withRenames).",
        );
      }
      const internal = run.internalShape(node, o);
      if (storage === "zarr" && node.internalDims.length > 0 && !internal) {
        throw new InvalidOptionError(
          `internalShapes.${o}`,
          `zarr storage needs the length of "${o}"'s internal ax${node.internalDims.length === 1 ? "is" : "es"} ` +
            `${node.internalDims.map((d) => `"${d}"`).join(", ")} before "${node.func.name}" runs: ` +
            `pass internalShapes: { ${o}: ${node.internalDims.length === 1 ? "N" : "[N, M]"} }, or use storage "file".`,
        );
      }
      setOwn(outputs, o, {
        dims: node.outputDims,
        storage: node.outputDims.length > 0 ? storage : options.runFolder ? "file" : "memory",
        ...(internal ? { internalShape: internal } : {}),
      });
    }
  }
  const folder = options.runFolder
    ? await openRunFolder(options.runFolder, {
        pipelineName: pipeline.name,
        functions: pipeline.sortedFunctions,
        inputs,
        outputs,
        errors: errorsMode,
        resume: options.resume ?? false,
        overwrite: options.overwrite ?? false,
      })
    : undefined;
  run.folder = folder;
  run.outputRecords = outputs;

  const bars =
    options.progress === true || (options.progress === undefined && process.stderr.isTTY)
      ? progressBars()
      : undefined;
  // A function whose outputs are all given does not run.
  const planned = layout.nodes.filter(
    (node) =>
      node.func.outputs.length === 0 || !node.func.outputs.every((o) => Object.hasOwn(inputs, o)),
  );
  // status.json and the dashboard are listeners of the events the bars draw.
  const status =
    folder || options.dashboard
      ? createStatusWriter({
          runFolder: folder?.path,
          pipeline: pipeline.name,
          functions: plannedFunctions(planned, run.axisLengths),
        })
      : undefined;
  run.listener = combineListeners(
    typeof options.progress === "object" ? options.progress : bars,
    status,
  );
  let dashboard: ServedDashboard | undefined;
  try {
    if (options.dashboard && status) {
      const settings = options.dashboard === true ? {} : options.dashboard;
      // Loaded on first use: a sweep without a dashboard never loads the server or the page.
      const { startMapDashboard } = await import("../dashboard/map.ts");
      dashboard = await startMapDashboard(pipeline, status, settings);
    }
    for (const node of planned) await run.runNode(node, errorsMode);
    folder?.setStatus("done");
    status?.finish("done");
  } catch (error) {
    const end = error instanceof AbortError ? "aborted" : "failed";
    folder?.setStatus(end);
    status?.finish(end, error);
    throw error;
  } finally {
    bars?.stop();
    dashboard?.release();
    await run.closeExecutors();
    await folder?.close();
  }
  return createMapResults(run.results(), run.snapshots, folder?.path, run.values);
}

const STORAGE_KINDS: readonly StorageKind[] = ["memory", "file", "zarr"];

/** The storage of mapped outputs, checked against the run folder. */
function storageOf(options: MapOptions): StorageKind {
  const storage = options.storage ?? (options.runFolder ? "file" : "memory");
  if (!STORAGE_KINDS.includes(storage)) {
    throw new InvalidOptionError(
      "storage",
      `Expected \`storage\` to be one of ${STORAGE_KINDS.map((k) => `"${k}"`).join(", ")}, got ` +
        `${JSON.stringify(storage)}.`,
    );
  }
  if (options.resume === true && options.overwrite === true) {
    throw new InvalidOptionError(
      "overwrite",
      "Pass either { resume: true } (keep the run folder's results and compute the rest) or " +
        "{ overwrite: true } (delete them and start over), not both.",
    );
  }
  if (storage !== "memory" && !options.runFolder) {
    throw new InvalidOptionError(
      "storage",
      `storage "${storage}" writes results into a run folder, but no \`runFolder\` was given. ` +
        `Pass runFolder: "runs/my-sweep" (a folder to create), or use storage: "memory".`,
    );
  }
  return storage;
}

/** Converts a mapped input to an NdArray with the axes its mapspecs give it. */
function toNdArray(name: string, value: unknown, dims: readonly string[]): NdArray<unknown> {
  if (value instanceof NdArray) {
    if (value.ndim !== dims.length) {
      throw new TypeError(
        `Input "${name}" is read with ${dims.length} axes [${dims.join(", ")}] but is an NdArray ` +
          `of ${value.ndim}. Pass an array with one level per axis.`,
      );
    }
    return new NdArray(value.shape, dims, value.data);
  }
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) {
    throw new TypeError(
      `Input "${name}" is mapped over axes [${dims.join(", ")}], so it must be an array ` +
        `(nested ${dims.length} deep) or an NdArray; got ${typeof value}.`,
    );
  }
  const list = ArrayBuffer.isView(value)
    ? Array.from(value as unknown as ArrayLike<unknown>)
    : value;
  return NdArray.fromNested(list as unknown[], dims);
}

type ParamSource =
  | { readonly kind: "whole"; readonly value: unknown }
  | {
      readonly kind: "element";
      readonly data: readonly unknown[];
      /** For each axis of the input: its position among the output's axes, and its stride. */
      readonly positions: readonly number[];
      readonly strides: readonly number[];
    }
  | {
      readonly kind: "slice";
      readonly array: NdArray<unknown>;
      /** Axes fixed per element: name and position among the output's axes. */
      readonly fixed: readonly (readonly [string, number])[];
    };

/** The state of one `map` call. */
class SweepRun {
  readonly values = new Map<string, unknown>();
  readonly axisLengths = new Map<string, number>();
  readonly snapshots: ErrorSnapshot[] = [];
  readonly #stores = new Map<string, OutputStore>();
  readonly #executors = new Map<string, Executor>();
  readonly #graphDefaults = new Map<string, unknown>();
  readonly #active = new Map<AnyPipeFunc, readonly RunListener[]>();
  folder: RunFolder | undefined;
  outputRecords: Readonly<Record<string, OutputRecord>> = {};
  listener: ProgressListener | undefined;

  readonly cache: NodeCache | undefined;
  readonly listeners: readonly RunListener[];
  readonly validate: boolean;

  constructor(
    readonly pipeline: MappablePipeline,
    readonly inputs: Readonly<Record<string, unknown>>,
    readonly options: MapOptions,
    readonly nodes: readonly NodeLayout[],
    context: MapContext,
  ) {
    this.cache = context.cache;
    this.listeners = context.listeners ?? [];
    this.validate = context.validate === true;
    for (const n of nodes) {
      for (const [k, v] of Object.entries(n.func.defaults)) this.#graphDefaults.set(k, v);
    }
  }

  /** The listeners told about `f`'s calls. */
  listenersOf(f: AnyPipeFunc): readonly RunListener[] {
    let active = this.#active.get(f);
    if (!active) {
      active = this.listeners.filter((l) => (l.filter ? l.filter(f) : true));
      this.#active.set(f, active);
    }
    return active;
  }

  /** Whether `f`'s calls go through the instrumented path (listeners, validation). */
  isInstrumented(f: AnyPipeFunc): boolean {
    return (
      this.listenersOf(f).length > 0 ||
      (this.validate && (f.schema.inputs !== undefined || f.schema.output !== undefined))
    );
  }

  /** A value for a name nobody gave: a constant, a config path, or a default. */
  fallback(name: string): { readonly found: boolean; readonly value?: unknown } {
    const supplied = this.#supplied(name);
    if (supplied.found || !this.#graphDefaults.has(name)) return supplied;
    return { found: true, value: this.#graphDefaults.get(name) };
  }

  /** A value the pipeline supplies for `name`: a constant or a config path. */
  #supplied(name: string): { readonly found: boolean; readonly value?: unknown } {
    const constants = this.pipeline.options.constants ?? {};
    if (Object.hasOwn(constants, name)) return { found: true, value: constants[name] };
    if (isConfigName(name)) return lookupConfig(this.pipeline.options.config, name);
    return { found: false };
  }

  /** The internal shape `internalShapes` gives an output with internal axes, if any. */
  internalShape(node: NodeLayout, output: string): readonly number[] | undefined {
    const shapes = this.options.internalShapes;
    const shape = shapes === undefined ? undefined : own(shapes, output);
    if (node.internalDims.length === 0 || shape === undefined) return undefined;
    return typeof shape === "number" ? [shape] : shape;
  }

  /** Every input is read by something, and every function's inputs are available. */
  checkInputs(allowUnused: boolean): void {
    const produced = new Set(this.nodes.flatMap((n) => n.func.outputs));
    const read = new Set(this.nodes.flatMap((n) => n.func.inputs));
    const unused = Object.keys(this.inputs).filter((k) => !read.has(k) && !produced.has(k));
    // No prototype: the error reads `suggestions[name]`, and "constructor" must find nothing.
    if (unused.length > 0 && !allowUnused) throw new UnusedInputError(unused, Object.create(null));
    const constants = this.pipeline.options.constants ?? {};
    const missing = new Map<string, string[]>();
    for (const n of this.nodes) {
      for (const p of n.func.call.params) {
        const g = p.graph;
        const available =
          Object.hasOwn(this.inputs, g) ||
          produced.has(g) ||
          Object.hasOwn(constants, g) ||
          (isConfigName(g) && lookupConfig(this.pipeline.options.config, g).found) ||
          p.default.kind !== "none" ||
          this.#graphDefaults.has(g);
        if (!available) missing.set(g, [...(missing.get(g) ?? []), n.func.name]);
      }
    }
    if (missing.size > 0) {
      throw new MissingInputError(
        "the sweep",
        [...missing.keys()],
        Object.fromEntries(missing),
        "",
      );
    }
  }

  /**
   * Refuses, before any function runs, an output whose known axes already hold more elements
   * than a run can keep (a store checks again once generated axes are known).
   *
   * @throws {@link ShapeTooLargeError} naming the output and its axes.
   */
  checkSizes(): void {
    const limit = maxElements();
    for (const node of this.nodes) {
      const lengths = node.outputDims.map((d) => this.axisLengths.get(d));
      const known = lengths.filter((n) => n !== undefined);
      if (known.reduce((a, b) => a * b, 1) <= limit) continue;
      const axes = Object.fromEntries(
        node.outputDims.flatMap((d, k) => (lengths[k] === undefined ? [] : [[d, lengths[k]]])),
      );
      throw new ShapeTooLargeError(node.func.outputs[0]!, axes, limit);
    }
  }

  /** Reads axis lengths off the mapped inputs; zipped inputs must agree. */
  fixInputAxes(dims: ReadonlyMap<string, readonly string[]>): void {
    const seen = new Map<string, Record<string, number>>();
    for (const [name, value] of this.values) {
      const d = dims.get(name);
      if (!d || !(value instanceof NdArray)) continue;
      d.forEach((axis, k) => {
        const length = value.shape[k]!;
        const lengths = seen.get(axis) ?? {};
        setOwn(lengths, name, length);
        seen.set(axis, lengths);
        const known = this.axisLengths.get(axis);
        if (known !== undefined && known !== length) {
          const reader = this.nodes.find((n) => n.func.inputs.includes(name))?.func.name;
          throw new ShapeMismatchError(axis, lengths, reader);
        }
        this.axisLengths.set(axis, length);
      });
    }
    for (const [name, shape] of Object.entries(this.options.internalShapes ?? {})) {
      const node = this.nodes.find((n) => n.func.outputs.includes(name));
      const axes = node?.spec?.generates ? node.outputDims : (node?.internalDims ?? []);
      const list = typeof shape === "number" ? [shape] : shape;
      if (axes.length === 0) {
        throw new InvalidOptionError(
          `internalShapes.${name}`,
          `internalShapes names "${name}", which is not the output of a generator ` +
            "(`... -> x[i]`) or of a function with internal axes (`x[i] -> y[i, j]`). " +
            "Remove it, or fix the name.",
        );
      }
      if (
        !Array.isArray(list) ||
        list.length !== axes.length ||
        list.some((n) => !Number.isInteger(n) || n < 0)
      ) {
        throw new InvalidOptionError(
          `internalShapes.${name}`,
          `Expected internalShapes.${name} to give one non-negative integer per axis ` +
            `[${axes.join(", ")}], got ${JSON.stringify(shape)}.`,
        );
      }
      if (!node?.spec?.generates) continue;
      axes.forEach((axis, k) => {
        if (!this.axisLengths.has(axis)) this.axisLengths.set(axis, list[k]!);
      });
    }
  }

  /** The argument source of each parameter of `node`. */
  #sources(node: NodeLayout): ParamSource[] {
    const outDims = node.elementDims;
    return node.func.call.params.map((p, i): ParamSource => {
      const g = p.graph;
      const supplied = this.values.has(g)
        ? { found: true, value: this.values.get(g) }
        : this.#supplied(g);
      let value: unknown;
      if (supplied.found) value = supplied.value;
      else if (p.default.kind === "value") value = p.default.value;
      else if (p.default.kind === "own") value = NO_VALUE;
      else value = this.#graphDefaults.get(g);
      const axes = node.paramAxes[i];
      if (!axes || axes.length === 0 || value === MISSING) return { kind: "whole", value };
      if (!(value instanceof NdArray)) {
        // Passing it whole would call the function with an array where an element belongs.
        throw new MissingInputError(
          node.func.name,
          [g],
          { [g]: [node.func.name] },
          `Its mapspec reads "${g}" element by element, but "${g}" has no array to index: ` +
            "its default is computed inside the function. Pass it in the inputs, or give " +
            `\`defaults: { ${p.arg}: [...] }\`.`,
        );
      }
      const array = value as NdArray<unknown>;
      if (axes.every((a) => a !== null)) {
        const strides: number[] = [];
        let s = 1;
        for (let k = array.ndim - 1; k >= 0; k--) {
          strides[k] = s;
          s *= array.shape[k]!;
        }
        return {
          kind: "element",
          data: array.data,
          positions: axes.map((a) => outDims.indexOf(a!)),
          strides,
        };
      }
      const fixed: [string, number][] = [];
      axes.forEach((a, k) => {
        if (a !== null) fixed.push([array.dims[k]!, outDims.indexOf(a)]);
      });
      return { kind: "slice", array, fixed };
    });
  }

  async #store(
    output: string,
    shape: readonly number[],
    dims: readonly string[],
  ): Promise<OutputStore> {
    const record = this.outputRecords[output]!;
    const store = await createStore(record.storage, {
      output,
      shape,
      dims,
      ...(this.folder ? { folder: outputFolder(this.folder.path, output) } : {}),
    });
    this.#stores.set(output, store);
    return store;
  }

  /**
   * The store `map` writes one element of `output` into. With internal axes, each element is
   * an array: kept whole per element (memory, file) and stacked when the function ends, or
   * written as its block of a store of the full shape (zarr, which needs `internalShapes`).
   */
  async #elementStore(
    node: NodeLayout,
    output: string,
    shape: readonly number[],
  ): Promise<OutputStore> {
    if (node.internalDims.length === 0) return this.#store(output, shape, node.outputDims);
    const record = this.outputRecords[output]!;
    if (record.storage !== "zarr") return this.#store(output, shape, node.elementDims);
    const inner = await this.#store(output, [...shape, ...record.internalShape!], node.outputDims);
    return new BlockStore(inner, shape.length);
  }

  #executor(node: NodeLayout): Executor | undefined {
    const choice = this.options.executor;
    let pick: ExecutorChoice | undefined;
    if (choice === undefined || choice === "inline" || choice === "threads") pick = choice;
    else if (isExecutor(choice)) pick = choice;
    else {
      const perNode = choice as Readonly<Record<string, ExecutorChoice>>;
      pick =
        node.func.outputs.map((o) => own(perNode, o)).find((c) => c !== undefined) ??
        own(perNode, node.func.name);
    }
    if (pick === undefined || pick === "inline") return undefined;
    if (pick === "threads") {
      let pool = this.#executors.get("threads");
      if (!pool) {
        pool = new ThreadExecutor(this.options.threads ? { threads: this.options.threads } : {});
        this.#executors.set("threads", pool);
      }
      return pool;
    }
    return pick;
  }

  async closeExecutors(): Promise<void> {
    // Only pools this run created; an executor the caller passed is theirs to close.
    await Promise.all([...this.#executors.values()].map((e) => e.close()));
  }

  /** Runs every element of one function. */
  async runNode(node: NodeLayout, errors: "raise" | "continue"): Promise<void> {
    const f = node.func;
    const sources = this.#sources(node);
    this.#checkSignal();
    if (!node.spec || node.spec.generates) {
      await this.#runOnce(node, sources, errors);
      return;
    }
    const shape = node.elementDims.map((d) => this.axisLengths.get(d)!);
    const stores = await Promise.all(f.outputs.map((o) => this.#elementStore(node, o, shape)));
    const size = product(shape);
    const executor = this.#executor(node);
    if (executor?.remote && !referenceOf(this.pipeline)) {
      throw new UndeclaredPipelineError(this.pipeline.name, executor.name);
    }
    const loop = new ElementLoop(this, node, sources, shape, stores, errors);
    this.listener?.onNodeStart?.(f.name, size, loop.alreadyDone());
    // Slow elements are reported as they finish, not only once a batch of them is full.
    const ticker = this.listener ? setInterval(() => loop.report(), PROGRESS_MS) : undefined;
    ticker?.unref();
    try {
      // Cached elements are answered first, so none of them is sent to an executor.
      if (this.cache && f.cache) await loop.useCache(this.cache);
      if (executor) await loop.runOn(executor, this.options.chunkSize);
      else await loop.runInline(this.options.concurrency ?? DEFAULT_CONCURRENCY);
    } finally {
      clearInterval(ticker);
      await loop.settle();
      this.listener?.onNodeEnd?.(f.name);
    }
    loop.throwIfStopped();
    this.#publish(node, stores, shape);
  }

  /** A function without mapspec, or a generator (`... -> x[i]`): one call. */
  async #runOnce(
    node: NodeLayout,
    sources: readonly ParamSource[],
    errors: "raise" | "continue",
  ): Promise<void> {
    const f = node.func;
    const generator = node.spec?.generates === true;
    const values = sources.map((s) => (s.kind === "whole" ? s.value : undefined));
    const folderOf = (o: string) => (this.folder ? outputFolder(this.folder.path, o) : undefined);
    // A resumed run reuses a finished single call (for generators, the whole generated array).
    if (this.folder?.resumed) {
      const reused = await this.#reuseOnce(node, folderOf);
      if (reused) {
        this.listener?.onNodeStart?.(f.name, 1, 1);
        this.listener?.onNodeEnd?.(f.name);
        return;
      }
    }
    this.listener?.onNodeStart?.(f.name, 1, 0);
    const masked = values.some(containsMissing);
    let outputsValues: unknown[] | undefined;
    if (!masked) {
      try {
        const listeners = this.listenersOf(f);
        const invoke = this.isInstrumented(f)
          ? () => callElement(f, values, listeners, this.validate, [])
          : () => invokerOf(f)(values);
        let result = this.cache && f.cache ? this.cache.call(f, values, invoke, false) : invoke();
        if (isThenable(result)) result = await result;
        outputsValues = splitsResult(f.call) ? splitOutputs(f, result) : [result];
      } catch (error) {
        this.listener?.onError?.(f.name, [], error);
        // The cache failing stops the map whatever `errors` says: no element could be cached.
        if (errors === "raise" || isCacheUnavailable(error)) {
          throw failure(f, values, error, []);
        }
        this.snapshots.push(new ErrorSnapshot(f, [], values, error));
      }
    }
    if (generator) {
      const arrays = f.outputs.map((o, k) =>
        outputsValues ? toGenerated(f.name, o, outputsValues[k], node.outputDims) : undefined,
      );
      const first = arrays[0];
      if (!first) {
        throw new NodeExecutionError(
          f.name,
          namedInputs(f, values),
          new Error("generator failed; its axis length is unknown"),
          [],
        );
      }
      node.outputDims.forEach((axis, k) => {
        const length = first.shape[k]!;
        const known = this.axisLengths.get(axis);
        if (known !== undefined && known !== length) {
          throw new ShapeMismatchError(
            axis,
            { [`${f.outputs[0]} (returned)`]: length, internalShapes: known },
            f.name,
          );
        }
        this.axisLengths.set(axis, length);
      });
      for (const [k, o] of f.outputs.entries()) {
        const array = arrays[k]!;
        const store = await this.#store(o, array.shape, node.outputDims);
        for (let i = 0; i < array.size; i++) await store.set(i, array.data[i]);
        await store.flush();
        this.values.set(o, array);
      }
    } else {
      for (const [k, o] of f.outputs.entries()) {
        const store = await this.#store(o, [], []);
        if (outputsValues) await store.set(0, outputsValues[k]);
        else store.setMissing(0);
        await store.flush();
        this.values.set(o, outputsValues ? outputsValues[k] : MISSING);
      }
    }
    this.listener?.onProgress?.(f.name, 1, outputsValues ? 0 : 1);
    this.listener?.onNodeEnd?.(f.name);
  }

  async #reuseOnce(
    node: NodeLayout,
    folderOf: (o: string) => string | undefined,
  ): Promise<boolean> {
    const { loadStore } = await import("./storage/open.ts");
    const { existsSync } = await import("node:fs");
    const loaded: OutputStore[] = [];
    for (const o of node.func.outputs) {
      const dir = folderOf(o);
      if (!dir || !existsSync(join(dir))) return false;
      let store: OutputStore;
      try {
        store = await loadStore(dir);
      } catch {
        return false;
      }
      for (let i = 0; i < store.size; i++) if (!store.has(i)) return false;
      loaded.push(store);
    }
    node.func.outputs.forEach((o, k) => {
      const store = loaded[k]!;
      this.#stores.set(o, store);
      if (store.shape.length === 0) this.values.set(o, store.get(0));
      else {
        this.values.set(o, new NdArray(store.shape, node.outputDims, store.values()));
        node.outputDims.forEach((axis, d) => {
          this.axisLengths.set(axis, store.shape[d]!);
        });
      }
    });
    return true;
  }

  #publish(node: NodeLayout, stores: readonly OutputStore[], shape: readonly number[]): void {
    node.func.outputs.forEach((o, k) => {
      const store = stores[k]!;
      if (node.internalDims.length > 0) {
        const array =
          store instanceof BlockStore
            ? new NdArray(store.inner.shape, node.outputDims, store.inner.values())
            : stackInternal(
                store.values(),
                shape,
                node.outputDims,
                this.outputRecords[o]?.internalShape,
              );
        node.internalDims.forEach((axis, d) => {
          const length = array.shape[shape.length + d]!;
          const known = this.axisLengths.get(axis);
          if (known !== undefined && known !== length) {
            throw new ShapeMismatchError(
              axis,
              { [`${o} (returned)`]: length, [`another array along "${axis}"`]: known },
              node.func.name,
            );
          }
          this.axisLengths.set(axis, length);
        });
        this.values.set(o, array);
        return;
      }
      // A 0-D output (`x[:] -> total`) is one value, as if the function had no mapspec.
      this.values.set(
        o,
        shape.length === 0 ? store.get(0) : new NdArray(shape, node.outputDims, store.values()),
      );
    });
  }

  #checkSignal(): void {
    const signal = this.options.signal;
    if (signal?.aborted)
      throw new AbortError(`map of pipeline "${this.pipeline.name}"`, signal.reason);
  }

  /** Every output's final value (NdArray for mapped outputs) with its store. */
  results(): Map<string, { value: unknown; store: OutputStore | undefined }> {
    const out = new Map<string, { value: unknown; store: OutputStore | undefined }>();
    for (const n of this.nodes) {
      for (const o of n.func.outputs) {
        out.set(o, { value: this.values.get(o), store: this.#stores.get(o) });
      }
    }
    return out;
  }
}

function isExecutor(value: unknown): value is Executor {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Executor).submit === "function" &&
    typeof (value as Executor).close === "function"
  );
}

function containsMissing(value: unknown): boolean {
  return value === MISSING || (value instanceof NdArray && value.hasMissing);
}

/**
 * The error `errors: "raise"` stops a map with: a failed schema check as itself (it names
 * the node, argument and index, as in `run`), anything else wrapped with the element's index.
 */
function failure(
  f: AnyPipeFunc,
  args: readonly unknown[],
  error: unknown,
  index: readonly number[],
): Error {
  if (error instanceof ValidationError || isCacheUnavailable(error)) return error;
  return new NodeExecutionError(f.name, namedInputs(f, args), error, index);
}

function namedInputs(f: AnyPipeFunc, values: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  f.call.params.forEach((p, i) => {
    if (values[i] !== NO_VALUE) setOwn(out, p.graph, values[i]);
  });
  return out;
}

function toGenerated(
  node: string,
  output: string,
  value: unknown,
  dims: readonly string[],
): NdArray<unknown> {
  if (value instanceof NdArray) return new NdArray(value.shape, dims, value.data);
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) {
    throw new NodeExecutionError(
      node,
      {},
      new TypeError(
        `its mapspec "... -> ${output}[${dims.join(", ")}]" makes it a generator, so it must ` +
          `return an array (nested ${dims.length} deep); it returned ${typeof value}`,
      ),
      [],
    );
  }
  const list = ArrayBuffer.isView(value)
    ? Array.from(value as unknown as ArrayLike<unknown>)
    : value;
  return NdArray.fromNested(list as unknown[], dims);
}

/** Adds `work` to `inflight` until it settles. */
function track(inflight: Set<Promise<void>>, work: Promise<void>): void {
  const tracked = work.finally(() => inflight.delete(tracked));
  inflight.add(tracked);
}

/**
 * How long the element loop runs synchronous calls before it lets the event loop turn (timers,
 * an abort, pending writes), and the most elements it runs between two reads of the clock.
 */
const SLICE_MS = 20;
const MAX_CHECK_STRIDE = 64;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Cache lookups awaited at once when the store answers asynchronously (Redis). */
const LOOKUPS_IN_FLIGHT = 256;

/** Iterates the elements of one mapped function: builds arguments, calls, stores, masks. */
class ElementLoop {
  readonly #run: SweepRun;
  readonly #f: AnyPipeFunc;
  readonly #sources: readonly ParamSource[];
  readonly #shape: readonly number[];
  readonly #stores: readonly OutputStore[];
  readonly #errors: "raise" | "continue";
  readonly #size: number;
  readonly #pending: Promise<unknown>[] = [];
  #stopped: unknown;
  /** Set when a visit stopped because its time slice ran out (see SLICE_MS). */
  #sliceEnded = false;
  #done = 0;
  #failed = 0;
  /** With a cache: elements it answered, and the keys of the others, to save their results. */
  #cache: NodeCache | undefined;
  readonly #cached = new Set<number>();
  readonly #keys = new Map<number, string>();
  /** Whether a result is split into outputs (several outputs, or an outputPicker). */
  readonly #split: boolean;
  /** For outputs with internal axes: checks each element's array before it is stored. */
  readonly #check: ((k: number, value: unknown) => string | undefined) | undefined;

  constructor(
    run: SweepRun,
    node: NodeLayout,
    sources: readonly ParamSource[],
    shape: readonly number[],
    stores: readonly OutputStore[],
    errors: "raise" | "continue",
  ) {
    this.#run = run;
    this.#f = node.func;
    this.#sources = sources;
    this.#shape = shape;
    this.#stores = stores;
    this.#errors = errors;
    this.#size = product(shape);
    this.#split = splitsResult(node.func.call);
    if (node.internalDims.length > 0) {
      const outputs = node.func.outputs;
      this.#check = (k, value) => {
        const record = run.outputRecords[outputs[k]!];
        return internalProblem(
          outputs[k]!,
          value,
          node.internalDims,
          record?.internalShape,
          record?.storage === "zarr",
        );
      };
    }
  }

  /** Elements already stored (a resumed run). */
  alreadyDone(): number {
    let n = 0;
    for (let e = 0; e < this.#size; e++) if (this.#isStored(e)) n++;
    return n;
  }

  #isStored(e: number): boolean {
    for (const s of this.#stores) if (!s.has(e)) return false;
    return true;
  }

  /**
   * Visits every element from `from` on that is not yet stored, in row-major order, filling
   * `values` with its arguments. `visit` returns false to pause; the result is the index to
   * resume from, or -1 when every element was visited or the run stopped.
   */
  #forEachElement(
    from: number,
    visit: (e: number, values: unknown[], masked: boolean) => boolean,
  ): number {
    const sources = this.#sources;
    const shape = this.#shape;
    const ndim = shape.length;
    const coords = from < this.#size ? unravelIndex(shape, from) : [];
    const values = new Array<unknown>(sources.length);
    const signal = this.#run.options.signal;
    const resumed = this.#run.folder?.resumed === true;
    let lastCheck = performance.now();
    const sliceEnd = lastCheck + SLICE_MS;
    let stride = 1;
    let countdown = 1;
    for (let e = from; e < this.#size; e++) {
      if (e > from) {
        for (let d = ndim - 1; d >= 0; d--) {
          if (++coords[d]! < shape[d]!) break;
          coords[d] = 0;
        }
      }
      if (signal?.aborted || this.#stopped !== undefined) return -1;
      // Synchronous functions would otherwise hold the event loop for the whole map: no abort
      // could land and no async write (zarr) could reach the disk until the end.
      if (--countdown <= 0) {
        const now = performance.now();
        if (now > sliceEnd && e > from) {
          this.#sliceEnded = true;
          return e;
        }
        // Fast elements read the clock every few dozen, slow ones after each.
        stride = now - lastCheck < 0.25 ? Math.min(stride * 2, MAX_CHECK_STRIDE) : 1;
        countdown = stride;
        lastCheck = now;
      }
      if (resumed && this.#isStored(e)) continue;
      if (this.#cache && this.#cached.has(e)) continue;
      let masked = false;
      for (let p = 0; p < sources.length; p++) {
        const s = sources[p]!;
        let v: unknown;
        if (s.kind === "whole") v = s.value;
        else if (s.kind === "element") {
          let at = 0;
          const pos = s.positions;
          for (let k = 0; k < pos.length; k++) at += coords[pos[k]!]! * s.strides[k]!;
          v = s.data[at];
        } else {
          const selection: Record<string, number> = {};
          for (const [dim, position] of s.fixed) setOwn(selection, dim, coords[position]!);
          v = s.array.slice(selection);
        }
        if (v === MISSING || (v instanceof NdArray && v.hasMissing)) masked = true;
        values[p] = v;
      }
      if (!visit(e, values, masked)) return e + 1;
    }
    return -1;
  }

  /**
   * Visits every element not yet stored; when `visit` pauses (its window of async work is
   * full), waits for one promise of `inflight` to settle and carries on.
   */
  async #visitPausing(
    inflight: ReadonlySet<Promise<void>>,
    visit: (e: number, values: unknown[], masked: boolean) => boolean,
  ): Promise<void> {
    let next = 0;
    while (next >= 0) {
      next = this.#forEachElement(next, visit);
      if (next < 0) break;
      if (this.#sliceEnded) {
        this.#sliceEnded = false;
        await yieldToEventLoop();
      } else await Promise.race(inflight);
    }
  }

  /**
   * Looks every element up in the cache before any is computed: hits are stored as results,
   * misses keep their key so their results are saved.
   *
   * @throws {@link CacheKeyError} when an element's arguments cannot be keyed.
   */
  async useCache(cache: NodeCache): Promise<void> {
    this.#cache = cache;
    const lookups = new Set<Promise<void>>();
    await this.#visitPausing(lookups, (e, values, masked) => {
      if (masked) return true;
      const key = cache.key(this.#f, values);
      const found = cache.lookup(key);
      const settle = (value: unknown, args: readonly unknown[]) => {
        if (value === CACHE_MISS) {
          this.#keys.set(e, key);
          return;
        }
        this.#cached.add(e);
        this.#put(e, value, args);
      };
      if (!isThenable(found)) {
        settle(found, values);
        return true;
      }
      const args = values.slice();
      track(
        lookups,
        Promise.resolve(found).then((value) => settle(value, args)),
      );
      return lookups.size < LOOKUPS_IN_FLIGHT;
    });
    await Promise.all(lookups);
  }

  /** Calls in this thread; async results run up to `concurrency` at once. */
  async runInline(concurrency: number): Promise<void> {
    const invoke = invokerOf(this.#f);
    const instrumented = this.#run.isInstrumented(this.#f);
    const listeners = this.#run.listenersOf(this.#f);
    const validate = this.#run.validate;
    const inflight = new Set<Promise<void>>();
    // The visitor is synchronous, the fast path for sync functions; when async calls fill the
    // window it pauses, and the loop resumes after a slot frees.
    await this.#visitPausing(inflight, (e, values, masked) => {
      if (masked) {
        this.#mask(e);
        return true;
      }
      let result: unknown;
      try {
        result = instrumented
          ? callElement(this.#f, values, listeners, validate, unravelIndex(this.#shape, e))
          : invoke(values);
      } catch (error) {
        this.#fail(e, values.slice(), error);
        return true;
      }
      if (!isThenable(result)) {
        this.#put(e, result, values);
        return true;
      }
      const args = values.slice();
      track(
        inflight,
        Promise.resolve(result).then(
          (v) => this.#put(e, v, args),
          (error: unknown) => this.#fail(e, args, error),
        ),
      );
      return inflight.size < concurrency;
    });
    await Promise.all(inflight);
  }

  /** Sends chunks to `executor`, keeping two per thread (or four) in flight. */
  async runOn(executor: Executor, chunkSize: number | undefined): Promise<void> {
    const threads =
      executor instanceof ThreadExecutor ? executor.threads : (executor.capacity ?? 2);
    const size =
      chunkSize ??
      executor.chunkSize ??
      Math.max(1, Math.min(1024, Math.ceil(this.#size / (threads * 8))));
    const window = threads * 2;
    const ref = referenceOf(this.#run.pipeline);
    const listeners = this.#run.listenersOf(this.#f);
    // Told which worker processes ran the elements (the run status lists them).
    const listener = this.#run.listener?.onRemote ? this.#run.listener : undefined;
    const inflight = new Set<Promise<void>>();
    let items: ChunkItem[] = [];
    const byIndex = new Map<number, readonly unknown[]>();
    const submit = (chunkItems: ChunkItem[]) => {
      const chunk: Chunk = {
        pipeline: ref,
        node: this.#f.name,
        output: this.#f.outputs[0]!,
        func: this.#f,
        items: chunkItems,
        validate: this.#run.validate,
        shape: this.#shape,
      };
      const p = executor.submit(chunk, this.#run.options.signal).then(
        (results) => {
          if (listener) reportWorkers(listener, this.#f.name, results);
          for (const r of results) {
            const args = byIndex.get(r.index) ?? [];
            byIndex.delete(r.index);
            const error = r.ok ? undefined : deserializeError(r.error);
            if (listeners.length > 0) {
              const index = unravelIndex(this.#shape, r.index);
              const outcome = r.ok ? { ok: true, value: r.value } : { ok: false, error };
              reportRemoteCall(this.#f, args, listeners, index, outcome, r.durationMs ?? 0);
            }
            if (r.ok) this.#put(r.index, r.value, args);
            else this.#fail(r.index, args, error);
          }
          // A chunk is slow enough to be worth a progress event of its own.
          this.#report();
        },
        (error: unknown) => {
          // The executor cannot run anything (Redis away, workers of another version): the map
          // stops whatever `errors` says, and no element is recorded, so a resume computes them.
          if (error instanceof ExecutorError) {
            for (const item of chunkItems) byIndex.delete(item.index);
            this.#stopped ??= error;
            return;
          }
          // The executor itself failed (a worker died, the run was aborted): every element of
          // the chunk is recorded as failed, and the pool carries on with the next chunk.
          for (const item of chunkItems) {
            byIndex.delete(item.index);
            if (this.#run.options.signal?.aborted) continue;
            this.#fail(item.index, item.values, error);
          }
          this.#report();
        },
      );
      track(inflight, p);
    };
    await this.#visitPausing(inflight, (e, values, masked) => {
      if (masked) {
        this.#mask(e);
        return true;
      }
      const copy = values.slice();
      byIndex.set(e, copy);
      items.push({ index: e, values: copy });
      if (items.length < size) return true;
      submit(items);
      items = [];
      return inflight.size < window;
    });
    if (items.length > 0 && this.#stopped === undefined && !this.#run.options.signal?.aborted) {
      submit(items);
    }
    await Promise.all(inflight);
  }

  #put(e: number, result: unknown, args: readonly unknown[]): void {
    const f = this.#f;
    if (this.#cache) {
      const key = this.#keys.get(e);
      if (key !== undefined) {
        this.#keys.delete(e);
        const saved = this.#cache.save(f, key, result, 0);
        if (saved) this.#pending.push(saved);
      }
    }
    if (!this.#split && this.#check === undefined) {
      const w = this.#stores[0]!.set(e, result);
      if (w) this.#pending.push(w);
    } else {
      let parts: readonly unknown[];
      try {
        parts = this.#split ? splitOutputs(f, result) : [result];
        const problem = this.#check && parts.map((v, k) => this.#check!(k, v)).find(Boolean);
        if (problem) throw new TypeError(problem);
      } catch (error) {
        this.#fail(e, args, error);
        return;
      }
      for (let k = 0; k < parts.length; k++) {
        const w = this.#stores[k]!.set(e, parts[k]);
        if (w) this.#pending.push(w);
      }
    }
    this.#done++;
    if (this.#done + this.#failed >= PROGRESS_BATCH) this.#report();
  }

  #mask(e: number): void {
    for (const s of this.#stores) s.setMissing(e);
    this.#failed++;
  }

  #fail(e: number, args: readonly unknown[], error: unknown): void {
    const index = unravelIndex(this.#shape, e);
    this.#run.listener?.onError?.(this.#f.name, index, error);
    if (this.#errors === "raise") {
      this.#stopped ??= failure(this.#f, args, error, index);
      return;
    }
    this.#run.snapshots.push(new ErrorSnapshot(this.#f, index, args, error));
    this.#mask(e);
  }

  /** Reports the elements finished since the last report, if any. */
  report(): void {
    this.#report();
  }

  #report(): void {
    if (this.#done + this.#failed === 0) return;
    this.#run.listener?.onProgress?.(this.#f.name, this.#done + this.#failed, this.#failed);
    this.#done = 0;
    this.#failed = 0;
  }

  /** Waits for writes, reports the last progress. */
  async settle(): Promise<void> {
    await Promise.all(this.#pending);
    await Promise.all(this.#stores.map((s) => s.flush()));
    this.#report();
  }

  throwIfStopped(): void {
    if (this.#stopped !== undefined) throw this.#stopped;
    const signal = this.#run.options.signal;
    if (signal?.aborted) {
      throw new AbortError(`map of pipeline "${this.#run.pipeline.name}"`, signal.reason);
    }
  }
}
