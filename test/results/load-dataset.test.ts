/**
 * `loadDataset({ runFolder })` in a process without the pipeline gives what
 * `results.dataset()` gave, for file and zarr run folders and for folders written before
 * datasets existed; what a run folder does not hold is left out or labelled by position, and a
 * corrupt input is reported.
 */
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import {
  type Dataset,
  loadDataset,
  type NdArray,
  Pipeline,
  pipefunc,
  RunFolderCorruptError,
  RunFolderNotFoundError,
} from "../../src/index.ts";
import { tempFolders } from "../temp-folders.ts";

const scratch = tempFolders("pipeweave-load-dataset-");
const quiet = { progress: false } as const;

/** Everything a dataset holds, as plain data to compare. */
function contents(ds: Dataset) {
  return {
    dims: ds.dims,
    coords: ds.coords,
    dataVars: Object.fromEntries(
      Object.entries(ds.dataVars).map(([name, a]) => [
        name,
        { dims: a.dims, shape: a.shape, data: [...a] },
      ]),
    ),
  };
}

const make = pipefunc({ output: "xs" }, ({ n }: { n: number }) =>
  Array.from({ length: n }, (_, k) => k / 2),
);
const add = pipefunc(
  { output: "c", mapspec: "a[i], b[j] -> c[i, j]" },
  ({ a, b }: { a: number; b: string }) => a * b.length,
);
const zipped = pipefunc(
  { output: "z", mapspec: "a[i], w[i] -> z[i]" },
  ({ a, w }: { a: number; w: boolean }) => (w ? a : -a),
);
const spread = pipefunc({ output: "s", mapspec: "xs[k] -> s[k, l]" }, ({ xs }: { xs: number }) => [
  xs,
  xs + 1,
]);
const total = pipefunc({ output: "total" }, ({ c }: { c: NdArray<number> }) =>
  c.values().reduce((sum, v) => sum + v, 0),
);
const numeric = new Pipeline([add, zipped, total]);
const everything = new Pipeline([make, add, zipped, spread, total]);
const inputs = { a: [1, 2, 3], b: ["x", "yy"], w: [true, false, true] };

describe("loadDataset", () => {
  it("gives what results.dataset() gave, from a file run folder", async () => {
    const runFolder = join(scratch(), "run");
    const results = await everything.map({ ...inputs, n: 3 }, { ...quiet, runFolder });
    const loaded = await loadDataset({ runFolder });
    expect(contents(loaded)).toEqual(contents(results.dataset()));
    expect(Object.keys(loaded.coords)).toEqual(["a", "b", "w", "k", "l"]);
    expect(loaded.sel({ a: 2, b: "yy" }).get("c").array.get()).toBe(4);
  });

  it("gives what results.dataset() gave, from a zarr run folder", async () => {
    const runFolder = join(scratch(), "run");
    const results = await numeric.map(inputs, { ...quiet, runFolder, storage: "zarr" });
    expect(contents(await loadDataset({ runFolder }))).toEqual(contents(results.dataset()));
  });

  it("reads a folder written before datasets existed: no coordinate arrays beside the outputs", async () => {
    const runFolder = join(scratch(), "run");
    const results = await numeric.map(inputs, { ...quiet, runFolder, storage: "zarr" });
    // What an earlier pipeweave wrote: the outputs' arrays only.
    rmSync(join(runFolder, "outputs", "zarr.json"));
    for (const input of ["a", "b", "w"])
      rmSync(join(runFolder, "outputs", input), { recursive: true });
    expect(readdirSync(join(runFolder, "outputs")).sort()).toEqual(["c", "total", "z"]);
    expect(contents(await loadDataset({ runFolder }))).toEqual(contents(results.dataset()));
  });

  it("labels by position an axis whose input was recorded by hash only", async () => {
    const f = pipefunc({ output: "y", mapspec: "g[i] -> y[i]" }, ({ g }: { g: () => number }) =>
      g(),
    );
    const runFolder = join(scratch(), "run");
    const results = await new Pipeline([f]).map({ g: [() => 1, () => 2] }, { ...quiet, runFolder });
    expect(results.dataset().coords.g).toMatchObject({
      dim: "i",
      kind: "position",
      values: [0, 1],
    });
    const loaded = await loadDataset({ runFolder });
    // Functions cannot be saved: the axis is 0..n-1 under its own name.
    expect(loaded.coords).toEqual({ i: { dim: "i", kind: "number", values: [0, 1] } });
    expect([...loaded.dataVars.y!]).toEqual([1, 2]);
  });

  it("leaves out outputs kept in memory only", async () => {
    const runFolder = join(scratch(), "run");
    await numeric.map(inputs, { ...quiet, runFolder, storage: "memory" });
    const loaded = await loadDataset({ runFolder });
    // Mapped outputs were in memory; the single value is stored as a file.
    expect(Object.keys(loaded.dataVars)).toEqual(["total"]);
    expect(loaded.dataVars.total!.get()).toBe(18);
  });

  it("reports an input file that is not the run's: unreadable, or of another length", async () => {
    const runFolder = join(scratch(), "run");
    await numeric.map(inputs, { ...quiet, runFolder });
    const file = join(runFolder, "inputs", "a.v8");
    writeFileSync(file, serialize([1, 2]));
    const short = await loadDataset({ runFolder }).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(RunFolderCorruptError);
    expect(short).toMatchObject({ code: "E_RUN_FOLDER_CORRUPT", file });
    expect((short as Error).message).toContain(
      'input "a" has 2 values along axis "i", but the outputs have 3',
    );
    writeFileSync(file, "garbage");
    const garbage = await loadDataset({ runFolder }).catch((e: unknown) => e);
    expect(garbage).toBeInstanceOf(RunFolderCorruptError);
    expect((garbage as Error).message).toContain('input "a" cannot be read as arrays 1 deep');
  });

  it("refuses a folder that holds no run", async () => {
    const error = await loadDataset({ runFolder: scratch() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFolderNotFoundError);
    expect(error).toMatchObject({ code: "E_RUN_FOLDER_NOT_FOUND" });
  });
});
