/**
 * What a watched stream run tells its listener besides the counts its stages keep. A run is
 * watched when it has a monitor (or a dashboard) or is traced: its stages then run the
 * counting loops and hold a {@link StageTally}, the one hook the monitor, the dashboard and
 * tracing all hear through. An unwatched run has none of it: no counter, no listener call.
 */
import type { StageTally } from "./monitor.ts";

/** How a watched run ended: its `StreamStats.state` once the run is over. */
export type RunEnd = "done" | "failed" | "aborted";

/** Listener of one watched run (tracing): its stages as they start, and its end. */
export interface StreamListener {
  /**
   * A stage starts its workers.
   *
   * @param stage - The stage's counts, final once {@link StageListener.onStageEnd} is told.
   * @returns What hears the stage's handler calls and its end.
   */
  readonly onStageStart: (stage: StageTally) => StageListener;
  /**
   * The run ended, told once, at its first end (what its monitor reports): drained or
   * stopped early by the consumer (`"done"`), or rejected with `error`.
   *
   * @param output - Items the consumer received.
   */
  readonly onRunEnd: (state: RunEnd, error: unknown, output: number) => void;
}

/** Listener of one stage of a watched run. */
export interface StageListener {
  /**
   * Runs one attempt of the handler inside the listener's scope (tracing makes the attempt's
   * span the active one): `body` calls the handler, racing its timeout, and returns what it
   * returned or a promise of it. A throw or a rejection is the attempt's failure, and must
   * reach the caller as it was.
   *
   * @param worker - The worker calling it, from 0 (a fork's handlers count one each).
   * @param attempt - The attempt at this item, from 1.
   * @param item - The item, or the batch of a `batched` stage.
   */
  readonly within: (worker: number, attempt: number, item: unknown, body: () => unknown) => unknown;
  /** An attempt at `item` the stage's open circuit refused: the handler was not called. */
  readonly onRefused: (worker: number, attempt: number, item: unknown, error: unknown) => void;
  /** Every worker of the stage has stopped; `error` is its machinery's failure, if any. */
  readonly onStageEnd: (error?: unknown) => void;
}
