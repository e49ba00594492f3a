/**
 * The run's jobs as readers see them: each job's tasks counted by SLURM state, written to
 * `slurm/jobs.json` when that changes (runStatus, `pipeweave status` and the dashboard read it,
 * so a run whose coordinator died still shows its jobs).
 */
import { mkdirSync } from "node:fs";
import { writeFileAtomicSync } from "../map/storage/file.ts";
import type { QueuedTask } from "./commands.ts";
import { type JobRecord, jobsFile, slurmFolder } from "./job-folder.ts";

/** The jobs of one run, and their tasks' states. */
export class JobBook {
  #folder: string | undefined;
  readonly #records = new Map<string, JobRecord>();
  /** Each job's tasks' states, as squeue last gave them (COMPLETED once a task's end marker is in). */
  readonly #taskStates = new Map<string, Map<number, string>>();
  #written = "";

  /** Starts the book of the run in `folder`, with the jobs of its runs before (a resume). */
  open(folder: string, earlier: readonly JobRecord[] = []): void {
    this.#folder = folder;
    this.#records.clear();
    this.#taskStates.clear();
    this.#written = "";
    for (const record of earlier) this.#records.set(record.job, record);
  }

  /** A job just submitted: every task pending. */
  submitted(jobId: string, node: string, output: string, tasks: number): void {
    this.#records.set(jobId, {
      node,
      output,
      job: jobId,
      tasks,
      states: { PENDING: tasks },
    });
    this.#taskStates.set(
      jobId,
      new Map(Array.from({ length: tasks }, (_, k) => [k, "PENDING"] as const)),
    );
    this.write();
  }

  /** A job found queued or running again (a resume): its states from the next poll on. */
  followed(jobId: string, node: string, output: string, tasks: number): void {
    if (!this.#records.has(jobId)) {
      this.#records.set(jobId, { node, output, job: jobId, tasks, states: {} });
    }
    if (!this.#taskStates.has(jobId)) this.#taskStates.set(jobId, new Map());
  }

  /** A task whose end marker is in: COMPLETED, whatever squeue lags behind with. */
  completed(jobId: string, task: number): void {
    this.#taskStates.get(jobId)?.set(task, "COMPLETED");
  }

  /** Counts each job's tasks by state from what squeue listed, and writes them when that changed. */
  update(listed: ReadonlyMap<string, QueuedTask>): void {
    for (const [id, record] of this.#records) {
      const states = this.#taskStates.get(id);
      if (!states) continue;
      for (const task of listed.values()) {
        if (task.job === id && states.get(task.task) !== "COMPLETED") {
          states.set(task.task, task.state);
        }
      }
      const counts: Record<string, number> = {};
      for (const state of states.values()) counts[state] = (counts[state] ?? 0) + 1;
      this.#records.set(id, { ...record, states: counts });
    }
    this.write();
  }

  write(): void {
    const folder = this.#folder;
    if (folder === undefined) return;
    const text = `${JSON.stringify([...this.#records.values()], null, 1)}\n`;
    if (text === this.#written) return;
    this.#written = text;
    try {
      mkdirSync(slurmFolder(folder), { recursive: true });
      writeFileAtomicSync(jobsFile(folder), text);
    } catch {
      // The status of the jobs is for readers; the run does not depend on it.
    }
  }
}
