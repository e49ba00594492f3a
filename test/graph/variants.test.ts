import { describe, expect, it } from "vitest";
import {
  InvalidOptionError,
  Pipeline,
  PipelineDefinitionError,
  pipefunc,
  UnknownVariantError,
  VariantRequiredError,
} from "../../src/index.ts";
import { caught } from "../caught.ts";

const fast = pipefunc(
  { output: "y", variant: "fast", variantGroup: "solver", name: "fastSolve" },
  ({ x }: { x: number }) => x * 2,
);
const exact = pipefunc(
  { output: "y", variant: "exact", variantGroup: "solver", name: "exactSolve" },
  ({ x, tol = 0 }: { x: number; tol?: number }) => x * 2 + 1 + tol,
);
const post = pipefunc({ output: "z" }, ({ y }: { y: number }) => y + 100);

describe("variants", () => {
  it("holds several producers of one output, one per variant, and runs the chosen one", async () => {
    const p = new Pipeline([fast, exact, post]);
    expect(p.functions).toHaveLength(3);
    expect(await p.run("z", { x: 1 }, { variant: { solver: "fast" } })).toBe(102);
    expect(await p.run("z", { x: 1 }, { variant: { solver: "exact" } })).toBe(103);
    expect(p.runSync("z", { x: 1 }, { variant: "exact" })).toBe(103);
    const chosen = p.withVariant({ solver: "fast" });
    expect(chosen.functions.map((f) => f.name)).toEqual(["fastSolve", "z"]);
    expect(chosen.runSync("z", { x: 2 })).toBe(104);
    // The same selection gives the same pipeline (its compiled plans are kept).
    expect(p.withVariant({ solver: "fast" })).toBe(chosen);
  });

  it("tells the pipeline's listeners, history, profiling and cache about its variants' runs", async () => {
    const cached = pipefunc(
      { output: "y", variant: "exact", variantGroup: "solver", name: "exactSolve", cache: true },
      ({ x }: { x: number }) => x * 2 + 1,
    );
    const p = new Pipeline([fast, cached, post], { history: true, profile: true });
    const started: string[] = [];
    p.on({ onNodeStart: (call) => started.push(call.node.name) });
    expect(await p.run("z", { x: 1 }, { variant: { solver: "exact" } })).toBe(103);
    expect(started).toEqual(["exactSolve", "z"]);
    expect(p.history.map((entry) => entry.node)).toEqual(["exactSolve", "z"]);
    expect(Object.keys(p.profilingStats()).sort()).toEqual(["exactSolve", "z"]);
    await p.map({ x: 2 }, { variant: { solver: "fast" } });
    expect(started).toContain("fastSolve");
    p.withVariant({ solver: "exact" }).runSync("z", { x: 1 });
    expect(await p.cacheStats()).toMatchObject({ hits: 1, misses: 1 });
  });

  it("refuses to run without a choice when a group has no default, listing the choices", async () => {
    const p = new Pipeline([fast, exact, post]);
    const rejected: unknown = await p.run("z", { x: 1 }).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(VariantRequiredError);
    const error = caught(
      () => p.runSync("z", { x: 1 }),
      VariantRequiredError,
      "E_VARIANT_REQUIRED",
    );
    expect(error.groups).toEqual([{ group: "solver", variants: ["fast", "exact"] }]);
    expect(error.message).toContain('"solver" ("fast", "exact")');
    expect(error.message).toContain("withVariant");
    expect(() => p.withVariant()).toThrow(VariantRequiredError);
    await expect(p.map({ x: 1 })).rejects.toBeInstanceOf(VariantRequiredError);
  });

  it("runs the defaultVariant when none is chosen, as pipefunc's default_variant", async () => {
    const p = new Pipeline([fast, exact, post], { defaultVariant: { solver: "exact" } });
    expect(await p.run("z", { x: 1 })).toBe(103);
    expect(await p.run("z", { x: 1 }, { variant: { solver: "fast" } })).toBe(102);
    expect(p.withVariant().functions.map((f) => f.name)).toEqual(["exactSolve", "z"]);
    const single = new Pipeline([fast, exact, post], { defaultVariant: "fast" });
    expect(single.runSync("z", { x: 1 })).toBe(102);
  });

  it("names a misspelt group or variant with the choices and the closest name", () => {
    const p = new Pipeline([fast, exact, post]);
    const variant = caught(
      () => p.withVariant({ solver: "fsat" } as never),
      UnknownVariantError,
      "E_UNKNOWN_VARIANT",
    );
    expect(variant.message).toContain('no variant "fsat"');
    expect(variant.message).toContain('"fast", "exact"');
    expect(variant.message).toContain('Did you mean "fast"?');
    const group = caught(
      () => p.withVariant({ solvr: "fast" } as never),
      UnknownVariantError,
      "E_UNKNOWN_VARIANT",
    );
    expect(group.message).toContain('no variant group "solvr" (its groups: "solver")');
    expect(group.message).toContain('Did you mean "solver"?');
    expect(() => new Pipeline([fast, exact], { defaultVariant: { solver: "nope" } })).toThrow(
      UnknownVariantError,
    );
    expect(() => new Pipeline([post], { defaultVariant: "fast" })).toThrow(UnknownVariantError);
  });

  it("lets a variant leave out its group when the pipeline has one", async () => {
    const other = pipefunc({ output: "y", variant: "slow" }, ({ x }: { x: number }) => x * 10);
    const p = new Pipeline([fast, exact, other, post]);
    expect(p.variantGroups).toEqual([
      { group: "solver", variants: ["fast", "exact", "slow"], chosen: undefined },
    ]);
    expect(await p.run("y", { x: 1 }, { variant: { solver: "slow" } })).toBe(10);
    const bare = new Pipeline([
      pipefunc({ output: "y", variant: "a" }, ({ x }: { x: number }) => x),
      pipefunc({ output: "y", variant: "b" }, ({ x }: { x: number }) => -x),
    ]);
    expect(bare.runSync("y", { x: 3 }, { variant: "b" })).toBe(-3);
    expect(bare.runSync("y", { x: 3 }, { variant: { variant: "a" } })).toBe(3);
  });

  it("needs the group of a variant when there are several groups", () => {
    const other = pipefunc(
      { output: "w", variant: "v1", variantGroup: "g2" },
      ({ y }: { y: number }) => y,
    );
    const loose = pipefunc({ output: "q", variant: "v" }, ({ y }: { y: number }) => y);
    const error = caught(
      () => new Pipeline([fast, exact, other, loose]),
      PipelineDefinitionError,
      "E_DEFINITION",
    );
    expect(error.message).toContain('"q"');
    expect(error.message).toContain("variantGroup");
    const two = new Pipeline([fast, exact, other]);
    expect(() => two.withVariant("fast")).toThrow(InvalidOptionError);
    expect(two.runSync("w", { x: 1 }, { variant: { solver: "fast" } })).toBe(2);
  });

  it("checks the variant options of a function", () => {
    expect(() => pipefunc({ output: "y", variant: "" }, ({ x }: { x: number }) => x)).toThrow(
      InvalidOptionError,
    );
    expect(() =>
      pipefunc({ output: "y", variantGroup: "g" } as never, ({ x }: { x: number }) => x),
    ).toThrow(/no `variant`/);
  });

  it("keeps variants through copies: with(), renames, defaults, add, drop, replace, concat", async () => {
    const p = new Pipeline([fast, exact, post]);
    expect(fast.with({ name: "f2" }).variant).toBe("fast");
    expect(fast.with({ name: "f2" }).variantGroup).toBe("solver");
    const renamed = p.withRenames({ x: "input" });
    expect(renamed.runSync("z", { input: 1 }, { variant: "exact" })).toBe(103);
    const defaults = p.withDefaults({ x: 5 });
    expect(defaults.runSync("z", {}, { variant: "fast" })).toBe(110);
    const added = p.add(pipefunc({ output: "w" }, ({ z }: { z: number }) => -z));
    expect(added.runSync("w", { x: 1 }, { variant: "fast" })).toBe(-102);
    // Dropping or replacing an output takes every variant of it.
    expect(p.drop("y").functions.map((f) => f.name)).toEqual(["z"]);
    const replaced = p.replace(
      "y",
      pipefunc({ output: "y" }, ({ x }: { x: number }) => x),
    );
    expect(replaced.variantGroups).toEqual([]);
    expect(replaced.runSync("z", { x: 1 })).toBe(101);
    const joined = new Pipeline([fast, exact]).concat(new Pipeline([post]));
    expect(joined.runSync("z", { x: 1 }, { variant: "exact" })).toBe(103);
  });

  it("nests one variant's functions into a function of that variant", async () => {
    const p = new Pipeline([fast, exact, post], { defaultVariant: "fast" });
    const nested = p.nest(["y", "z"], "yz");
    const yz = nested.functions.find((f) => f.name === "yz")!;
    expect(yz.variant).toBe("fast");
    expect(yz.variantGroup).toBe("solver");
    expect(nested.runSync("z", { x: 1 })).toBe(102);
    expect(nested.runSync("y", { x: 1 }, { variant: "exact" })).toBe(3);
  });

  it("treats a pipeline with one variant per group as plain, and checks a choice against it", () => {
    const p = new Pipeline([fast, exact, post]).withVariant({ solver: "fast" });
    expect(p.withVariant({ solver: "fast" })).toBe(p);
    expect(p.variantGroups).toEqual([{ group: "solver", variants: ["fast"], chosen: "fast" }]);
    expect(() => p.runSync("z", { x: 1 }, { variant: { solver: "exact" } })).toThrow(
      UnknownVariantError,
    );
    expect(() => new Pipeline([post]).withVariant({ solver: "fast" } as never)).toThrow(
      UnknownVariantError,
    );
  });
});
