import { describe, expectTypeOf, it } from "vitest";
import { Node, namedPartial, type PipeFunc, Pipeline, pipefunc } from "../../src/index.ts";

const fC = pipefunc({ output: "c" }, ({ a, b }: { a: number; b: number }) => a + b);
const fD = pipefunc({ output: "d" }, ({ b, c }: { b: number; c: number }) => b * c);
const fE = pipefunc(
  { output: "e" },
  ({ c, d, x = 1 }: { c: number; d: number; x?: number }) => c * d * x,
);

describe("pipefunc types", () => {
  it("infers graph-facing inputs and outputs", () => {
    expectTypeOf(fC).toEqualTypeOf<PipeFunc<{ a: number; b: number }, { c: number }, null>>();
    expectTypeOf(fE).toEqualTypeOf<
      PipeFunc<{ c: number; d: number; x?: number }, { e: number }, null>
    >();
  });

  it("unwraps async results", () => {
    const f = pipefunc({ output: "y" }, async ({ x }: { x: number }) => String(x));
    expectTypeOf(f).toEqualTypeOf<PipeFunc<{ x: number }, { y: string }, null>>();
  });

  it("maps tuple and object returns onto several outputs", () => {
    const tuple = pipefunc(
      { output: ["lo", "hi"] },
      ({ xs }: { xs: number[] }) => [Math.min(...xs), String(Math.max(...xs))] as const,
    );
    expectTypeOf(tuple).toEqualTypeOf<
      PipeFunc<{ xs: number[] }, { lo: number; hi: string }, null>
    >();
    const obj = pipefunc({ output: ["n", "s"] }, ({ v }: { v: number }) => ({ n: v, s: "x" }));
    expectTypeOf(obj).toEqualTypeOf<PipeFunc<{ v: number }, { n: number; s: string }, null>>();
  });

  it("applies renames, bound arguments and scopes to the graph-facing names", () => {
    const renamed = pipefunc(
      { output: "out", renames: { a: "alpha", out: "result" } },
      ({ a, k }: { a: number; k: string }) => a + k.length,
    );
    expectTypeOf(renamed).toEqualTypeOf<
      PipeFunc<{ alpha: number; k: string }, { result: number }, null>
    >();
    const bound = pipefunc(
      { output: "out", bound: { k: "fixed" } },
      ({ a, k }: { a: number; k: string }) => a + k.length,
    );
    expectTypeOf(bound).toEqualTypeOf<PipeFunc<{ a: number }, { out: number }, null>>();
    const scoped = pipefunc({ output: "y", scope: "s" }, ({ x }: { x: number }) => x);
    expectTypeOf(scoped).toEqualTypeOf<PipeFunc<{ "s.x": number }, { "s.y": number }, null>>();
  });
});

describe("Pipeline types", () => {
  const pipeline = new Pipeline([fC, fD, fE]);

  it("types run by output name", () => {
    expectTypeOf(pipeline.run("d", { a: 2, b: 3 })).toEqualTypeOf<Promise<number>>();
    expectTypeOf(pipeline.runSync("e", { a: 2, b: 3 })).toEqualTypeOf<number>();
  });

  it("types run of a list of outputs as an object of them", () => {
    expectTypeOf(pipeline.run(["c", "e"], { a: 2, b: 3 })).toEqualTypeOf<
      Promise<{ c: number; e: number }>
    >();
    expectTypeOf(pipeline.runSync(["d"], { a: 2, b: 3 })).toEqualTypeOf<{ d: number }>();
    // @ts-expect-error "nope" is not an output of this pipeline
    void pipeline.run(["c", "nope"], { a: 1, b: 2 });
  });

  it("types run without an output as the leaf output's value", () => {
    expectTypeOf(pipeline.run(undefined, { a: 2, b: 3 })).toEqualTypeOf<Promise<number>>();
    const strings = new Pipeline([fC, pipefunc({ output: "s" }, ({ c }: { c: number }) => `${c}`)]);
    expectTypeOf(strings.runSync(undefined, { a: 1, b: 2 })).toEqualTypeOf<string>();
  });

  it("rejects an unknown output name", () => {
    // @ts-expect-error "nope" is not an output of this pipeline
    void pipeline.run("nope", { a: 1, b: 2 });
    // @ts-expect-error "a" is an input, not an output
    pipeline.runSync("a", { a: 1, b: 2 });
  });

  it("types the inputs a run accepts", () => {
    // @ts-expect-error "a" is a number
    void pipeline.run("d", { a: "2", b: 3 });
    void pipeline.run("e", { c: 5, d: 15 });
  });

  it("rejects a producer whose output type does not fit its consumer", () => {
    const makesNumber = pipefunc({ output: "c" }, ({ a }: { a: number }) => a * 2);
    const readsString = pipefunc({ output: "len" }, ({ c }: { c: string }) => c.length);
    // @ts-expect-error c: number flows into c: string
    new Pipeline([makesNumber, readsString]);
    const readsNumber = pipefunc({ output: "twice" }, ({ c }: { c: number }) => c * 2);
    expectTypeOf(
      new Pipeline([makesNumber, readsNumber]).runSync("twice", { a: 1 }),
    ).toEqualTypeOf<number>();
  });

  it("accepts a narrower producer for a wider consumer", () => {
    const literal = pipefunc({ output: "mode" }, () => "fast" as const);
    const wide = pipefunc({ output: "msg" }, ({ mode }: { mode: string }) => `mode=${mode}`);
    expectTypeOf(new Pipeline([literal, wide]).runSync("msg")).toEqualTypeOf<string>();
  });

  it("types runAll as every output plus the given inputs", () => {
    expectTypeOf(pipeline.runAll({ a: 2, b: 3 })).resolves.toEqualTypeOf<{
      c: number;
      d: number;
      e: number;
      a: number;
      b: number;
    }>();
  });

  it("keeps types through add, drop and replace", () => {
    const fF = pipefunc({ output: "f" }, ({ e }: { e: number }) => e > 10);
    const added = pipeline.add(fF);
    expectTypeOf(added.runSync("f", { a: 1, b: 2 })).toEqualTypeOf<boolean>();
    const dropped = pipeline.drop("e");
    // @ts-expect-error "e" was dropped
    dropped.runSync("e", { a: 1, b: 2 });
    const replaced = pipeline.replace(
      "e",
      pipefunc({ output: "e" }, ({ d }: { d: number }) => `${d}`),
    );
    expectTypeOf(replaced.runSync("e", { a: 1, b: 2 })).toEqualTypeOf<string>();
  });

  it("accepts scoped inputs flat or nested", () => {
    const scoped = new Pipeline([
      pipefunc({ output: "y", scope: "s" }, ({ x }: { x: number }) => x + 1),
    ]);
    expectTypeOf(scoped.runSync("s.y", { "s.x": 1 })).toEqualTypeOf<number>();
    expectTypeOf(scoped.runSync("s.y", { s: { x: 1 } })).toEqualTypeOf<number>();
  });

  it("falls back to untyped names for dynamically built lists", () => {
    const fns: PipeFunc[] = [fC];
    const dynamic = new Pipeline(fns);
    expectTypeOf(dynamic.run("anything")).toEqualTypeOf<Promise<unknown>>();
  });
});

describe("Node types", () => {
  it("maps positional parameters to input names", () => {
    const rolling = (df: number[], window: number) => df.slice(-window);
    const node = new Node({
      func: rolling,
      inputs: ["df", "config.window"],
      outputs: ["features"],
    });
    expectTypeOf(node).toEqualTypeOf<
      Node<readonly ["df", "config.window"], readonly ["features"], typeof rolling, string>
    >();
    const load = new Node({ func: () => [1, 2, 3], outputs: ["df"] });
    const p = new Pipeline([load, node], { config: { window: 2 } });
    expectTypeOf(p.runSync("features")).toEqualTypeOf<number[]>();
  });

  it("lets a named side-effect node be run by its name", () => {
    const load = new Node({ func: () => [1, 2], outputs: ["df"] });
    const save = new Node({ func: (_df: number[]) => {}, inputs: ["df"], name: "save" });
    expectTypeOf(new Pipeline([load, save]).run("save")).toEqualTypeOf<Promise<undefined>>();
  });

  it("rejects a node reading a mistyped value", () => {
    const load = new Node({ func: () => "text", outputs: ["df"] });
    const sum = new Node({ func: (df: number[]) => df.length, inputs: ["df"], outputs: ["n"] });
    // @ts-expect-error df: string flows into df: number[]
    new Pipeline([load, sum]);
  });

  it("types namedPartial for object-style functions", () => {
    const scale = ({ x, k }: { x: number; k: number }) => x * k;
    const triple = namedPartial(scale, "triple", { k: 3 });
    expectTypeOf(triple)
      .parameter(0)
      .toEqualTypeOf<
        Omit<{ x: number; k: number }, "k"> & Partial<Pick<{ x: number; k: number }, "k">>
      >();
    expectTypeOf(triple).returns.toEqualTypeOf<number>();
  });
});
