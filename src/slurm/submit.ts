/**
 * Submitting one gathered submission as an `sbatch --array` job: its job folder in the run
 * folder (the job, each task's elements), the script each task runs, and sbatch's flags.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomicSync } from "../map/storage/file.ts";
import { runCommand, sbatchFlags } from "./commands.ts";
import {
  JOB_FOLDER_ENV,
  JOB_FORMAT,
  type JobDescription,
  jobIdFile,
  writeJobFolder,
} from "./job-folder.ts";
import { slurmError } from "./messages.ts";
import type { Outgoing, Task } from "./task.ts";

/** Where and how a submission goes out. */
export interface Submission {
  /** Its job folder (see `jobFolder`). */
  readonly dir: string;
  readonly outgoing: Outgoing;
  /** The command before `worker ...`; this Node and pipeweave when undefined. */
  readonly command: readonly string[] | undefined;
  /** The executor's partition, for functions whose resources name none. */
  readonly partition: string | undefined;
}

/**
 * Writes the job folder and script of `outgoing`, submits it as one job array (one task per
 * chunk) and records its job id in the folder.
 *
 * @returns The job's id and its tasks, to follow.
 * @throws {@link ExecutorError} when sbatch is missing or refuses the job.
 */
export async function submitJob(submission: Submission): Promise<{
  readonly jobId: string;
  readonly tasks: Task[];
}> {
  const { dir, outgoing, partition } = submission;
  const job: JobDescription = {
    format: JOB_FORMAT,
    pipeline: outgoing.pipeline,
    hash: outgoing.hash,
    module: outgoing.ref.module,
    declared: outgoing.ref.name,
    node: outgoing.node,
    output: outgoing.output,
    validate: outgoing.validate,
    ...(outgoing.shape ? { shape: outgoing.shape } : {}),
    tasks: outgoing.tasks.length,
    attempt: outgoing.attempt,
    ...(outgoing.traces.some((t) => t !== undefined)
      ? { traces: outgoing.traces.map((t) => t ?? null) }
      : {}),
  };
  writeJobFolder(dir, job, outgoing.tasks);
  const script = join(dir, "task.sh");
  const target = `${fileURLToPath(outgoing.ref.module.split("?")[0]!)}#${outgoing.ref.name}`;
  const command = [...(submission.command ?? defaultCommand()), "worker", target, "--slurm"];
  writeFileSync(
    script,
    "#!/bin/sh\n" +
      `export ${JOB_FOLDER_ENV}=${shellQuote(dir)}\n` +
      `exec ${command.map(shellQuote).join(" ")}\n`,
    { mode: 0o755 },
  );
  const args = [
    "--parsable",
    `--array=0-${outgoing.tasks.length - 1}`,
    `--job-name=pipeweave:${outgoing.node}`,
    // sbatch reads `%` in the path as a pattern: the folder's own (an output name encoded
    // into it, such as an adaptive point's) are written `%%`, SLURM's literal `%`.
    `--output=${join(dir, "logs").replaceAll("%", "%%")}/%a.log`,
    "--no-requeue",
    `--chdir=${process.cwd()}`,
    ...sbatchFlags(outgoing.resources, partition),
    script,
  ];
  const tasks: Task[] = outgoing.tasks.map((items, k) => ({
    dir,
    task: k,
    output: outgoing.output,
    node: outgoing.node,
    shape: outgoing.shape,
    elements: items.map((i) => i.index),
    resources: outgoing.resources,
    job,
    ref: outgoing.ref,
    jobId: undefined,
    received: new Set(),
    readParts: new Set(),
    state: "PENDING",
    reason: "",
    unlisted: 0,
  }));
  const result = await runCommand("sbatch", args);
  if (!result.ok) {
    throw slurmError(
      `could not submit ${outgoing.tasks.length} array task(s) of "${outgoing.node}": ` +
        `sbatch ${result.missing ? "is not installed here" : `said: ${result.stderr.trim()}`}. ` +
        (result.missing
          ? "Run the map on a machine that submits to the cluster (a login node)."
          : "Check the function's resources and the executor's partition against the cluster (sinfo)."),
      { node: outgoing.node },
    );
  }
  const jobId = result.stdout.trim().split(";")[0]!;
  writeFileAtomicSync(jobIdFile(dir), `${jobId}\n`);
  for (const task of tasks) task.jobId = jobId;
  return { jobId, tasks };
}

/** The command before `worker ...`: this Node and pipeweave's CLI, built or from source. */
function defaultCommand(): string[] {
  const here = import.meta.url;
  const fromSource = here.endsWith(".ts");
  const main = fileURLToPath(new URL(fromSource ? "../cli/main.ts" : "../cli/main.js", here));
  if (!fromSource) return [process.execPath, main];
  let loader = "tsx";
  try {
    loader = import.meta.resolve("tsx");
  } catch {
    // tsx resolved by name on the node, then.
  }
  return [process.execPath, "--import", loader, main];
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
