/**
 * Helpers of the redis executor tests: worker and coordinator child processes, queues under
 * the test run's prefix whose keys are deleted afterwards, temporary folders, call logs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redisNames, redisUrl } from "../redis-available.ts";

const fixtures = join(import.meta.dirname, "fixtures");

/** A child process running a fixture. */
export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Everything it printed so far. */
  readonly out: () => string;
  /** Resolves with the first line matching `pattern`; rejects if it exits first. */
  readonly line: (pattern: RegExp) => Promise<string>;
  readonly exited: Promise<number | null>;
}

/** Starts `node --import tsx fixtures/<fixture> ...args`, collecting its output. */
export function start(fixture: string, args: readonly string[]): Child {
  const child = spawn(process.execPath, ["--import", "tsx", join(fixtures, fixture), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, REDIS_URL: redisUrl },
  });
  let out = "";
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const found = out.split("\n").find((l) => w.pattern.test(l));
      if (found !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(found);
      }
    }
  };
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    check();
  });
  child.stderr!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return {
    process: child,
    pid: child.pid!,
    out: () => out,
    exited,
    line: (pattern) =>
      new Promise<string>((resolve, reject) => {
        waiters.push({ pattern, resolve });
        check();
        void exited.then((code) =>
          reject(new Error(`${fixture} exited (${code}) before printing ${pattern}:\n${out}`)),
        );
      }),
  };
}

/** Polls `condition` every 50 ms until it holds (the test's timeout bounds it). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 50));
}

/** The lines `<pid> <x>` of a call log, as [pid, x]. */
export function calls(log: string): [number, number][] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(" ").map(Number) as [number, number]);
}

/** The JSON lines of a worker's events log. */
export function events<T>(path: string): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/**
 * What one test file starts: queues under the test run's Redis prefix (their keys deleted at
 * the end), worker processes (stopped with SIGTERM), temporary folders.
 */
export function testBed(file: string) {
  const names = redisNames(file);
  const children: Child[] = [];
  const folders: string[] = [];
  return {
    children,
    queue: names.queue,
    folder(): string {
      const f = mkdtempSync(join(tmpdir(), "pipeweave-redis-"));
      folders.push(f);
      return f;
    },
    start(fixture: string, args: readonly string[]): Child {
      const child = start(fixture, args);
      children.push(child);
      return child;
    },
    /**
     * Starts a worker of fixtures/worker.ts serving the export `pipeline` of pipelines.mjs on
     * `queue`; resolves once it takes jobs. `rest`: lockDuration, stalledInterval, events log, maxStalledCount.
     */
    async worker(pipeline: string, queue: string, ...rest: string[]): Promise<Child> {
      const child = this.start("worker.ts", [pipeline, queue, ...rest]);
      await child.line(/^ready /);
      return child;
    },
    async cleanUp(): Promise<void> {
      for (const c of children) c.process.kill("SIGTERM");
      await Promise.all(children.map((c) => c.exited));
      await names.cleanUp();
      for (const f of folders) rmSync(f, { recursive: true, force: true });
    },
  };
}
