import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AbortError,
  listRuns,
  type NdArray,
  NodeExecutionError,
  Pipeline,
  pipefunc,
  RunFolderCorruptError,
  RunFolderNotFoundError,
  type RunStatus,
  runStatus,
  STALE_AFTER_MS,
} from "../../src/index.ts";
import { lockRunFolder } from "../../src/map/run-folder-lock.ts";

const execFileAsync = promisify(execFile);
const child = join(import.meta.dirname, "fixtures", "status-child.ts");

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pipeweave-status-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A promise with its resolve, so a test decides when an element finishes. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const readFile = (folder: string): RunStatus =>
  JSON.parse(readFileSync(join(folder, "status.json"), "utf8")) as RunStatus;

/** Polls `read` until `ok` holds; fails after a generous bound (the point is a hang). */
async function until<T>(read: () => T, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  let last: T | undefined;
  let problem: unknown;
  while (Date.now() < deadline) {
    try {
      last = read();
      if (ok(last)) return last;
    } catch (error) {
      problem = error;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(
    `Timed out waiting for ${what}; last: ${JSON.stringify(last)} ${problem ? String(problem) : ""}`,
  );
}

const fn = (status: RunStatus, name: string) => {
  const found = status.functions.find((f) => f.name === name);
  if (!found) throw new Error(`no function "${name}" in ${JSON.stringify(status.functions)}`);
  return found;
};

const gridPipeline = () =>
  new Pipeline(
    [
      pipefunc(
        { output: "c", mapspec: "a[i], b[j] -> c[i, j]" },
        ({ a, b }: { a: number; b: number }) => a * 10 + b,
      ),
      pipefunc(
        { output: "rowSum", mapspec: "c[i, :] -> rowSum[i]" },
        ({ c }: { c: NdArray<number> }) => c.values().reduce((s, v) => s + v, 0),
      ),
      pipefunc({ output: "total" }, ({ rowSum }: { rowSum: NdArray<number> }) =>
        rowSum.values().reduce((s, v) => s + v, 0),
      ),
    ],
    { name: "grid" },
  );

describe("status.json written by map", () => {
  it("ends done with per-function counts in run order, totals known upfront, pid and host", async () => {
    const runFolder = join(dir, "run");
    const seenAtStart: RunStatus[] = [];
    const events: string[] = [];
    await gridPipeline().map(
      { a: [1, 2, 3], b: [1, 2, 3, 4] },
      {
        runFolder,
        progress: {
          // The user's listener still hears every event, next to the status writer.
          onNodeStart(node) {
            events.push(`start ${node}`);
            if (node === "c") seenAtStart.push(readFile(runFolder));
          },
          onNodeEnd(node) {
            events.push(`end ${node}`);
          },
        },
      },
    );
    expect(events).toEqual([
      "start c",
      "end c",
      "start rowSum",
      "end rowSum",
      "start total",
      "end total",
    ]);
    // Before the first function starts, every function is listed with its total.
    const initial = seenAtStart[0]!;
    expect(initial.state).toBe("running");
    expect(initial.functions.map((f) => [f.name, f.state, f.total])).toEqual([
      ["c", "pending", 12],
      ["rowSum", "pending", 3],
      ["total", "pending", 1],
    ]);

    const status = runStatus(runFolder);
    expect(status).toEqual(readFile(runFolder));
    expect(status).toMatchObject({
      format: 1,
      runFolder,
      pipeline: "grid",
      state: "done",
      pid: process.pid,
      host: hostname(),
      etaMs: null,
    });
    expect(status.error).toBeUndefined();
    expect(status.functions.map((f) => [f.name, f.state, f.done, f.failed, f.total])).toEqual([
      ["c", "done", 12, 0, 12],
      ["rowSum", "done", 3, 0, 3],
      ["total", "done", 1, 0, 1],
    ]);
    expect(fn(status, "c").outputs).toEqual(["c"]);
    expect(Date.parse(status.updatedAt)).toBeGreaterThanOrEqual(Date.parse(status.startedAt));
    expect(status.elapsedMs).toBe(Date.parse(status.updatedAt) - Date.parse(status.startedAt));
    for (const f of status.functions) expect(f.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it("counts what a resumed run found stored as done", async () => {
    const runFolder = join(dir, "run");
    const inputs = { a: [1, 2], b: [3, 4, 5] };
    await gridPipeline().map(inputs, { runFolder, progress: false });
    await gridPipeline().map(inputs, { runFolder, resume: true, progress: false });
    const status = runStatus(runFolder);
    expect(status.state).toBe("done");
    expect(status.etaMs).toBeNull();
    expect(status.functions.map((f) => [f.name, f.state, f.done, f.failed, f.total])).toEqual([
      ["c", "done", 6, 0, 6],
      ["rowSum", "done", 2, 0, 2],
      ["total", "done", 1, 0, 1],
    ]);
  });

  it("has no status.json without a run folder, and leaves the user's listener alone", async () => {
    const starts: string[] = [];
    const results = await gridPipeline().map(
      { a: [1], b: [2] },
      { progress: { onNodeStart: (node) => starts.push(node) } },
    );
    expect(results.total.output).toBe(12);
    expect(starts).toEqual(["c", "rowSum", "total"]);
  });

  it("keeps the heartbeat (updatedAt) going while an element runs, without progress", async () => {
    const runFolder = join(dir, "run");
    const gate = deferred();
    const pipeline = new Pipeline([
      pipefunc(
        { output: "y", mapspec: "x[i] -> y[i]", version: "1" },
        async ({ x }: { x: number }) => {
          await gate.promise;
          return x;
        },
      ),
    ]);
    const running = pipeline.map({ x: [1] }, { runFolder, progress: false });
    const first = await until(
      () => readFile(runFolder),
      (s) => fn(s, "y").state === "running",
      "the function to start",
    );
    const later = await until(
      () => readFile(runFolder),
      (s) => s.updatedAt !== first.updatedAt,
      "a heartbeat",
    );
    expect(later.state).toBe("running");
    expect(fn(later, "y")).toMatchObject({ state: "running", done: 0, total: 1 });
    expect(Date.parse(later.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt));
    expect(later.elapsedMs).toBeGreaterThan(first.elapsedMs);
    gate.resolve();
    await running;
    expect(runStatus(runFolder).state).toBe("done");
  });

  it("reports elements as they finish while a slow sweep runs, with an ETA", async () => {
    const runFolder = join(dir, "run");
    const gates = Array.from({ length: 10 }, () => deferred());
    const pipeline = new Pipeline([
      pipefunc(
        { output: "y", mapspec: "x[i] -> y[i]", version: "1" },
        async ({ x }: { x: number }) => {
          await gates[x]!.promise;
          return x;
        },
      ),
    ]);
    const running = pipeline.map(
      { x: Array.from({ length: 10 }, (_, i) => i) },
      { runFolder, concurrency: 1, progress: false },
    );
    for (const g of gates.slice(0, 3)) g.resolve();
    const mid = await until(
      () => runStatus(runFolder),
      (s) => fn(s, "y").done === 3,
      "3 elements reported done",
    );
    expect(mid.state).toBe("running");
    expect(fn(mid, "y")).toMatchObject({ state: "running", done: 3, failed: 0, total: 10 });
    expect(mid.etaMs).not.toBeNull();
    expect(mid.etaMs).toBeGreaterThan(0);
    for (const g of gates) g.resolve();
    await running;
    expect(fn(runStatus(runFolder), "y")).toMatchObject({ state: "done", done: 10, total: 10 });
  });

  it("ends failed with the error's message and the function that failed", async () => {
    const runFolder = join(dir, "run");
    const pipeline = new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
        if (x === 2) throw new Error("two is not allowed");
        return x;
      }),
      pipefunc({ output: "s" }, ({ y }: { y: NdArray<number> }) => y.size),
    ]);
    const error = await pipeline
      .map({ x: [1, 2, 3] }, { runFolder, progress: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    const status = runStatus(runFolder);
    expect(status.state).toBe("failed");
    expect(status.error).toContain("two is not allowed");
    expect(status.error).toContain('"y"');
    expect(status.etaMs).toBeNull();
    expect(fn(status, "y").state).toBe("failed");
    expect(fn(status, "s")).toMatchObject({ state: "pending", done: 0, total: 1 });
  });

  it("marks a single call that throws as failed", async () => {
    const runFolder = join(dir, "run");
    const pipeline = new Pipeline([
      pipefunc({ output: "s" }, ({ x }: { x: number }): number => {
        throw new Error(`bad ${x}`);
      }),
    ]);
    await expect(pipeline.map({ x: 1 }, { runFolder, progress: false })).rejects.toThrow("bad 1");
    const status = runStatus(runFolder);
    expect(status.state).toBe("failed");
    expect(fn(status, "s").state).toBe("failed");
  });

  it("ends done with failed counts under errors: continue", async () => {
    const runFolder = join(dir, "run");
    const pipeline = new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
        if (x % 2 === 0) throw new Error("even");
        return x;
      }),
    ]);
    await pipeline.map({ x: [1, 2, 3, 4, 5] }, { runFolder, errors: "continue", progress: false });
    const status = runStatus(runFolder);
    expect(status.state).toBe("done");
    expect(fn(status, "y")).toMatchObject({ state: "done", done: 3, failed: 2, total: 5 });
  });

  it("ends aborted with the abort's message", async () => {
    const runFolder = join(dir, "run");
    const gate = deferred();
    const controller = new AbortController();
    const pipeline = new Pipeline([
      pipefunc(
        { output: "y", mapspec: "x[i] -> y[i]", version: "1" },
        async ({ x }: { x: number }) => {
          await gate.promise;
          return x;
        },
      ),
    ]);
    const running = pipeline
      .map(
        { x: [1, 2, 3] },
        { runFolder, concurrency: 1, signal: controller.signal, progress: false },
      )
      .catch((e: unknown) => e);
    await until(
      () => readFile(runFolder),
      (s) => fn(s, "y").state === "running",
      "the function to start",
    );
    controller.abort(new Error("user pressed stop"));
    gate.resolve();
    expect(await running).toBeInstanceOf(AbortError);
    const status = runStatus(runFolder);
    expect(status.state).toBe("aborted");
    expect(status.error).toMatch(/abort/i);
    expect(fn(status, "y").state).toBe("failed");
    expect(fn(status, "y").done).toBeLessThan(3);
  });
});

describe("runStatus and listRuns", () => {
  const oneRun = async (runFolder: string) => {
    await gridPipeline().map({ a: [1, 2], b: [3] }, { runFolder, progress: false });
  };

  it("finds nested run folders, newest first, skipping node_modules, dot-folders and run folders' insides", async () => {
    const folders = {
      top: join(dir, "t"),
      inside: join(dir, "t", "outputs", "nested"),
      a: join(dir, "a"),
      deep: join(dir, "x", "y", "b"),
      tooDeep: join(dir, "x", "y", "z", "c"),
      modules: join(dir, "x", "node_modules", "d"),
      hidden: join(dir, ".hidden", "e"),
    };
    for (const folder of Object.values(folders)) await oneRun(folder);
    // Distinct start times, in an order unlike the creation order.
    const startedAt = { top: 3, inside: 7, a: 1, deep: 4, tooDeep: 2, modules: 5, hidden: 6 };
    for (const [key, folder] of Object.entries(folders)) {
      const status = readFile(folder);
      const minute = startedAt[key as keyof typeof startedAt];
      writeFileSync(
        join(folder, "status.json"),
        JSON.stringify({ ...status, startedAt: `2024-01-01T00:0${minute}:00.000Z` }),
      );
    }
    const runs = listRuns(dir);
    expect(runs.map((r) => r.runFolder)).toEqual([folders.deep, folders.top, folders.a]);
    expect(runs.every((r) => r.state === "done" && r.pipeline === "grid")).toBe(true);
    expect(listRuns(dir, { depth: 4 }).map((r) => r.runFolder)).toEqual([
      folders.deep,
      folders.top,
      folders.tooDeep,
      folders.a,
    ]);
    expect(listRuns(folders.a).map((r) => r.runFolder)).toEqual([folders.a]);
    expect(listRuns(join(dir, "x", "y"), { depth: 0 })).toEqual([]);
  });

  it("lists a corrupt run folder as corrupt, naming the file, without hiding the others", async () => {
    const good = join(dir, "good");
    await oneRun(good);
    const bad = join(dir, "bad");
    mkdirSync(bad);
    writeFileSync(join(bad, "run.json"), "{ not json");
    const runs = listRuns(dir);
    expect(runs.map((r) => r.runFolder).sort()).toEqual([bad, good].sort());
    const broken = runs.find((r) => r.runFolder === bad)!;
    expect(broken.state).toBe("corrupt");
    expect(broken.error).toContain("run.json");
    expect(broken.functions).toEqual([]);
  });

  it("throws RunFolderCorruptError for a corrupt status.json, RunFolderNotFoundError for no run", async () => {
    const runFolder = join(dir, "run");
    await oneRun(runFolder);
    writeFileSync(join(runFolder, "status.json"), '{"format": 1, "state": ');
    const error = (() => {
      try {
        return runStatus(runFolder);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RunFolderCorruptError);
    expect((error as RunFolderCorruptError).code).toBe("E_RUN_FOLDER_CORRUPT");
    expect((error as RunFolderCorruptError).file).toBe(join(runFolder, "status.json"));
    writeFileSync(join(runFolder, "status.json"), JSON.stringify({ format: 1, state: "flying" }));
    expect(() => runStatus(runFolder)).toThrow(RunFolderCorruptError);
    expect(() => runStatus(join(dir, "nothing"))).toThrow(RunFolderNotFoundError);
    expect(() => runStatus(join(dir, "nothing"))).toThrow(/not a run folder/);
  });

  it.each([
    ["does not exist", "nothing", "nothing", "it does not exist"],
    ["is a file", "file", "file", "it is a file"],
    ["lies below a file", join("file", "run"), "nothing", "it does not exist"],
    ["is a folder holding no run", "folder", "folder without run.json", "it has no run.json"],
  ])("throws a RunFolderNotFoundError when the path %s", (_, name, found, what) => {
    writeFileSync(join(dir, "file"), "notes");
    mkdirSync(join(dir, "folder"));
    const path = join(dir, name);
    let error: unknown;
    try {
      runStatus(path);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RunFolderNotFoundError);
    expect(error).toMatchObject({ code: "E_RUN_FOLDER_NOT_FOUND", runFolder: path, found });
    expect((error as Error).message).toBe(
      `"${path}" is not a run folder: ${what}. Pass the folder map wrote (its runFolder option, ` +
        "or pipeweave map --run-folder), which holds run.json and status.json.",
    );
  });

  it("derives a status from run.json when status.json is missing (an older run)", async () => {
    const runFolder = join(dir, "run");
    await oneRun(runFolder);
    rmSync(join(runFolder, "status.json"));
    const status = runStatus(runFolder);
    expect(status).toMatchObject({ format: 1, runFolder, pipeline: "grid", state: "done" });
    expect(status.functions.map((f) => [f.name, f.state])).toEqual([
      ["c", "done"],
      ["rowSum", "done"],
      ["total", "done"],
    ]);
  });

  it(`says stale when another host's heartbeat is older than ${STALE_AFTER_MS} ms`, async () => {
    const runFolder = join(dir, "run");
    await oneRun(runFolder);
    const done = readFile(runFolder);
    const write = (fields: Partial<RunStatus>) =>
      writeFileSync(join(runFolder, "status.json"), JSON.stringify({ ...done, ...fields }));
    const old = new Date(Date.now() - STALE_AFTER_MS - 60_000).toISOString();
    write({ state: "running", host: "elsewhere.invalid", pid: 1, updatedAt: old });
    expect(runStatus(runFolder).state).toBe("stale");
    write({ state: "running", host: "elsewhere.invalid", updatedAt: new Date().toISOString() });
    expect(runStatus(runFolder).state).toBe("running");
    // An ended run is never stale, however old.
    write({ state: "done", host: "elsewhere.invalid", updatedAt: old });
    expect(runStatus(runFolder).state).toBe("done");
    // On this host the lock decides: held by a live run (an element blocking the heartbeat)
    // is running however old the heartbeat; not held, the pid (even this process's) is gone.
    write({ state: "running", host: hostname(), pid: process.pid, updatedAt: old });
    expect(runStatus(runFolder).state).toBe("stale");
    const lock = await lockRunFolder(runFolder);
    try {
      expect(runStatus(runFolder).state).toBe("running");
    } finally {
      await lock.release();
    }
  });

  it("says stale at once when a SIGKILLed sweep's process is gone, and a resume ends done", async () => {
    const runFolder = join(dir, "run");
    const proc = spawn(process.execPath, ["--import", "tsx", child, runFolder], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    let exited = false;
    const closed = new Promise((resolve) => proc.once("close", resolve));
    proc.once("exit", () => {
      exited = true;
    });
    const mid = await until(
      () => {
        if (exited) throw new Error("the child ended before it was killed");
        return runStatus(runFolder);
      },
      (s) => s.functions.length > 0 && fn(s, "y").done >= 5,
      "the child to report 5 elements",
    );
    expect(mid).toMatchObject({ state: "running", pid: proc.pid, host: hostname() });
    expect(fn(mid, "y").done).toBeLessThan(100);
    proc.kill("SIGKILL");
    await closed;
    expect(proc.signalCode).toBe("SIGKILL");

    const stale = runStatus(runFolder);
    expect(stale.state).toBe("stale");
    expect(readFile(runFolder).state).toBe("running");
    expect(listRuns(dir).map((r) => [r.runFolder, r.state])).toEqual([[runFolder, "stale"]]);

    const { stdout } = await execFileAsync(process.execPath, [
      "--import",
      "tsx",
      child,
      runFolder,
      "resume",
    ]);
    expect(stdout.trim()).toBe("done");
    const status = runStatus(runFolder);
    expect(status.state).toBe("done");
    expect(status.pid).not.toBe(proc.pid);
    expect(status.functions.map((f) => [f.name, f.state, f.done, f.failed, f.total])).toEqual([
      ["y", "done", 100, 0, 100],
      ["total", "done", 1, 0, 1],
    ]);
  }, 60_000);
});
