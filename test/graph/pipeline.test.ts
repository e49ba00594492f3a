import { describe, expect, it } from "vitest";
import {
  Pipeline,
  PipelineDefinitionError,
  pipefunc,
  UnknownOutputError,
} from "../../src/index.ts";

const fC = pipefunc({ output: "c" }, function fC({ a, b }: { a: number; b: number }) {
  return a + b;
});
const fD = pipefunc({ output: "d" }, function fD({ b, c }: { b: number; c: number }) {
  return b * c;
});
const fE = pipefunc(
  { output: "e" },
  function fE({ c, d, x = 1 }: { c: number; d: number; x?: number }) {
    return c * d * x;
  },
);
const pipeline = new Pipeline([fC, fD, fE]);
const names = (fns: readonly { name: string }[]) => fns.map((f) => f.name);

describe("introspection", () => {
  it("describes inputs and outputs", () => {
    expect(pipeline.info()).toEqual({
      inputs: ["a", "b", "x"],
      outputs: ["e"],
      requiredInputs: ["a", "b"],
      optionalInputs: ["x"],
      intermediate: ["c", "d"],
    });
  });

  it("groups functions into topological generations", () => {
    const { rootInputs, generations } = pipeline.topologicalGenerations();
    expect(rootInputs).toEqual(["a", "b", "x"]);
    expect(generations.map(names)).toEqual([["fC"], ["fD"], ["fE"]]);
  });

  it("lists leaves, roots, functions and finds a function by output", () => {
    expect(names(pipeline.leaves)).toEqual(["fE"]);
    expect(names(pipeline.roots)).toEqual(["fC"]);
    expect(names(pipeline.functions)).toEqual(["fC", "fD", "fE"]);
    expect(pipeline.get("d")).toBe(fD);
    expect(() => pipeline.get("zz")).toThrow(UnknownOutputError);
  });
});

describe("derived pipelines", () => {
  it("add, drop and replace return new pipelines and leave the original alone", () => {
    const fF = pipefunc({ output: "f" }, ({ e }: { e: number }) => e + 1);
    const added = pipeline.add(fF);
    expect(added.runSync("f", { a: 2, b: 3 })).toBe(76);
    expect(names(pipeline.functions)).toEqual(["fC", "fD", "fE"]);

    const dropped = pipeline.drop("e");
    expect(names(dropped.functions)).toEqual(["fC", "fD"]);

    const replaced = pipeline.replace(
      "d",
      pipefunc({ output: "d" }, ({ c }: { c: number }) => c * 100),
    );
    expect(replaced.runSync("d", { a: 1, b: 1 })).toBe(200);
    expect(pipeline.runSync("d", { a: 1, b: 1 })).toBe(2);
  });

  it("concat keeps order, merges config and constants, and rejects duplicates", () => {
    const left = new Pipeline([fC], { config: { k: 1 }, constants: { a: 1 } });
    const right = new Pipeline([fD], { config: { m: 2 }, constants: { b: 2 } });
    const both = left.concat(right);
    expect(names(both.functions)).toEqual(["fC", "fD"]);
    expect(both.options.config).toEqual({ k: 1, m: 2 });
    expect(both.runSync("d")).toBe(6);
    expect(() => left.concat(new Pipeline([fC]))).toThrow(/both produce "c"/);
    const clash = new Pipeline([fD], { config: { k: 9 } });
    expect(() => left.concat(clash)).toThrow(PipelineDefinitionError);
    expect(() => left.concat(clash)).toThrow(/config "k"/);
  });

  it("subpipeline keeps only what the selection needs", () => {
    expect(names(pipeline.subpipeline({ outputs: ["d"] }).functions)).toEqual(["fC", "fD"]);
    const fromC = pipeline.subpipeline({ inputs: ["b", "c"], outputs: ["d"] });
    expect(names(fromC.functions)).toEqual(["fD"]);
    expect(fromC.runSync("d", { b: 2, c: 3 })).toBe(6);
    expect(names(pipeline.subpipeline({ inputs: ["b", "c", "d"] }).functions)).toEqual([
      "fD",
      "fE",
    ]);
    expect(() => pipeline.subpipeline({ inputs: ["c"], outputs: ["d"] })).toThrow(
      /needs "b", which is not among the inputs/,
    );
  });

  it("nest turns several functions into one with every output of the group", async () => {
    const nested = pipeline.nest(["c", "d"], "cd");
    expect(names(nested.functions)).toEqual(["cd", "fE"]);
    const cd = nested.get("d");
    expect(cd.inputs).toEqual(["a", "b"]);
    expect(cd.outputs).toEqual(["c", "d"]);
    expect(nested.runSync("e", { a: 2, b: 3 })).toBe(75);
    await expect(nested.runAll({ a: 2, b: 3 })).resolves.toMatchObject({ c: 5, d: 15, e: 75 });
  });

  it("nest runs async groups asynchronously", async () => {
    const slow = pipefunc({ output: "s" }, async ({ a }: { a: number }) => a * 2);
    const p = new Pipeline([slow, pipefunc({ output: "t" }, ({ s }: { s: number }) => s + 1)]);
    await expect(p.nest(["s", "t"]).run("t", { a: 1 })).resolves.toBe(3);
  });

  it("withRenames renames inputs and outputs everywhere", () => {
    const renamed = pipeline.withRenames({ a: "alpha", c: "sum" });
    expect(renamed.info().inputs).toEqual(["alpha", "b", "x"]);
    expect(renamed.info().outputs).toEqual(["e"]);
    expect(renamed.info().intermediate).toEqual(["sum", "d"]);
    expect(renamed.runSync("e", { alpha: 2, b: 3 })).toBe(75);
    expect(() => pipeline.withRenames({ zz: "y" })).toThrow(/Cannot rename "zz"/);
  });

  it("withRenames composes with scopes", () => {
    const scoped = new Pipeline([
      pipefunc({ output: "y", scope: "s" }, ({ x }: { x: number }) => x),
    ]);
    const renamed = scoped.withRenames({ "s.x": "input" });
    expect(renamed.info().inputs).toEqual(["input"]);
    expect(renamed.runSync("s.y", { input: 3 })).toBe(3);
  });

  it("withDefaults rejects names no function reads", () => {
    expect(() => pipeline.withDefaults({ y: 1 })).toThrow(/Cannot set a default for "y"/);
  });
});

describe("function definitions", () => {
  it("reads names from function declarations, async functions and renamed patterns", async () => {
    async function fetchIt({ url, retries = 3 }: { url: string; retries?: number }) {
      return `${url}:${retries}`;
    }
    const f = pipefunc({ output: "page" }, fetchIt);
    expect(f.inputs).toEqual(["url", "retries"]);
    expect(f.name).toBe("fetchIt");
    expect(f.defaults).toEqual({ retries: 3 });
    await expect(new Pipeline([f]).run("page", { url: "u" })).resolves.toBe("u:3");

    const g = pipefunc(
      { output: "y" },
      ({ a: alpha, b: beta = 2 }: { a: number; b?: number }) => alpha * beta,
    );
    expect(g.inputs).toEqual(["a", "b"]);
    expect(new Pipeline([g]).runSync("y", { a: 5 })).toBe(10);
  });

  it("reads names through comments and odd whitespace", () => {
    const f = pipefunc(
      { output: "y" },
      (
        // the inputs
        { a /* first */, b = "x,y" /* a tricky default */ }: { a: string; b?: string },
      ) => a + b,
    );
    expect(f.inputs).toEqual(["a", "b"]);
    expect(f.defaults).toEqual({ b: "x,y" });
  });

  it("defaults the name to the first output when the function is anonymous", () => {
    expect(pipefunc({ output: "total" }, ({ a }: { a: number }) => a).name).toBe("total");
    expect(pipefunc({ output: ["p", "q"] }, ({ a }: { a: number }) => [a, a]).name).toBe("p");
  });
});
