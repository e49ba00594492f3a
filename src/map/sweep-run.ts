/**
 * The state of one `map` call and how it runs one function: its arguments, stores, executor,
 * the single call of a function without mapspec, and publishing its results.
 */
import { setMaxListeners } from "node:events";
import { join } from "node:path";
import { own, setOwn } from "../_internal/own.ts";
import type { NodeCache } from "../cache/node-cache.ts";
import { isCacheUnavailable } from "../cache/unavailable.ts";
import {
  AbortError,
  InvalidOptionError,
  MissingInputError,
  NodeExecutionError,
  ShapeMismatchError,
  ShapeTooLargeError,
  UndeclaredPipelineError,
  UnusedInputError,
} from "../errors.ts";
import { invokerOf, NO_VALUE } from "../executor/invoke.ts";
import { resourcesFor } from "../executor/resources.ts";
import { WholeIds } from "../executor/shared-inputs.ts";
import { ThreadExecutor } from "../executor/threads.ts";
import type { Executor } from "../executor/types.ts";
import { callElement, isThenable, splitOutputs } from "../graph/engine.ts";
import type { RunListener } from "../graph/events.ts";
import { isConfigName } from "../graph/graph.ts";
import { splitsResult } from "../graph/pipe-func.ts";
import { lookupConfig } from "../graph/plan.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import type { MapTrace } from "../otel/map-trace.ts";
import { referenceOf } from "./define.ts";
import { failure, namedInputs } from "./element-args.ts";
import { ElementLoop, type ParamSource } from "./element-loop.ts";
import { ErrorSnapshot } from "./error-snapshot.ts";
import type { ProgressListener } from "./events.ts";
import { BlockStore, stackInternal } from "./internal-axes.ts";
import type { NodeLayout } from "./layout.ts";
import { MISSING } from "./missing.ts";
import { NdArray, product, typedData } from "./ndarray.ts";
import { chunkSizeFor } from "./per-output.ts";
import { Readiness } from "./readiness.ts";
import { type OutputRecord, outputFolder, type RunFolder } from "./run-folder.ts";
import type { ExecutorChoice, MapContext, MapOptions, MappablePipeline } from "./run-map.ts";
import { callOnExecutor, ExecutorFailure, sendsToExecutor } from "./single-call.ts";
import { maxElements, storeToNdArray } from "./storage/memory.ts";
import { createStore } from "./storage/open.ts";
import type { OutputStore } from "./storage/types.ts";

/** Elements of one function in flight at once when they run in this thread. */
const DEFAULT_CONCURRENCY = 16;
/** While a function runs with a listener, elements finished are reported at least this often. */
const PROGRESS_MS = 250;

/** The state of one `map` call. */
export class SweepRun {
  readonly values = new Map<string, unknown>();
  readonly axisLengths = new Map<string, number>();
  readonly snapshots: ErrorSnapshot[] = [];
  /** Ids of the values functions read whole, for executors that send each once per worker. */
  readonly wholeIds = new WholeIds();
  readonly #stores = new Map<string, OutputStore>();
  readonly #executors = new Map<string, Executor>();
  readonly #graphDefaults = new Map<string, unknown>();
  readonly #active = new Map<AnyPipeFunc, readonly RunListener[]>();
  readonly #halt = new AbortController();
  /** Outputs of mapped functions that are running, readable element by element as they settle. */
  readonly #live = new Map<string, { readonly store: OutputStore; readonly ready: Readiness }>();
  folder: RunFolder | undefined;
  outputRecords: Readonly<Record<string, OutputRecord>> = {};
  listener: ProgressListener | undefined;
  /** The map's trace, when it is traced: chunks sent to executors get spans and carry it. */
  trace: MapTrace | undefined;
  /** With `fixedIndices`: the indices computed along each fixed axis. */
  fixed: ReadonlyMap<string, ReadonlySet<number>> | undefined;

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
    // Every chunk in flight and every running function listens to it: no fixed bound fits.
    setMaxListeners(0, this.#halt.signal);
    if (options.signal?.aborted) this.#halt.abort(options.signal.reason);
  }

  /**
   * Follows the caller's signal from now until {@link SweepRun.dispose}: call it right before
   * the functions run, in the `try` whose `finally` disposes.
   */
  followCallerSignal(): void {
    const user = this.options.signal;
    if (user?.aborted) this.#halt.abort(user.reason);
    else user?.addEventListener("abort", this.#onUserAbort, { once: true });
  }

  /**
   * Aborted when the caller's signal aborts, or when one function failed and the others
   * running beside it must stop (its reason is then that failure).
   */
  get signal(): AbortSignal {
    return this.#halt.signal;
  }

  /** Stops every function still running: `error` ended the map. */
  halt(error: unknown): void {
    if (!this.#halt.signal.aborted) this.#halt.abort(error);
  }

  /** The error a stopped function ends with: AbortError when the caller aborted. */
  stopError(): unknown {
    const user = this.options.signal;
    if (user?.aborted)
      return new AbortError(`map of pipeline "${this.pipeline.name}"`, user.reason);
    return this.#halt.signal.reason;
  }

  /** Lets go of the caller's signal once the map has ended. */
  dispose(): void {
    this.options.signal?.removeEventListener("abort", this.#onUserAbort);
  }

  readonly #onUserAbort = (): void => {
    this.#halt.abort(this.options.signal?.reason);
  };

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

  /** Every input is read by something, and every input of the functions that run is available. */
  checkInputs(allowUnused: boolean, running: readonly NodeLayout[] = this.nodes): void {
    const produced = new Set(this.nodes.flatMap((n) => n.func.outputs));
    const read = new Set(this.nodes.flatMap((n) => n.func.inputs));
    const unused = Object.keys(this.inputs).filter((k) => !read.has(k) && !produced.has(k));
    // No prototype: the error reads `suggestions[name]`, and "constructor" must find nothing.
    if (unused.length > 0 && !allowUnused) throw new UnusedInputError(unused, Object.create(null));
    const constants = this.pipeline.options.constants ?? {};
    const missing = new Map<string, string[]>();
    for (const n of running) {
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
      // An output its function is still computing, read element by element as it settles.
      const live = this.values.has(g) ? undefined : this.#live.get(g);
      const liveAxes = node.paramAxes[i];
      if (live && liveAxes && liveAxes.length > 0 && liveAxes.every((a) => a !== null)) {
        return {
          kind: "live",
          store: live.store,
          ready: live.ready,
          positions: liveAxes.map((a) => outDims.indexOf(a!)),
          strides: stridesOf(live.store.shape),
        };
      }
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
        return {
          kind: "element",
          // A numeric output without holes is read from its Float64Array: no boxed copy.
          data: (!array.hasMissing && typedData(array)) || array.data,
          positions: axes.map((a) => outDims.indexOf(a!)),
          strides: stridesOf(array.shape),
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
      ...(this.folder
        ? { folder: outputFolder(this.folder.path, output), run: this.folder.id }
        : {}),
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

  /**
   * Whether `node`'s calls go to its executor (see {@link sendsToExecutor}), judged on the
   * choice so that no thread pool is made for a function that runs here.
   */
  #sendsAway(node: NodeLayout): boolean {
    return sendsToExecutor(node, executorChoiceFor(this.options.executor, node.func));
  }

  #executor(node: NodeLayout): Executor | undefined {
    const pick = executorChoiceFor(this.options.executor, node.func);
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

  /**
   * Refuses, before any work, a mapped function whose fixed resources (its own over the
   * pipeline's) its executor can never provide: more cpus than a thread pool has. Resources
   * a function computes are checked as they are evaluated.
   *
   * @throws {@link InvalidOptionError} naming the function.
   */
  checkResources(): void {
    for (const node of this.nodes) {
      const f = node.func;
      if (!this.#sendsAway(node) || typeof f.resources === "function") {
        continue;
      }
      if (f.outputs.length > 0 && f.outputs.every((o) => Object.hasOwn(this.inputs, o))) continue;
      const resources = resourcesFor(f, this.pipeline.resources);
      if (resources) this.#executor(node)?.checkResources?.(f.name, resources);
    }
  }

  /**
   * Tells each executor that mapped functions use which run it serves (see
   * `Executor.begin`), before any work.
   */
  async beginExecutors(runFolder: string | undefined, resumed: boolean): Promise<void> {
    const served = new Map<Executor, { name: string; output: string }[]>();
    for (const node of this.nodes) {
      const f = node.func;
      if (!this.#sendsAway(node)) continue;
      if (f.outputs.length > 0 && f.outputs.every((o) => Object.hasOwn(this.inputs, o))) continue;
      const executor = this.#executor(node);
      if (!executor?.begin) continue;
      const list = served.get(executor) ?? [];
      list.push({ name: f.name, output: f.outputs[0]! });
      served.set(executor, list);
    }
    for (const [executor, functions] of served) {
      await executor.begin!({ runFolder, resumed, pipeline: this.pipeline.name, functions });
    }
  }

  async closeExecutors(): Promise<void> {
    // Only pools this run created; an executor the caller passed is theirs to close.
    await Promise.all([...this.#executors.values()].map((e) => e.close()));
  }

  /** Runs every element of one function. */
  /**
   * Runs one function.
   *
   * @param started - Called once a mapped function's elements can be read as they settle
   *   (its stores exist): functions reading it element by element may start then.
   */
  async runNode(
    node: NodeLayout,
    errors: "raise" | "continue",
    started?: () => void,
  ): Promise<void> {
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
    // Outputs with internal axes are stacked when the function ends: nothing to read before.
    const ready = node.internalDims.length === 0 ? new Readiness(size, this.signal) : undefined;
    const loop = new ElementLoop(this, node, sources, shape, stores, errors, ready);
    this.listener?.onNodeStart?.(f.name, loop.total, loop.alreadyDone());
    if (ready) {
      f.outputs.forEach((o, k) => {
        this.#live.set(o, { store: stores[k]!, ready });
      });
      started?.();
    }
    // Slow elements are reported as they finish, not only once a batch of them is full.
    const ticker = this.listener ? setInterval(() => loop.report(), PROGRESS_MS) : undefined;
    ticker?.unref();
    try {
      // Cached elements are answered first, so none of them is sent to an executor.
      if (this.cache && f.cache) await loop.useCache(this.cache);
      if (executor) await loop.runOn(executor, chunkSizeFor(this.options.chunkSize, f, loop.total));
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
    const away = !generator && this.#sendsAway(node) ? this.#executor(node) : undefined;
    if (away?.remote && !referenceOf(this.pipeline)) {
      throw new UndeclaredPipelineError(this.pipeline.name, away.name);
    }
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
        const invoke = away
          ? () => callOnExecutor(this, away, f, values)
          : this.isInstrumented(f)
            ? () => callElement(f, values, listeners, this.validate, [])
            : () => invokerOf(f)(values);
        let result = this.cache && f.cache ? this.cache.call(f, values, invoke, false) : invoke();
        if (isThenable(result)) result = await result;
        outputsValues = splitsResult(f.call) ? splitOutputs(f, result) : [result];
      } catch (error) {
        // The executor could not run it (not the function failing): the map stops.
        if (error instanceof ExecutorFailure) throw error.error;
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
    // Not computed: skipped when an input was missing, failed when the call threw.
    this.listener?.onProgress?.(f.name, 1, outputsValues || masked ? 0 : 1, masked ? 1 : 0);
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
        store = await loadStore(dir, { output: o, run: this.folder?.id });
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
        this.values.set(o, storeToNdArray(store, node.outputDims));
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
            ? storeToNdArray(store.inner, node.outputDims)
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
        shape.length === 0 ? store.get(0) : storeToNdArray(store, node.outputDims),
      );
    });
  }

  #checkSignal(): void {
    if (this.#halt.signal.aborted) throw this.stopError();
  }

  /** The store of `output`, once the function producing it has started. */
  storeOf(output: string): OutputStore | undefined {
    return this.#stores.get(output);
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

/** The executor `map`'s `executor` option picks for `f`: one for all, or by output or name. */
export function executorChoiceFor(
  choice: MapOptions["executor"],
  f: AnyPipeFunc,
): ExecutorChoice | undefined {
  if (choice === undefined || choice === "inline" || choice === "threads") return choice;
  if (isExecutor(choice)) return choice;
  const perNode = choice as Readonly<Record<string, ExecutorChoice>>;
  return f.outputs.map((o) => own(perNode, o)).find((c) => c !== undefined) ?? own(perNode, f.name);
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

/** Row-major strides of `shape`. */
function stridesOf(shape: readonly number[]): number[] {
  const strides: number[] = [];
  let s = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    strides[k] = s;
    s *= shape[k]!;
  }
  return strides;
}
