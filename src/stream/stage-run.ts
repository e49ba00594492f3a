/**
 * How a threaded stage's run is known on the threads that serve it: an id, and two Int32
 * words in shared memory that the stage and its threads both read.
 */

/** One run of one threaded stage. */
export interface StageRun {
  /** Unique within the process that posts the tasks. */
  readonly id: number;
  /** Int32 words at {@link SERVED} and {@link ENDED}. */
  readonly shared: SharedArrayBuffer;
}

/** Index of the count of threads that have served the run: each takes the next number. */
export const SERVED = 0;
/** Index of the flag set to 1 once the run has ended, so threads drop its states. */
export const ENDED = 1;

/** Numbers each run of a threaded stage within this process. */
let runs = 0;

/** A new run, neither served nor ended. */
export function newStageRun(): StageRun {
  return { id: ++runs, shared: new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT) };
}

/** Marks `run` as ended. */
export function endStageRun(run: StageRun): void {
  Atomics.store(new Int32Array(run.shared), ENDED, 1);
}
