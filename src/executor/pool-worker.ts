/**
 * Entry of every thread of pipeweave's thread pools: `map` chunks and threaded stream stages
 * run on the same threads, so a stream after a map (or the next stream run) finds them warm,
 * with the user's modules already imported.
 */
import runAttempt, { type HandlerTask } from "../stream/handler-worker.ts";
import runChunk, { type ThreadAnswer, type ThreadTask } from "./thread-worker.ts";

/** What a thread of the pool is given: a map chunk or one attempt of a stream stage. */
export type PoolTask = ThreadTask | HandlerTask;

/** Runs one task. */
export default function runPoolTask(task: PoolTask): Promise<ThreadAnswer | Uint8Array> {
  return "handler" in task ? runAttempt(task) : runChunk(task);
}
