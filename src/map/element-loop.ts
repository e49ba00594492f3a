import { setOwn } from "../_internal/own.ts";
import type { NodeCache } from "../cache/node-cache.ts";
import { CACHE_MISS } from "../cache/store.ts";
import { ExecutorError, InvalidOptionError } from "../errors.ts";
import { invokerOf } from "../executor/invoke.ts";
import { type ResolvedResources, resourcesFor, resourcesKey } from "../executor/resources.ts";
import { ThreadExecutor } from "../executor/threads.ts";
import {
  type Chunk,
  type ChunkItem,
  deserializeError,
  type Executor,
  type WholeArgument,
} from "../executor/types.ts";
import {
  callElement,
  isThenable,
  reportCacheHit,
  reportRemoteCall,
  splitOutputs,
} from "../graph/engine.ts";
import { splitsResult } from "../graph/pipe-func.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { referenceOf } from "./define.ts";
import { argumentsByName, failure } from "./element-args.ts";
import { ErrorSnapshot } from "./error-snapshot.ts";
import { reportWorkers } from "./events.ts";
import { internalProblem } from "./internal-axes.ts";
import type { NodeLayout } from "./layout.ts";
import { MISSING } from "./missing.ts";
import { NdArray, product, unravelIndex } from "./ndarray.ts";
import { elementFilter } from "./partial.ts";
import type { Readiness } from "./readiness.ts";
import type { OutputStore } from "./storage/types.ts";
import type { SweepRun } from "./sweep-run.ts";

/** Elements finished between two progress reports, at most. */
const PROGRESS_BATCH = 256;

/** Where each argument of an element comes from. */
export type ParamSource =
  | { readonly kind: "whole"; readonly value: unknown }
  | {
      readonly kind: "element";
      readonly data: ArrayLike<unknown>;
      /** For each axis of the input: its position among the output's axes, and its stride. */
      readonly positions: readonly number[];
      readonly strides: readonly number[];
    }
  | {
      /** An element of an output its function is still computing: read once it is settled. */
      readonly kind: "live";
      readonly store: OutputStore;
      readonly ready: Readiness;
      readonly positions: readonly number[];
      readonly strides: readonly number[];
    }
  | {
      readonly kind: "slice";
      readonly array: NdArray<unknown>;
      /** Axes fixed per element: name and position among the output's axes. */
      readonly fixed: readonly (readonly [string, number])[];
    };

/** Elements gathered for one chunk, and what each of them needs. */
interface ChunkGroup {
  readonly resources: ResolvedResources | undefined;
  items: ChunkItem[];
}

/** The chunk an element goes into (undefined: its resources failed, the map stops). */
interface ChunkGroups {
  readonly of: (e: number, values: readonly unknown[]) => ChunkGroup | undefined;
  readonly all: () => Iterable<ChunkGroup>;
}

const yes = () => true;

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
export class ElementLoop {
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
  /** Set when a visit stopped at an element whose input is not settled yet: resolves when it is. */
  #gate: Promise<void> | undefined;
  /** This function's own elements, as functions reading them as they settle see them. */
  #ready: Readiness | undefined;
  #done = 0;
  #failed = 0;
  /** Elements masked because an input is missing: counted apart from `#done` and `#failed`. */
  #skipped = 0;
  /** With a cache: elements it answered, and the keys of the others, to save their results. */
  #cache: NodeCache | undefined;
  readonly #cached = new Set<number>();
  readonly #keys = new Map<number, string>();
  /** Whether a result is split into outputs (several outputs, or an outputPicker). */
  readonly #split: boolean;
  /** For outputs with internal axes: checks each element's array before it is stored. */
  readonly #check: ((k: number, value: unknown) => string | undefined) | undefined;
  /** With `fixedIndices`: whether the map computes the element at these coordinates. */
  readonly #include: ((coords: readonly number[]) => boolean) | undefined;
  /** Elements this map computes: all, or those `fixedIndices` leaves. */
  readonly total: number;

  constructor(
    run: SweepRun,
    node: NodeLayout,
    sources: readonly ParamSource[],
    shape: readonly number[],
    stores: readonly OutputStore[],
    errors: "raise" | "continue",
    ready?: Readiness,
  ) {
    this.#run = run;
    this.#ready = ready;
    this.#f = node.func;
    this.#sources = sources;
    this.#shape = shape;
    this.#stores = stores;
    this.#errors = errors;
    this.#size = product(shape);
    this.#split = splitsResult(node.func.call);
    this.#include = elementFilter(node, run.fixed);
    this.total = this.#include
      ? shape.reduce(
          (n, length, d) => n * (run.fixed?.get(node.elementDims[d]!)?.size ?? length),
          1,
        )
      : this.#size;
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
    for (let e = 0; e < this.#size; e++) {
      if (!this.#isStored(e)) continue;
      if (this.#include && !this.#include(unravelIndex(this.#shape, e))) continue;
      n++;
      this.#ready?.settle(e);
    }
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
    const signal = this.#run.signal;
    const resumed = this.#run.folder?.resumed === true;
    const include = this.#include;
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
      if (signal.aborted || this.#stopped !== undefined) return -1;
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
      if (include !== undefined && !include(coords)) continue;
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
        } else if (s.kind === "live") {
          let at = 0;
          const pos = s.positions;
          for (let k = 0; k < pos.length; k++) at += coords[pos[k]!]! * s.strides[k]!;
          if (!s.ready.isSettled(at)) {
            // Resumed from this element once its input is there.
            this.#gate = s.ready.wait(at);
            return e;
          }
          v = s.store.get(at);
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
   * full), waits for one promise of `inflight` to settle and carries on. At an element whose
   * input is still being computed, calls `beforeWait` and waits for that input.
   */
  async #visitPausing(
    inflight: ReadonlySet<Promise<void>>,
    visit: (e: number, values: unknown[], masked: boolean) => boolean,
    beforeWait?: () => void,
  ): Promise<void> {
    let next = 0;
    while (next >= 0) {
      next = this.#forEachElement(next, visit);
      if (next < 0) break;
      const gate = this.#gate;
      if (gate) {
        this.#gate = undefined;
        // Work gathered so far goes out before the wait (a part-filled chunk).
        beforeWait?.();
        await gate;
      } else if (this.#sliceEnded) {
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
    const hits = this.#run.listenersOf(this.#f).filter((l) => l.onCacheHit);
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
        if (hits.length > 0) reportCacheHit(this.#f, args, hits, unravelIndex(this.#shape, e));
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
        this.#skip(e);
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
    const groups = this.#chunkGroups(executor);
    const byIndex = new Map<number, readonly unknown[]>();
    const whole = this.#wholeArguments();
    const submit = (group: ChunkGroup) => {
      const chunkItems = group.items;
      group.items = [];
      const chunk: Chunk = {
        pipeline: ref,
        node: this.#f.name,
        output: this.#f.outputs[0]!,
        func: this.#f,
        items: chunkItems,
        validate: this.#run.validate,
        shape: this.#shape,
        ...(group.resources ? { resources: group.resources } : {}),
        ...(whole.length > 0 ? { whole } : {}),
      };
      const traced = this.#run.trace?.chunk(this.#f, executor.name, chunkItems.length);
      const p = executor
        .submit(traced ? { ...chunk, trace: traced.carrier } : chunk, this.#run.signal)
        .then(
          (results) => {
            traced?.end(results, this.#shape);
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
            traced?.fail(error);
            // The executor cannot run anything (Redis away, workers of another version, no
            // worker that fits the resources): the map stops whatever `errors` says, and no
            // element is recorded, so a resume computes them.
            if (error instanceof ExecutorError || error instanceof InvalidOptionError) {
              for (const item of chunkItems) byIndex.delete(item.index);
              this.#stopped ??= error;
              return;
            }
            // The executor itself failed (a worker died, the run was aborted): every element of
            // the chunk is recorded as failed, and the pool carries on with the next chunk.
            for (const item of chunkItems) {
              byIndex.delete(item.index);
              if (this.#run.signal.aborted) continue;
              this.#fail(item.index, item.values, error);
            }
            this.#report();
          },
        );
      track(inflight, p);
    };
    await this.#visitPausing(
      inflight,
      (e, values, masked) => {
        if (masked) {
          this.#skip(e);
          return true;
        }
        const group = groups.of(e, values);
        // Its resources failed: the map stops (the next visit sees it).
        if (!group) return true;
        const copy = values.slice();
        byIndex.set(e, copy);
        group.items.push({ index: e, values: copy });
        if (group.items.length < size) return true;
        submit(group);
        return inflight.size < window;
      },
      () => {
        for (const group of groups.all()) if (group.items.length > 0) submit(group);
      },
    );
    if (this.#stopped === undefined && !this.#run.signal.aborted) {
      for (const group of groups.all()) if (group.items.length > 0) submit(group);
    }
    await Promise.all(inflight);
  }

  /** The arguments every element reads whole, each with its id for this map. */
  #wholeArguments(): WholeArgument[] {
    const out: WholeArgument[] = [];
    this.#sources.forEach((s, position) => {
      const id = s.kind === "whole" ? this.#run.wholeIds.of(s.value) : undefined;
      if (id !== undefined) out.push({ position, id });
    });
    return out;
  }

  /**
   * How elements are grouped into chunks by what they need, each group checked against the
   * executor when it is made. Resources fixed or evaluated once per map (`resourcesScope:
   * "map"`, with the map's unmapped arguments): one group. Evaluated per element: one group
   * per distinct result. Evaluated at the first element sent, so a map whose elements are all
   * masked (an input failed) never evaluates them; resources that fail stop the map.
   */
  #chunkGroups(executor: Executor): ChunkGroups {
    const f = this.#f;
    const defaults = this.#run.pipeline.resources;
    const perElement = typeof f.resources === "function" && f.resourcesScope === "element";
    const sources = this.#sources;
    const byKey = new Map<string, ChunkGroup>();
    let only: ChunkGroup | undefined;
    const groupOf = (resources: ResolvedResources | undefined): ChunkGroup => {
      const key = resourcesKey(resources);
      let group = byKey.get(key);
      if (!group) {
        if (resources) executor.checkResources?.(f.name, resources);
        group = { resources, items: [] };
        byKey.set(key, group);
      }
      return group;
    };
    return {
      of: (e, values) => {
        if (only) return only;
        try {
          if (perElement) {
            const args = argumentsByName(f, values, yes);
            return groupOf(resourcesFor(f, defaults, args, unravelIndex(this.#shape, e)));
          }
          const whole = (k: number) => sources[k]!.kind === "whole";
          only = groupOf(resourcesFor(f, defaults, argumentsByName(f, values, whole)));
          return only;
        } catch (error) {
          this.#stopped ??= error;
          return undefined;
        }
      },
      all: () => byKey.values(),
    };
  }

  #put(e: number, result: unknown, args: readonly unknown[]): void {
    const f = this.#f;
    if (this.#cache) {
      const key = this.#keys.get(e);
      if (key !== undefined) {
        this.#keys.delete(e);
        const saved = this.#cache.save(f, key, result, 0);
        // Handled now, not when the loop settles: with Redis lost, every save in flight
        // fails, and one failure stops the map (whatever `errors` says) with that error.
        if (saved) this.#pending.push(saved.catch(this.#stop));
      }
    }
    if (!this.#split && this.#check === undefined) {
      if (!this.#write(0, e, result)) return;
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
      for (let k = 0; k < parts.length; k++) if (!this.#write(k, e, parts[k])) return;
    }
    this.#ready?.settle(e);
    this.#done++;
    if (this.#done + this.#failed + this.#skipped >= PROGRESS_BATCH) this.#report();
  }

  /**
   * Stores one output's value of element `e`; false when the store refused it. A store that
   * cannot hold the value (StorageValueError) or write it (disk full, read-only) stops the
   * function, whatever `errors` says: every later element would fail the same way. A write
   * that fails later (a zarr chunk) stops it too, when its promise rejects.
   */
  #write(k: number, e: number, value: unknown): boolean {
    let written: void | Promise<void>;
    try {
      written = this.#stores[k]!.set(e, value);
    } catch (error) {
      this.#stop(error);
      return false;
    }
    if (written) this.#pending.push(written.catch(this.#stop));
    return true;
  }

  /** Stops the function with the first write or cache save that failed. */
  readonly #stop = (error: unknown): void => {
    this.#stopped ??= error;
  };

  #mask(e: number): void {
    for (const s of this.#stores) s.setMissing(e);
    this.#ready?.settle(e);
  }

  /** An element not computed because an input it reads is missing: masked, no error of its own. */
  #skip(e: number): void {
    this.#mask(e);
    this.#skipped++;
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
    this.#failed++;
  }

  /** Reports the elements finished since the last report, if any. */
  report(): void {
    this.#report();
  }

  #report(): void {
    const settled = this.#done + this.#failed + this.#skipped;
    if (settled === 0) return;
    this.#run.listener?.onProgress?.(this.#f.name, settled, this.#failed, this.#skipped);
    this.#done = 0;
    this.#failed = 0;
    this.#skipped = 0;
  }

  /** Waits for writes, reports the last progress. */
  async settle(): Promise<void> {
    await Promise.all(this.#pending);
    // A failed write stops the function like a failed element: thrown by throwIfStopped.
    await Promise.all(this.#stores.map((s) => s.flush())).catch(this.#stop);
    this.#report();
  }

  throwIfStopped(): void {
    if (this.#stopped !== undefined) throw this.#stopped;
    if (this.#run.signal.aborted) throw this.#run.stopError();
  }
}
