/**
 * `run`, `runSync` and `runAll` refuse, before any function runs, an output that only `map`
 * computes (a reduction of a mapped output, a function mapping over a computed value), and
 * still compute one element of element-wise functions from element values.
 */
import { describe, expect, it } from "vitest";
import { MapRequiredError, type NdArray, Pipeline, pipefunc } from "../../src/index.ts";
import { caught } from "../caught.ts";

function pricing() {
  const calls: string[] = [];
  const price2 = pipefunc(
    { output: "price2", mapspec: "price[i] -> price2[i]" },
    ({ price }: { price: number }) => {
      calls.push("price2");
      return price * 2;
    },
  );
  const meanPrice = pipefunc({ output: "meanPrice" }, ({ price2 }: { price2: NdArray<number> }) => {
    calls.push("meanPrice");
    const values = price2.values();
    return values.reduce((a, b) => a + b, 0) / values.length;
  });
  return { calls, pipeline: new Pipeline([price2, meanPrice]) };
}

describe("run on outputs that need map", () => {
  it("refuses a function reading a mapped output whole, naming it, the mapper and its mapspec", async () => {
    const { calls, pipeline } = pricing();
    const error = caught(
      () => pipeline.runSync("meanPrice", { price: [1, 2, 3] as never }),
      MapRequiredError,
      "E_MAP_REQUIRED",
    );
    expect(error).toMatchObject({
      output: "meanPrice",
      node: "price2",
      mapspec: "price[i] -> price2[i]",
      input: "price2",
    });
    expect(error.message).toBe(
      'Cannot compute "meanPrice" with run: function "meanPrice" reads the elements of "price2" ' +
        'together, which function "price2" computes one at a time (mapspec "price[i] -> price2[i]"), ' +
        'and only map gathers them. Run map with the same inputs and read "meanPrice" from its ' +
        'results, or pass "price2" in the inputs as map returns it (an NdArray) so that "price2" ' +
        "does not run.",
    );
    await expect(pipeline.run("meanPrice", { price: [1, 2, 3] as never })).rejects.toBeInstanceOf(
      MapRequiredError,
    );
    await expect(pipeline.runAll({ price: [1, 2, 3] as never })).rejects.toThrow(
      /^Cannot compute every output with run: function "meanPrice" reads the elements of "price2"/,
    );
    await expect(pipeline.run(["price2", "meanPrice"], { price: 1 })).rejects.toThrow(
      /^Cannot compute "price2", "meanPrice" with run/,
    );
    await expect(pipeline.runAll({ price: 1 })).rejects.toMatchObject({ output: undefined });
    await expect(pipeline.run(["price2", "meanPrice"], { price: 1 })).rejects.toMatchObject({
      output: ["price2", "meanPrice"],
    });
    // Refused before any function ran.
    expect(calls).toEqual([]);
  });

  it("runs with the mapped output given as map returns it, and computes one element alone", async () => {
    const { pipeline } = pricing();
    const mapped = await pipeline.map({ price: [1, 2, 3] as never });
    expect(mapped.meanPrice!.output).toBe(4);
    expect(await pipeline.run("meanPrice", { price2: mapped.price2!.output as never })).toBe(4);
    expect(pipeline.runSync("price2", { price: 3 })).toBe(6);
  });

  it("refuses a reduction along ':' of a computed mapped output", () => {
    const double = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]", name: "double" },
      ({ x }: { x: number }) => 2 * x,
    );
    const sum = pipefunc(
      { output: "total", mapspec: "y[:] -> total", name: "sum" },
      ({ y }: { y: NdArray<number> }) => y.values().reduce((a, b) => a + b, 0),
    );
    const error = caught(
      () => new Pipeline([double, sum]).runSync("total", { x: [1, 2] as never }),
      MapRequiredError,
      "E_MAP_REQUIRED",
    );
    expect(error).toMatchObject({ node: "double", mapspec: "x[i] -> y[i]", input: "y" });
    expect(error.message).toMatch(/function "sum" reads the elements of "y" together/);
  });

  it("refuses mapping over what a generator or a function without mapspec returns", () => {
    const scale = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]", name: "scale" },
      ({ x }: { x: number }) => 2 * x,
    );
    const generate = pipefunc(
      { output: "x", mapspec: "... -> x[i]", name: "generate" },
      ({ n }: { n: number }) => Array.from({ length: n }, (_, i) => i),
    );
    const generated = caught(
      () => new Pipeline([generate, scale]).runSync("y", { n: 3 }),
      MapRequiredError,
      "E_MAP_REQUIRED",
    );
    expect(generated).toMatchObject({ node: "generate", mapspec: "... -> x[i]", input: "x" });
    expect(generated.message).toMatch(
      /function "scale" reads "x", whose axes function "generate" makes \(mapspec "\.\.\. -> x\[i\]"\)/,
    );
    expect(generated.message).not.toMatch(/pass "x"/);

    const list = pipefunc({ output: "x", name: "list" }, ({ n }: { n: number }) =>
      Array.from({ length: n }, (_, i) => i),
    );
    const listed = caught(
      () => new Pipeline([list, scale]).runSync("y", { n: 3 }),
      MapRequiredError,
      "E_MAP_REQUIRED",
    );
    expect(listed).toMatchObject({ node: "scale", mapspec: "x[i] -> y[i]", input: "x" });
    expect(listed.message).toMatch(
      /function "scale" \(mapspec "x\[i\] -> y\[i\]"\) is called once per element of "x", which function "list" returns whole/,
    );
  });

  it("runs chains of element-wise functions from element values", () => {
    const double = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]" },
      ({ x }: { x: number }) => 2 * x,
    );
    const add = pipefunc(
      { output: "z", mapspec: "y[i], k[i] -> z[i]" },
      ({ y, k }: { y: number; k: number }) => y + k,
    );
    expect(new Pipeline([double, add]).runSync("z", { x: 3, k: 1 })).toBe(7);
  });
});
