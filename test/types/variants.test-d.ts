import { describe, expectTypeOf, it } from "vitest";
import { type PipeFunc, Pipeline, pipefunc, type VariantSelectionOf } from "../../src/index.ts";

const fast = pipefunc(
  { output: "y", variant: "fast", variantGroup: "solver" },
  ({ x }: { x: number }) => x * 2,
);
const exact = pipefunc(
  { output: "y", variant: "exact", variantGroup: "solver" },
  ({ x }: { x: number }) => x * 2 + 1,
);
const euler = pipefunc(
  { output: "w", variant: "euler", variantGroup: "integrator" },
  ({ y }: { y: number }) => y,
);
const rk4 = pipefunc(
  { output: "w", variant: "rk4", variantGroup: "integrator" },
  ({ y }: { y: number }) => -y,
);
const post = pipefunc({ output: "z" }, ({ y }: { y: number }) => String(y));
const pipeline = new Pipeline([fast, exact, euler, rk4, post]);

describe("variant types", () => {
  it("keeps a function without variant the plain PipeFunc it was", () => {
    expectTypeOf(post).toEqualTypeOf<PipeFunc<{ y: number }, { z: string }, null>>();
  });

  it("accepts the declared groups and variants", () => {
    pipeline.withVariant({ solver: "fast" });
    pipeline.withVariant({ solver: "exact", integrator: "rk4" });
    void pipeline.run("z", { x: 1 }, { variant: { solver: "fast", integrator: "euler" } });
    void pipeline.map({ x: 1 }, { variant: { integrator: "rk4" } });
    expectTypeOf(pipeline.withVariant({ solver: "fast" })).toEqualTypeOf<typeof pipeline>();
  });

  it("rejects a misspelt group or variant", () => {
    // @ts-expect-error: "fsat" is not a variant of "solver"
    pipeline.withVariant({ solver: "fsat" });
    // @ts-expect-error: "solvr" is not a group
    pipeline.withVariant({ solvr: "fast" });
    // @ts-expect-error: "euler" is a variant of "integrator", not of "solver"
    pipeline.withVariant({ solver: "euler" });
    // @ts-expect-error: in run options too
    void pipeline.run("z", { x: 1 }, { variant: { solver: "slow" } });
    // @ts-expect-error: and in map options
    void pipeline.map({ x: [1] }, { variant: { integrator: "rk5" } });
  });

  it("gives a variant left without a group the pipeline's one group", () => {
    const loose = pipefunc({ output: "y", variant: "slow" }, ({ x }: { x: number }) => x);
    const one = new Pipeline([fast, exact, loose]);
    expectTypeOf<VariantSelectionOf<[typeof fast, typeof exact, typeof loose]>>().toEqualTypeOf<
      { readonly solver?: "fast" | "exact" | "slow" } | "fast" | "exact" | "slow"
    >();
    one.withVariant({ solver: "slow" });
    one.withVariant("slow");
    // @ts-expect-error: no such variant
    one.withVariant("quick");
  });

  it("accepts any selection where names are not literal", () => {
    const name: string = "fast";
    const dynamic = pipefunc({ output: "y", variant: name }, ({ x }: { x: number }) => x);
    new Pipeline([dynamic]).withVariant({ variant: "anything" });
  });
});
