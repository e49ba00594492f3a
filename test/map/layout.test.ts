import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  InvalidOptionError,
  isMissing,
  loadOutputs,
  MapSpecError,
  MISSING,
  type NdArray,
  NodeExecutionError,
  Pipeline,
  pipefunc,
} from "../../src/index.ts";
import { caught } from "../caught.ts";

const dir = mkdtempSync(join(tmpdir(), "pipeweave-layout-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let runs = 0;
const runFolder = () => join(dir, `run-${runs++}`);
const quiet = { progress: false } as const;
const sum = (a: NdArray<number>) => a.values().reduce((s, v) => s + v, 0);

describe("automatic generator mapspecs (pipefunc's rule)", () => {
  const range = pipefunc({ output: "x" }, ({ n }: { n: number }) =>
    Array.from({ length: n }, (_, i) => i),
  );
  const double = pipefunc(
    { output: "y", mapspec: "x[i] -> y[i]" },
    ({ x }: { x: number }) => x * 2,
  );

  it("turns a function without mapspec into `... -> x[i]` when a mapspec indexes its output", async () => {
    const p = new Pipeline([range, double]);
    expect(p.mapspecAxes).toEqual({ x: ["i"], y: ["i"] });
    const results = await p.map({ n: 3 }, quiet);
    expect(results.y.array.shape).toEqual([3]);
    expect(results.y.array.data).toEqual([0, 2, 4]);
    expect(results.x.array.data).toEqual([0, 1, 2]);
  });

  it("handles a generated array of length 0", async () => {
    const results = await new Pipeline([range, double]).map({ n: 0 }, quiet);
    expect(results.y.array.shape).toEqual([0]);
    expect(results.y.array.data).toEqual([]);
  });

  it("generates for outputs read with ':' too, and names a non-array result", async () => {
    const total = pipefunc({ output: "t", mapspec: "x[:] -> t" }, ({ x }: { x: NdArray<number> }) =>
      sum(x),
    );
    await expect(new Pipeline([range, total]).map({ n: 4 }, quiet)).resolves.toMatchObject({
      t: { output: 6 },
    });
    const scalar = pipefunc({ output: "x", name: "scalar" }, ({ n }: { n: number }) => n);
    const error = await new Pipeline([scalar, double]).map({ n: 3 }, quiet).catch((e) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect(error.node).toBe("scalar");
    expect(error.message).toMatch(/generator, so it must return an array/);
  });
});

describe("internal axes: x[i] -> y[i, j]", () => {
  const vector = pipefunc({ output: "y", mapspec: "x[i] -> y[i, j]" }, ({ x }: { x: number }) => [
    x,
    x * 10,
  ]);
  const rowSum = pipefunc(
    { output: "s", mapspec: "y[i, :] -> s[i]", captures: { sum } },
    ({ y }: { y: NdArray<number> }) => sum(y),
  );

  it("stacks each element's array along a new axis, read downstream like any axis", async () => {
    const p = new Pipeline([vector, rowSum]);
    expect(p.mapspecAxes).toEqual({ x: ["i"], y: ["i", "j"], s: ["i"] });
    const results = await p.map({ x: [1, 2, 3] }, quiet);
    expect(results.y.array.shape).toEqual([3, 2]);
    expect(results.y.array.dims).toEqual(["i", "j"]);
    expect(results.y.array.toNested()).toEqual([
      [1, 10],
      [2, 20],
      [3, 30],
    ]);
    expect(results.s.array.data).toEqual([11, 22, 33]);
  });

  it("pads shorter elements with MISSING, or to internalShapes, and refuses longer ones", async () => {
    const ragged = pipefunc({ output: "y", mapspec: "n[i] -> y[i, j]" }, ({ n }: { n: number }) =>
      Float64Array.from({ length: n }, (_, k) => k),
    );
    const p = new Pipeline([ragged]);
    const results = await p.map({ n: [1, 3, 2] }, quiet);
    expect(results.y.array.shape).toEqual([3, 3]);
    expect(results.y.array.toNested()).toEqual([
      [0, MISSING, MISSING],
      [0, 1, 2],
      [0, 1, MISSING],
    ]);
    const wide = await p.map({ n: [1, 2] }, { ...quiet, internalShapes: { y: 4 } });
    expect(wide.y.array.shape).toEqual([2, 4]);
    expect(isMissing(wide.y.array.get(1, 3))).toBe(true);

    const error = await p
      .map({ n: [1, 5] }, { ...quiet, internalShapes: { y: 4 } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect(error.index).toEqual([1]);
    expect(error.message).toMatch(/5 values along "j".*internalShapes gives 4/);
  });

  it("fails an element that returns no array, naming the axis", async () => {
    const bad = pipefunc({ output: "y", mapspec: "x[i] -> y[i, j]" }, ({ x }: { x: number }) =>
      x > 1 ? x : [x],
    );
    const error = await new Pipeline([bad]).map({ x: [1, 2] }, quiet).catch((e) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect(error.index).toEqual([1]);
    expect(error.message).toMatch(/internal axis "j", so each call must return an array/);
    const kept = await new Pipeline([bad]).map({ x: [1, 2] }, { ...quiet, errors: "continue" });
    expect(kept.errors).toHaveLength(1);
    expect(kept.y.array.toNested()).toEqual([[1], [MISSING]]);
  });

  it("takes rows returned as typed arrays, and says plainly why a ragged element does not fit", async () => {
    const rows = pipefunc(
      { output: "z", mapspec: "x[i] -> z[i, j, k]" },
      ({ x }: { x: number }) => [new Float64Array([x, 1]), new Float64Array([2, 3])],
    );
    const r = await new Pipeline([rows]).map({ x: [1, 2] }, quiet);
    expect(r.z.array.toNested()).toEqual([
      [
        [1, 1],
        [2, 3],
      ],
      [
        [2, 1],
        [2, 3],
      ],
    ]);
    const ragged = pipefunc(
      { output: "w", mapspec: "x[i] -> w[i, j, k]" },
      ({ x }: { x: number }) => [[x], [1, 2]],
    );
    const error = await new Pipeline([ragged]).map({ x: [1] }, quiet).catch((e) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect(error.message).toMatch(
      /it returned an array that is not 2 levels deep and regular \(ragged nested array at depth 1 \(dim "k"\)/,
    );
  });

  it("maps inputs that have no axis into a single call with internal axes", async () => {
    const one = pipefunc({ output: "y", mapspec: "n -> y[j]" }, ({ n }: { n: number }) =>
      Array.from({ length: n }, (_, k) => k * k),
    );
    const results = await new Pipeline([one]).map({ n: 4 }, quiet);
    expect(results.y.array.data).toEqual([0, 1, 4, 9]);
  });

  it("stores elements in a file run folder that loads back stacked", async () => {
    const folder = runFolder();
    await new Pipeline([vector]).map({ x: [1, 2] }, { ...quiet, runFolder: folder });
    const loaded = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
    expect(loaded.shape).toEqual([2, 2]);
    expect(loaded.toNested()).toEqual([
      [1, 10],
      [2, 20],
    ]);
  });

  it("stores zarr with internalShapes, and says zarr needs them otherwise", async () => {
    const folder = runFolder();
    const p = new Pipeline([vector, rowSum]);
    const results = await p.map(
      { x: [1, 2] },
      { ...quiet, runFolder: folder, storage: "zarr", internalShapes: { y: 2 } },
    );
    expect(results.s.array.data).toEqual([11, 22]);
    const loaded = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
    expect(loaded.toNested()).toEqual([
      [1, 10],
      [2, 20],
    ]);
    const error = await p
      .map({ x: [1] }, { ...quiet, runFolder: runFolder(), storage: "zarr" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.option).toBe("internalShapes.y");
    expect(error.message).toMatch(/pass internalShapes: \{ y: N \}, or use storage "file"/);
  });

  it("rejects internalShapes for a name that has no generated or internal axes", async () => {
    const error = await new Pipeline([vector, rowSum])
      .map({ x: [1] }, { ...quiet, internalShapes: { s: 2 } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.message).toMatch(/internalShapes names "s"/);
  });
});

describe("generators with several axes: ... -> x[i, j]", () => {
  it("gives each axis its length and maps downstream over both", async () => {
    const grid = pipefunc({ output: "x", mapspec: "... -> x[i, j]" }, ({ n }: { n: number }) =>
      Array.from({ length: n }, (_, i) => [i, i + 0.5]),
    );
    const neg = pipefunc(
      { output: "y", mapspec: "x[i, j] -> y[i, j]" },
      ({ x }: { x: number }) => -x,
    );
    const results = await new Pipeline([grid, neg]).map({ n: 3 }, quiet);
    expect(results.y.array.shape).toEqual([3, 2]);
    expect(results.y.array.toNested()).toEqual([
      [-0, -0.5],
      [-1, -1.5],
      [-2, -2.5],
    ]);
    const known = await new Pipeline([grid, neg]).map(
      { n: 3 },
      { ...quiet, internalShapes: { x: [3, 2] } },
    );
    expect(known.y.array.shape).toEqual([3, 2]);
  });
});

describe("mapspecs checked when the pipeline is built", () => {
  it("rejects one name with two sets of axes, naming the function", () => {
    const f = pipefunc({ output: "f", mapspec: "x[i] -> f[i]" }, ({ x }: { x: number }) => x);
    const g = pipefunc({ output: "g", mapspec: "f[k] -> g[k]" }, ({ f }: { f: number }) => f);
    const error = caught(() => new Pipeline([f, g]), MapSpecError, "E_MAPSPEC");
    expect(error.node).toBe("g");
    expect(error.message).toMatch(/reads "f" as \[k\], but its axes are \[i\]/);
  });

  it("rejects a mapspec whose outputs differ in order from `output`", () => {
    const error = caught(
      () =>
        pipefunc({ output: ["a", "b"], mapspec: "x[i] -> b[i], a[i]" }, ({ x }: { x: number }) => [
          x,
          x + 1,
        ]),
      MapSpecError,
      "E_MAPSPEC",
    );
    expect(error.message).toMatch(
      /lists its outputs as \[b, a\], but `output` lists them as \[a, b\]/,
    );
  });
});
