/**
 * A run folder holds only what pipeweave wrote: `map` refuses a folder holding other files and
 * no run, and `overwrite` removes exactly the files its runs wrote, never a user's.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  loadOutputs,
  type NdArray,
  Pipeline,
  pipefunc,
  RunFolderNotEmptyError,
} from "../../src/index.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pipeweave-overwrite-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** `y[i] = x[i] * k` and, when `withSum`, `total = sum(y)` (a 0-D output). */
function pipeline(k: number, withSum = true) {
  const scaled = pipefunc(
    { output: "y", mapspec: "x[i] -> y[i]", version: k },
    ({ x }: { x: number }) => x * k,
  );
  const total = pipefunc({ output: "total", version: 1 }, ({ y }: { y: NdArray<number> }) =>
    y.values().reduce((a, b) => a + b, 0),
  );
  return new Pipeline(withSum ? [scaled, total] : [scaled], { name: "scaled" });
}

/** Writes `text` to `folder/relative`, making its folders. */
function put(folder: string, relative: string, text: string): void {
  mkdirSync(join(folder, relative, ".."), { recursive: true });
  writeFileSync(join(folder, relative), text);
}

async function rejection(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

describe("a folder that is not a run folder", () => {
  it("is refused by map, with overwrite and with resume, naming a few entries; nothing is touched", async () => {
    const project = join(dir, "project");
    put(project, "inputs/data.csv", "a,b\n1,2\n");
    put(project, "outputs/report.txt", "my report");
    put(project, "notes.md", "# notes");
    for (let k = 0; k < 5; k++) put(project, `extra-${k}.txt`, String(k));
    for (const options of [{}, { overwrite: true }, { resume: true }]) {
      const error = await rejection(
        pipeline(2).map({ x: range(3) }, { runFolder: project, progress: false, ...options }),
      );
      expect(error).toBeInstanceOf(RunFolderNotEmptyError);
      const refused = error as RunFolderNotEmptyError;
      expect(refused.code).toBe("E_RUN_FOLDER_NOT_EMPTY");
      expect(refused.runFolder).toBe(project);
      expect(refused.entries).toEqual([
        "extra-0.txt",
        "extra-1.txt",
        "extra-2.txt",
        "extra-3.txt",
        "extra-4.txt",
      ]);
      expect(refused.message).toContain(`"${project}"`);
      expect(refused.message).toContain('"extra-0.txt"');
      expect(refused.message).toContain("and 3 more");
      expect(refused.message).toContain("no run.json");
      expect(refused.message).toContain("Pass a new or empty folder as runFolder");
    }
    expect(readFileSync(join(project, "inputs/data.csv"), "utf8")).toBe("a,b\n1,2\n");
    expect(readFileSync(join(project, "outputs/report.txt"), "utf8")).toBe("my report");
    expect(readdirSync(project).sort()).toEqual([
      "extra-0.txt",
      "extra-1.txt",
      "extra-2.txt",
      "extra-3.txt",
      "extra-4.txt",
      "inputs",
      "notes.md",
      "outputs",
    ]);
    expect(readdirSync(join(project, "outputs"))).toEqual(["report.txt"]);
  });

  it("an empty folder, or one holding only a killed run's lock, is taken", async () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    await pipeline(2).map({ x: range(3) }, { runFolder: empty, progress: false });
    // What a run killed before it wrote run.json leaves: its lock, naming a pid that is gone.
    const killed = join(dir, "killed");
    mkdirSync(join(killed, ".pipeweave.lock"), { recursive: true });
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(join(killed, ".pipeweave.lock"), old, old);
    writeFileSync(
      join(killed, ".pipeweave.lock.json"),
      JSON.stringify({ pid: 2 ** 22 + 17, host: hostname(), since: old.toISOString() }),
    );
    writeFileSync(join(killed, ".DS_Store"), "");
    const results = await pipeline(2).map({ x: range(3) }, { runFolder: killed, progress: false });
    expect((results.y.output as NdArray<number>).data).toEqual([0, 2, 4]);
  });
});

describe("overwrite", () => {
  it("removes only what the runs wrote: a user's files in the run folder survive", async () => {
    const folder = join(dir, "run");
    await pipeline(2).map({ x: range(5) }, { runFolder: folder, progress: false });
    put(folder, "notes.md", "# what I ran");
    put(folder, "outputs/report.txt", "my report");
    put(folder, "outputs/figures/plot.svg", "<svg/>");
    put(folder, "inputs/data.csv", "x\n1\n");
    put(folder, "outputs/y/README", "what y is");
    // Fewer elements, and no "total" any more: the old 3.v8, 4.v8 and total's store must go.
    const results = await pipeline(3, false).map(
      { x: range(3) },
      { runFolder: folder, overwrite: true, progress: false },
    );
    expect((results.y.output as NdArray<number>).data).toEqual([0, 3, 6]);
    expect(readFileSync(join(folder, "notes.md"), "utf8")).toBe("# what I ran");
    expect(readFileSync(join(folder, "outputs/report.txt"), "utf8")).toBe("my report");
    expect(readFileSync(join(folder, "outputs/figures/plot.svg"), "utf8")).toBe("<svg/>");
    expect(readFileSync(join(folder, "inputs/data.csv"), "utf8")).toBe("x\n1\n");
    expect(readFileSync(join(folder, "outputs/y/README"), "utf8")).toBe("what y is");
    expect(readdirSync(join(folder, "outputs/y")).sort()).toEqual([
      "0.v8",
      "1.v8",
      "2.v8",
      "README",
      "meta.json",
    ]);
    expect(existsSync(join(folder, "outputs/total"))).toBe(false);
    expect(readdirSync(join(folder, "outputs")).sort()).toEqual(["figures", "report.txt", "y"]);
    expect(readdirSync(join(folder, "inputs")).sort()).toEqual(["data.csv", "x.v8"]);
    const y = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
    expect(y.data).toEqual([0, 3, 6]);
  });

  it("removes a zarr store's chunks, records and metadata, and nothing beside them", async () => {
    const folder = join(dir, "run");
    const store = join(folder, "outputs/y");
    // 3,000 elements: three chunks of 1,024, each with its presence record.
    await pipeline(2).map(
      { x: range(3000) },
      { runFolder: folder, storage: "zarr", progress: false },
    );
    expect(readdirSync(store).sort()).toEqual([".present", "c", "meta.json", "zarr.json"]);
    expect(readdirSync(join(store, "c")).sort()).toEqual(["0", "1", "2"]);
    expect(readdirSync(join(store, ".present")).sort()).toEqual(["0", "1", "2"]);
    put(folder, "outputs/y/analysis.ipynb", "{}");
    put(folder, "outputs/report.txt", "my report");
    const results = await pipeline(5).map(
      { x: range(10) },
      { runFolder: folder, storage: "zarr", overwrite: true, progress: false },
    );
    expect((results.y.output as NdArray<number>).data).toEqual(range(10).map((x) => x * 5));
    // 10 elements: one chunk; the old chunks 1 and 2 and their records are gone.
    expect(readdirSync(store).sort()).toEqual([
      ".present",
      "analysis.ipynb",
      "c",
      "meta.json",
      "zarr.json",
    ]);
    expect(readdirSync(join(store, "c"))).toEqual(["0"]);
    expect(readdirSync(join(store, ".present"))).toEqual(["0"]);
    expect(readFileSync(join(folder, "outputs/report.txt"), "utf8")).toBe("my report");
    const y = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
    expect(y.data).toEqual(range(10).map((x) => x * 5));
  });

  it('keeps an output named ".." or "." inside outputs/, so overwrite never reaches the run folder\'s own files', async () => {
    const folder = join(dir, "run");
    const dotted = () =>
      new Pipeline([
        pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x),
        pipefunc({ output: ".." }, ({ y }: { y: NdArray<number> }) => y.values().length),
        pipefunc({ output: "." }, ({ y }: { y: NdArray<number> }) => y.values()[0]),
      ]);
    await dotted().map({ x: range(3) }, { runFolder: folder, progress: false });
    expect(readdirSync(join(folder, "outputs")).sort()).toEqual(["%2E", "%2E.", "y"]);
    put(folder, "meta.json", "my meta");
    put(folder, "outputs/meta.json", "mine too");
    const results = await dotted().map(
      { x: range(2) },
      { runFolder: folder, overwrite: true, progress: false },
    );
    expect(results[".."]?.output).toBe(2);
    expect(readFileSync(join(folder, "meta.json"), "utf8")).toBe("my meta");
    expect(readFileSync(join(folder, "outputs/meta.json"), "utf8")).toBe("mine too");
    expect(await loadOutputs("..", { runFolder: folder })).toBe(2);
  });

  it("over a corrupt run.json removes the new run's stores, and keeps the user's files", async () => {
    const folder = join(dir, "run");
    await pipeline(2).map({ x: range(5) }, { runFolder: folder, progress: false });
    writeFileSync(join(folder, "run.json"), "{ truncated");
    put(folder, "outputs/report.txt", "my report");
    const results = await pipeline(3).map(
      { x: range(2) },
      { runFolder: folder, overwrite: true, progress: false },
    );
    expect((results.y.output as NdArray<number>).data).toEqual([0, 3]);
    expect(readdirSync(join(folder, "outputs/y")).sort()).toEqual(["0.v8", "1.v8", "meta.json"]);
    expect(readFileSync(join(folder, "outputs/report.txt"), "utf8")).toBe("my report");
  });
});
