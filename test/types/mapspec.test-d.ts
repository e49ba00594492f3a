import { describe, expectTypeOf, it } from "vitest";
import { loadOutputs, NdArray, Pipeline, pipefunc, sweep } from "../../src/index.ts";
import type { MapSpecAxesError, ParseMapSpec } from "../../src/map/mapspec-types.ts";
import type { Missing } from "../../src/map/missing.ts";

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

describe("the type-level mapspec parser", () => {
  it("reads inputs and outputs with their axes", () => {
    expectTypeOf<ParseMapSpec<"a[i], b[j] -> c[i, j]">>().toEqualTypeOf<{
      readonly inputs: { a: ["i"]; b: ["j"] };
      readonly outputs: { c: ["i", "j"] };
    }>();
    expectTypeOf<ParseMapSpec<"x, a[i], c[:, j] -> s[i, j], t[i, j]">>().toEqualTypeOf<{
      readonly inputs: { x: []; a: ["i"]; c: [":", "j"] };
      readonly outputs: { s: ["i", "j"]; t: ["i", "j"] };
    }>();
  });

  it("reads generators, reductions and text without spaces", () => {
    expectTypeOf<ParseMapSpec<"... -> x[i]">>().toEqualTypeOf<{
      readonly inputs: {};
      readonly outputs: { x: ["i"] };
    }>();
    expectTypeOf<ParseMapSpec<"x[:]->s">>().toEqualTypeOf<{
      readonly inputs: { x: [":"] };
      readonly outputs: { s: [] };
    }>();
  });

  it("gives unknown for a string or a text it cannot read", () => {
    expectTypeOf<ParseMapSpec<string>>().toBeUnknown();
    expectTypeOf<ParseMapSpec<"a[i] b -> c[i]">>().toBeUnknown();
    expectTypeOf<ParseMapSpec<"a[i]">>().toBeUnknown();
  });
});

describe("map() results from literal mapspecs", () => {
  it("types a mapped output with its axes and an unmapped one as its value", async () => {
    const r = await grid.map({ a: [1, 2, 3], b: [10, 20] });
    expectTypeOf(r.c.output).toEqualTypeOf<NdArray<number, ["i", "j"]>>();
    expectTypeOf(r.c.array).toEqualTypeOf<NdArray<number, ["i", "j"]>>();
    expectTypeOf(r.c.dims).toEqualTypeOf<readonly ["i", "j"]>();
    expectTypeOf(r.rowSum.output).toEqualTypeOf<NdArray<number, ["i"]>>();
    expectTypeOf(r.total.output).toEqualTypeOf<number>();
    expectTypeOf(r.total.array).toEqualTypeOf<NdArray<number, []>>();
    expectTypeOf(r.c.array.get(0, 1)).toEqualTypeOf<number | Missing>();
    expectTypeOf(r.c.array.slice({ i: 0 })).toEqualTypeOf<NdArray<number, ["j"]>>();
  });

  it("unwraps one array level per internal axis, all of them for a generator", async () => {
    const generate = pipefunc({ output: "x", mapspec: "... -> x[i]" }, ({ n }: { n: number }) =>
      Array.from({ length: n }, (_, k) => k),
    );
    const spectrum = pipefunc(
      { output: "spectrum", mapspec: "x[i] -> spectrum[i, j]" },
      ({ x }: { x: number }) => [x, 2 * x],
    );
    const r = await new Pipeline([generate, spectrum]).map({ n: 3 });
    expectTypeOf(r.x.output).toEqualTypeOf<NdArray<number, ["i"]>>();
    expectTypeOf(r.spectrum.output).toEqualTypeOf<NdArray<number, ["i", "j"]>>();
  });

  it("gives a 0-D output of a literal mapspec its value", async () => {
    const sum = pipefunc(
      { output: "s", mapspec: "x[:] -> s" },
      ({ x }: { x: NdArray<number> }) => x.values().length,
    );
    const r = await new Pipeline([sum]).map({ x: [1, 2] });
    expectTypeOf(r.s.output).toEqualTypeOf<number>();
  });

  it("falls back to the union for an output a mapspec makes a generator (pipefunc's rule)", async () => {
    const list = pipefunc({ output: "f" }, ({ n }: { n: number }) => [n, n]);
    const twice = pipefunc(
      { output: "g", mapspec: "f[i] -> g[i]" },
      ({ f }: { f: number }) => 2 * f,
    );
    const r = await new Pipeline([list, twice]).map({ n: 2 });
    expectTypeOf(r.f.output).toEqualTypeOf<NdArray<number[]> | number[]>();
    expectTypeOf(r.g.output).toEqualTypeOf<NdArray<number, ["i"]>>();
  });

  it("keeps today's types for a mapspec that is a plain string", async () => {
    const spec: string = "x[i] -> y[i]";
    const f = pipefunc({ output: "y", mapspec: spec }, ({ x }: { x: number }) => x);
    const noSpec = pipefunc({ output: "z" }, ({ y }: { y: NdArray<number> }) => y.size);
    const r = await new Pipeline([f, noSpec]).map({ x: [1, 2] });
    expectTypeOf(r.y.output).toEqualTypeOf<NdArray<number> | number>();
    expectTypeOf(r.y.array).toEqualTypeOf<NdArray<number>>();
    // The string may read z's inputs along axes: z's output is not known either.
    expectTypeOf(r.z.output).toEqualTypeOf<NdArray<number> | number>();
    await new Pipeline([f]).map({ x: "anything goes" });
  });

  it("applies renames and scope to a literal mapspec's names", async () => {
    const renamed = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]", renames: { x: "input" } },
      ({ x }: { x: number }) => x,
    );
    const r = await new Pipeline([renamed]).map({ input: [1, 2] });
    expectTypeOf(r.y.output).toEqualTypeOf<NdArray<number, ["i"]>>();
    const scoped = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]", scope: "s" },
      ({ x }: { x: number }) => x,
    );
    const s = await new Pipeline([scoped]).map({ "s.x": [1] });
    expectTypeOf(s["s.y"].output).toEqualTypeOf<NdArray<number, ["i"]>>();
  });

  it("forgets mapspec types after addMapspecAxis, which changes them", async () => {
    const wider = grid.addMapspecAxis("a", "k");
    const r = await wider.map({ a: [[1, 2]], b: [4, 5] });
    expectTypeOf(r.c.output).toEqualTypeOf<NdArray<number> | number>();
  });
});

describe("map() inputs from literal mapspecs", () => {
  it("takes a mapped input as arrays nested one level per axis, or an NdArray", () => {
    void grid.map({ a: [1, 2], b: new Float64Array([1, 2]) });
    void grid.map({ a: NdArray.fromNested([1, 2], ["i"]), b: [3] });
    const cube = pipefunc(
      { output: "y", mapspec: "x[i, j, k, l] -> y[i, j, k, l]" },
      ({ x }: { x: number }) => x,
    );
    void new Pipeline([cube]).map({ x: [[[[1]]]] });
    // @ts-expect-error: x has four axes, so four levels of arrays.
    void new Pipeline([cube]).map({ x: [[1]] });
  });

  it("takes a sliced input (c[:, j]) nested as deep as all its axes", () => {
    const colSum = pipefunc(
      { output: "s", mapspec: "m[:, j] -> s[j]" },
      ({ m }: { m: NdArray<number> }) => m.size,
    );
    void new Pipeline([colSum]).map({ m: [[1, 2]] });
    // @ts-expect-error: m has two axes.
    void new Pipeline([colSum]).map({ m: [1, 2] });
  });

  it("rejects a scalar where the mapspec maps an array, and the wrong element type", () => {
    // @ts-expect-error: a is mapped along i, so an array.
    void grid.map({ a: 1, b: [10, 20] });
    // @ts-expect-error: a's elements are numbers.
    void grid.map({ a: ["1"], b: [10, 20] });
  });

  it("takes an unmapped input as the argument's own type", () => {
    const scale = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]" },
      ({ x, k }: { x: number; k: number }) => x * k,
    );
    void new Pipeline([scale]).map({ x: [1, 2], k: 3 });
    // @ts-expect-error: k is not mapped, so a number.
    void new Pipeline([scale]).map({ x: [1, 2], k: [3] });
  });

  it("rejects a missing required input, but not one with a default or given by the pipeline", () => {
    // @ts-expect-error: b is required.
    void grid.map({ a: [1, 2] });
    const withDefault = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]" },
      ({ x, k = 2 }: { x: number; k?: number }) => x * k,
    );
    void new Pipeline([withDefault]).map({ x: [1] });
    const mappedDefault = pipefunc(
      { output: "y", mapspec: "x[i], w[i] -> y[i]", defaults: { w: [1, 2] } },
      ({ x, w }: { x: number; w: number }) => x * w,
    );
    void new Pipeline([mappedDefault]).map({ x: [1, 2] });
    void new Pipeline([add], { constants: { b: [1, 2] } }).map({ a: [1] });
    void new Pipeline([add]).withDefaults({ b: [1, 2] }).map({ a: [1] });
  });

  it("accepts a sweep and the outputs of functions it then skips", () => {
    const zipped = pipefunc(
      { output: "c", mapspec: "a[i], b[i] -> c[i]" },
      ({ a, b }: { a: number; b: number }) => a + b,
    );
    void new Pipeline([zipped]).map(sweep({ a: [1, 2], b: [10, 20] }));
    void grid.map({ a: [1], b: [2], rowSum: [3] });
  });
});

describe("axes checked between literal mapspecs", () => {
  it("rejects a reader with another number of axes than the producer gives", () => {
    const mean = pipefunc(
      { output: "mean", mapspec: "c[i] -> mean[i]" },
      ({ c }: { c: number }) => c,
    );
    // @ts-expect-error: mean reads c[i] but c has axes [i, j].
    new Pipeline([add, mean]);
    const scalar = pipefunc(
      { output: "s", mapspec: "x[:] -> s" },
      ({ x }: { x: NdArray<number> }) => x.size,
    );
    const readsAxis = pipefunc(
      { output: "t", mapspec: "s[i] -> t[i]" },
      ({ s }: { s: number }) => s,
    );
    // @ts-expect-error: s has no axes.
    new Pipeline([scalar, readsAxis]);
  });

  it("names the reader and both axes in the error type", () => {
    const mean = pipefunc(
      { output: "mean", mapspec: "c[i] -> mean[i]" },
      ({ c }: { c: number }) => c,
    );
    type Arg = ConstructorParameters<typeof Pipeline<[typeof add, typeof mean]>>[0][1];
    expectTypeOf<Arg>().toExtend<MapSpecAxesError<'"mean" reads c[i] but c has axes [i, j]'>>();
  });

  it("accepts readers that agree, slices included", () => {
    new Pipeline([add, rowSum, total]);
  });

  it("type-checks a pipeline of 15 functions and a 4-axis mapspec", async () => {
    const p = new Pipeline([
      pipefunc(
        { output: "x1", mapspec: "x0[i, j, k, l] -> x1[i, j, k, l]" },
        ({ x0 }: { x0: number }) => x0,
      ),
      pipefunc(
        { output: "x2", mapspec: "x1[i, j, k, l] -> x2[i, j, k, l]" },
        ({ x1 }: { x1: number }) => x1,
      ),
      pipefunc(
        { output: "x3", mapspec: "x2[i, j, k, l] -> x3[i, j, k, l]" },
        ({ x2 }: { x2: number }) => x2,
      ),
      pipefunc(
        { output: "x4", mapspec: "x3[i, j, k, :] -> x4[i, j, k]" },
        ({ x3 }: { x3: NdArray<number> }) => x3.size,
      ),
      pipefunc(
        { output: "x5", mapspec: "x4[i, j, k] -> x5[i, j, k]" },
        ({ x4 }: { x4: number }) => x4,
      ),
      pipefunc(
        { output: "x6", mapspec: "x5[i, j, :] -> x6[i, j]" },
        ({ x5 }: { x5: NdArray<number> }) => x5.size,
      ),
      pipefunc(
        { output: "x7", mapspec: "x6[i, j], w[j] -> x7[i, j]" },
        ({ x6, w }: { x6: number; w: number }) => x6 + w,
      ),
      pipefunc({ output: "x8", mapspec: "x7[i, j] -> x8[i, j]" }, ({ x7 }: { x7: number }) =>
        String(x7),
      ),
      pipefunc(
        { output: "x9", mapspec: "x8[i, :] -> x9[i]" },
        ({ x8 }: { x8: NdArray<string> }) => x8.size,
      ),
      pipefunc({ output: "x10", mapspec: "x9[i] -> x10[i]" }, ({ x9 }: { x9: number }) => x9),
      pipefunc({ output: "x11", mapspec: "x10[i] -> x11[i]" }, ({ x10 }: { x10: number }) => x10),
      pipefunc({ output: "x12", mapspec: "x11[i] -> x12[i]" }, ({ x11 }: { x11: number }) => x11),
      pipefunc(
        { output: "x13", mapspec: "x12[:] -> x13" },
        ({ x12 }: { x12: NdArray<number> }) => x12.size,
      ),
      pipefunc({ output: "x14" }, ({ x13 }: { x13: number }) => x13 > 0),
      pipefunc(
        { output: "x15" },
        ({ x14, x1 }: { x14: boolean; x1: NdArray<number> }) => x14 && x1.size > 0,
      ),
    ]);
    const r = await p.map({ x0: [[[[1]]]], w: [1] });
    expectTypeOf(r.x3.output).toEqualTypeOf<NdArray<number, ["i", "j", "k", "l"]>>();
    expectTypeOf(r.x8.output).toEqualTypeOf<NdArray<string, ["i", "j"]>>();
    expectTypeOf(r.x13.output).toEqualTypeOf<number>();
    expectTypeOf(r.x15.output).toEqualTypeOf<boolean>();
    expectTypeOf(r.x3.array.get(0, 0, 0, 0)).toEqualTypeOf<number | Missing>();
  });
});

describe("NdArray<T, Axes>", () => {
  const c = null as unknown as NdArray<number, ["i", "j"]>;

  it("takes one index per axis in get", () => {
    expectTypeOf(c.get(0, 1)).toEqualTypeOf<number | Missing>();
    // @ts-expect-error: two axes, two indexes.
    c.get(0);
    // @ts-expect-error: two axes, two indexes.
    c.get(0, 1, 2);
  });

  it("drops the axes slice and along fix", () => {
    expectTypeOf(c.slice({ i: 3 })).toEqualTypeOf<NdArray<number, ["j"]>>();
    expectTypeOf(c.slice({ i: 0, j: 1 })).toEqualTypeOf<NdArray<number, []>>();
    expectTypeOf(c.along("j")).toEqualTypeOf<NdArray<number, ["i"]>[]>();
    expectTypeOf(c.map(String)).toEqualTypeOf<NdArray<string, ["i", "j"]>>();
    // @ts-expect-error: a number is no selection.
    c.slice(3);
    // @ts-expect-error: k is not a dim.
    c.slice({ k: 0 });
    // @ts-expect-error: k is not a dim.
    c.slice({ i: 0, k: 0 });
    // @ts-expect-error: k is not a dim.
    c.along("k");
  });

  it("stays assignable to NdArray<T> and keeps NdArray<T> untyped", () => {
    const untyped: NdArray<number> = c;
    expectTypeOf(untyped.get(1, 2, 3)).toEqualTypeOf<number | Missing>();
    expectTypeOf(untyped.slice({ q: 1 })).toEqualTypeOf<NdArray<number>>();
    expectTypeOf(untyped.dims).toEqualTypeOf<readonly string[]>();
    // @ts-expect-error: a number is no selection, typed or not.
    untyped.slice(3);
  });
});

describe("loadOutputs typed from the pipeline", () => {
  it("types an output by the pipeline's mapspecs, and keeps the untyped form", async () => {
    const runFolder = "runs/grid";
    expectTypeOf(await loadOutputs(grid, "c", { runFolder })).toEqualTypeOf<
      NdArray<number, ["i", "j"]>
    >();
    expectTypeOf(await loadOutputs(grid, "total", { runFolder })).toEqualTypeOf<number>();
    expectTypeOf(await loadOutputs("c", { runFolder })).toBeUnknown();
    // @ts-expect-error: no such output.
    await loadOutputs(grid, "nope", { runFolder });
  });
});
