import { resolve } from "node:path";
import { isWorkerImport, suspendedRun } from "../_internal/declarations.ts";
import { setOwn } from "../_internal/own.ts";
import type { NodeCache } from "../cache/node-cache.ts";
import type { DashboardOptions, ServedDashboard } from "../dashboard/server.ts";
import {
  AbortError,
  InvalidArgumentError,
  InvalidOptionError,
  PipelineDefinitionError,
} from "../errors.ts";
import type { ResolvedResources } from "../executor/resources.ts";
import type { Executor } from "../executor/types.ts";
import { checkCaptures } from "../graph/captures.ts";
import type { RunListener } from "../graph/events.ts";
import { flattenScopes, hasScopes } from "../graph/scopes.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import type { VariantRunOptions } from "../graph/variants.ts";
import { MapTrace } from "../otel/map-trace.ts";
import { resolveTracing } from "../otel/tracing.ts";
import type { TracingOption } from "../otel/types.ts";
import { writeZarrCoordinates } from "../results/zarr-coordinates.ts";
import { createStatusWriter, plannedFunctions, type StatusWriter } from "../status/writer.ts";
import type { ErrorSnapshot } from "./error-snapshot.ts";
import { combineListeners, type ProgressListener } from "./events.ts";
import { type NodeLayout, type SweepLayout, sweepLayout } from "./layout.ts";
import { NdArray } from "./ndarray.ts";
import {
  checkFixedIndices,
  type FixedIndices,
  type MapSummary,
  neededNodes,
  SummaryCounter,
} from "./partial.ts";
import {
  type ChunkSizeOption,
  checkChunkSize,
  type StorageOption,
  storagePlan,
} from "./per-output.ts";
import { progressBars } from "./progress.ts";
import { createMapResults, type MapResults, RESERVED_RESULT_NAMES } from "./results.ts";
import { type OutputRecord, openRunFolder } from "./run-folder.ts";
import { asRunFolderError } from "./run-folder-files.ts";
import { runScheduled } from "./scheduler.ts";
import { sendsToExecutor } from "./single-call.ts";
import { isSweep } from "./sweep.ts";
import { executorChoiceFor, SweepRun } from "./sweep-run.ts";
/** Where a function's elements run: in this thread, on worker threads, or your executor. */
export type ExecutorChoice = "inline" | "threads" | Executor;

/** Options of {@link Pipeline.map}. */
export interface MapOptions extends VariantRunOptions {
  /** Folder for run.json, inputs and results; results are kept in memory only without one. */
  readonly runFolder?: string;
  /**
   * Storage of mapped outputs, or per output as `{ [output]: kind }` (e.g. zarr for the big
   * array, memory for a scalar; outputs not listed get the default, single values included).
   * `"file"` and `"zarr"` need a `runFolder`. `"memory"` is not persisted even with a run
   * folder: `loadOutputs` refuses it (`OutputNotStoredError`), `loadAll` and `loadDataset` leave
   * it out, and a resume computes it again. run.json records each output's kind.
   * @defaultValue "memory" without a run folder, "file" with one (single values: "file" with a
   *   run folder whatever the one kind is)
   */
  readonly storage?: StorageOption;
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
  /**
   * Elements per chunk sent to a non-inline executor: one size, or per function as
   * `{ [output]: size }`, a size being a number or `(elements) => number` of the number of
   * elements the function computes in this run (pipefunc's `chunksizes`).
   * @defaultValue the executor's own, else about 8 chunks per thread
   */
  readonly chunkSize?: ChunkSizeOption;
  /**
   * Shapes known before a function runs: of a generator's output (`... -> x[i]`), or of the
   * internal axes of `x[i] -> y[i, j]` (the length along `j` only), as `{ x: 10 }` or
   * `{ x: [10, 3] }`. Without it an internal axis is as long as the longest element, shorter
   * elements padded with MISSING; zarr storage needs it.
   */
  readonly internalShapes?: Readonly<Record<string, number | readonly number[]>>;
  /**
   * Reuse the results already in `runFolder`, computing only missing elements. `"extend"`
   * also accepts mapped inputs that were only extended (values appended along an axis): the
   * stored elements are kept at their places in the grown arrays, only new elements are
   * computed, and functions reading a grown axis whole (reductions) run again. Any other
   * change is a `RunFolderMismatchError` naming the input and the first differing index.
   * @defaultValue false
   */
  readonly resume?: boolean | "extend";
  /** Replace the results of a run already in `runFolder`. @defaultValue false */
  readonly overwrite?: boolean;
  /**
   * `true` draws a progress bar per mapped function on stderr; a listener receives the events.
   * @defaultValue bars when stderr is a TTY, else nothing
   */
  readonly progress?: boolean | ProgressListener;
  /**
   * Trace the map with OpenTelemetry: a span for the map, one per function, per chunk sent to
   * an executor and per element (`{ detail }` chooses how far down); the chunks carry the
   * trace to threads, Redis workers and SLURM tasks. See {@link TracingOption}.
   * @defaultValue the pipeline's `tracing` (off)
   */
  readonly tracing?: TracingOption;
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
  /**
   * Compute only these outputs and what they need (pipefunc's `output_names`); the results
   * hold only the functions that ran. A later `resume` without it computes the rest.
   * @defaultValue every output
   */
  readonly outputs?: readonly string[];
  /**
   * Compute only these elements along these axes (pipefunc's `fixed_indices`): `{ i: 3 }` or
   * `{ i: [0, 5] }`. Every function mapped over a fixed axis computes only those elements;
   * the others stay missing (a later `resume` without it computes them). A function reading
   * such an output whole (a reduction over the axis, or a function without mapspec) is
   * refused with a `FixedIndicesError`: leave it out with `outputs`.
   * @defaultValue every element
   */
  readonly fixedIndices?: FixedIndices;
  /**
   * `false` keeps the results in the run folder only, so memory stays bounded by what the
   * functions read, not by the sweep's size: `map` resolves with a {@link MapSummary}
   * (counts per function, the run folder, the errors). Read results with `loadOutputs`.
   * @defaultValue true
   */
  readonly returnResults?: boolean;
}

/** What `map` reads from a pipeline. */
export interface MappablePipeline {
  readonly name: string;
  readonly sortedFunctions: readonly AnyPipeFunc[];
  readonly options: {
    readonly config?: Readonly<Record<string, unknown>>;
    readonly constants?: Readonly<Record<string, unknown>>;
    readonly allowUnused?: boolean;
    readonly tracing?: TracingOption;
  };
  /** The pipeline's default resources, which every chunk's resources start from. */
  readonly resources?: ResolvedResources | undefined;
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

/** A {@link Sweep} (or anything giving its value lists by name), as `map` takes it. */
export interface SweepInputs {
  toInputs(): Readonly<Record<string, readonly unknown[]>>;
}

/**
 * What a {@link MapRun} (or `launchMaps`) adds to one run of `map`: a listener told every event
 * after the run's own (status first, so a listener reading the status sees it up to date), and
 * the run's status writer, made for it even without a run folder or dashboard.
 */
export interface MapHooks {
  readonly listener?: ProgressListener | undefined;
  readonly onStatus?: ((status: StatusWriter) => void) | undefined;
  /** `false`: no progress bars of its own (`launchMaps` draws every run's in one set). */
  readonly bars?: boolean | undefined;
}

/** Inputs of `map`: values by name (arrays for mapped inputs), or a {@link Sweep}. */
export type MapInputs = Readonly<Record<string, unknown>> | SweepInputs;

/** Runs a sweep; see {@link Pipeline.map}. */
export async function runMap(
  pipeline: MappablePipeline,
  rawInputs: MapInputs,
  options: MapOptions = {},
  context: MapContext = {},
  hooks: MapHooks = {},
): Promise<MapResults<Record<string, unknown>> | MapSummary> {
  // A worker importing the module that declared this pipeline must not sweep it again.
  if (isWorkerImport()) return suspendedRun();
  const tracing = resolveTracing(options.tracing ?? pipeline.options.tracing);
  if (!tracing) return sweep(pipeline, rawInputs, options, context, hooks, undefined);
  const trace = new MapTrace(tracing, pipeline.name);
  try {
    const results = await sweep(pipeline, rawInputs, options, context, hooks, trace);
    trace.end();
    return results;
  } catch (error) {
    trace.end(error);
    throw error;
  }
}

async function sweep(
  pipeline: MappablePipeline,
  rawInputs: MapInputs,
  options: MapOptions,
  context: MapContext,
  hooks: MapHooks,
  trace: MapTrace | undefined,
): Promise<MapResults<Record<string, unknown>> | MapSummary> {
  const given: Readonly<Record<string, unknown>> = isSweep(rawInputs)
    ? rawInputs.toInputs()
    : (rawInputs as Readonly<Record<string, unknown>>);
  const names = new Set(pipeline.sortedFunctions.flatMap((f) => [...f.inputs, ...f.outputs]));
  // Scoped inputs may be nested (`{ foo: { a } }`) as in `run`.
  const inputs = hasScopes(given, names) ? flattenScopes(given, names) : given;
  const layout = sweepLayout(pipeline, pipeline.sortedFunctions);
  const errorsMode = options.errors ?? "raise";
  checkResumeOptions(options);
  const allOutputs = pipeline.sortedFunctions.flatMap((f) => f.outputs);
  const storageOf = storagePlan(options.storage, options.runFolder, allOutputs);
  checkChunkSize(options.chunkSize, [
    ...allOutputs,
    ...pipeline.sortedFunctions.map((f) => f.name),
  ]);
  const traced = trace?.elementListener
    ? { ...context, listeners: [...(context.listeners ?? []), trace.elementListener] }
    : context;
  const run = new SweepRun(pipeline, inputs, options, layout.nodes, traced);
  run.trace = trace;

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
  const needed = neededNodes(layout.nodes, options.outputs);
  run.checkInputs(options.allowUnused ?? pipeline.options.allowUnused ?? false, needed);
  run.fixInputAxes(layout.dims);
  run.checkSizes();
  // A function whose outputs are all given does not run.
  const planned = needed.filter(
    (node) =>
      node.func.outputs.length === 0 || !node.func.outputs.every((o) => Object.hasOwn(inputs, o)),
  );
  run.fixed = checkFixedIndices(options.fixedIndices, planned, run.axisLengths);

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
      const storage = storageOf(o, node.outputDims.length > 0);
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
        storage,
        ...(internal ? { internalShape: internal } : {}),
      });
    }
  }
  checkOutOfProcessCaptures(layout.nodes, inputs, options.executor);
  run.checkResources();
  const folder = options.runFolder
    ? await openRunFolder(options.runFolder, {
        pipelineName: pipeline.name,
        functions: pipeline.sortedFunctions,
        inputs,
        outputs,
        errors: errorsMode,
        resume: options.resume ?? false,
        overwrite: options.overwrite ?? false,
        layout,
      })
    : undefined;
  run.folder = folder;
  run.outputRecords = outputs;

  const bars =
    hooks.bars !== false &&
    (options.progress === true || (options.progress === undefined && process.stderr.isTTY))
      ? progressBars()
      : undefined;
  // status.json and the dashboard are listeners of the events the bars draw.
  const status =
    folder || options.dashboard || hooks.onStatus
      ? createStatusWriter({
          runFolder: folder?.path,
          pipeline: pipeline.name,
          functions: plannedFunctions(planned, run.axisLengths),
        })
      : undefined;
  if (status) hooks.onStatus?.(status);
  const counter = options.returnResults === false ? new SummaryCounter() : undefined;
  run.listener = combineListeners(
    trace?.listener,
    typeof options.progress === "object" ? options.progress : bars,
    status,
    counter,
    hooks.listener,
  );
  let dashboard: ServedDashboard | undefined;
  try {
    run.followCallerSignal();
    await run.beginExecutors(folder ? resolve(folder.path) : undefined, folder?.resumed === true);
    if (folder) writeCoordinates(folder.path, layout, run.values, inputs, outputs);
    if (options.dashboard && status) {
      const settings = options.dashboard === true ? {} : options.dashboard;
      // Loaded on first use: a sweep without a dashboard never loads the server or the page.
      const { startMapDashboard } = await import("../dashboard/map.ts");
      const sweep = { nodes: planned, values: run.values, storeOf: (o: string) => run.storeOf(o) };
      const live = await startMapDashboard(pipeline, status, sweep, settings);
      dashboard = live.dashboard;
      // Its plots hear the same events, after the status they read.
      run.listener = combineListeners(run.listener, live.listener);
    }
    await runScheduled(run, planned, errorsMode);
    folder?.setStatus("done");
    status?.finish("done");
  } catch (error) {
    // A file the run could not write (disk full, read-only) is named as such.
    const failure = folder ? asRunFolderError(error, folder.path) : error;
    const end = failure instanceof AbortError ? "aborted" : "failed";
    try {
      folder?.setStatus(end);
    } catch {
      // Even in place run.json could not be written: the failure itself says more, and
      // status.json (or, without it, the released lock) tells readers the run is over.
    }
    status?.finish(end, failure);
    throw failure;
  } finally {
    run.dispose();
    bars?.stop();
    dashboard?.release();
    await run.closeExecutors();
    await folder?.close();
  }
  const errors = inRunOrder(run.snapshots, planned);
  if (counter) return counter.summary(folder?.path, planned, errors);
  const ran = new Set(needed.flatMap((n) => n.func.outputs));
  return createMapResults(
    new Map([...run.results()].filter(([o]) => ran.has(o))),
    errors,
    folder?.path,
    run.values,
    mappedInputsOf(layout),
  );
}

/**
 * For a run with zarr outputs: the given inputs mapped along one axis, as zarr arrays beside
 * them that xarray reads as coordinates (see zarr-coordinates.ts). Only given ones: run.json
 * names them, so `overwrite` removes their arrays.
 */
function writeCoordinates(
  runFolder: string,
  layout: SweepLayout,
  values: ReadonlyMap<string, unknown>,
  inputs: Readonly<Record<string, unknown>>,
  outputs: Readonly<Record<string, OutputRecord>>,
): void {
  const zarrDims = new Set<string>();
  for (const o of Object.values(outputs))
    if (o.storage === "zarr") for (const d of o.dims) zarrDims.add(d);
  if (zarrDims.size === 0) return;
  const coordinates = new Map<string, { dim: string; values: unknown[] }>();
  for (const name of mappedInputsOf(layout)) {
    const value = values.get(name);
    if (!Object.hasOwn(inputs, name) || Object.hasOwn(outputs, name)) continue;
    if (!(value instanceof NdArray) || value.ndim !== 1) continue;
    if (zarrDims.has(value.dims[0]!))
      coordinates.set(name, { dim: value.dims[0]!, values: [...value] });
  }
  writeZarrCoordinates(runFolder, coordinates);
}

/** The root inputs read along axes (the rest of `layout.dims` are outputs). */
function mappedInputsOf(layout: SweepLayout): string[] {
  return [...layout.dims.keys()].filter((name) => !layout.producer.has(name));
}

/**
 * Failures as the run's order lists them (its functions in order, then each one's elements
 * by index), not as they happened to finish: threads and workers finish in any order, and
 * every executor must give the same `errors`.
 */
function inRunOrder(
  snapshots: readonly ErrorSnapshot[],
  nodes: readonly NodeLayout[],
): ErrorSnapshot[] {
  const position = new Map(nodes.map((n, i) => [n.func.name, i]));
  const rank = (s: ErrorSnapshot) => position.get(s.node) ?? nodes.length;
  return [...snapshots].sort((a, b) => rank(a) - rank(b) || compareIndex(a.index, b.index));
}

function compareIndex(a: readonly number[], b: readonly number[]): number {
  for (let k = 0; k < Math.min(a.length, b.length); k++) {
    if (a[k] !== b[k]) return a[k]! - b[k]!;
  }
  return a.length - b.length;
}

/**
 * Refuses, before any work, a function sent to other processes (an executor with
 * `isOutOfProcess`) that reads data it does not declare: those processes import the module
 * themselves and may hold other values, which the definition hash they compare would not see.
 * Only elements of a mapped function go to an executor (and the single call of a function
 * without mapspec that asks for resources, on an executor that takes those); one whose
 * outputs are all given does not run.
 *
 * @throws {@link UndeclaredCaptureError} naming the function, the names and the executor.
 */
function checkOutOfProcessCaptures(
  nodes: readonly NodeLayout[],
  inputs: Readonly<Record<string, unknown>>,
  choice: MapOptions["executor"],
): void {
  for (const node of nodes) {
    const f = node.func;
    const executor = executorChoiceFor(choice, f);
    if (!sendsToExecutor(node, executor)) continue;
    if (f.outputs.length > 0 && f.outputs.every((o) => Object.hasOwn(inputs, o))) continue;
    if (typeof executor === "object" && executor.isOutOfProcess === true) {
      checkCaptures(f, `it runs in other processes (executor "${executor.name}")`, "mixed");
    }
  }
}

/** Refuses resume and overwrite together. */
function checkResumeOptions(options: MapOptions): void {
  if ((options.resume === true || options.resume === "extend") && options.overwrite === true) {
    throw new InvalidOptionError(
      "overwrite",
      "Pass either { resume: true } (keep the run folder's results and compute the rest) or " +
        "{ overwrite: true } (delete them and start over), not both.",
    );
  }
}

/** Converts a mapped input to an NdArray with the axes its mapspecs give it. */
function toNdArray(name: string, value: unknown, dims: readonly string[]): NdArray<unknown> {
  if (value instanceof NdArray) {
    if (value.ndim !== dims.length) {
      throw new InvalidArgumentError(
        name,
        `Input "${name}" is read with ${dims.length} axes [${dims.join(", ")}] but is an NdArray ` +
          `of ${value.ndim}. Pass an array with one level per axis.`,
      );
    }
    return new NdArray(value.shape, dims, value.data);
  }
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) {
    throw new InvalidArgumentError(
      name,
      `Input "${name}" is mapped over axes [${dims.join(", ")}], so it must be an array ` +
        `(nested ${dims.length} deep) or an NdArray; got ${typeof value}.`,
    );
  }
  const list = ArrayBuffer.isView(value)
    ? Array.from(value as unknown as ArrayLike<unknown>)
    : value;
  return NdArray.fromNested(list as unknown[], dims);
}
