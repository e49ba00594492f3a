/**
 * Helpers of the SLURM executor tests: temporary run folders (removed afterwards), call logs,
 * the jobs a run submitted, and waiting for a condition.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Temporary folders for one test file, removed by `cleanUp`. */
export function folders(label: string) {
  const made: string[] = [];
  return {
    /** A new empty folder. */
    make: (): string => {
      const f = mkdtempSync(join(tmpdir(), `pipeweave-slurm-${label}-`));
      made.push(f);
      return f;
    },
    cleanUp: (): void => {
      for (const f of made) rmSync(f, { recursive: true, force: true });
    },
  };
}

/** The elements a call log lists (`<pid> <x>` per call), in the order they were computed. */
export function calls(log: string): number[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => Number(line.split(" ")[1]));
}

/** How often each element was computed. */
export function counts(log: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const x of calls(log)) out.set(x, (out.get(x) ?? 0) + 1);
  return out;
}

/** The stored element files of output `y` (file storage): one per stored element. */
export function storedElements(runFolder: string, output = "y"): string[] {
  return readdirSync(join(runFolder, "outputs", output)).filter((f) => f.endsWith(".v8"));
}

/** The SLURM job ids a run folder's jobs.json lists, in submission order. */
export function jobIds(runFolder: string): string[] {
  try {
    const jobs = JSON.parse(readFileSync(join(runFolder, "slurm", "jobs.json"), "utf8")) as {
      job: string;
    }[];
    return jobs.map((j) => j.job);
  } catch {
    return [];
  }
}

/**
 * Array tasks of `jobs` that squeue lists as pending or running: `<job>_<task>` → state (a
 * cancelled task may be listed as COMPLETING a moment while its processes end: not counted).
 */
export function liveTasks(jobs: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  if (jobs.length === 0) return out;
  let text = "";
  try {
    text = execFileSync("squeue", ["-h", "-r", "-j", jobs.join(","), "-o", "%i %T"], {
      encoding: "utf8",
    });
  } catch {
    return out;
  }
  for (const line of text.split("\n")) {
    const [id, state] = line.trim().split(" ");
    if (id && (state === "PENDING" || state === "RUNNING")) out.set(id, state);
  }
  return out;
}

/** `scontrol show job <id>` as fields (the first record: one array task). */
export function showJob(id: string): Record<string, string> {
  const text = execFileSync("scontrol", ["-o", "show", "job", id], { encoding: "utf8" });
  const fields: Record<string, string> = {};
  for (const part of text.split("\n")[0]!.split(" ")) {
    const at = part.indexOf("=");
    if (at > 0) fields[part.slice(0, at)] = part.slice(at + 1);
  }
  return fields;
}

export function scancel(id: string): void {
  execFileSync("scancel", [id]);
}

/** Resolves once `check` holds, polling; rejects after `ms`. */
export async function until(
  check: () => boolean,
  ms = 60_000,
  what = "a condition",
): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** What `promise` rejects with (undefined when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error;
  }
}
