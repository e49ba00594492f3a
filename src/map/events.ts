import type { ItemResult, WorkerIdentity } from "../executor/types.ts";

/**
 * Sweep lifecycle events. Progress bars, the dashboard and programs are listeners of this one
 * stream; with no listener `map` does not build the events.
 */
export interface ProgressListener {
  /** A function's elements are about to run; `total` counts them, `done` those already stored. */
  readonly onNodeStart?: (node: string, total: number, done: number) => void;
  /**
   * Elements settled since the last call: `done` counts them all, `failed` those whose call
   * failed (each told to `onError` first), `skipped` those not computed because an input they
   * read failed or was itself skipped (masked, with no error of their own).
   */
  readonly onProgress?: (node: string, done: number, failed: number, skipped: number) => void;
  /** The function's elements are all settled. */
  readonly onNodeEnd?: (node: string) => void;
  /**
   * An element failed (`index` its position along the function's axes, empty for a function
   * called once): told before the `onProgress` that counts it, under `errors: "raise"` (where
   * it stops the run) and `"continue"` alike. Elements skipped because an input failed are not.
   */
  readonly onError?: (node: string, index: readonly number[], error: unknown) => void;
  /**
   * `elements` of the function's elements (done or failed) ran on the worker process `worker`:
   * told, before their `onProgress`, by executors that run elements in other processes (redis).
   */
  readonly onRemote?: (node: string, worker: WorkerIdentity, elements: number) => void;
}

/**
 * One listener that tells each of `listeners` every event, in order: progress bars, the run
 * status file and a user's listener hear the same stream. Undefined ones are left out; with
 * none, undefined (so `map` builds no events), with one, that one.
 */
export function combineListeners(
  ...listeners: readonly (ProgressListener | undefined)[]
): ProgressListener | undefined {
  const all = listeners.filter((l): l is ProgressListener => l !== undefined);
  if (all.length <= 1) return all[0];
  return {
    onNodeStart(node, total, done) {
      for (const l of all) l.onNodeStart?.(node, total, done);
    },
    onProgress(node, done, failed, skipped) {
      for (const l of all) l.onProgress?.(node, done, failed, skipped);
    },
    onNodeEnd(node) {
      for (const l of all) l.onNodeEnd?.(node);
    },
    onError(node, index, error) {
      for (const l of all) l.onError?.(node, index, error);
    },
    onRemote(node, worker, elements) {
      for (const l of all) l.onRemote?.(node, worker, elements);
    },
  };
}

/**
 * Tells the listener's `onRemote` which workers ran `results` (an executor's answer for one
 * chunk): one call per run of results from the same worker, none for results that ran in this
 * process.
 */
export function reportWorkers(
  listener: ProgressListener,
  node: string,
  results: readonly ItemResult[],
): void {
  let worker: WorkerIdentity | undefined;
  let count = 0;
  for (const r of results) {
    if (r.worker !== worker) {
      if (worker) listener.onRemote?.(node, worker, count);
      worker = r.worker;
      count = 0;
    }
    count++;
  }
  if (worker) listener.onRemote?.(node, worker, count);
}
