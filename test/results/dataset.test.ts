/**
 * `results.dataset()`: coordinates from the mapped inputs (outer products, zips, generated
 * and internal axes, inputs of objects by position), `get`, `sel`, `isel`, `toRows`, and every
 * error they throw.
 */
import { describe, expect, it } from "vitest";
import {
  DataArray,
  Dataset,
  DatasetError,
  InvalidOptionError,
  MISSING,
  NdArray,
  Pipeline,
  PipelineDefinitionError,
  pipefunc,
} from "../../src/index.ts";
import { caught } from "../caught.ts";

const quiet = { progress: false } as const;

const add = pipefunc(
  { output: "c", mapspec: "a[i], b[j] -> c[i, j]" },
  ({ a, b }: { a: number; b: number }) => a + b,
);
const rowSum = pipefunc(
  { output: "rowSum", mapspec: "c[i, :] -> rowSum[i]" },
  ({ c }: { c: NdArray<number> }) => c.values().reduce((s, v) => s + v, 0),
);
const total = pipefunc({ output: "total" }, ({ rowSum }: { rowSum: NdArray<number> }) =>
  rowSum.values().reduce((s, v) => s + v, 0),
);
const grid = new Pipeline([add, rowSum, total]);

async function gridDataset(): Promise<Dataset> {
  return (await grid.map({ a: [1, 2, 3], b: [10, 20] }, quiet)).dataset();
}

describe("results.dataset(): coordinates", () => {
  it("labels each axis of an outer product by its input, and keeps every output", async () => {
    const ds = await gridDataset();
    expect(ds).toBeInstanceOf(Dataset);
    expect(ds.dims).toEqual({ i: 3, j: 2 });
    expect(ds.coords).toEqual({
      a: { dim: "i", kind: "number", values: [1, 2, 3] },
      b: { dim: "j", kind: "number", values: [10, 20] },
    });
    expect(Object.keys(ds.dataVars)).toEqual(["c", "rowSum", "total"]);
    expect(ds.dataVars.c!.dims).toEqual(["i", "j"]);
    expect(ds.dataVars.c!.values()).toEqual([11, 21, 12, 22, 13, 23]);
    expect(ds.dataVars.rowSum!.dims).toEqual(["i"]);
    // A single value is a 0-D variable.
    expect(ds.dataVars.total!.shape).toEqual([]);
    expect(ds.dataVars.total!.get()).toBe(102);
  });

  it("gives zipped inputs one coordinate each on their shared axis", async () => {
    const f = pipefunc(
      { output: "s", mapspec: "x[i], y[i] -> s[i]" },
      ({ x, y }: { x: number; y: string }) => `${y}${x}`,
    );
    const ds = (await new Pipeline([f]).map({ x: [1, 2], y: ["p", "q"] }, quiet)).dataset();
    expect(ds.dims).toEqual({ i: 2 });
    expect(ds.coords).toEqual({
      x: { dim: "i", kind: "number", values: [1, 2] },
      y: { dim: "i", kind: "string", values: ["p", "q"] },
    });
    expect(ds.sel({ y: "q" }).get("s").array.get()).toBe("q2");
    expect(ds.sel({ x: 2, y: "q" }).get("s").array.get()).toBe("q2");
    const conflict = caught(() => ds.sel({ x: 1, y: "q" }), DatasetError, "E_DATASET");
    expect(conflict).toMatchObject({ method: "sel", subject: "y" });
    expect(conflict.message).toContain('coordinates "x" and "y" both label dim "i"');
  });

  it("labels a generated axis and an internal axis 0..n-1 under their own names", async () => {
    const make = pipefunc({ output: "xs" }, ({ n }: { n: number }) =>
      Array.from({ length: n }, (_, k) => k * 10),
    );
    const spread = pipefunc(
      { output: "y", mapspec: "xs[i] -> y[i, j]" },
      ({ xs }: { xs: number }) => [xs, xs + 1, xs + 2],
    );
    const ds = (await new Pipeline([make, spread]).map({ n: 2 }, quiet)).dataset();
    expect(ds.dims).toEqual({ i: 2, j: 3 });
    expect(ds.coords).toEqual({
      i: { dim: "i", kind: "number", values: [0, 1] },
      j: { dim: "j", kind: "number", values: [0, 1, 2] },
    });
    expect(ds.sel({ i: 1, j: 2 }).get("y").array.get()).toBe(12);
    // A dim's own coordinate is its column: no second column of positions.
    expect(ds.toRows("y")[4]).toEqual({ i: 1, j: 1, xs: 10, y: 11 });
  });

  it("labels an axis of objects by position and keeps the objects in a side table", async () => {
    const f = pipefunc(
      { output: "area", mapspec: "shape[i] -> area[i]" },
      ({ shape }: { shape: { w: number; h: number } }) => shape.w * shape.h,
    );
    const shapes = [
      { w: 1, h: 2 },
      { w: 3, h: 4 },
    ];
    const ds = (await new Pipeline([f]).map({ shape: shapes }, quiet)).dataset();
    expect(ds.coords.shape).toEqual({
      dim: "i",
      kind: "position",
      values: [0, 1],
      objects: shapes,
    });
    expect(ds.sel({ shape: 1 }).get("area").array.get()).toBe(12);
    expect(ds.sel({ shape: 1 }).coords.shape).toEqual({
      dim: null,
      kind: "position",
      values: [1],
      objects: [{ w: 3, h: 4 }],
    });
    const byObject = caught(() => ds.sel({ shape: shapes[1] }), DatasetError, "E_DATASET");
    expect(byObject.message).toMatch(
      /coordinate "shape" has no value .*by position .*pass a position/,
    );
  });

  it("labels by value inputs of strings, booleans, bigints and dates, and by position a mix", async () => {
    const f = pipefunc(
      { output: "n", mapspec: "s[i], flag[j], big[k], day[l], mixed[m] -> n[i, j, k, l, m]" },
      ({
        s,
        flag,
        big,
        day,
        mixed,
      }: {
        s: string;
        flag: boolean;
        big: bigint;
        day: Date;
        mixed: unknown;
      }) => [s, flag, big, day, mixed].length,
    );
    const days = [new Date("2024-01-01T00:00:00Z"), new Date("2024-01-02T00:00:00Z")];
    const ds = (
      await new Pipeline([f]).map(
        { s: ["x"], flag: [true, false], big: [1n, 2n], day: days, mixed: [1, "a"] },
        quiet,
      )
    ).dataset();
    expect(Object.fromEntries(Object.entries(ds.coords).map(([n, c]) => [n, c.kind]))).toEqual({
      s: "string",
      flag: "boolean",
      big: "bigint",
      day: "date",
      mixed: "position",
    });
    const picked = ds.sel({ flag: false, big: 2n, day: new Date("2024-01-02T00:00:00Z") });
    expect(picked.dims).toEqual({ i: 1, m: 2 });
    // A date found by its milliseconds too, a bigint by an integer number.
    expect(ds.sel({ flag: false, day: Date.UTC(2024, 0, 2), big: 2 }).dims).toEqual(picked.dims);
    const near = ds.sel({ day: new Date("2024-01-01T20:00:00Z") }, { method: "nearest" });
    expect(near.coords.day!.values).toEqual([days[1]]);
  });

  it("keeps an input mapped along two axes as a data variable", async () => {
    const f = pipefunc(
      { output: "y", mapspec: "m[i, j] -> y[i, j]" },
      ({ m }: { m: number }) => -m,
    );
    const ds = (
      await new Pipeline([f]).map(
        {
          m: [
            [1, 2],
            [3, 4],
          ],
        },
        quiet,
      )
    ).dataset();
    expect(Object.keys(ds.dataVars)).toEqual(["y", "m"]);
    expect(ds.dataVars.m!.values()).toEqual([1, 2, 3, 4]);
    expect(Object.keys(ds.coords)).toEqual(["i", "j"]);
  });

  it("does not take an NdArray given whole to a function for a coordinate", async () => {
    const f = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]" },
      ({ x, w }: { x: number; w: NdArray<number> }) => x * w.values().length,
    );
    const w = new NdArray([3], ["i"], [7, 8, 9]);
    const ds = (await new Pipeline([f]).map({ x: [1, 2, 3], w }, quiet)).dataset();
    expect(Object.keys(ds.coords)).toEqual(["x"]);
  });

  it("refuses an output named dataset, which would hide the method", () => {
    const f = pipefunc(
      { output: "dataset", mapspec: "x[i] -> dataset[i]" },
      ({ x }: { x: number }) => x,
    );
    return expect(new Pipeline([f]).map({ x: [1] }, quiet)).rejects.toThrow(
      PipelineDefinitionError,
    );
  });
});

describe("Dataset: get, sel, isel, toRows", () => {
  it("get gives a variable with the coordinates along its dims", async () => {
    const ds = await gridDataset();
    const row = ds.get("rowSum");
    expect(row).toBeInstanceOf(DataArray);
    expect(row.name).toBe("rowSum");
    expect(row.dims).toEqual(["i"]);
    expect(row.shape).toEqual([3]);
    expect(Object.keys(row.coords)).toEqual(["a"]);
    expect(row.sel({ a: 3 }).array.get()).toBe(36);
    expect(ds.get("c").at({ a: 2, b: 20 })).toBe(22);
    const partial = caught(() => ds.get("c").at({ a: 2 }), DatasetError, "E_DATASET");
    expect(partial.message).toContain('leaves dims "j" of "c"');
    const unknown = caught(() => ds.get("rowsum"), DatasetError, "E_DATASET");
    expect(unknown).toMatchObject({ method: "get", subject: "rowsum" });
    expect(unknown.message).toContain('no data variable "rowsum". Did you mean "rowSum"?');
    expect(caught(() => ds.get("a"), DatasetError, "E_DATASET").message).toContain(
      "it is a coordinate",
    );
  });

  it("sel picks by value and drops the axis, keeping its coordinates as scalars", async () => {
    const ds = await gridDataset();
    const one = ds.sel({ a: 2 });
    expect(one.dims).toEqual({ j: 2 });
    expect(one.coords.a).toEqual({ dim: null, kind: "number", values: [2] });
    expect(one.dataVars.c!.dims).toEqual(["j"]);
    expect(one.dataVars.c!.values()).toEqual([12, 22]);
    expect(one.dataVars.rowSum!.get()).toBe(34);
    // Unchanged variables are shared, not copied.
    expect(one.dataVars.total).toBe(ds.dataVars.total);
    expect(ds.sel({})).toBe(ds);
    expect(ds.sel({ a: 2.4 }, { method: "nearest" }).coords.a!.values).toEqual([2]);
    expect(ds.sel({ a: 100 }, { method: "nearest" }).coords.a!.values).toEqual([3]);
    // A tie goes to the first.
    expect(ds.sel({ b: 15 }, { method: "nearest" }).coords.b!.values).toEqual([10]);
  });

  it("isel picks by position, a negative index from the end", async () => {
    const ds = await gridDataset();
    expect(ds.isel({ i: -1, j: 0 }).get("c").array.get()).toBe(13);
    expect(ds.isel({ j: 1 }).toRows()).toEqual([
      { i: 0, a: 1, b: 20, c: 21, rowSum: 32 },
      { i: 1, a: 2, b: 20, c: 22, rowSum: 34 },
      { i: 2, a: 3, b: 20, c: 23, rowSum: 36 },
    ]);
  });

  it("toRows gives one row per element with positions, coordinates and the variables along them", async () => {
    const ds = await gridDataset();
    const rows = ds.toRows();
    expect(rows).toHaveLength(6);
    expect(rows[0]).toEqual({ i: 0, j: 0, a: 1, b: 10, c: 11, rowSum: 32 });
    expect(rows[5]).toEqual({ i: 2, j: 1, a: 3, b: 20, c: 23, rowSum: 36 });
    expect(ds.toRows("rowSum")).toEqual([
      { i: 0, a: 1, rowSum: 32 },
      { i: 1, a: 2, rowSum: 34 },
      { i: 2, a: 3, rowSum: 36 },
    ]);
    expect(ds.toRows("total")).toEqual([{ total: 102 }]);
    const unknown = caught(() => ds.toRows("totl"), DatasetError, "E_DATASET");
    expect(unknown).toMatchObject({ method: "toRows", subject: "totl" });
    expect(unknown.message).toContain('Did you mean "total"?');
  });

  it("toRows keeps a failed element's row, its value MISSING", async () => {
    const f = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
      if (x === 2) throw new Error("no");
      return x * 10;
    });
    const results = await new Pipeline([f]).map({ x: [1, 2, 3] }, { ...quiet, errors: "continue" });
    expect(results.dataset().toRows()).toEqual([
      { i: 0, x: 1, y: 10 },
      { i: 1, x: 2, y: MISSING },
      { i: 2, x: 3, y: 30 },
    ]);
  });

  it.each([
    ["an unknown coordinate", { z: 1 }, /no coordinate "z"\. Coordinates: "a", "b"\./, "z"],
    ["a close name", { aa: 1 }, /no coordinate "aa"\. Did you mean "a"\?/, "aa"],
    [
      "a dim's name",
      { i: 0 },
      /"i" is a dim: select it by position with isel\(\{ i: index \}\)/,
      "i",
    ],
    [
      "a value not held",
      { a: 4 },
      /"a" has no value 4; its values are 1, 2, 3\. Pass one of them, or \{ method: "nearest" \}/,
      "a",
    ],
    ["a string for numbers", { a: "2" }, /"a" has no value "2" \(a string\)/, "a"],
  ])("sel refuses %s, naming it and what to pass", async (_, selection, message, subject) => {
    const ds = await gridDataset();
    const error = caught(() => ds.sel(selection), DatasetError, "E_DATASET");
    expect(error).toMatchObject({ method: "sel", subject });
    expect(error.message).toMatch(message);
  });

  it("sel refuses a value held twice, nearest on strings, a selected coordinate, a bad method", () => {
    const ds = new Dataset({
      dataVars: { v: new NdArray([3], ["i"], [1, 2, 3]) },
      coords: { s: { dim: "i", kind: "string", values: ["x", "y", "x"] } },
    });
    expect(caught(() => ds.sel({ s: "x" }), DatasetError, "E_DATASET").message).toContain(
      'holds "x" at positions 0 and 2 of dim "i": select one by position with isel({ i: 0 })',
    );
    expect(
      caught(() => ds.sel({ s: "x" }, { method: "nearest" }), DatasetError, "E_DATASET").message,
    ).toContain(
      'method "nearest" needs a coordinate of numbers, bigints or dates, but "s" holds strings',
    );
    const selected = ds.sel({ s: "y" });
    expect(caught(() => selected.sel({ s: "y" }), DatasetError, "E_DATASET").message).toContain(
      'coordinate "s" is already selected',
    );
    const method = caught(
      () => ds.sel({ s: "y" }, { method: "closest" as "nearest" }),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(method.option).toBe("method");
    expect(method.message).toContain('got "closest"');
    expect(caught(() => ds.sel([1] as never), DatasetError, "E_DATASET").message).toContain(
      "expected a selection { coordinate: value }, got an array",
    );
  });

  it("isel refuses an unknown dim and an index outside its dim", async () => {
    const ds = await gridDataset();
    const dim = caught(() => ds.isel({ a: 0 }), DatasetError, "E_DATASET");
    expect(dim).toMatchObject({ method: "isel", subject: "a" });
    expect(dim.message).toContain(
      'no dim "a"; the dims are "i", "j". "a" is a coordinate: use sel({ a: value })',
    );
    const outside = caught(() => ds.isel({ j: 2 }), DatasetError, "E_DATASET");
    expect(outside.message).toContain(
      'index 2 is not an integer within dim "j" of length 2: use one from -2 to 1',
    );
    expect(caught(() => ds.isel({ j: 0.5 }), DatasetError, "E_DATASET").message).toContain(
      "index 0.5",
    );
  });
});

describe("new Dataset", () => {
  it("refuses lengths that disagree along a dim, a name used twice, a variable that is no NdArray", () => {
    const v = new NdArray([2], ["i"], [1, 2]);
    const length = caught(
      () =>
        new Dataset({
          dataVars: { v },
          coords: { a: { dim: "i", kind: "number", values: [1, 2, 3] } },
        }),
      DatasetError,
      "E_DATASET",
    );
    expect(length).toMatchObject({ method: "constructor", subject: "i" });
    expect(length.message).toContain(
      'coordinate "a" has 3 positions along dim "i", but data variable "v" has 2',
    );
    expect(
      caught(
        () =>
          new Dataset({
            dataVars: { v },
            coords: { v: { dim: "i", kind: "number", values: [1, 2] } },
          }),
        DatasetError,
        "E_DATASET",
      ).message,
    ).toContain('"v" is both a coordinate and a data variable');
    expect(
      caught(() => new Dataset({ dataVars: { v: [1, 2] as never } }), DatasetError, "E_DATASET")
        .message,
    ).toContain('data variable "v" is not an NdArray');
  });
});
