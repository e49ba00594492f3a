/**
 * What the coordinator and its SLURM array tasks exchange, in one place: a job folder in the
 * run folder (on a filesystem the nodes share) per `sbatch --array` submission.
 *
 * ```
 * <runFolder>/slurm/<output>/<seq>/
 *   job.json            the pipeline, its definition hash, the function, the task count
 *   job-id              SLURM's job id, written once sbatch answered
 *   items/<task>.v8     each array task's elements ({ index, values }[], V8)
 *   results/<task>.<part>.v8   results as the task goes (ItemResult[], V8)
 *   results/<task>.end  the task ran every element
 *   refused.json        a task refused the job (another definition hash)
 *   logs/<task>.log     the task's stdout and stderr
 * <runFolder>/slurm/jobs.json   each function's jobs and their SLURM states (for status)
 * ```
 *
 * Every file is written to a temporary and linked into place, so a reader never sees half a
 * file and, should two attempts write the same name, the first writer wins.
 */

import { randomBytes } from "node:crypto";
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { fromBytes, toBytes } from "../executor/clone.ts";
import { decode, encode } from "../executor/transfer.ts";
import type { ChunkItem } from "../executor/types.ts";
import type { TraceCarrier } from "../otel/carrier.ts";

/** Version of the job folder's format; a worker refuses a job of another. */
export const JOB_FORMAT = 1;

/** The folder of the run's SLURM jobs. */
export function slurmFolder(runFolder: string): string {
  return join(runFolder, "slurm");
}

/** The file that lists each function's jobs and their states, for `pipeweave status`. */
export function jobsFile(runFolder: string): string {
  return join(slurmFolder(runFolder), "jobs.json");
}

/**
 * The folder of submission `seq` of `output`'s elements: `slurm/<output>/<seq>`, the name
 * URI-encoded and a leading dot written `%2E`, so no output name points elsewhere.
 */
export function jobFolder(runFolder: string, output: string, seq: number): string {
  const name = encodeURIComponent(output).replace(/^\./, "%2E");
  return join(slurmFolder(runFolder), name, String(seq).padStart(4, "0"));
}

/** The environment variable that tells an array task its job folder. */
export const JOB_FOLDER_ENV = "PIPEWEAVE_SLURM_JOB";

/** The content of `job.json`. */
export interface JobDescription {
  readonly format: number;
  /** The pipeline's name and its definition hash, which a worker's must equal. */
  readonly pipeline: string;
  readonly hash: string;
  /** Where the pipeline is declared: its module's URL and the name it was declared with. */
  readonly module: string;
  readonly declared: string;
  readonly node: string;
  readonly output: string;
  readonly validate: boolean;
  readonly shape?: readonly number[];
  /** Array tasks, numbered from 0. */
  readonly tasks: number;
  /** Resubmission count of its elements: 0 for a first submission. */
  readonly attempt: number;
  /** Each task's trace (null for one without), when the map is traced. */
  readonly traces?: readonly (TraceCarrier | null)[];
}

/** A task's refusal of its job, as `refused.json` holds it. */
export interface JobRefusal {
  readonly message: string;
  readonly coordinatorHash: string;
  readonly workerHash: string;
  readonly host: string;
  readonly pid: number;
}

/** One function's job and its tasks' states, as `jobs.json` lists it. */
export interface JobRecord {
  readonly node: string;
  readonly output: string;
  readonly job: string;
  readonly tasks: number;
  /** Task counts by SLURM state (`PENDING`, `RUNNING`, `COMPLETED`…). */
  readonly states: Readonly<Record<string, number>>;
}

/**
 * Writes `data` at `path` unless a file is there already (the first writer wins): to a
 * temporary, then linked into place.
 *
 * @returns Whether this write is the one in place.
 */
export function writeOnce(path: string, data: string | Uint8Array): boolean {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(temporary, data);
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Makes a job folder with its description and each task's items. */
export function writeJobFolder(
  dir: string,
  job: JobDescription,
  tasks: readonly (readonly ChunkItem[])[],
): void {
  mkdirSync(join(dir, "items"), { recursive: true });
  mkdirSync(join(dir, "results"), { recursive: true });
  mkdirSync(join(dir, "logs"), { recursive: true });
  tasks.forEach((items, k) => {
    const encoded = items.map((item) => ({ index: item.index, values: item.values.map(encode) }));
    writeOnce(itemsFile(dir, k), toBytes(encoded));
  });
  writeOnce(join(dir, "job.json"), `${JSON.stringify(job)}\n`);
}

export function itemsFile(dir: string, task: number): string {
  return join(dir, "items", `${task}.v8`);
}

export function logFile(dir: string, task: number): string {
  return join(dir, "logs", `${task}.log`);
}

export function endFile(dir: string, task: number): string {
  return join(dir, "results", `${task}.end`);
}

export function resultFile(dir: string, task: number, part: number): string {
  return join(dir, "results", `${task}.${part}.v8`);
}

export function refusalFile(dir: string): string {
  return join(dir, "refused.json");
}

export function jobIdFile(dir: string): string {
  return join(dir, "job-id");
}

/** Reads a task's elements, values decoded. */
export function readItems(dir: string, task: number): ChunkItem[] {
  const items = fromBytes(readFileSync(itemsFile(dir, task))) as ChunkItem[];
  return items.map((item) => ({ index: item.index, values: item.values.map(decode) }));
}

export function readJob(dir: string): JobDescription {
  return JSON.parse(readFileSync(join(dir, "job.json"), "utf8")) as JobDescription;
}

/** SLURM's job id of a job folder, once sbatch answered. */
export function readJobId(dir: string): string | undefined {
  try {
    return readFileSync(jobIdFile(dir), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

export function readRefusal(dir: string): JobRefusal | undefined {
  try {
    return JSON.parse(readFileSync(refusalFile(dir), "utf8")) as JobRefusal;
  } catch {
    return undefined;
  }
}

/** The result files and end markers in a job folder, by task. */
export function listResults(dir: string): {
  readonly parts: Map<number, string[]>;
  readonly ended: Set<number>;
} {
  const parts = new Map<number, string[]>();
  const ended = new Set<number>();
  let names: string[];
  try {
    names = readdirSync(join(dir, "results"));
  } catch {
    return { parts, ended };
  }
  for (const name of names) {
    const found = /^(\d+)\.(?:(\d+)\.v8|(end))$/.exec(name);
    if (!found) continue;
    const task = Number(found[1]);
    if (found[3]) ended.add(task);
    else {
      const list = parts.get(task) ?? [];
      list.push(join(dir, "results", name));
      parts.set(task, list);
    }
  }
  return { parts, ended };
}

/** The job folders under the run's SLURM folder: `<output>/<seq>`. */
export function listJobFolders(runFolder: string): string[] {
  const root = slurmFolder(runFolder);
  const out: string[] = [];
  let outputs: string[];
  try {
    outputs = readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return out;
  }
  for (const output of outputs) {
    for (const seq of readdirSync(join(root, output))) {
      const dir = join(root, output, seq);
      if (existsSync(join(dir, "job.json"))) out.push(dir);
    }
  }
  return out;
}

/** The last `chars` characters of a task's log (its last lines), or a note that it has none. */
export function logTail(dir: string, task: number, chars = 2000): string {
  try {
    const text = readFileSync(logFile(dir, task), "utf8").trimEnd();
    return text.length > chars ? `…${text.slice(-chars)}` : text || "(the log is empty)";
  } catch {
    return `(no log at ${logFile(dir, task)})`;
  }
}

/** Reads `jobs.json` of a run folder; undefined when the run has no SLURM jobs. */
export function readJobRecords(runFolder: string): JobRecord[] | undefined {
  try {
    return JSON.parse(readFileSync(jobsFile(runFolder), "utf8")) as JobRecord[];
  } catch {
    return undefined;
  }
}
