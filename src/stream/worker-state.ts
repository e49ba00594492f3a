import { setOwn } from "../_internal/own.ts";

/**
 * State that lives as long as one worker of a stage: open a connection on the first item,
 * reuse it for the next ones. Each worker has its own; nothing is shared between workers.
 * On threads (`threads: true`) the worker is the thread: each thread that takes the stage's
 * items in a run has one state for that run.
 *
 * @example
 * ```ts
 * pool({ workers: 4 }, async (url: string, state) => {
 *   const client = (state.get("client") as Client | undefined) ?? state.set("client", new Client());
 *   state.set("requests", state.get("requests", 0) + 1);
 *   return client.get(url);
 * });
 * ```
 */
export class WorkerState {
  /** The stage's name. */
  readonly stage: string;
  /** This worker's number within its stage, from 0. */
  readonly worker: number;
  /** Everything set so far, by key. */
  readonly values: Record<string, unknown> = {};

  /**
   * @param stage - The stage's name.
   * @param worker - The worker's number within the stage.
   */
  constructor(stage: string, worker: number) {
    this.stage = stage;
    this.worker = worker;
  }

  /**
   * Reads a value.
   *
   * @param key - Its key.
   * @returns The value, or undefined when never set.
   */
  get(key: string): unknown;
  // NoInfer keeps V off the return type's top level, so a literal fallback infers its widened
  // type: `get("seen", 0)` is a number, not `0`.
  /**
   * Reads a value, or `fallback` when the key was never set (a key set to `undefined` is set).
   * The value is typed as the fallback: `state.get("seen", 0)` is a `number`.
   *
   * @param key - Its key.
   * @param fallback - What to give when the key was never set.
   * @returns The value, or `fallback`.
   */
  get<V>(key: string, fallback: V): NoInfer<V>;
  get(key: string, fallback?: unknown): unknown {
    return Object.hasOwn(this.values, key) ? this.values[key] : fallback;
  }

  /**
   * Stores a value for the following items of this worker.
   *
   * @param key - Its key.
   * @param value - The value.
   * @returns The value, so `state.get(k) ?? state.set(k, make())` reads well.
   */
  set<V>(key: string, value: V): V {
    setOwn(this.values, key, value);
    return value;
  }
}
