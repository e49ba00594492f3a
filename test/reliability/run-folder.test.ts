import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  AbortError,
  InvalidOptionError,
  isMissing,
  loadAll,
  loadOutputs,
  type NdArray,
  Pipeline,
  pipefunc,
  RunFolderCorruptError,
  RunFolderLockedError,
  ShapeTooLargeError,
} from "../../src/index.ts";

const execFileAsync = promisify(execFile);
const child = join(import.meta.dirname, "fixtures", "run-folder-child.ts");

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pipeweave-reliability-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

type Mode = "fresh" | "overwrite" | "resume";
interface ChildArgs {
  readonly mode: Mode;
  readonly storage: "file" | "zarr";
  readonly n: number;
  readonly ms: number;
  readonly offset: number;
  readonly readyAfter: number;
}

const argv = (folder: string, a: ChildArgs) => [
  "--import",
  "tsx",
  child,
  folder,
  a.mode,
  a.storage,
  String(a.n),
  String(a.ms),
  String(a.offset),
  String(a.readyAfter),
];

/** Starts the child and resolves once it printed "ready" (it computed `readyAfter` elements). */
async function startChild(folder: string, a: ChildArgs): Promise<ChildProcess> {
  const proc = spawn(process.execPath, argv(folder, a), { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("ready")) resolve();
    });
    proc.once("exit", (code) => reject(new Error(`child exited (${code}) before ready: ${out}`)));
  });
  return proc;
}

/** Runs the child to its end and returns its last line. */
async function runChild(folder: string, a: ChildArgs): Promise<string> {
  const result = await execFileAsync(process.execPath, argv(folder, a)).catch(
    (e: { stdout: string }) => e,
  );
  return result.stdout.trim().split("\n").at(-1) ?? "";
}

const exited = (proc: ChildProcess) =>
  proc.exitCode !== null || proc.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => proc.once("exit", resolve));

const slowPipeline = (offset: number, calls: number[] = []) =>
  new Pipeline(
    [
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]", version: 1 }, ({ x }: { x: number }) => {
        calls.push(x);
        return x + offset;
      }),
    ],
    { name: "slow-sync" },
  );

/** The error `work` rejects with; fails the test when it resolves. */
async function caught(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

const xs = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("one run folder, one writer", () => {
  it("refuses a second writer with RunFolderLockedError naming the holder's pid and host", async () => {
    const folder = join(dir, "run");
    // 30 s of work: it is killed once the other writers were refused.
    const holder = await startChild(folder, {
      mode: "fresh",
      storage: "file",
      n: 3000,
      ms: 10,
      offset: 0,
      readyAfter: 5,
    });
    try {
      // Another process, with overwrite and with resume.
      for (const mode of ["overwrite", "resume"] as const) {
        const line = await runChild(folder, {
          mode,
          storage: "file",
          n: 3000,
          ms: 0,
          offset: 1000,
          readyAfter: 0,
        });
        const reported = JSON.parse(line) as Record<string, unknown>;
        expect(reported).toMatchObject({
          name: "RunFolderLockedError",
          code: "E_RUN_FOLDER_LOCKED",
          pid: holder.pid,
          host: hostname(),
        });
      }
      // This process too.
      const error = await caught(
        slowPipeline(1000).map({ x: xs(3000) }, { runFolder: folder, overwrite: true }),
      );
      expect(error).toBeInstanceOf(RunFolderLockedError);
      expect((error as RunFolderLockedError).pid).toBe(holder.pid);
      expect((error as Error).message).toContain(`process ${holder.pid}`);
    } finally {
      holder.kill("SIGKILL");
      await exited(holder);
    }
    // Every stored element comes from the one writer, and the folder resumes.
    const before = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
    expect(before.data.filter((v) => !isMissing(v)).every((v) => (v as number) < 1000)).toBe(true);
    const line = await runChild(folder, {
      mode: "resume",
      storage: "file",
      n: 3000,
      ms: 0,
      offset: 0,
      readyAfter: 0,
    });
    expect(line).toMatch(/^done \d+$/);
    expect(Number(line.slice(5))).toBeLessThan(3000);
    const y = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
    expect(y.data).toEqual(xs(3000));
  }, 60_000);

  it("refuses resume and overwrite together: one keeps the results, the other deletes them", async () => {
    const error = await caught(
      slowPipeline(0).map(
        { x: xs(2) },
        { runFolder: join(dir, "run"), resume: true, overwrite: true },
      ),
    );
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe("overwrite");
  });

  it("lets two maps in one process take turns, never at once", async () => {
    const folder = join(dir, "run");
    const slow = new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, async ({ x }: { x: number }) => {
        await new Promise((r) => setTimeout(r, 5));
        return x;
      }),
    ]);
    const first = slow.map({ x: xs(40) }, { runFolder: folder });
    const second = await caught(slow.map({ x: xs(40) }, { runFolder: folder, overwrite: true }));
    expect(second).toBeInstanceOf(RunFolderLockedError);
    expect((second as RunFolderLockedError).pid).toBe(process.pid);
    await first;
    // Released at the end: the next run takes the folder.
    await slow.map({ x: xs(40) }, { runFolder: folder, overwrite: true });
  });

  it("does not let a SIGKILLed run's lock block its resume", async () => {
    const folder = join(dir, "run");
    const holder = await startChild(folder, {
      mode: "fresh",
      storage: "file",
      n: 400,
      ms: 10,
      offset: 0,
      readyAfter: 20,
    });
    holder.kill("SIGKILL");
    await exited(holder);
    expect(existsSync(join(folder, ".pipeweave.lock"))).toBe(true);
    const started = performance.now();
    const line = await runChild(folder, {
      mode: "resume",
      storage: "file",
      n: 400,
      ms: 0,
      offset: 0,
      readyAfter: 0,
    });
    // Taken over at once (the holder's pid is gone), not after the lock's 30 s staleness.
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(line).toMatch(/^done \d+$/);
    expect(Number(line.slice(5))).toBeLessThan(400);
    const y = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
    expect(y.data).toEqual(xs(400));
    expect(existsSync(join(folder, ".pipeweave.lock"))).toBe(false);
  }, 60_000);
});

describe("zarr writes as it goes", () => {
  it("has on disk what was computed before a SIGKILL, and the resume computes the rest", async () => {
    const folder = join(dir, "run");
    const args = { storage: "zarr", n: 3000, ms: 2, offset: 0 } as const;
    const proc = await startChild(folder, { ...args, mode: "fresh", readyAfter: 500 });
    proc.kill("SIGKILL");
    await exited(proc);
    const y = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
    const stored = y.data.filter((v) => !isMissing(v)).length;
    // All but the elements of the last slice (20 ms, about 10 elements here) reached the disk.
    expect(stored).toBeGreaterThanOrEqual(400);
    expect(stored).toBeLessThan(3000);
    const line = await runChild(folder, { ...args, mode: "resume", ms: 0, readyAfter: 0 });
    expect(line).toBe(`done ${3000 - stored}`);
    const after = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
    expect(after.data).toEqual(xs(3000));
  }, 60_000);
});

describe("corrupt files are never read as data", () => {
  const storedRun = async (storage: "file" | "zarr") => {
    const folder = join(dir, storage);
    await slowPipeline(0).map({ x: xs(6) }, { runFolder: folder, storage });
    return folder;
  };

  it.each([
    // Six elements are one zarr chunk.
    ["zarr", (f: string) => join(f, "outputs", "y", "c", "0"), xs(6)],
    ["file", (f: string) => join(f, "outputs", "y", "3.v8"), [3]],
  ] as const)(
    "a truncated %s element is a RunFolderCorruptError naming the file",
    async (storage, fileOf, held) => {
      const folder = await storedRun(storage);
      const file = fileOf(folder);
      writeFileSync(file, Buffer.from([1, 2, 3]));
      for (const attempt of [
        () => loadOutputs("y", { runFolder: folder }),
        () => loadAll({ runFolder: folder }),
        () => slowPipeline(0).map({ x: xs(6) }, { runFolder: folder, storage, resume: true }),
      ]) {
        const error = await caught(attempt());
        expect(error).toBeInstanceOf(RunFolderCorruptError);
        expect((error as RunFolderCorruptError).file).toBe(file);
        expect((error as Error).message).toContain(file);
      }
      // Deleting the file, as the message says, recomputes just what it held.
      rmSync(file);
      const calls: number[] = [];
      await slowPipeline(0, calls).map({ x: xs(6) }, { runFolder: folder, storage, resume: true });
      expect(calls).toEqual(held);
    },
  );

  it("loadAll reads what is there: memory-only outputs and unreached ones are MISSING", async () => {
    const folder = join(dir, "run");
    const p = new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x * 2),
      pipefunc({ output: "total" }, ({ y }: { y: NdArray<number> }) => {
        throw new Error(`no total for ${y.size}`);
      }),
    ]);
    await caught(p.map({ x: xs(3) }, { runFolder: folder }));
    const all = await loadAll({ runFolder: folder });
    expect((all.y as NdArray<number>).data).toEqual([0, 2, 4]);
    expect(isMissing(all.total)).toBe(true);
  });

  it.each([
    ["empty", ""],
    ["truncated", '{ "format": 1, "pipeline": { "na'],
    ["an empty object", "{}"],
    ["null", "null"],
    ["an array", "[1, 2]"],
    [
      "functions that are not records",
      '{"format":1,"pipeline":{"functions":[3]},"inputs":{},"outputs":{}}',
    ],
  ])("run.json that is %s is a RunFolderCorruptError; overwrite recovers", async (_, text) => {
    const folder = join(dir, "run");
    await slowPipeline(0).map({ x: xs(4) }, { runFolder: folder });
    const runJson = join(folder, "run.json");
    writeFileSync(runJson, text);
    for (const attempt of [
      () => slowPipeline(0).map({ x: xs(4) }, { runFolder: folder, resume: true }),
      () => slowPipeline(0).map({ x: xs(4) }, { runFolder: folder }),
      () => loadOutputs("y", { runFolder: folder }),
      () => loadAll({ runFolder: folder }),
    ]) {
      const error = await caught(attempt());
      expect(error).toBeInstanceOf(RunFolderCorruptError);
      expect((error as RunFolderCorruptError).file).toBe(runJson);
    }
    const result = await slowPipeline(5).map({ x: xs(4) }, { runFolder: folder, overwrite: true });
    expect((result.y.output as NdArray<number>).data).toEqual([5, 6, 7, 8]);
    expect(JSON.parse(readFileSync(runJson, "utf8")).status).toBe("done");
  });

  it("a corrupt meta.json of a store is a RunFolderCorruptError naming it", async () => {
    const folder = join(dir, "run");
    await slowPipeline(0).map({ x: xs(4) }, { runFolder: folder });
    const meta = join(folder, "outputs", "y", "meta.json");
    writeFileSync(meta, '{"kind":');
    const error = await caught(loadOutputs("y", { runFolder: folder }));
    expect(error).toBeInstanceOf(RunFolderCorruptError);
    expect((error as RunFolderCorruptError).file).toBe(meta);
  });
});

describe("no hang", () => {
  it("aborts a map of synchronous elements between elements", async () => {
    let calls = 0;
    const busy = new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
        calls++;
        const until = performance.now() + 5;
        while (performance.now() < until) {
          // A synchronous element: it never yields by itself.
        }
        return x;
      }),
    ]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("enough")), 100);
    const started = performance.now();
    const error = await caught(busy.map({ x: xs(1000) }, { signal: controller.signal }));
    expect(error).toBeInstanceOf(AbortError);
    expect((error as Error).cause).toEqual(new Error("enough"));
    // 1000 elements take 5 s; the abort lands within a slice (20 ms) of the 100 ms timer.
    expect(calls).toBeLessThan(500);
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it.each([
    [31_623, 31_623],
    [100_000, 100_000],
  ])(
    "refuses a %i × %i outer product at once with ShapeTooLargeError naming the axes",
    async (a, b) => {
      const p = new Pipeline([
        pipefunc(
          { output: "c", mapspec: "a[i], b[j] -> c[i, j]" },
          ({ a, b }: { a: number; b: number }) => a + b,
        ),
      ]);
      const started = performance.now();
      const error = await caught(p.map({ a: xs(a), b: xs(b) }));
      expect(error).toBeInstanceOf(ShapeTooLargeError);
      expect((error as ShapeTooLargeError).axes).toEqual({ i: a, j: b });
      expect((error as Error).message).toMatch(/"c".*i=\d+ × j=\d+/);
      expect(performance.now() - started).toBeLessThan(5_000);
    },
  );

  it("refuses a generated axis that makes an output too large before allocating it", async () => {
    const p = new Pipeline([
      pipefunc({ output: "x", mapspec: "... -> x[i]" }, () => xs(100_000)),
      pipefunc(
        { output: "y", mapspec: "x[i], z[j] -> y[i, j]" },
        ({ x, z }: { x: number; z: number }) => x + z,
      ),
    ]);
    const error = await caught(p.map({ z: xs(100_000) }));
    expect(error).toBeInstanceOf(ShapeTooLargeError);
    expect((error as ShapeTooLargeError).output).toBe("y");
  });
});
