import { describe, expectTypeOf, it } from "vitest";
import {
  type Executor,
  Node,
  type PipeFunc,
  type PipeFuncOptions,
  Pipeline,
  type PipelineOptions,
  pipefunc,
} from "../../src/index.ts";

describe("captures and version types", () => {
  it("leave the inferred inputs and outputs alone", () => {
    const k = 2;
    const f = pipefunc(
      { output: "y", cache: true, captures: { k } },
      ({ x }: { x: number }) => x * k,
    );
    expectTypeOf(f).toEqualTypeOf<PipeFunc<{ x: number }, { y: number }, null>>();
    const g = pipefunc({ output: "y", version: "2" }, ({ x }: { x: number }) => x * k);
    expectTypeOf(g).toEqualTypeOf<PipeFunc<{ x: number }, { y: number }, null>>();
  });

  it("take a string or number version and a record of captured values", () => {
    expectTypeOf<PipeFuncOptions["version"]>().toEqualTypeOf<string | number | undefined>();
    expectTypeOf<PipeFuncOptions["captures"]>().toEqualTypeOf<
      Readonly<Record<string, unknown>> | undefined
    >();
    expectTypeOf<PipeFunc["version"]>().toEqualTypeOf<string | number | undefined>();
    // @ts-expect-error a version is a label (string or number), not a boolean
    pipefunc({ output: "y", version: true }, ({ x }: { x: number }) => x);
    // @ts-expect-error captures are a record of values by name, not a list
    pipefunc({ output: "y", captures: ["k"] }, ({ x }: { x: number }) => x);
  });

  it("are accepted by Node and by with()", () => {
    const k = 3;
    const n = new Node({
      func: (x: number) => x * k,
      inputs: ["x"],
      outputs: ["y"],
      captures: { k },
    });
    expectTypeOf(n.captures).toEqualTypeOf<Readonly<Record<string, unknown>> | undefined>();
    n.with({ version: 1, captures: { k } });
    // @ts-expect-error a Node's version is a string or number too
    new Node({ func: (x: number) => x, inputs: ["x"], outputs: ["y"], version: {} });
  });
});

describe("pipeline-level captures and out-of-process executors", () => {
  it("take a record of captured values on the pipeline, and an optional flag on executors", () => {
    const K = 2;
    const f = pipefunc({ output: "y" }, ({ x }: { x: number }) => x * K);
    const pipeline = new Pipeline([f], { captures: { K } });
    expectTypeOf(pipeline.run("y", { x: 1 })).resolves.toEqualTypeOf<number>();
    expectTypeOf<PipelineOptions["captures"]>().toEqualTypeOf<
      Readonly<Record<string, unknown>> | undefined
    >();
    // @ts-expect-error captures are a record of values by name, not a list
    new Pipeline([f], { captures: ["K"] });
    expectTypeOf<Executor["isOutOfProcess"]>().toEqualTypeOf<boolean | undefined>();
  });
});
