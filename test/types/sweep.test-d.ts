import { describe, expectTypeOf, it } from "vitest";
import { Pipeline, pipefunc } from "../../src/index.ts";
import type { Missing } from "../../src/map/missing.ts";
import { NdArray, type Nested } from "../../src/map/ndarray.ts";
import { isSweep, type Sweep, sweep } from "../../src/map/sweep.ts";

describe("sweep types", () => {
  it("infers one combination from the value lists", () => {
    expectTypeOf(sweep({ a: [1, 2], b: ["x"] })).toEqualTypeOf<Sweep<{ a: number; b: string }>>();
    expectTypeOf(sweep({ flag: [true, false] as const })).toEqualTypeOf<
      Sweep<{ flag: true | false }>
    >();
  });

  it("extends the combination under zip and product", () => {
    const s = sweep({ a: [1, 2] });
    expectTypeOf(s.zip({ b: ["x"], c: [true] })).toEqualTypeOf<
      Sweep<{ a: number; b: string; c: boolean }>
    >();
    expectTypeOf(s.product(sweep({ d: [1n] }))).toEqualTypeOf<Sweep<{ a: number; d: bigint }>>();
  });

  it("keeps the type under filter and add, and narrows with a type guard", () => {
    const s = sweep({ a: [1, "x"] });
    expectTypeOf(s.filter(({ a }) => a !== 1)).toEqualTypeOf<Sweep<{ a: string | number }>>();
    expectTypeOf(s.add(s)).toEqualTypeOf<Sweep<{ a: string | number }>>();
    const strings = s.filter((c): c is { a: string } => typeof c.a === "string");
    expectTypeOf(strings).toEqualTypeOf<Sweep<{ a: string }>>();
  });

  it("types combinations, columns and keys", () => {
    const s = sweep({ a: [1, 2], b: ["x"] });
    expectTypeOf(s.toArray()).toEqualTypeOf<{ a: number; b: string }[]>();
    expectTypeOf([...s]).toEqualTypeOf<{ a: number; b: string }[]>();
    expectTypeOf(s.toInputs()).toEqualTypeOf<{ a: number[]; b: string[] }>();
    expectTypeOf(s.keys).toEqualTypeOf<readonly ("a" | "b")[]>();
    expectTypeOf(s.length).toBeNumber();
  });

  it("rejects adding a sweep over other keys", () => {
    const s = sweep({ a: [1] });
    // @ts-expect-error: the other sweep sets "b", not "a".
    s.add(sweep({ b: [1] }));
  });

  it("narrows unknown values with isSweep", () => {
    const value: unknown = sweep({ a: [1] });
    if (isSweep(value)) expectTypeOf(value).toEqualTypeOf<Sweep<Record<string, unknown>>>();
  });
});

describe("NdArray types", () => {
  it("infers the element type of nested arrays and keeps MISSING in reads", () => {
    const a = NdArray.fromNested([[1, 2]], ["i", "j"]);
    expectTypeOf(a).toEqualTypeOf<NdArray<number>>();
    expectTypeOf(a.get(0, 0)).toEqualTypeOf<number | Missing>();
    expectTypeOf(a.values()).toEqualTypeOf<number[]>();
    expectTypeOf(a.map((v) => String(v))).toEqualTypeOf<NdArray<string>>();
    expectTypeOf(a.toNested()).toEqualTypeOf<Nested<number | Missing>>();
  });
});

describe("mapspec types", () => {
  it("lets a mapped input's default be the array map indexes, and only a mapped one", () => {
    const add = pipefunc(
      { output: "out", mapspec: "a[i], b[i] -> out[i]", defaults: { b: [1, 2, 3] } },
      ({ a, b }: { a: number; b: number }) => a + b,
    );
    expectTypeOf(add.outputs).toEqualTypeOf<readonly string[]>();
    pipefunc(
      // @ts-expect-error: without a mapspec, b's default is a number.
      { output: "out", defaults: { b: [1, 2, 3] } },
      ({ a, b }: { a: number; b: number }) => a + b,
    );
    pipefunc(
      // @ts-expect-error: the mapspec maps a, not b.
      { output: "out", mapspec: "a[i], b -> out[i]", defaults: { b: [1] } },
      ({ a, b }: { a: number; b: number }) => a + b,
    );
  });

  it("connects a generated or internal-axis array to readers of its elements", () => {
    const grid = pipefunc({ output: "x", mapspec: "... -> x[i, j]" }, () => [[1, 2]]);
    const neg = pipefunc(
      { output: "y", mapspec: "x[i, j] -> y[i, j]" },
      ({ x }: { x: number }) => -x,
    );
    expectTypeOf(new Pipeline([grid, neg]).runSync("y", {})).toEqualTypeOf<number>();
  });
});
