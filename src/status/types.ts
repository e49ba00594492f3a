/**
 * The live status of a sweep, as its run folder's `status.json` holds it: written by a
 * listener of the run's progress events (the same events the progress bars draw), read by
 * {@link runStatus}, {@link listRuns}, the CLI's `status`, `runs` and `watch`, and the
 * dashboard.
 */

/** How many of the latest failed elements a run status keeps. */
export const LATEST_ERRORS = 20;

/**
 * Where a run stands. `stale`: it says running, but its heartbeat stopped (its process is
 * gone). `corrupt`: its run.json or status.json cannot be read (only {@link listRuns} says
 * it; `runStatus` throws the RunFolderCorruptError). `queued`: a run that `launchMaps` holds
 * until one of its slots is free (only `MapRun.status()` says it; no status file does).
 */
export type RunState = "queued" | "running" | "done" | "failed" | "aborted" | "stale" | "corrupt";

/** Where one function of a sweep stands. */
export interface FunctionStatus {
  /** The function's name. */
  readonly name: string;
  /** Its outputs. */
  readonly outputs: readonly string[];
  /** `pending` until it starts, `running`, then `done` or `failed`. */
  readonly state: "pending" | "running" | "done" | "failed";
  /** Elements computed (including those a resumed run found stored). */
  readonly done: number;
  /** Elements whose call failed (each with its error). */
  readonly failed: number;
  /**
   * Elements not computed because an input they read failed or was itself skipped: masked,
   * with no error of their own. Status files of older versions have none (they counted these
   * as failed); {@link runStatus} reads them as 0.
   */
  readonly skipped: number;
  /** Elements in all (1 for a function without mapspec). */
  readonly total: number;
  /** Time since it started, or its duration once it ended, in milliseconds. */
  readonly elapsedMs: number;
  /**
   * Estimated time until its elements are all settled, at its own pace so far, in
   * milliseconds; null unless it is running and has computed elements (absent in status
   * files of older versions).
   */
  readonly etaMs?: number | null;
  /**
   * The SLURM jobs its elements went out as (the `slurm()` executor), in submission order,
   * with their tasks' states as `squeue` last gave them; absent for functions that ran
   * elsewhere.
   */
  readonly jobs?: readonly SlurmJobStatus[];
}

/** One SLURM job array of a function, as the run status lists it. */
export interface SlurmJobStatus {
  /** SLURM's job id. */
  readonly job: string;
  /** Its array tasks. */
  readonly tasks: number;
  /** Task counts by SLURM state (`PENDING`, `RUNNING`, `COMPLETED`, `CANCELLED`…). */
  readonly states: Readonly<Record<string, number>>;
}

/** A worker process that ran elements of a sweep (an executor such as `redis()`). */
export interface WorkerStatus {
  /** The worker's host name. */
  readonly host: string;
  /** The worker's process id on that host. */
  readonly pid: number;
  /** Elements it ran and whose results were stored (done or failed), over every function. */
  readonly elements: number;
}

/** An element that failed, as the run status keeps the latest of them. */
export interface ElementErrorStatus {
  /** The function. */
  readonly name: string;
  /** The element's position along the function's axes (empty for a function called once). */
  readonly index: readonly number[];
  /** The error's message, cut to a few thousand characters. */
  readonly message: string;
  /** ISO timestamp of the failure. */
  readonly at: string;
}

/** The content of a run folder's `status.json`, and what {@link runStatus} returns. */
export interface RunStatus {
  readonly format: 1;
  /**
   * The run folder (as `map` was given it, resolved to an absolute path); empty for a sweep
   * without one, which only its dashboard shows.
   */
  readonly runFolder: string;
  /** The pipeline's name. */
  readonly pipeline: string;
  /** Where the run stands; `stale` and `corrupt` only ever come from a reader, never from the file. */
  readonly state: RunState;
  /** The process running (or that ran) the sweep, and its host. */
  readonly pid: number;
  readonly host: string;
  /** ISO timestamps: when the run started, and the last heartbeat. */
  readonly startedAt: string;
  readonly updatedAt: string;
  /** Time from start to the last heartbeat, in milliseconds. */
  readonly elapsedMs: number;
  /** Estimated time to finish from the elements done so far, or null when unknown or ended. */
  readonly etaMs: number | null;
  /** Every function of the sweep, in the order they run. */
  readonly functions: readonly FunctionStatus[];
  /**
   * The worker processes that ran elements of this run of `map` (a resumed run lists those of
   * the resume), in the order they first returned results; absent when every element ran in
   * the run's own process (inline or threads).
   */
  readonly workers?: readonly WorkerStatus[];
  /** The error's message when the run failed. */
  readonly error?: string;
  /** How many elements failed in all, over every function. */
  readonly failedElements?: number;
  /**
   * How many elements were skipped in all (see {@link FunctionStatus.skipped}); absent when
   * none were.
   */
  readonly skippedElements?: number;
  /** The latest failed elements, newest last (at most {@link LATEST_ERRORS}); absent when none failed. */
  readonly errors?: readonly ElementErrorStatus[];
}
