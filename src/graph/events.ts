import type { AnyPipeFunc } from "./types.ts";

/**
 * One call of one function, as listeners see it. The same object is passed to `onNodeStart`
 * and then to `onNodeEnd` or `onNodeError`, so a listener can key per-call state on it.
 */
export interface NodeCall {
  /** The function being called. */
  readonly node: AnyPipeFunc;
  /** Its arguments by graph name. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** Wall-clock start, milliseconds since the epoch. */
  readonly startedAt: number;
  /** Duration in milliseconds, set when the call settles. */
  durationMs: number;
  /** Outputs by graph name, set when the call succeeds. */
  outputs: Readonly<Record<string, unknown>> | undefined;
  /** What the call threw, set when it fails. */
  error: unknown;
  /** The element's index when the call is one element of a `map` (`[]` for a single call). */
  readonly index?: readonly number[];
  /**
   * True when the call ran on another thread or machine (a `map` executor): listeners see it
   * once its result is back, `durationMs` was measured where it ran, and memory or CPU
   * sampled here does not belong to it.
   */
  readonly remote?: boolean;
}

/**
 * Listener of the engine's lifecycle events. Profiling, history and progress are listeners;
 * with none attached the engine runs its uninstrumented fast path.
 */
export interface RunListener {
  /** A function is about to be called. */
  readonly onNodeStart?: (call: NodeCall) => void;
  /** A function returned (its promise resolved). */
  readonly onNodeEnd?: (call: NodeCall) => void;
  /** A function threw (its promise rejected). */
  readonly onNodeError?: (call: NodeCall) => void;
  /**
   * The function's value came from the cache: it was not called, and no other event is told
   * for it. `inputs` are its arguments by graph name; `index` the element's, in a `map`.
   */
  readonly onCacheHit?: (
    node: AnyPipeFunc,
    inputs: Readonly<Record<string, unknown>>,
    index?: readonly number[],
  ) => void;
  /**
   * Runs the call's function inside the listener's scope (tracing makes the call's span the
   * active one, so spans the function makes are its children): `body` calls the function and
   * returns what it returned. The first listener that has one is used.
   */
  readonly within?: (call: NodeCall, body: () => unknown) => unknown;
  /** Restrict the listener to some functions; all when absent. */
  readonly filter?: (node: AnyPipeFunc) => boolean;
}
