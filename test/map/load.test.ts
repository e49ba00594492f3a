import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  loadAll,
  loadOutputs,
  MISSING,
  type NdArray,
  OutputAxesError,
  OutputNotStoredError,
  Pipeline,
  pipefunc,
  RunFolderCorruptError,
  RunFolderNotFoundError,
  UnknownOutputError,
} from "../../src/index.ts";

const add = pipefunc(
  { output: "c", mapspec: "a[i], b[j] -> c[i, j]" },
  ({ a, b }: { a: number; b: number }) => a + b,
);
const total = pipefunc({ output: "total" }, ({ c }: { c: NdArray<number> }) =>
  c.values().reduce((s, v) => s + v, 0),
);
const pipeline = new Pipeline([add, total]);
const inputs = { a: [1, 2, 3], b: [10, 20] };
const quiet = { progress: false } as const;

let dir = "";
/** A run folder of `pipeline`, complete, stored in files. */
let done = "";
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pipeweave-load-"));
  done = join(dir, "done");
  await pipeline.map(inputs, { ...quiet, runFolder: done });
  writeFileSync(join(dir, "a-file"), "not a run folder");
  mkdirSync(join(dir, "empty"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The error `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("it resolved"),
    (error: unknown) => error,
  );
}

describe("loadOutputs and loadAll on a path that holds no run", () => {
  it.each([
    ["does not exist", "missing", "nothing", "it does not exist"],
    ["is a file", "a-file", "file", "it is a file"],
    ["is a folder without run.json", "empty", "folder without run.json", "it has no run.json"],
  ])("throw a RunFolderNotFoundError when the path %s", async (_, name, found, what) => {
    const path = join(dir, name);
    for (const load of [
      () => loadOutputs("c", { runFolder: path }),
      () => loadAll({ runFolder: path }),
    ]) {
      const error = await rejection(load());
      expect(error).toBeInstanceOf(RunFolderNotFoundError);
      expect(error).toMatchObject({ code: "E_RUN_FOLDER_NOT_FOUND", runFolder: path, found });
      expect((error as Error).message).toBe(
        `"${path}" is not a run folder: ${what}. Pass the folder map wrote (its runFolder ` +
          "option, or pipeweave map --run-folder), which holds run.json and status.json.",
      );
    }
  });

  it("says nothing is there when a file stands where a folder on the path should be", async () => {
    const path = join(dir, "a-file", "run");
    const error = await rejection(loadOutputs("c", { runFolder: path }));
    expect(error).toMatchObject({ code: "E_RUN_FOLDER_NOT_FOUND", found: "nothing" });
  });
});

describe("loadOutputs of an output the run folder does not have", () => {
  it("throws an UnknownOutputError naming the folder and the close names", async () => {
    const error = await rejection(loadOutputs("totl", { runFolder: done }));
    expect(error).toBeInstanceOf(UnknownOutputError);
    expect(error).toMatchObject({
      code: "E_UNKNOWN_OUTPUT",
      output: "totl",
      runFolder: done,
      suggestions: ["total"],
    });
    expect((error as Error).message).toBe(
      `The run folder "${done}" has no output "totl". Did you mean "total"?`,
    );
  });
});

describe("loadOutputs of an output its run folder holds no store of", () => {
  it("throws an OutputNotStoredError for an output kept in memory, which loadAll gives as MISSING", async () => {
    const runFolder = join(dir, "memory");
    await pipeline.map(inputs, { ...quiet, runFolder, storage: "memory" });
    const error = await rejection(loadOutputs("c", { runFolder }));
    expect(error).toBeInstanceOf(OutputNotStoredError);
    expect(error).toMatchObject({
      code: "E_OUTPUT_NOT_STORED",
      runFolder,
      output: "c",
      storage: "memory",
    });
    expect((error as Error).message).toBe(
      `Output "c" of the run folder "${runFolder}" was kept in memory only (storage "memory"), ` +
        'so it cannot be loaded. Run map with storage "file" or "zarr" to load it later.',
    );
    // A single value is kept in a file whatever `storage` says.
    expect(await loadAll({ runFolder })).toEqual({ c: MISSING, total: 102 });
  });

  it("throws an OutputNotStoredError for an output the run stopped before, which loadAll gives as MISSING", async () => {
    const runFolder = join(dir, "stopped");
    const failing = pipefunc({ output: "c", mapspec: "a[i] -> c[i]" }, ({ a }: { a: number }) => {
      if (a === 2) throw new Error("two");
      return a;
    });
    const sum = pipefunc({ output: "d" }, ({ c }: { c: NdArray<number> }) => c.size);
    await expect(
      new Pipeline([failing, sum]).map({ a: [1, 2] }, { ...quiet, runFolder }),
    ).rejects.toThrow("two");
    const error = await rejection(loadOutputs("d", { runFolder }));
    expect(error).toBeInstanceOf(OutputNotStoredError);
    expect(error).toMatchObject({ code: "E_OUTPUT_NOT_STORED", output: "d", storage: "file" });
    expect((error as Error).message).toBe(
      `Output "d" of the run folder "${runFolder}" has no stored elements: the run stopped ` +
        "before computing it. Resume the run (map with { resume: true }, or pipeweave map " +
        "--resume) to compute it.",
    );
    // An output folder made, its meta.json not yet written: a run starting, not a corrupt one.
    mkdirSync(join(runFolder, "outputs", "d"));
    await expect(loadOutputs("d", { runFolder })).rejects.toThrow(OutputNotStoredError);
    const all = await loadAll({ runFolder });
    expect(all.d).toBe(MISSING);
    expect((all.c as NdArray<number>).toNested()).toEqual([1, MISSING]);
  });

  it("reports an output folder holding files but no meta.json as corrupt, in loadAll too", async () => {
    const runFolder = join(dir, "lost-meta");
    await pipeline.map(inputs, { ...quiet, runFolder });
    const meta = join(runFolder, "outputs", "c", "meta.json");
    unlinkSync(meta);
    for (const load of [() => loadOutputs("c", { runFolder }), () => loadAll({ runFolder })]) {
      const error = await rejection(load());
      expect(error).toBeInstanceOf(RunFolderCorruptError);
      expect(error).toMatchObject({ code: "E_RUN_FOLDER_CORRUPT", runFolder, file: meta });
      expect((error as Error).message).toContain(
        "it is missing, but the output's folder holds 6 other file(s)",
      );
    }
  });
});

describe("printing results", () => {
  it("shows an output's shape, dims and elements the same in memory and loaded", async () => {
    const inMemory = await pipeline.map(inputs, quiet);
    const loaded = await loadOutputs("c", { runFolder: done });
    const expected = "NdArray shape [3, 2] dims [i, j] [ [ 11, 21 ], [ 12, 22 ], [ 13, 23 ] ]";
    expect(inspect(inMemory.c.output)).toBe(expected);
    expect(inspect(loaded)).toBe(expected);
    expect(String(inMemory.c.output)).toBe(String(loaded));
    expect(inspect(inMemory)).not.toContain("[Getter]");
  });
});

describe("loadOutputs with the pipeline", () => {
  it("reads an output as the pipeline's map gives it", async () => {
    const c = await loadOutputs(pipeline, "c", { runFolder: done });
    expect(c.dims).toEqual(["i", "j"]);
    expect(c.get(2, 1)).toBe(23);
    expect(await loadOutputs(pipeline, "total", { runFolder: done })).toBe(102);
  });

  it("throws an OutputAxesError when the folder stores the output with other axes", async () => {
    const other = new Pipeline([
      pipefunc(
        { output: "c", mapspec: "a[k], b[j] -> c[k, j]" },
        ({ a, b }: { a: number; b: number }) => a + b,
      ),
    ]);
    const error = await rejection(loadOutputs(other, "c", { runFolder: done }));
    expect(error).toBeInstanceOf(OutputAxesError);
    const axes = error as OutputAxesError;
    expect(axes.code).toBe("E_OUTPUT_AXES");
    expect([axes.output, axes.stored, axes.expected]).toEqual(["c", ["i", "j"], ["k", "j"]]);
    expect(axes.message).toContain(
      `Output "c" in the run folder "${done}" has axes [i, j], but the pipeline gives it axes [k, j]`,
    );
    const rows = new Pipeline([
      add,
      pipefunc(
        { output: "total", mapspec: "c[i, :] -> total[i]" },
        ({ c }: { c: NdArray<number> }) => c.size,
      ),
    ]);
    const row = await rejection(loadOutputs(rows, "total", { runFolder: done }));
    expect((row as OutputAxesError).message).toContain('Output "total" in the run folder');
    expect((row as OutputAxesError).message).toContain(
      "has no axes, but the pipeline gives it axes [i]",
    );
  });
});
