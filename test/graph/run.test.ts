import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AmbiguousOutputError, Node, Pipeline, pipefunc } from "../../src/index.ts";
import { caught } from "../caught.ts";

const fC = pipefunc({ output: "c" }, ({ a, b }: { a: number; b: number }) => a + b);
const fD = pipefunc({ output: "d" }, ({ b, c }: { b: number; c: number }) => b * c);
const fE = pipefunc(
  { output: "e" },
  ({ c, d, x = 1 }: { c: number; d: number; x?: number }) => c * d * x,
);

describe("run, runSync and runAll", () => {
  const pipeline = new Pipeline([fC, fD, fE]);

  it("computes the spec's example", async () => {
    await expect(pipeline.run("d", { a: 2, b: 3 })).resolves.toBe(15);
    expect(pipeline.runSync("e", { a: 2, b: 3 })).toBe(75);
    await expect(pipeline.run("e", { c: 5, d: 15 })).resolves.toBe(75);
    await expect(pipeline.runAll({ a: 2, b: 3 })).resolves.toEqual({
      a: 2,
      b: 3,
      c: 5,
      d: 15,
      e: 75,
    });
  });

  it("uses a default from the destructuring pattern unless the input is given", () => {
    expect(pipeline.runSync("e", { a: 2, b: 3, x: 2 })).toBe(150);
    expect(pipeline.runSync("e", { a: 2, b: 3 })).toBe(75);
  });

  it("skips the producer of a given intermediate", () => {
    const calls: string[] = [];
    const p = new Pipeline([
      pipefunc({ output: "c" }, ({ a }: { a: number }) => {
        calls.push("c");
        return a + 1;
      }),
      pipefunc({ output: "d" }, ({ c }: { c: number }) => {
        calls.push("d");
        return c * 2;
      }),
    ]);
    expect(p.runSync("d", { c: 10 })).toBe(20);
    expect(calls).toEqual(["d"]);
    // Given intermediates win over upstream results even when the root inputs are given too.
    expect(p.runSync("d", { a: 1, c: 10 })).toBe(20);
    expect(calls).toEqual(["d", "d"]);
  });

  it("runs only the ancestors of the requested output", () => {
    let extra = 0;
    const p = new Pipeline([
      fC,
      pipefunc({ output: "z" }, ({ a }: { a: number }) => {
        extra++;
        return a;
      }),
    ]);
    expect(p.runSync("c", { a: 1, b: 2 })).toBe(3);
    expect(extra).toBe(0);
  });

  it("reuses compiled plans across calls with different values", () => {
    for (let i = 0; i < 50; i++) expect(pipeline.runSync("d", { a: i, b: 2 })).toBe((i + 2) * 2);
    expect(pipeline.runSync("d", { b: 2, a: 1 })).toBe(6);
    expect(pipeline.runSync("e", { c: 1, d: 2 })).toBe(2);
  });

  it("runs sync and async functions together, concurrently where independent", async () => {
    const order: string[] = [];
    let open = () => {};
    const gate = {
      promise: new Promise<void>((resolve) => (open = resolve)),
      resolve: () => open(),
    };
    const slow = pipefunc({ output: "s" }, async ({ a }: { a: number }) => {
      order.push("slow:start");
      await gate.promise;
      order.push("slow:end");
      return a * 10;
    });
    const fast = pipefunc({ output: "f" }, async ({ a }: { a: number }) => {
      order.push("fast");
      gate.resolve();
      return a + 1;
    });
    const join = pipefunc({ output: "j" }, ({ s, f }: { s: number; f: number }) => s + f);
    const p = new Pipeline([slow, fast, join]);
    await expect(p.run("j", { a: 2 })).resolves.toBe(23);
    expect(order).toEqual(["slow:start", "fast", "slow:end"]);
  });

  it("always returns a promise from run, even when planning fails", async () => {
    const result = pipeline.run("e", {});
    expect(result).toBeInstanceOf(Promise);
    await expect(result).rejects.toThrow(/missing/);
  });

  it("waits for async side-effect nodes before resolving", async () => {
    const written: number[] = [];
    const write = new Node({
      func: async (c: number) => {
        await new Promise((r) => setImmediate(r));
        written.push(c);
      },
      inputs: ["c"],
      name: "write",
    });
    const p = new Pipeline([fC, write]);
    await p.runAll({ a: 1, b: 2 });
    expect(written).toEqual([3]);
    await p.run("write", { a: 2, b: 2 });
    expect(written).toEqual([3, 4]);
  });

  it("accepts scoped inputs flat or nested", () => {
    const p = new Pipeline([
      pipefunc({ output: "y", scope: "s" }, ({ x }: { x: number }) => x + 1),
      pipefunc({ output: "z" }, ({ "s.y": y }: { "s.y": number }) => y * 2),
    ]);
    expect(p.runSync("s.y", { "s.x": 1 })).toBe(2);
    expect(p.runSync("s.y", { s: { x: 4 } })).toBe(5);
    expect(p.runSync("z", { s: { x: 4 } })).toBe(10);
  });

  it("gives sync and async runs the same results (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer(),
        fc.integer({ min: -3, max: 3 }),
        async (a, b, x) => {
          const sync = pipeline.runSync("e", { a, b, x });
          const viaAsync = await pipeline.run("e", { a, b, x });
          const all = await pipeline.runAll({ a, b, x });
          expect(viaAsync).toBe(sync);
          expect(all.e).toBe(sync);
          expect(sync).toBe((a + b) * b * (a + b) * x);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("what run computes", () => {
  const pipeline = new Pipeline([fC, fD, fE]);

  it("computes a list of outputs as an object keyed by them", async () => {
    await expect(pipeline.run(["c", "d"], { a: 2, b: 3 })).resolves.toEqual({ c: 5, d: 15 });
    expect(pipeline.runSync(["e", "c"], { a: 2, b: 3 })).toEqual({ e: 75, c: 5 });
    // A given intermediate is passed through, as for a single output.
    expect(pipeline.runSync(["c", "e"], { c: 5, d: 15 })).toEqual({ c: 5, e: 75 });
  });

  it("computes the unique leaf output when no output is named", async () => {
    await expect(pipeline.run(undefined, { a: 2, b: 3 })).resolves.toBe(75);
    expect(pipeline.runSync(undefined, { a: 2, b: 3 })).toBe(75);
  });

  it("lists the leaves when no output is named and there are several", async () => {
    const twoLeaves = new Pipeline([fC, fD]).add(
      pipefunc({ output: "other" }, ({ c }: { c: number }) => c),
    );
    const error = caught(
      () => twoLeaves.runSync(undefined, { a: 1, b: 2 }),
      AmbiguousOutputError,
      "E_AMBIGUOUS_OUTPUT",
    );
    expect(error.leaves).toEqual(["d", "other"]);
    expect(error.message).toMatch(/2 leaf outputs: "d", "other"/);
    await expect(twoLeaves.run(undefined, { a: 1, b: 2 })).rejects.toBeInstanceOf(
      AmbiguousOutputError,
    );
  });
});

describe("several outputs", () => {
  it("splits a tuple return", () => {
    const f = pipefunc({ output: ["lo", "hi"] }, ({ xs }: { xs: number[] }) => [
      Math.min(...xs),
      Math.max(...xs),
    ]);
    const span = pipefunc({ output: "span" }, ({ lo, hi }: { lo: number; hi: number }) => hi - lo);
    const p = new Pipeline([f, span]);
    expect(p.runSync("span", { xs: [3, 9, 4] })).toBe(6);
    expect(p.runSync("lo", { xs: [3, 9, 4] })).toBe(3);
  });

  it("splits an object return keyed by output names", async () => {
    const f = pipefunc({ output: ["mean", "n"] }, async ({ xs }: { xs: number[] }) => ({
      n: xs.length,
      mean: xs.reduce((s, v) => s + v, 0) / xs.length,
    }));
    const p = new Pipeline([f]);
    await expect(p.runAll({ xs: [1, 2, 3] })).resolves.toEqual({ xs: [1, 2, 3], mean: 2, n: 3 });
  });

  it("uses outputPicker when given", () => {
    const f = pipefunc(
      {
        output: ["first", "last"],
        outputPicker: (r, name) =>
          (r as string[])[name === "first" ? 0 : (r as string[]).length - 1],
      },
      ({ words }: { words: string[] }) => words,
    );
    expect(new Pipeline([f]).runSync("last", { words: ["a", "b", "c"] })).toBe("c");
  });

  it("uses outputPicker for a one-element output list, in run and map", async () => {
    const f = pipefunc(
      { output: ["c"], outputPicker: (r, name) => (r as Record<string, number>)[`${name}x`] },
      ({ a }: { a: number }) => ({ cx: a * 2 }),
    );
    const p = new Pipeline([
      f,
      pipefunc({ output: "d" }, ({ c }: { c: unknown }) => Number(c) + 1),
    ]);
    expect(p.runSync("c", { a: 2 })).toBe(4);
    await expect(p.run("d", { a: 2 })).resolves.toBe(5);
    expect(p.runAllSync({ a: 2 })).toEqual({ a: 2, c: 4, d: 5 });
    const mapped = new Pipeline([f.with({ mapspec: "a[i] -> c[i]" })]);
    const results = await mapped.map({ a: [1, 2] });
    expect(results.c!.array.data).toEqual([2, 4]);
  });
});

describe("renames, defaults and bound", () => {
  it("renames arguments and outputs into graph names", () => {
    const f = pipefunc(
      { output: "out", renames: { a: "alpha", out: "result" } },
      ({ a }: { a: number }) => a * 2,
    );
    expect(f.inputs).toEqual(["alpha"]);
    expect(f.outputs).toEqual(["result"]);
    expect(new Pipeline([f]).runSync("result", { alpha: 4 })).toBe(8);
  });

  it("reads defaults from the pattern, including objects and calls", () => {
    const make = () => 7;
    const f = pipefunc(
      { output: "y" },
      ({ a, opts = { k: 2 }, n = make() }: { a: number; opts?: { k: number }; n?: number }) =>
        a * opts.k + n,
    );
    expect(f.defaults).toEqual({ opts: { k: 2 } });
    expect(new Pipeline([f]).runSync("y", { a: 1 })).toBe(9);
    expect(new Pipeline([f]).runSync("y", { a: 1, n: 0 })).toBe(2);
  });

  it("overrides defaults with options.defaults and withDefaults", () => {
    const f = pipefunc(
      { output: "y", defaults: { k: 3 } },
      ({ x, k = 1 }: { x: number; k?: number }) => x * k,
    );
    const p = new Pipeline([f]);
    expect(p.runSync("y", { x: 2 })).toBe(6);
    expect(p.withDefaults({ k: 10 }).runSync("y", { x: 2 })).toBe(20);
    expect(p.runSync("y", { x: 2 })).toBe(6);
  });

  it("shares one function's default with other readers of that input", () => {
    const p = new Pipeline([
      pipefunc({ output: "y" }, ({ x, k = 3 }: { x: number; k?: number }) => x * k),
      pipefunc({ output: "z" }, ({ y, k }: { y: number; k: number }) => y + k),
    ]);
    expect(p.runSync("z", { x: 2 })).toBe(9);
  });

  it("keeps bound arguments fixed even when the caller passes them", () => {
    const f = pipefunc(
      { output: "y", bound: { k: 5 } },
      ({ x, k }: { x: number; k: number }) => x * k,
    );
    expect(f.inputs).toEqual(["x"]);
    const p = new Pipeline([f]);
    expect(p.runSync("y", { x: 2 })).toBe(10);
  });

  it("reads input names from `inputs` for functions without a pattern", () => {
    const f = pipefunc({ output: "m", inputs: ["a", "b"] }, (args: { a: number; b: number }) =>
      Math.max(args.a, args.b),
    );
    expect(new Pipeline([f]).runSync("m", { a: 1, b: 5 })).toBe(5);
  });

  it("with() returns a modified copy", () => {
    const g = fC.with({ output: "total", name: "adder" });
    expect(g.outputs).toEqual(["total"]);
    expect(g.name).toBe("adder");
    expect(fC.outputs).toEqual(["c"]);
    expect(new Pipeline([g]).runSync("total", { a: 1, b: 2 })).toBe(3);
  });
});
