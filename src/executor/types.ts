import type { AnyPipeFunc } from "../graph/types.ts";
import type { PipelineReference } from "../map/define.ts";
import type { TraceCarrier } from "../otel/carrier.ts";
import type { ResolvedResources } from "./resources.ts";

/** One call of a sweep: the element's linear index and its argument values (params order). */
export interface ChunkItem {
  readonly index: number;
  readonly values: readonly unknown[];
}

/**
 * An argument every item of a chunk reads whole: the same value at `position` in each item's
 * `values`, with an `id` unique to the value within one map (another map gets another id).
 */
export interface WholeArgument {
  readonly position: number;
  readonly id: string;
}

/** Calls of one function, handed to an executor together. */
export interface Chunk {
  /** The declared pipeline, for executors that run outside this thread. */
  readonly pipeline: PipelineReference | undefined;
  /** Name of the function to call, for messages. */
  readonly node: string;
  /** The function's first output, which names it uniquely within the pipeline. */
  readonly output: string;
  /** The function itself, for executors in this thread. */
  readonly func: AnyPipeFunc;
  readonly items: readonly ChunkItem[];
  /** Check the function's declared schemas per item (the pipeline's `validate: true`). */
  readonly validate?: boolean;
  /**
   * The function's output shape, so an element's linear index can be named per axis (in a
   * `ValidationError` raised where the element runs).
   */
  readonly shape?: readonly number[];
  /**
   * What each element of the chunk needs: the function's `resources` over the pipeline's,
   * evaluated for this map (`resourcesScope: "map"`) or for these elements (`"element"`,
   * which groups elements needing the same into chunks). Undefined when neither declares any.
   */
  readonly resources?: ResolvedResources;
  /**
   * The arguments every item reads whole (a large array, a lookup table). Each item's
   * `values` still holds them; an executor may send each once per worker instead of once per
   * chunk, keyed by its id (threads and Redis do). Absent when there are none.
   */
  readonly whole?: readonly WholeArgument[];
  /**
   * The trace the chunk's elements continue, when its map is traced: an executor passes it
   * to where they run (see src/otel/worker-chunk.ts). Absent when tracing is off.
   */
  readonly trace?: TraceCarrier;
}

/**
 * An error as plain data, so it crosses thread and process boundaries. Rebuilt by the
 * executor's caller into what was thrown: the value itself, or an Error of the same built-in or
 * pipeweave class with the same fields.
 */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  /** The error's `code` when it is a string (the same value is also in `fields`). */
  readonly code: string | undefined;
  /** Own enumerable fields besides name, message and stack (`code`, `status`, `node`…). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** The error's `cause`, as plain data. */
  readonly cause?: SerializedError;
  /** An AggregateError's `errors`, as plain data. */
  readonly errors?: readonly SerializedError[];
  /** Set when what was thrown is not an Error (a string, a plain object, `null`): the value. */
  readonly thrown?: { readonly value: unknown };
}

/** A worker process: where an executor that runs items in other processes ran one. */
export interface WorkerIdentity {
  readonly host: string;
  readonly pid: number;
}

/**
 * The outcome of one item: its value, or the error it threw; `durationMs` is how long the call
 * took where it ran (profiling and listeners use it), `worker` the process that ran it when an
 * executor runs items in other processes (the run status lists the workers).
 */
export type ItemResult = (
  | { readonly index: number; readonly ok: true; readonly value: unknown }
  | { readonly index: number; readonly ok: false; readonly error: SerializedError }
) &
  ItemTiming;

/** Where and when an item ran, as far as its executor tells. */
export interface ItemTiming {
  readonly durationMs?: number;
  readonly worker?: WorkerIdentity;
  /** When the call started, milliseconds since the epoch: told for traced chunks. */
  readonly startedAt?: number;
  /** The worker thread that ran it (`threadId`): told for traced chunks run on a thread. */
  readonly thread?: number;
  /** True when the item's element span was made where it ran (an SDK registered there). */
  readonly traced?: boolean;
}

/** The `map` an executor serves, as {@link Executor.begin} is told. */
export interface ExecutorRun {
  /** The run folder (an absolute path), or undefined for a map without one. */
  readonly runFolder: string | undefined;
  /** Whether the map resumes a run found in the folder (`resume: true`). */
  readonly resumed: boolean;
  /** The pipeline's name. */
  readonly pipeline: string;
  /** The functions the map sends to this executor, by name, with their first output. */
  readonly functions: readonly { readonly name: string; readonly output: string }[];
}

/**
 * Runs chunks of sweep elements. `map` uses the inline path for `"inline"`, a pool of worker
 * threads for `"threads"`; any object of this shape plugs in another engine.
 */
export interface Executor {
  /** Name shown in errors and run.json. */
  readonly name: string;
  /** True when functions run outside this thread (the pipeline must be declared). */
  readonly remote: boolean;
  /**
   * True when functions run in other processes (Redis workers, SLURM tasks), which import
   * the pipeline's module themselves and may hold other values of what a function reads
   * from outside itself. `map` then refuses, before any work, a function that reads data it
   * does not declare in `captures` (an `UndeclaredCaptureError`), so the declared values are
   * in the definition hash workers compare. Worker threads share this process: false.
   * @defaultValue false
   */
  readonly isOutOfProcess?: boolean;
  /**
   * True when a function without mapspec that declares its own `resources` runs on this
   * executor (as a chunk of one element, `shape: []`) rather than in the map's process: SLURM
   * runs it as a one-task job with those resources. Generators always run in the map's process.
   * @defaultValue false
   */
  readonly runsUnmapped?: boolean;
  /**
   * Chunks it runs at once (threads, worker processes); `map` keeps twice as many in flight
   * and sizes its default chunks for them.
   * @defaultValue 2
   */
  readonly capacity?: number;
  /** Elements per chunk when `map`'s own `chunkSize` is not given. @defaultValue map's choice */
  readonly chunkSize?: number;
  /**
   * Runs every item of the chunk; resolves with one result per item. Rejects only when the
   * executor itself failed (a dead worker), never because a function threw; an
   * `ExecutorError` stops the map whatever its `errors` option says.
   */
  submit(chunk: Chunk, signal?: AbortSignal): Promise<ItemResult[]>;
  /**
   * Refuses, before any of its elements is sent, a function whose resources this executor can
   * never provide (more cpus than a thread pool has). `map` calls it before any work for
   * fixed resources, and before the first chunk for resources a function computes.
   *
   * @throws {@link InvalidOptionError} naming the function, what it needs and what there is.
   */
  checkResources?(node: string, resources: ResolvedResources): void;
  /**
   * Told, once per `map` and before any chunk, which run it serves: executors that keep their
   * state in the run folder (SLURM) open it there, or refuse a map without one. Rejecting
   * stops the map before any work.
   *
   * @throws {@link ExecutorError} or {@link InvalidOptionError} when it cannot serve the run.
   */
  begin?(run: ExecutorRun): void | Promise<void>;
  /** Releases threads, connections, timers. */
  close(): Promise<void>;
}

export { deserializeError, serializeError } from "./error-data.ts";
