/**
 * What follows an array task's end: nothing when every result is in; otherwise its missing
 * elements go out again (up to `retries`), or fail naming the task, SLURM's reason and the tail
 * of its log; a task that refused its job (another definition of the pipeline) fails them at once.
 */
import { describeElements } from "../executor/describe-elements.ts";
import type { ChunkItem } from "../executor/types.ts";
import { unravelIndex } from "../map/ndarray.ts";
import { endedTask, type QueuedTask } from "./commands.ts";
import { logFile, logTail, readItems, readRefusal } from "./job-folder.ts";
import { describeReason, slurmError } from "./messages.ts";
import type { Task } from "./task.ts";

/** What to do about the elements of a task that ended. */
export type TaskOutcome =
  /** Nothing: every result is in, or no chunk waits for the missing ones any more. */
  | { readonly kind: "done" }
  /** Submit these elements again, as the task's next attempt. */
  | { readonly kind: "retry"; readonly items: ChunkItem[] }
  /** Fail the chunks waiting for these elements with `error`. */
  | { readonly kind: "fail"; readonly elements: readonly number[]; readonly error: unknown };

/**
 * Decides what follows the end of `task`, which squeue listed as `queued` at its end (or no
 * longer listed: then `scontrol` tells how it ended).
 *
 * @param retries - Times an element may be submitted again.
 * @param isWaiting - Whether a chunk still waits for an element of the task's output.
 */
export async function afterTaskEnd(
  task: Task,
  queued: QueuedTask | undefined,
  retries: number,
  isWaiting: (index: number) => boolean,
): Promise<TaskOutcome> {
  const missing = task.elements.filter((e) => !task.received.has(e));
  if (missing.length === 0) return { kind: "done" };
  const refusal = readRefusal(task.dir);
  if (refusal) {
    return {
      kind: "fail",
      elements: missing,
      error: slurmError(
        `array task ${task.jobId}_${task.task} of "${task.node}" refused its job: ` +
          `${refusal.message} (on ${refusal.host} pid ${refusal.pid}).`,
        {
          hashes: { coordinator: refusal.coordinatorHash, worker: refusal.workerHash },
          worker: `${refusal.host} pid ${refusal.pid}`,
          node: task.node,
          job: `${task.jobId}_${task.task}`,
          reason: "refused",
          log: logTail(task.dir, task.task),
        },
      ),
    };
  }
  const ended = queued && queued.state !== "COMPLETED" ? undefined : task.jobId;
  const detail =
    ended === undefined
      ? undefined
      : await endedTask(task.jobId!, task.task).catch(() => undefined);
  const state = queued?.state ?? detail?.state ?? "UNKNOWN";
  const reason = describeReason(state, queued?.reason ?? detail?.reason);
  const still = missing.filter(isWaiting);
  if (still.length === 0) return { kind: "done" };
  if (task.job.attempt < retries) {
    try {
      const wanted = new Set(still);
      const items = readItems(task.dir, task.task).filter((i) => wanted.has(i.index));
      return { kind: "retry", items };
    } catch (error) {
      return { kind: "fail", elements: still, error };
    }
  }
  const tries = task.job.attempt + 1;
  return {
    kind: "fail",
    elements: still,
    error: slurmError(
      (o) =>
        `ran ${describeElements(still, task.shape)} of "${task.node}" ${tries} time` +
        `${tries === 1 ? "" : "s"} without results: array task ${task.jobId}_${task.task} ` +
        `(job ${task.jobId}, array index ${task.task}) ended ${reason}. Its log ` +
        `(${logFile(task.dir, task.task)}) ends with:\n${logTail(task.dir, task.task)}\n` +
        `Fix the cause (a longer time, more memory), or raise ${o("retries")}; resume the ` +
        `map with ${o("resume", true)} to compute only what is missing.`,
      {
        node: task.node,
        elements: still.map((e) => (task.shape ? unravelIndex(task.shape, e) : [e])),
        job: `${task.jobId}_${task.task}`,
        reason,
        log: logTail(task.dir, task.task),
      },
    ),
  };
}
