/**
 * SLURM's own commands (`sbatch`, `squeue`, `scontrol`, `scancel`), run as child processes and
 * their output read: no wrapper library and no `sacct` (accounting is often off on clusters,
 * and it is off on the test cluster).
 */
import { execFile } from "node:child_process";
import type { ResolvedResources } from "../executor/resources.ts";

/** What a SLURM command printed, or why it could not run. */
export interface CommandResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the command is not installed (ENOENT). */
  readonly missing?: boolean;
}

/** How long one SLURM command may take before it is given up (a controller that hangs). */
const COMMAND_MS = 30_000;

/** Runs `command args` to its end; never rejects. */
export function runCommand(command: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { timeout: COMMAND_MS, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        resolve({
          ok: error === null,
          stdout: String(stdout),
          stderr: String(stderr || (error ? error.message : "")),
          ...(code === "ENOENT" ? { missing: true } : {}),
        });
      },
    );
  });
}

/**
 * `sbatch` flags for what a function needs: `--cpus-per-task`, `--mem` (MB), `--gres=gpu:N`,
 * `--time` (minutes), `--partition` (the function's, else the executor's), then its `extra`
 * flags as they are.
 */
export function sbatchFlags(
  resources: ResolvedResources | undefined,
  partition: string | undefined,
): string[] {
  const flags: string[] = [];
  if (resources?.cpus !== undefined) flags.push(`--cpus-per-task=${resources.cpus}`);
  if (resources?.memoryMb !== undefined) flags.push(`--mem=${resources.memoryMb}`);
  if (resources?.gpus !== undefined) flags.push(`--gres=gpu:${resources.gpus}`);
  if (resources?.timeMinutes !== undefined) flags.push(`--time=${resources.timeMinutes}`);
  const where = resources?.partition ?? partition;
  if (where !== undefined) flags.push(`--partition=${where}`);
  flags.push(...(resources?.extra ?? []));
  return flags;
}

/** One array task as `squeue` lists it. */
export interface QueuedTask {
  readonly job: string;
  readonly task: number;
  /** PENDING, RUNNING, COMPLETING, CONFIGURING, SUSPENDED… */
  readonly state: string;
  readonly reason: string;
}

/**
 * The array tasks of `jobs`, one per task (`squeue -r --states=all`): those queued or running,
 * and those ended that the controller still remembers (for `MinJobAge`), with their final
 * state. A task missing from the list has ended long ago. Undefined when squeue did not answer.
 */
export async function listTasks(
  jobs: readonly string[],
): Promise<Map<string, QueuedTask> | undefined> {
  const out = new Map<string, QueuedTask>();
  if (jobs.length === 0) return out;
  const result = await runCommand("squeue", [
    "-h",
    "-r",
    "--states=all",
    "-j",
    jobs.join(","),
    "-o",
    "%i|%T|%r",
  ]);
  // squeue refuses a list of only ended jobs it no longer knows ("Invalid job id").
  if (!result.ok && !/Invalid job id/i.test(result.stderr)) return undefined;
  for (const line of result.stdout.split("\n")) {
    const [id, state, reason] = line.trim().split("|");
    const found = /^(\d+)_(\d+)$/.exec(id ?? "");
    if (!found || state === undefined) continue;
    const task: QueuedTask = {
      job: found[1]!,
      task: Number(found[2]),
      state,
      reason: reason ?? "",
    };
    out.set(`${task.job}_${task.task}`, task);
  }
  return out;
}

/** Whether a task in `state` is over. */
export function isEnded(state: string): boolean {
  return ENDED.has(state);
}

/** States of a task that is over. */
const ENDED = new Set([
  "COMPLETED",
  "CANCELLED",
  "FAILED",
  "TIMEOUT",
  "NODE_FAIL",
  "PREEMPTED",
  "BOOT_FAIL",
  "DEADLINE",
  "OUT_OF_MEMORY",
  "SPECIAL_EXIT",
  "REVOKED",
]);

/** How an ended array task ended, as `scontrol show job` says while it remembers it. */
export interface EndedTask {
  readonly state: string;
  readonly reason: string;
  readonly exitCode: string;
}

/** Asks `scontrol` how task `<job>_<task>` ended; undefined when it no longer knows. */
export async function endedTask(job: string, task: number): Promise<EndedTask | undefined> {
  const result = await runCommand("scontrol", ["-o", "show", "job", `${job}_${task}`]);
  if (!result.ok) return undefined;
  const line = result.stdout.split("\n").find((l) => l.includes(`ArrayTaskId=${task} `)) ?? "";
  const field = (name: string) => new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)?.[1];
  const state = field("JobState");
  if (state === undefined) return undefined;
  return { state, reason: field("Reason") ?? "None", exitCode: field("ExitCode") ?? "" };
}

/** Cancels jobs (or tasks `<job>_<task>`); best effort. */
export async function cancelJobs(ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await runCommand("scancel", [...ids]);
}

/** Whether a SLURM controller answers here (`sinfo`). */
export async function slurmAnswers(): Promise<boolean> {
  const result = await runCommand("sinfo", ["-h", "-o", "%P"]);
  return result.ok && result.stdout.trim() !== "";
}
