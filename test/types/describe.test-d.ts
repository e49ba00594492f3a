import { describe, expectTypeOf, it } from "vitest";
import {
  type InputDescription,
  Pipeline,
  type PipelineDescription,
  pipefunc,
} from "../../src/index.ts";

describe("describe types", () => {
  it("types the description and the description options", () => {
    const f = pipefunc(
      { output: "b", description: "doubles", inputDescriptions: { a: "the amplitude" } },
      ({ a }: { a: number }) => a * 2,
    );
    const pipeline = new Pipeline([f], { description: "one step", inputs: { a: "outer" } });
    expectTypeOf(pipeline.describe()).toEqualTypeOf<PipelineDescription>();
    expectTypeOf(pipeline.describe().inputs).toEqualTypeOf<readonly InputDescription[]>();
    expectTypeOf(f.description).toEqualTypeOf<string | undefined>();
    // @ts-expect-error a description is text
    pipefunc({ output: "c", description: 1 }, ({ a }: { a: number }) => a);
    // @ts-expect-error input descriptions are text by name, not a list
    new Pipeline([f], { inputs: ["a"] });
  });
});
