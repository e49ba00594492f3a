import { hostname } from "node:os";
import { runnablePointFunction } from "../adaptive/point-function.ts";
import { ExecutorError } from "../errors.ts";
import { callChunk } from "../executor/call-chunk.ts";
import { outputOf } from "../executor/thread-worker.ts";
import type { ItemResult, WorkerIdentity } from "../executor/types.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { definitionHash, packResults } from "../redis/protocol.ts";
import {
  endFile,
  JOB_FOLDER_ENV,
  JOB_FORMAT,
  type JobRefusal,
  readItems,
  readJob,
  refusalFile,
  resultFile,
  writeOnce,
} from "./job-folder.ts";

/** Options of {@link runSlurmTask}. */
export interface SlurmTaskOptions {
  /**
   * The job folder the coordinator wrote.
   * @defaultValue `process.env.PIPEWEAVE_SLURM_JOB` (the job's script sets it)
   */
  readonly job?: string;
  /**
   * The array task to run.
   * @defaultValue `process.env.SLURM_ARRAY_TASK_ID` (SLURM sets it)
   */
  readonly task?: number;
  /**
   * How often the results computed so far are written out, in milliseconds: a task killed
   * (cancelled, past its time limit) loses at most this much work.
   * @defaultValue 500
   */
  readonly flushMs?: number;
}

/** What a task did. */
export interface SlurmTaskSummary {
  readonly job: string;
  readonly task: number;
  readonly elements: number;
  readonly failed: number;
}

const DEFAULT_FLUSH_MS = 500;

/**
 * Runs one SLURM array task of a map: the library side of `pipeweave worker
 * <module>#<export> --slurm`, which the `slurm()` executor's job scripts start. Reads the
 * task's elements from its job folder in the run folder, calls the function on each, and
 * writes their results beside them as it goes (every `flushMs`), then an end marker; the
 * coordinator reads them and stores each element once.
 *
 * It refuses (writes `refused.json` and throws) a job whose pipeline definition hash differs
 * from its own pipeline's, so a task built from other code never mixes its results into a run.
 *
 * @param pipeline - The pipeline the coordinator maps (the same code).
 * @param options - The job folder and task, when not from the environment.
 * @returns What the task ran.
 * @throws {@link ExecutorError} on a refusal, or without a job folder or task.
 */
export async function runSlurmTask(
  pipeline: { readonly name: string; readonly sortedFunctions: readonly AnyPipeFunc[] },
  options: SlurmTaskOptions = {},
): Promise<SlurmTaskSummary> {
  const dir = options.job ?? process.env[JOB_FOLDER_ENV];
  const taskText = options.task ?? process.env.SLURM_ARRAY_TASK_ID;
  const task = Number(taskText);
  if (!dir || taskText === undefined || !Number.isInteger(task) || task < 0) {
    throw new ExecutorError(
      "slurm",
      `A slurm worker needs its job folder (${JOB_FOLDER_ENV}) and array task ` +
        `(SLURM_ARRAY_TASK_ID); got ${JSON.stringify(dir ?? null)} and ` +
        `${JSON.stringify(taskText ?? null)}. \`pipeweave worker --slurm\` runs inside the job ` +
        "scripts the slurm() executor submits; start maps with that executor instead.",
    );
  }
  const identity: WorkerIdentity = { host: hostname(), pid: process.pid };
  const job = readJob(dir);
  const hash = definitionHash(pipeline);
  const refuse = (message: string, coordinatorHash = job.hash): never => {
    const refusal: JobRefusal = { message, coordinatorHash, workerHash: hash, ...identity };
    writeOnce(refusalFile(dir), `${JSON.stringify(refusal)}\n`);
    throw new ExecutorError("slurm", `A slurm worker refused job ${dir}: ${message}`, {
      hashes: { coordinator: job.hash, worker: hash },
      worker: `${identity.host} pid ${identity.pid}`,
    });
  };
  if (job.format !== JOB_FORMAT) {
    refuse(
      `the job is of format ${job.format}, this worker reads format ${JOB_FORMAT}: run the ` +
        "same pipeweave version on the nodes as in the coordinator.",
    );
  }
  if (job.pipeline !== pipeline.name) {
    refuse(`the job is for pipeline "${job.pipeline}", this worker loaded "${pipeline.name}".`);
  }
  if (job.hash !== hash) {
    refuse(
      `the coordinator's definition hash is ${job.hash}, this worker's is ${hash}: the nodes ` +
        "load another version of the pipeline's code (or other declared values) than the " +
        "coordinator. Make the nodes see the same code, then resume the map.",
    );
  }
  // An adaptive point's job names a marked output: the point is a run of the pipeline.
  const f =
    pipeline.sortedFunctions.find((g) => g.outputs[0] === job.output) ??
    runnablePointFunction(pipeline, job.output);
  if (!f) {
    return refuse(`pipeline "${pipeline.name}" here has no function with output "${job.output}".`);
  }
  const items = readItems(dir, task);
  const trace = job.traces?.[task] ?? undefined;
  const flushMs = options.flushMs ?? DEFAULT_FLUSH_MS;
  let pending: ItemResult[] = [];
  let part = 0;
  let failed = 0;
  const flush = () => {
    if (pending.length === 0) return;
    writeOnce(resultFile(dir, task, part++), packResults(f, pending, identity, outputOf));
    pending = [];
  };
  // No SIGTERM handler: SLURM's SIGTERM (scancel, a time limit) ends the task at once, even
  // in a synchronous element; what was written (every flushMs) is kept, the rest runs again.
  let last = performance.now();
  for (const item of items) {
    const [result] = await callChunk(f, [item], job.validate, job.shape, trace);
    if (!result!.ok) failed++;
    // A traced element's span names the process that ran it (values do not carry it).
    pending.push(trace ? { ...result!, worker: identity } : result!);
    if (performance.now() - last >= flushMs) {
      flush();
      last = performance.now();
    }
  }
  flush();
  writeOnce(endFile(dir, task), `${JSON.stringify({ elements: items.length, ...identity })}\n`);
  return { job: dir, task, elements: items.length, failed };
}
