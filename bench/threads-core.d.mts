/** Types of threads-core.mjs (plain JavaScript, so the built package runs it without tsx). */

/** The figures of one worker count. */
export interface ThreadsRow {
  readonly threads: number;
  /** `map` on threads with the shared pool closed before: the call starts it, ms. */
  readonly coldMs: number;
  /** The same `map` on the pool that call left, ms. */
  readonly warmMs: number;
  /** `pool({ workers: threads, threads: true })` over the same work, on the warm pool, ms. */
  readonly streamMs: number;
  /** The same stream with the shared pool closed before: the run starts it, ms. */
  readonly streamColdMs: number;
  /** How long after a call on the warm pool its first element started, ms. */
  readonly warmFirstElementMs: number;
  readonly speedupCold: number;
  readonly speedupWarm: number;
  readonly speedupStream: number;
  readonly speedupStreamCold: number;
  /** The stream on one thread over the stream on `threads`: how the stage scales. */
  readonly scalingStream: number;
}

/** The thread benchmark's figures. */
export interface ThreadsResult {
  readonly elements: number;
  readonly elementMs: number;
  readonly cores: number;
  /** Rounds measured; each time is their median. */
  readonly rounds: number;
  /** `map` inline, ms. */
  readonly inlineMapMs: number;
  /** The stream with one worker on the main thread, ms. */
  readonly inlineStreamMs: number;
  /** The stream with one worker on a (warm) thread, ms. */
  readonly oneThreadStreamMs: number;
  readonly rows: readonly ThreadsRow[];
}

export declare function measureThreads(
  pipeweave: typeof import("../src/index.ts"),
  from: string,
  workerCounts?: readonly number[],
  rounds?: number,
): Promise<ThreadsResult>;

export declare function formatThreads(result: ThreadsResult): string;
