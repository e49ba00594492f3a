import { type Dirent, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { InvalidOptionError, RunFolderCorruptError, RunFolderNotFoundError } from "../errors.ts";
import { type RunRecord, readRunRecord, whatIsAt } from "../map/run-folder.ts";
import { inspectLock, readLockOwner } from "../map/run-folder-lock.ts";
import type { FunctionStatus, RunState, RunStatus, SlurmJobStatus } from "./types.ts";
import { STATUS_FILE } from "./writer.ts";

/**
 * How old a running sweep's heartbeat may be before {@link runStatus} calls it `stale`, in
 * milliseconds, when the sweep runs on another host. A running sweep rewrites its status at
 * least every 2 s. On this host its lock decides, as it decides whether a resume may take the
 * folder over: a sweep whose process is gone (its pid no longer exists, or now names another
 * process, or this one when it holds no lock) is stale at once, and a live one is running
 * however old its heartbeat (an element that blocks the event loop also holds the heartbeat
 * up).
 */
export const STALE_AFTER_MS: number = 10_000;

/** Options of {@link listRuns}. */
export interface ListRunsOptions {
  /**
   * How many folder levels below `dir` to search (0: `dir` itself only).
   * @defaultValue 3
   */
  readonly depth?: number;
}

const ENDED = new Set<string>(["done", "failed", "aborted"]);
const FILE_STATES = new Set<string>(["running", ...ENDED]);
const FUNCTION_STATES = new Set<string>(["pending", "running", "done", "failed"]);

/**
 * Where the sweep in a run folder stands: its `status.json` as the run's status writer left
 * it, with `state: "stale"` when it says running but its process is gone (on this host: the
 * run's lock is not held by a live process; elsewhere: no heartbeat for
 * {@link STALE_AFTER_MS}). Resume a stale run with `map(..., { runFolder, resume: true })`
 * (`pipeweave map --resume`).
 *
 * A run folder written before status files existed (run.json only) gets a status derived from
 * run.json: its state, pipeline and functions, with element counts of 0.
 *
 * @param folder - The run folder.
 * @returns The run's status.
 * @throws {@link RunFolderNotFoundError} when the path does not exist, is a file, or is a
 *   folder that holds no run (no status.json, no run.json).
 * @throws {@link RunFolderCorruptError} naming run.json (or status.json) when it cannot be
 *   read as a run record (or a status): a run whose record is corrupt cannot be resumed or
 *   loaded, whatever its status says.
 * @example
 * ```ts
 * const status = runStatus("runs/grid");
 * if (status.state === "stale") console.log("interrupted: resume it with { resume: true }");
 * ```
 */
export function runStatus(folder: string): RunStatus {
  const runFolder = resolve(folder);
  checkFolder(folder);
  const record = existsSync(join(runFolder, "run.json")) ? readRunRecord(folder) : undefined;
  const path = join(runFolder, STATUS_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENOENT") throw error;
    return withJobs(
      withStaleness(fromRunRecord(runFolder, record ?? readRunRecord(folder)), runFolder),
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const reason = text.length === 0 ? "it is empty" : `it is not valid JSON (${String(cause)})`;
    throw new RunFolderCorruptError(folder, path, reason, cause);
  }
  const problem = statusProblem(value);
  if (problem !== undefined) throw new RunFolderCorruptError(folder, path, problem);
  // Where the folder is now, should it have been moved since.
  return withJobs(withStaleness(withSkipped({ ...(value as RunStatus), runFolder }), runFolder));
}

/**
 * The status with each function's SLURM jobs, as the `slurm()` executor keeps them in
 * `slurm/jobs.json` (written as it polls `squeue`, so a run whose coordinator died still
 * shows them). The live dashboard of a sweep adds them to its status writer's snapshot the
 * same way, since the writer knows nothing of jobs.
 */
export function withJobs(status: RunStatus): RunStatus {
  // A sweep without a run folder runs no SLURM jobs (slurm() requires one).
  if (status.runFolder === "") return status;
  let records: unknown;
  try {
    records = JSON.parse(readFileSync(join(status.runFolder, "slurm", "jobs.json"), "utf8"));
  } catch {
    return status;
  }
  if (!Array.isArray(records)) return status;
  const byNode = new Map<string, SlurmJobStatus[]>();
  for (const r of records as {
    node?: unknown;
    job?: unknown;
    tasks?: unknown;
    states?: unknown;
  }[]) {
    if (typeof r?.node !== "string" || typeof r.job !== "string") continue;
    const list = byNode.get(r.node) ?? [];
    list.push({
      job: r.job,
      tasks: typeof r.tasks === "number" ? r.tasks : 0,
      states:
        typeof r.states === "object" && r.states !== null
          ? (r.states as Record<string, number>)
          : {},
    });
    byNode.set(r.node, list);
  }
  if (byNode.size === 0) return status;
  return {
    ...status,
    functions: status.functions.map((f) => {
      const jobs = byNode.get(f.name);
      return jobs ? { ...f, jobs } : f;
    }),
  };
}

/** Refuses a path that is no folder, before anything is read inside it. */
function checkFolder(folder: string): void {
  const found = whatIsAt(folder);
  if (found !== "folder") throw new RunFolderNotFoundError(folder, found);
}

/**
 * Every run folder (a folder holding run.json) in `dir` and below, with its status (see
 * {@link runStatus}), newest first by `startedAt`. `dir` itself counts; the search goes
 * `depth` levels down, skips `node_modules`, folders whose name starts with a dot and the
 * insides of run folders, and does not follow symbolic links.
 *
 * A run folder whose status cannot be read does not hide the others: it is listed with
 * `state: "corrupt"` when its run.json or status.json is corrupt (`"failed"` when it cannot be
 * read at all), the reading error's message as `error`, no functions, and its folder's
 * modification time as `startedAt`.
 *
 * @param dir - The folder to search.
 * @param options - How deep to search.
 * @returns The runs found, newest first; empty when there are none (or `dir` does not exist).
 */
export function listRuns(dir: string, options: ListRunsOptions = {}): RunStatus[] {
  const depth = options.depth ?? 3;
  if (!Number.isInteger(depth) || depth < 0) {
    throw new InvalidOptionError(
      "depth",
      `Expected \`depth\` to be an integer from 0 and up, got ${JSON.stringify(depth)}.`,
    );
  }
  const folders: string[] = [];
  collectRunFolders(resolve(dir), depth, folders);
  const runs = folders.map(readOrDescribe);
  return runs.sort((a, b) => timeOf(b.startedAt) - timeOf(a.startedAt));
}

function collectRunFolders(folder: string, depth: number, out: string[]): void {
  if (existsSync(join(folder, "run.json"))) {
    out.push(folder);
    return;
  }
  if (depth === 0) return;
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch {
    // Missing or unreadable: nothing to list there.
    return;
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name.startsWith(".") || entry.name === "node_modules") {
      continue;
    }
    collectRunFolders(join(folder, entry.name), depth - 1, out);
  }
}

function readOrDescribe(folder: string): RunStatus {
  try {
    return runStatus(folder);
  } catch (error) {
    let startedAt = new Date(0).toISOString();
    try {
      startedAt = statSync(folder).mtime.toISOString();
    } catch {
      // Gone meanwhile: sorted last.
    }
    return {
      format: 1,
      runFolder: folder,
      pipeline: "",
      // Corrupt: neither resume nor load would read it, whatever its status said.
      state: error instanceof RunFolderCorruptError ? "corrupt" : "failed",
      pid: 0,
      host: "",
      startedAt,
      updatedAt: startedAt,
      elapsedMs: 0,
      etaMs: null,
      functions: [],
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

const timeOf = (iso: string): number => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
};

/**
 * `status` with every function's `skipped` count: a status file of an older version has none
 * (it counted skipped elements as failed, and they cannot be told apart now).
 */
function withSkipped(status: RunStatus): RunStatus {
  if (status.functions.every((f) => typeof f.skipped === "number")) return status;
  return { ...status, functions: status.functions.map((f) => ({ ...f, skipped: f.skipped ?? 0 })) };
}

/** `status` with state `stale` when it says running but its process is gone. */
function withStaleness(status: RunStatus, runFolder: string): RunStatus {
  return status.state === "running" && isGone(status, runFolder)
    ? { ...status, state: "stale" }
    : status;
}

/**
 * On this host, a run is gone unless its folder's lock is held by a live process (as a resume
 * would find it); elsewhere, once its heartbeat is older than {@link STALE_AFTER_MS}.
 */
function isGone(status: RunStatus, runFolder: string): boolean {
  if (status.host === hostname()) return inspectLock(runFolder).state !== "held";
  return Date.now() - timeOf(status.updatedAt) > STALE_AFTER_MS;
}

/**
 * A status for a run folder without status.json (written before status files existed): the
 * run's state and functions from run.json, its process from the lock's owner file when one is
 * left, and no element counts.
 */
function fromRunRecord(runFolder: string, record: RunRecord): RunStatus {
  const owner = readLockOwner(runFolder);
  const functionState: FunctionStatus["state"] = record.status === "done" ? "done" : "pending";
  const started = timeOf(record.createdAt);
  const updated = timeOf(record.updatedAt);
  return {
    format: 1,
    runFolder,
    pipeline: record.pipeline.name,
    state: FILE_STATES.has(record.status) ? (record.status as RunState) : "failed",
    pid: owner?.pid ?? 0,
    host: owner?.host ?? "",
    startedAt: record.createdAt,
    updatedAt: record.updatedAt,
    elapsedMs: Number.isFinite(updated - started) ? Math.max(0, updated - started) : 0,
    etaMs: null,
    functions: record.pipeline.functions.map((f) => ({
      name: f.name,
      outputs: f.outputs,
      state: functionState,
      done: 0,
      failed: 0,
      skipped: 0,
      total: 0,
      elapsedMs: 0,
    })),
  };
}

/** What makes `value` not a run status, or undefined when it is one. */
function statusProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "it does not hold a run status (an object)";
  }
  const s = value as Record<string, unknown>;
  if (s.format !== 1) return `its format is ${JSON.stringify(s.format)}, expected 1`;
  if (typeof s.state !== "string" || !FILE_STATES.has(s.state)) {
    return `its state is ${JSON.stringify(s.state)}, expected one of ${[...FILE_STATES].join(", ")}`;
  }
  for (const field of ["runFolder", "pipeline", "host", "startedAt", "updatedAt"]) {
    if (typeof s[field] !== "string") return `its "${field}" is not a string`;
  }
  for (const field of ["pid", "elapsedMs"]) {
    if (typeof s[field] !== "number") return `its "${field}" is not a number`;
  }
  if (s.etaMs !== null && typeof s.etaMs !== "number") return 'its "etaMs" is not a number';
  if (s.error !== undefined && typeof s.error !== "string") return 'its "error" is not a string';
  if (!Array.isArray(s.functions)) return 'its "functions" is not a list';
  const malformed = s.functions.findIndex((f: unknown) => functionProblem(f));
  if (malformed >= 0) return `functions[${malformed}] is not a function status`;
  if (s.workers !== undefined) {
    if (!Array.isArray(s.workers)) return 'its "workers" is not a list';
    const bad = s.workers.findIndex((w: unknown) => workerProblem(w));
    if (bad >= 0) return `workers[${bad}] is not a worker ({ host, pid, elements })`;
  }
  for (const field of ["failedElements", "skippedElements"]) {
    if (s[field] !== undefined && typeof s[field] !== "number") {
      return `its "${field}" is not a number`;
    }
  }
  if (s.errors !== undefined) {
    if (!Array.isArray(s.errors)) return 'its "errors" is not a list';
    const bad = s.errors.findIndex((e: unknown) => elementErrorProblem(e));
    if (bad >= 0) return `errors[${bad}] is not a failed element ({ name, index, message, at })`;
  }
  return undefined;
}

function elementErrorProblem(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  const e = value as Record<string, unknown>;
  return (
    typeof e.name !== "string" ||
    !Array.isArray(e.index) ||
    !e.index.every((i) => typeof i === "number") ||
    typeof e.message !== "string" ||
    typeof e.at !== "string"
  );
}

function workerProblem(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  const w = value as Record<string, unknown>;
  return typeof w.host !== "string" || typeof w.pid !== "number" || typeof w.elements !== "number";
}

function functionProblem(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  const f = value as Record<string, unknown>;
  return (
    typeof f.name !== "string" ||
    !Array.isArray(f.outputs) ||
    typeof f.state !== "string" ||
    !FUNCTION_STATES.has(f.state) ||
    typeof f.done !== "number" ||
    typeof f.failed !== "number" ||
    (f.skipped !== undefined && typeof f.skipped !== "number") ||
    typeof f.total !== "number" ||
    typeof f.elapsedMs !== "number" ||
    (f.etaMs !== undefined && f.etaMs !== null && typeof f.etaMs !== "number")
  );
}
