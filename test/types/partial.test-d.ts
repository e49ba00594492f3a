import { describe, expectTypeOf, it } from "vitest";
import { type MapSummary, Pipeline, pipefunc } from "../../src/index.ts";

describe("map's return type", () => {
  it("is a MapSummary with returnResults: false, the results otherwise", () => {
    const p = new Pipeline([
      pipefunc({ output: "c", mapspec: "a[i] -> c[i]" }, ({ a }: { a: number }) => a),
    ]);
    expectTypeOf(p.map({ a: [1] }, { returnResults: false })).toEqualTypeOf<Promise<MapSummary>>();
    expectTypeOf(p.map({ a: [1] }, { returnResults: false })).resolves.not.toHaveProperty("c");
    expectTypeOf(p.map({ a: [1] })).resolves.toHaveProperty("c");
    expectTypeOf(p.map({ a: [1] }, { returnResults: true })).resolves.toHaveProperty("c");
  });
});
