import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { NodeCall } from "../../src/index.ts";
import {
  AbortError,
  DuplicateInputError,
  ErrorSnapshot,
  InvalidOptionError,
  isMissing,
  loadOutputs,
  MapSpecError,
  MapSpecSyntaxError,
  MISSING,
  MissingInputError,
  type NdArray,
  NodeExecutionError,
  Pipeline,
  pipefunc,
  RunFolderExistsError,
  RunFolderMismatchError,
  ShapeMismatchError,
  sweep,
  UndeclaredPipelineError,
  ValidationError,
} from "../../src/index.ts";
import { grid, validated } from "./fixtures/sweep-pipeline.ts";

const run = promisify(execFile);
const folders: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), "pipeweave-map-"));
  folders.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const sum = (a: NdArray<number>) => a.values().reduce((s, v) => s + v, 0);
const quiet = { progress: false } as const;

describe("map: mapspecs", () => {
  it("computes an outer product, a row reduction and a full reduction", async () => {
    const r = await grid.map({ a: [1, 2, 3], b: [4, 5] }, quiet);
    expect(r.c.array.shape).toEqual([3, 2]);
    expect(r.c.array.dims).toEqual(["i", "j"]);
    expect(r.c.array.toNested()).toEqual([
      [14, 15],
      [24, 25],
      [34, 35],
    ]);
    expect(r.rowSum.array.toNested()).toEqual([29, 49, 69]);
    expect(r.total.output).toBe(147);
    expect(r.total.shape).toEqual([]);
  });

  it("zips inputs on a shared axis and names both lengths when they differ", async () => {
    const f = pipefunc(
      { output: "z", mapspec: "a[i], b[i] -> z[i]" },
      ({ a, b }: { a: number; b: number }) => a * b,
    );
    const p = new Pipeline([f]);
    expect((await p.map({ a: [1, 2], b: [3, 4] }, quiet)).z.array.toNested()).toEqual([3, 8]);
    const error = await p.map({ a: [1, 2, 3], b: [3, 4] }, quiet).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShapeMismatchError);
    expect((error as ShapeMismatchError).lengths).toEqual({ a: 3, b: 2 });
    expect(String(error)).toMatch(/"a" has length 3, "b" has length 2/);
  });

  it("runs a generator whose length is known only when it runs, and with internalShapes", async () => {
    const make = pipefunc({ output: "xs", mapspec: "... -> xs[i]" }, ({ n }: { n: number }) =>
      Array.from({ length: n }, (_, i) => i),
    );
    const double = pipefunc(
      { output: "y", mapspec: "xs[i] -> y[i]" },
      ({ xs }: { xs: number }) => 2 * xs,
    );
    const p = new Pipeline([make, double]);
    expect((await p.map({ n: 4 }, quiet)).y.array.toNested()).toEqual([0, 2, 4, 6]);
    expect((await p.map({ n: 3 }, { ...quiet, internalShapes: { xs: 3 } })).y.array.shape).toEqual([
      3,
    ]);
    await expect(p.map({ n: 3 }, { ...quiet, internalShapes: { xs: 5 } })).rejects.toThrow(
      ShapeMismatchError,
    );
  });

  it("chains 2-D -> 1-D -> 0-D and gives several outputs the same axes", async () => {
    const split = pipefunc(
      { output: ["lo", "hi"], mapspec: "x[i], y[j] -> lo[i, j], hi[i, j]" },
      ({ x, y }: { x: number; y: number }) => [Math.min(x, y), Math.max(x, y)] as const,
    );
    const spread = pipefunc(
      { output: "spread", mapspec: "hi[i, :], lo[i, :] -> spread[i]" },
      ({ hi, lo }: { hi: NdArray<number>; lo: NdArray<number> }) => sum(hi) - sum(lo),
    );
    const all = pipefunc({ output: "all" }, ({ spread }: { spread: NdArray<number> }) =>
      sum(spread),
    );
    const r = await new Pipeline([split, spread, all]).map({ x: [1, 5], y: [2, 3, 4] }, quiet);
    expect(r.lo.array.toNested()).toEqual([
      [1, 1, 1],
      [2, 3, 4],
    ]);
    expect(r.spread.array.toNested()).toEqual([6, 6]);
    expect(r.all.output).toBe(12);
  });

  it("accepts a sweep as inputs and gives long-format rows", async () => {
    const f = pipefunc(
      { output: "z", mapspec: "a[i], b[i] -> z[i]" },
      ({ a, b }: { a: number; b: string }) => `${b}${a}`,
    );
    const r = await new Pipeline([f]).map(sweep({ a: [1, 2], b: ["x", "y"] }), quiet);
    expect(r.toRows()).toEqual([
      { i: 0, a: 1, b: "x", z: "x1" },
      { i: 1, a: 1, b: "y", z: "y1" },
      { i: 2, a: 2, b: "x", z: "x2" },
      { i: 3, a: 2, b: "y", z: "y2" },
    ]);
  });

  it("checks mapspecs when the function is made, naming it", () => {
    expect(() =>
      pipefunc({ output: "y", mapspec: "x[i] > y[i]" }, ({ x }: { x: number }) => x),
    ).toThrow(MapSpecSyntaxError);
    const wrongName = () =>
      pipefunc({ output: "y", mapspec: "q[i] -> y[i]" }, ({ x }: { x: number }) => x);
    expect(wrongName).toThrow(MapSpecError);
    expect(wrongName).toThrow(/"y" reads "q", which is not one of its inputs \("x"\)/);
    expect(() =>
      pipefunc({ output: "y", mapspec: "x[i] -> z[i]" }, ({ x }: { x: number }) => x),
    ).toThrow(/produces \[z\], but the function's outputs are \[y\]/);
  });

  it("keeps mapspecs in graph names through renames and scopes", async () => {
    const f = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => 2 * x);
    const renamed = new Pipeline([f]).withRenames({ x: "u" });
    expect(renamed.get("y").mapspec).toBe("u[i] -> y[i]");
    expect((await renamed.map({ u: [1, 2] }, quiet)).y?.array.values()).toEqual([2, 4]);
    const atDefinition = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]", renames: { x: "w" } },
      ({ x }: { x: number }) => x,
    );
    expect(atDefinition.mapspec).toBe("w[i] -> y[i]");
    const scoped = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]", scope: "s" },
      ({ x }: { x: number }) => x,
    );
    expect(scoped.mapspec).toBe("s.x[i] -> s.y[i]");
  });

  it("gives a 0-D mapspec output as one value", async () => {
    const top = pipefunc(
      { output: "top", mapspec: "x[:] -> top" },
      ({ x }: { x: NdArray<number> }) => Math.max(...x.values()),
    );
    const half = pipefunc({ output: "half" }, ({ top }: { top: number }) => top / 2);
    const r = await new Pipeline([top, half]).map({ x: [3, 8, 5] }, quiet);
    expect(r.top.output).toBe(8);
    expect(r.half.output).toBe(4);
  });

  it("reports a missing input of a sweep", async () => {
    const ok = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x);
    // @ts-expect-error: x is required, at compile time too.
    await expect(new Pipeline([ok]).map({}, quiet)).rejects.toThrow(MissingInputError);
  });

  it("adds an axis through every dependant (addMapspecAxis) and lists axes", async () => {
    expect(grid.mapspecAxes).toMatchObject({ a: ["i"], b: ["j"], c: ["i", "j"], rowSum: ["i"] });
    const wider = grid.addMapspecAxis("a", "k");
    expect(wider.functions.map((f) => f.mapspec)).toEqual([
      "a[i, k], b[j] -> c[i, j, k]",
      "c[i, :, k] -> rowSum[i, k]",
      "rowSum[:, k] -> total[k]",
    ]);
    const r = await wider.map({ a: [[1, 2]], b: [4, 5] }, quiet);
    expect(r.total.array.toNested()).toEqual([29, 49]);
    expect(grid.functions.map((f) => f.mapspec)).toContain("a[i], b[j] -> c[i, j]");
  });

  it("adds an axis to names read whole that already have several axes", async () => {
    const outer = pipefunc(
      { output: "y", mapspec: "x[i], w[j] -> y[i, j]" },
      ({ x, w }: { x: number; w: number }) => x * w,
    );
    const rows = pipefunc(
      { output: "s", mapspec: "y[i, :] -> s[i]" },
      ({ y }: { y: NdArray<number> }) => sum(y),
    );
    // Reads y and s whole, and maps its own axis m.
    const both = pipefunc(
      { output: "t", mapspec: "m[n] -> t[n]" },
      ({ y, s, m }: { y: NdArray<number>; s: NdArray<number>; m: number }) => m * (sum(y) + sum(s)),
    );
    const plain = pipefunc(
      { output: "u" },
      ({ y, s }: { y: NdArray<number>; s: NdArray<number> }) => sum(y) - sum(s),
    );
    const wider = new Pipeline([outer, rows, both, plain]).addMapspecAxis("x", "k");
    expect(wider.functions.map((f) => f.mapspec)).toEqual([
      "x[i, k], w[j] -> y[i, j, k]",
      "y[i, :, k] -> s[i, k]",
      "m[n], y[:, :, k], s[:, k] -> t[n, k]",
      "y[:, :, k], s[:, k] -> u[k]",
    ]);
    const r = await wider.map({ x: [[1, 2]], w: [1, 10], m: [1] }, quiet);
    expect(r.t!.array.toNested()).toEqual([[22, 44]]);
    expect(r.u!.array.toNested()).toEqual([0, 0]);
  });
});

describe("map: inputs", () => {
  it("indexes a default of a mapped input like a given array", async () => {
    const add = pipefunc(
      { output: "out", mapspec: "a[i], b[i] -> out[i]", defaults: { b: [1, 2, 3] } },
      ({ a, b }: { a: number; b: number }) => a + b,
    );
    const r = await new Pipeline([add]).map({ a: [10, 20, 30] }, quiet);
    expect(r.out.array.data).toEqual([11, 22, 33]);
    const own = pipefunc(
      { output: "out", mapspec: "a[i], b[i] -> out[i]" },
      ({ a, b = [5, 6] }: { a: number; b?: number | number[] }) => a + Number(b),
    );
    expect((await new Pipeline([own]).map({ a: [1, 2] }, quiet)).out.array.data).toEqual([6, 8]);
    // Given, the array wins; of another length, the zip is refused.
    expect((await new Pipeline([add]).map({ a: [1], b: [7] }, quiet)).out.array.data).toEqual([8]);
    await expect(new Pipeline([add]).map({ a: [1, 2] }, quiet)).rejects.toThrow(ShapeMismatchError);
  });

  it("refuses a mapped input whose default the function computes, rather than pass it whole", async () => {
    const make = () => [1, 2];
    const f = pipefunc(
      { output: "out", mapspec: "a[i], b[i] -> out[i]" },
      ({ a, b = make() }: { a: number; b?: number | number[] }) => a + Number(b),
    );
    const error = await new Pipeline([f]).map({ a: [1, 2] }, quiet).catch((e) => e);
    expect(error).toBeInstanceOf(MissingInputError);
    expect(error.missing).toEqual(["b"]);
    expect(error.message).toMatch(/reads "b" element by element.*defaults: \{ b: \[...\] \}/);
  });

  it("indexes a mapped constant too", async () => {
    const add = pipefunc(
      { output: "out", mapspec: "a[i], b[i] -> out[i]" },
      ({ a, b }: { a: number; b: number }) => a * b,
    );
    const p = new Pipeline([add], { constants: { b: [2, 3] } });
    expect((await p.map({ a: [10, 10] }, quiet)).out.array.data).toEqual([20, 30]);
  });

  it("accepts scoped inputs nested or flat, as run does, and refuses both at once", async () => {
    const f = pipefunc(
      { output: "y", mapspec: "a[i] -> y[i]", scope: "foo" },
      ({ a, b }: { a: number; b: number }) => a + b,
    );
    const p = new Pipeline([f]);
    expect((await p.map({ foo: { a: [1, 2], b: 1 } }, quiet))["foo.y"]!.array.data).toEqual([2, 3]);
    expect((await p.map({ "foo.a": [1, 2], "foo.b": 10 }, quiet))["foo.y"]!.array.data).toEqual([
      11, 12,
    ]);
    await expect(p.map({ foo: { a: [1] }, "foo.a": [2], "foo.b": 1 }, quiet)).rejects.toThrow(
      DuplicateInputError,
    );
  });

  it("renames the mapspec with f.with({ renames }), also after withRenames", async () => {
    const f = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x + 1);
    const renamed = f.with({ renames: { x: "q", y: "w" } });
    expect(renamed.mapspec).toBe("q[i] -> w[i]");
    expect((await new Pipeline([renamed]).map({ q: [1, 2] }, quiet)).w!.array.data).toEqual([2, 3]);
    const again = new Pipeline([f])
      .withRenames({ x: "q" })
      .functions[0]!.with({ renames: { x: "z" } });
    expect(again.mapspec).toBe("z[i] -> y[i]");
    expect(f.with({ scope: "s" }).mapspec).toBe("s.x[i] -> s.y[i]");
  });
});

describe("map: validation and listeners per element", () => {
  it("checks each element's arguments and result with validate: true", async () => {
    const inline = new Pipeline([...validated.functions], { validate: true });
    const error = await inline.map({ x: [1, 2] }, quiet).catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.node).toBe("y");
    expect(error.argument).toBe("return");
    expect(error.index).toEqual([1]);
    expect(error.message).toMatch(/at index \[1\] got an invalid value for its return value/);
    const kept = await inline.map({ x: [1, 2, 0] }, { ...quiet, errors: "continue" });
    expect(kept.y.array.toNested()).toEqual([1, MISSING, 0]);
    expect(kept.errors[0]!.error).toBeInstanceOf(ValidationError);
    // Without validate: true, the string goes through unchecked, as in run.
    const unchecked = new Pipeline([...validated.functions]);
    expect((await unchecked.map({ x: [2] }, quiet)).y.array.data).toEqual(["2"]);
  });

  it("checks elements on worker threads too, failing as inline does", async () => {
    const error = await validated
      .map({ x: [1, 2] }, { ...quiet, executor: "threads", threads: 1 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect([error.node, error.argument, error.index]).toEqual(["y", "return", [1]]);
    expect(error.message).toMatch(/at index \[1\] got an invalid value for its return value/);
  }, 30_000);

  it("tells on() listeners and the profiler about every element", async () => {
    const f = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
      if (x < 0) throw new Error("negative");
      return x * 2;
    });
    const once = pipefunc({ output: "t" }, ({ x }: { x: NdArray<number> }) => x.size);
    const p = new Pipeline([f, once], { profile: true });
    const seen: string[] = [];
    p.on({
      onNodeEnd: (c: NodeCall) =>
        seen.push(`${c.node.name}[${c.index}]=${JSON.stringify(c.outputs)}`),
      onNodeError: (c: NodeCall) => seen.push(`${c.node.name}[${c.index}] failed`),
    });
    await p.map({ x: [1, -1, 3] }, { ...quiet, errors: "continue" });
    // t reads x, not y: it runs beside y, so its call may come first.
    expect(seen.filter((s) => s.startsWith("y"))).toEqual([
      'y[0]={"y":2}',
      "y[1] failed",
      'y[2]={"y":6}',
    ]);
    expect(seen).toContain('t[]={"t":3}');
    expect(seen).toHaveLength(4);
    const stats = p.profilingStats();
    expect(stats.y).toMatchObject({ calls: 3, errors: 1, remoteCalls: 0 });
    expect(stats.t).toMatchObject({ calls: 1 });

    const recorded = new Pipeline([f], { history: true });
    await recorded.map({ x: [1, 3] }, quiet);
    expect(recorded.history.map((h) => [h.node, h.index, h.inputs, h.outputs])).toEqual([
      ["y", [0], { x: 1 }, { y: 2 }],
      ["y", [1], { x: 3 }, { y: 6 }],
    ]);
  });

  it("tells listeners about elements that ran on threads, once their results are back", async () => {
    const calls: NodeCall[] = [];
    const off = grid.on({ onNodeEnd: (c) => calls.push(c) });
    try {
      await grid.map({ a: [1, 2], b: [3] }, { ...quiet, executor: { c: "threads" }, threads: 1 });
    } finally {
      off();
    }
    const c = calls.filter((call) => call.node.name === "c");
    expect(c.map((call) => [call.index, call.outputs, call.remote])).toEqual(
      expect.arrayContaining([
        [[0, 0], { c: 13 }, true],
        [[1, 0], { c: 23 }, true],
      ]),
    );
    expect(c.every((call) => call.durationMs >= 0)).toBe(true);
    expect(calls.filter((call) => call.node.name === "rowSum").map((call) => call.remote)).toEqual([
      undefined,
      undefined,
    ]);
  }, 30_000);
});

describe("map: errors in sweeps", () => {
  it("raises at the first failure with the element's index", async () => {
    const error = await grid.map({ a: [1, -2], b: [4] }, quiet).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect((error as NodeExecutionError).index).toEqual([1, 0]);
    expect((error as NodeExecutionError).inputs).toEqual({ a: -2, b: 4 });
    expect(String(error)).toMatch(/Function "c" at index \[1, 0\] failed: Error: negative a: -2/);
  });

  it("continues: records snapshots, masks every dependant element and reproduces", async () => {
    const r = await grid.map({ a: [1, -2, 3], b: [4, 5] }, { ...quiet, errors: "continue" });
    expect(r.errors).toHaveLength(2);
    const [first] = r.errors;
    expect(first).toBeInstanceOf(ErrorSnapshot);
    expect(first).toMatchObject({ node: "c", index: [1, 0], inputs: { a: -2, b: 4 } });
    expect(first!.message).toBe("negative a: -2");
    expect(() => first!.reproduce()).toThrow("negative a: -2");
    expect(r.c.array.get(1, 0)).toBe(MISSING);
    expect(r.c.array.get(0, 0)).toBe(14);
    expect(r.rowSum.array.toNested()).toEqual([29, MISSING, 69]);
    expect(isMissing(r.total.output)).toBe(true);
    expect(r.toRows("rowSum").map((row) => row.i)).toEqual([0, 2]);
  });
});

describe("map: run folders", () => {
  it("writes run.json, reloads outputs in a process without the pipeline", async () => {
    const dir = folder();
    await grid.map({ a: [1, 2], b: [4, 5, 6] }, { ...quiet, runFolder: dir });
    const record = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
    expect(record).toMatchObject({ status: "done", pipeline: { name: "pipeline" } });
    expect(record.outputs.c).toEqual({ dims: ["i", "j"], storage: "file" });
    expect(existsSync(join(dir, "inputs", "a.v8"))).toBe(true);
    expect(await loadOutputs("total", { runFolder: dir })).toBe(14 + 15 + 16 + 24 + 25 + 26);
    const script = [
      `import { loadAll } from ${JSON.stringify(join(import.meta.dirname, "../../src/index.ts"))};`,
      `const all = await loadAll({ runFolder: ${JSON.stringify(dir)} });`,
      "console.log(JSON.stringify({ c: all.c.toNested(), total: all.total }));",
    ].join("\n");
    const { stdout } = await run(process.execPath, [
      "--import",
      "tsx",
      "--input-type=module",
      "-e",
      script,
    ]);
    expect(JSON.parse(stdout)).toEqual({
      c: [
        [14, 15, 16],
        [24, 25, 26],
      ],
      total: 120,
    });
  });

  it("resumes computing only what is missing, and refuses another run's folder", async () => {
    const dir = folder();
    let calls = 0;
    // The call counter is no input of the result: a version vouches for it.
    const f = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]", version: 1 },
      ({ x }: { x: number }) => {
        calls++;
        if (x === 3) throw new Error("three");
        return x * 2;
      },
    );
    const p = new Pipeline([f]);
    const first = await p.map(
      { x: [1, 2, 3, 4] },
      { ...quiet, runFolder: dir, errors: "continue" },
    );
    expect(first.errors).toHaveLength(1);
    expect(calls).toBe(4);
    calls = 0;
    const again = await p.map(
      { x: [1, 2, 3, 4] },
      { ...quiet, runFolder: dir, resume: true, errors: "continue" },
    );
    expect(calls).toBe(1); // only the failed element
    expect(again.y.array.toNested()).toEqual([2, 4, MISSING, 8]);

    await expect(p.map({ x: [1, 2, 3, 4] }, { ...quiet, runFolder: dir })).rejects.toThrow(
      RunFolderExistsError,
    );
    const mismatch = await p
      .map({ x: [9, 9] }, { ...quiet, runFolder: dir, resume: true, errors: "continue" })
      .catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(RunFolderMismatchError);
    expect((mismatch as RunFolderMismatchError).differences).toEqual([
      'input "x" has a different value',
    ]);
    const changed = new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x * 3),
    ]);
    const code = await changed
      .map({ x: [1, 2, 3, 4] }, { ...quiet, runFolder: dir, resume: true })
      .catch((e: unknown) => e);
    expect(String(code)).toMatch(/function "y" has changed code/);
    const fresh = await changed.map({ x: [1, 2] }, { ...quiet, runFolder: dir, overwrite: true });
    expect(fresh.y.array.toNested()).toEqual([3, 6]);
  });

  it("records the errors mode, and refuses to resume with another", async () => {
    const dir = folder();
    const f = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x);
    const p = new Pipeline([f]);
    await p.map({ x: [1, 2] }, { ...quiet, runFolder: dir, errors: "continue" });
    const record = JSON.parse(readFileSync(join(dir, "run.json"), "utf8"));
    expect(record.errors).toBe("continue");
    const error = await p
      .map({ x: [1, 2] }, { ...quiet, runFolder: dir, resume: true })
      .catch((e) => e);
    expect(error).toBeInstanceOf(RunFolderMismatchError);
    expect(error.differences).toEqual([
      'errors was "continue" and is "raise" now (a resume handles failures the same way)',
    ]);
  });

  it("treats inputs that differ only in key order as the same inputs", async () => {
    const dir = folder();
    const f = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]" },
      ({ x, opts }: { x: number; opts: { a: number; b: number } }) => x * opts.a + opts.b,
    );
    const p = new Pipeline([f]);
    await p.map({ x: [1, 2], opts: { a: 2, b: 1 } }, { ...quiet, runFolder: dir });
    const again = await p.map(
      { opts: { b: 1, a: 2 }, x: [1, 2] },
      { ...quiet, runFolder: dir, resume: true },
    );
    expect(again.y.array.data).toEqual([3, 5]);
    await expect(
      p.map({ x: [1, 2], opts: { a: 3, b: 1 } }, { ...quiet, runFolder: dir, resume: true }),
    ).rejects.toThrow(/input "opts" has a different value/);
  });

  it("needs a run folder for file and zarr storage", async () => {
    const f = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x);
    for (const storage of ["file", "zarr"] as const) {
      const error = await new Pipeline([f]).map({ x: [1] }, { ...quiet, storage }).catch((e) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error.code).toBe("E_INVALID_OPTION");
      expect(error.option).toBe("storage");
      expect(error.message).toMatch(
        new RegExp(`storage "${storage}" writes results into a run folder`),
      );
    }
  });

  it("stops promptly on abort and leaves a folder that resumes to the full result", async () => {
    const dir = folder();
    const controller = new AbortController();
    let calls = 0;
    const f = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]", version: 1 },
      async ({ x }: { x: number }) => {
        calls++;
        if (calls === 5) controller.abort(new Error("enough"));
        await new Promise((r) => setTimeout(r, 1));
        return x + 1;
      },
    );
    const p = new Pipeline([f]);
    const xs = Array.from({ length: 100 }, (_, i) => i);
    const error = await p
      .map({ x: xs }, { ...quiet, runFolder: dir, concurrency: 2, signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toEqual(new Error("enough"));
    expect(calls).toBeLessThan(10);
    const done = calls;
    const r = await p.map({ x: xs }, { ...quiet, runFolder: dir, resume: true });
    expect(r.y.array.toNested()).toEqual(xs.map((x) => x + 1));
    expect(calls).toBeLessThanOrEqual(100 + (done - 4));
  });

  it("stores numeric outputs as Zarr v3 arrays", async () => {
    const dir = folder();
    await grid.map({ a: [1, 2], b: [4, 5, 6] }, { ...quiet, runFolder: dir, storage: "zarr" });
    const c = (await loadOutputs("c", { runFolder: dir })) as NdArray<number>;
    expect(c.toNested()).toEqual([
      [14, 15, 16],
      [24, 25, 26],
    ]);
    expect(JSON.parse(readFileSync(join(dir, "outputs", "c", "zarr.json"), "utf8"))).toMatchObject({
      zarr_format: 3,
      shape: [2, 3],
      data_type: "float64",
    });
  });
});

describe("map: executors", () => {
  it("keeps at most `concurrency` async calls in flight", async () => {
    let active = 0;
    let peak = 0;
    const f = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, async ({ x }: { x: number }) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 2));
      active--;
      return x;
    });
    const r = await new Pipeline([f]).map(
      { x: Array.from({ length: 30 }, (_, i) => i) },
      { ...quiet, concurrency: 4 },
    );
    expect(peak).toBe(4);
    expect(r.y.array.size).toBe(30);
  });

  it("threads give the same results as inline (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        async (a, b, chunkSize) => {
          const inline = await grid.map({ a, b }, quiet);
          const threads = await grid.map(
            { a, b },
            { ...quiet, executor: "threads", threads: 2, chunkSize },
          );
          expect(threads.c.array.toNested()).toEqual(inline.c.array.toNested());
          expect(threads.total.output).toBe(inline.total.output);
        },
      ),
      { numRuns: 8 },
    );
  }, 60_000);

  it("records a dead worker's elements and carries on; per-node executors mix", async () => {
    const r = await grid.map(
      { a: [1, 999, 3], b: [4] },
      { ...quiet, executor: { c: "threads" }, threads: 1, chunkSize: 1, errors: "continue" },
    );
    expect(r.errors.map((e) => [e.index, e.message])).toEqual([
      [
        [1, 0],
        expect.stringMatching(/^The worker thread running "c" on this element exited with code 3 /),
      ],
    ]);
    expect(r.c.array.toNested()).toEqual([[14], [MISSING], [34]]);
  }, 30_000);

  it("explains how to declare a pipeline for threads", async () => {
    const f = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x);
    const error = await new Pipeline([f], { name: "adhoc" })
      .map({ x: [1] }, { ...quiet, executor: "threads" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UndeclaredPipelineError);
    expect(String(error)).toMatch(/definePipeline\(import\.meta\.url, "adhoc"/);
  });
});

describe("map: progress", () => {
  it("tells a listener how far each mapped function is", async () => {
    const events: string[] = [];
    let done = 0;
    await grid.map(
      { a: [1, 2, 3], b: [4, 5] },
      {
        progress: {
          onNodeStart: (node, total) => events.push(`start ${node} ${total}`),
          onProgress: (node, n) => {
            if (node === "c") done += n;
          },
          onNodeEnd: (node) => events.push(`end ${node}`),
        },
      },
    );
    expect(events).toEqual([
      "start c 6",
      "end c",
      "start rowSum 3",
      "end rowSum",
      "start total 1",
      "end total",
    ]);
    expect(done).toBe(6);
  });
});
