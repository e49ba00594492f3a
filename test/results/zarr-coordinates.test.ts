/**
 * A zarr run folder's `outputs/` is a Zarr v3 group as xarray reads one: the outputs with
 * their `dimension_names`, each mapped input as a coordinate array beside them, and the
 * group's `coordinates` attribute naming those. Read back here with zarrita (this machine
 * cannot run Python's xarray); `overwrite` removes the arrays, and nothing of the user's.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import FileSystemStore from "@zarrita/storage/fs";
import { describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import { Pipeline, pipefunc } from "../../src/index.ts";
import { tempFolders } from "../temp-folders.ts";

const scratch = tempFolders("pipeweave-zarr-coords-");
const quiet = { progress: false } as const;

const f = pipefunc(
  { output: "y", mapspec: "a[i], s[j], flag[k], day[l], shape[m] -> y[i, j, k, l, m]" },
  ({ a, s, flag, day, shape }: { a: number; s: string; flag: boolean; day: Date; shape: object }) =>
    a + s.length + Number(flag) + day.getUTCDate() + Object.keys(shape).length,
);
const days = [new Date("2024-03-01T00:00:00Z"), new Date("2024-03-02T12:00:00Z")];
const inputs = {
  a: [0.5, 1.5],
  s: ["x", "héllo", ""],
  flag: [true, false],
  day: days,
  shape: [{ w: 1 }, { w: 2, h: 3 }],
};

async function read(folder: string, name: string) {
  const array = await zarr.open.v3(new FileSystemStore(join(folder, name)), { kind: "array" });
  const chunk = await zarr.get(array);
  return {
    dtype: array.dtype,
    shape: array.shape,
    data: Array.from(chunk.data as ArrayLike<unknown>),
  };
}

function metadata(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

describe("zarr run folders for xarray", () => {
  it("write the group, its coordinates attribute and one array per mapped input", async () => {
    const runFolder = join(scratch(), "run");
    await new Pipeline([f]).map(inputs, { ...quiet, runFolder, storage: "zarr" });
    const outputs = join(runFolder, "outputs");
    expect(metadata(join(outputs, "zarr.json"))).toEqual({
      zarr_format: 3,
      node_type: "group",
      attributes: { coordinates: "a s flag day shape" },
    });
    const group = await zarr.open.v3(new FileSystemStore(outputs), { kind: "group" });
    expect(group.attrs).toEqual({ coordinates: "a s flag day shape" });
    expect(metadata(join(outputs, "y", "zarr.json")).dimension_names).toEqual([
      "i",
      "j",
      "k",
      "l",
      "m",
    ]);
    expect(await read(outputs, "a")).toEqual({ dtype: "float64", shape: [2], data: [0.5, 1.5] });
    expect(await read(outputs, "s")).toEqual({
      dtype: "string",
      shape: [3],
      data: ["x", "héllo", ""],
    });
    expect(await read(outputs, "flag")).toEqual({ dtype: "bool", shape: [2], data: [true, false] });
    expect(await read(outputs, "day")).toEqual({
      dtype: "int64",
      shape: [2],
      data: days.map((d) => BigInt(d.getTime())),
    });
    // Objects cannot be stored as zarr values: their positions label the axis.
    expect(await read(outputs, "shape")).toEqual({ dtype: "int64", shape: [2], data: [0n, 1n] });
    const day = metadata(join(outputs, "day", "zarr.json"));
    expect(day.dimension_names).toEqual(["l"]);
    expect(day.attributes).toEqual({
      units: "milliseconds since 1970-01-01T00:00:00",
      calendar: "proleptic_gregorian",
    });
    expect(metadata(join(outputs, "s", "zarr.json")).codecs).toEqual([
      { name: "vlen-utf8", configuration: {} },
    ]);
  });

  it("write nothing of the kind for a file run folder", async () => {
    const runFolder = join(scratch(), "run");
    await new Pipeline([f]).map(inputs, { ...quiet, runFolder });
    expect(existsSync(join(runFolder, "outputs", "zarr.json"))).toBe(false);
    expect(existsSync(join(runFolder, "outputs", "a"))).toBe(false);
  });

  it("resume over them, and overwrite removes them but not the user's files", async () => {
    const runFolder = join(scratch(), "run");
    const pipeline = new Pipeline([f]);
    await pipeline.map(inputs, { ...quiet, runFolder, storage: "zarr" });
    await pipeline.map(inputs, { ...quiet, runFolder, storage: "zarr", resume: true });
    const outputs = join(runFolder, "outputs");
    mkdirSync(join(outputs, "s", "notes"), { recursive: true });
    writeFileSync(join(outputs, "s", "notes", "mine.txt"), "keep");
    writeFileSync(join(outputs, "report.txt"), "keep");
    // Another pipeline: its inputs and outputs replace the earlier run's.
    const g = pipefunc({ output: "z", mapspec: "b[i] -> z[i]" }, ({ b }: { b: number }) => b);
    await new Pipeline([g]).map(
      { b: [1, 2] },
      { ...quiet, runFolder, storage: "zarr", overwrite: true },
    );
    for (const gone of ["y", "a", "flag", "day", "shape"]) {
      expect(existsSync(join(outputs, gone)), gone).toBe(false);
    }
    expect(readFileSync(join(outputs, "s", "notes", "mine.txt"), "utf8")).toBe("keep");
    expect(existsSync(join(outputs, "s", "zarr.json"))).toBe(false);
    expect(readFileSync(join(outputs, "report.txt"), "utf8")).toBe("keep");
    expect(metadata(join(outputs, "zarr.json")).attributes).toEqual({ coordinates: "b" });
    expect(await read(outputs, "b")).toEqual({ dtype: "float64", shape: [2], data: [1, 2] });
  });
});
