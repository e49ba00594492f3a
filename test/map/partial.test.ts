import { describe, expect, it } from "vitest";
import {
  FixedIndicesError,
  isMissing,
  loadOutputs,
  type NdArray,
  UnknownOutputError,
} from "../../src/index.ts";
import { tempFolders } from "../temp-folders.ts";
import { partial } from "./fixtures/partial-pipeline.ts";

const quiet = { progress: false } as const;
const folder = tempFolders("pipeweave-partial-");
const inputs = { a: [0, 10, 20], b: [1, 2] };

/** Counts calls per output by listening to the map's progress. */
function counting() {
  const computed: Record<string, number> = {};
  return {
    computed,
    progress: {
      onProgress(node: string, done: number, failed: number, skipped: number) {
        computed[node] = (computed[node] ?? 0) + done - failed - skipped;
      },
    },
  };
}

describe("map with outputs", () => {
  it("computes only what the named outputs need, and returns only those functions", async () => {
    const { computed, progress } = counting();
    const results = await partial.map(inputs, { progress, outputs: ["d"] });
    expect(Object.keys(results).sort()).toEqual(["c", "d"]);
    expect(results.d.array.data).toEqual([3, 23, 43]);
    expect(computed).toEqual({ c: 6, d: 3 });
  });

  it("does not need the inputs of functions it leaves out", async () => {
    const results = await partial.map({ b: [1, 2] }, { ...quiet, outputs: ["e"] });
    expect(results.e.array.data).toEqual([2, 4]);
  });

  it("names an unknown output with the closest one", async () => {
    const error: unknown = await partial
      .map(inputs, { ...quiet, outputs: ["totl"] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownOutputError);
    expect((error as UnknownOutputError).message).toContain('Did you mean "total"?');
  });
});

describe("map with fixedIndices", () => {
  it.each(["inline", "threads"] as const)(
    "computes only the fixed elements of functions mapped over the axis (%s)",
    async (executor) => {
      const { computed, progress } = counting();
      const results = await partial.map(inputs, {
        progress,
        executor,
        threads: 1,
        outputs: ["c", "e"],
        fixedIndices: { i: 1 },
      });
      const c = results.c.array as NdArray<number>;
      expect(c.get(1, 0)).toBe(11);
      expect(c.get(1, 1)).toBe(12);
      expect(isMissing(c.get(0, 0))).toBe(true);
      expect(isMissing(c.get(2, 1))).toBe(true);
      // e is not mapped over i: every element computed.
      expect(results.e.array.data).toEqual([2, 4]);
      expect(computed).toEqual({ c: 2, e: 2 });
    },
  );

  it("accepts a list of indices and fixes several axes", async () => {
    const { computed, progress } = counting();
    const results = await partial.map(inputs, {
      progress,
      outputs: ["c"],
      fixedIndices: { i: [0, 2], j: 1 },
    });
    const c = results.c.array as NdArray<number>;
    expect([c.get(0, 1), c.get(2, 1)]).toEqual([2, 22]);
    expect(isMissing(c.get(0, 0))).toBe(true);
    expect(computed).toEqual({ c: 2 });
  });

  it("refuses a reduction over a fixed axis, naming the function", async () => {
    const error: unknown = await partial
      .map(inputs, { ...quiet, outputs: ["total"], fixedIndices: { j: 0 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FixedIndicesError);
    const fixed = error as FixedIndicesError;
    expect(fixed.code).toBe("E_FIXED_INDICES");
    expect(fixed.node).toBe("d");
    expect(fixed.axis).toBe("j");
    expect(fixed.message).toContain('Function "d" reads "c" whole along axis "j"');
    // A function without mapspec reading a partial output is refused too.
    const whole: unknown = await partial
      .map(inputs, { ...quiet, fixedIndices: { i: 0 } })
      .catch((e: unknown) => e);
    expect((whole as FixedIndicesError).node).toBe("total");
  });

  it("refuses an unknown axis or an index out of range", async () => {
    const axis: unknown = await partial
      .map(inputs, { ...quiet, outputs: ["c"], fixedIndices: { k: 0 } })
      .catch((e: unknown) => e);
    expect(axis).toBeInstanceOf(FixedIndicesError);
    expect((axis as Error).message).toContain("no function of this map runs along it");
    const range: unknown = await partial
      .map(inputs, { ...quiet, outputs: ["c"], fixedIndices: { i: 3 } })
      .catch((e: unknown) => e);
    expect((range as Error).message).toContain('axis "i" has length 3');
  });

  it("a partial run then a full resume computes exactly the rest", async () => {
    const runFolder = folder();
    await partial.map(inputs, { ...quiet, runFolder, outputs: ["c"], fixedIndices: { i: 1 } });
    const { computed, progress } = counting();
    const results = await partial.map(inputs, { progress, runFolder, resume: true });
    expect(computed).toEqual({ c: 4, d: 3, e: 2, total: 1 });
    expect(results.c.array.data).toEqual([1, 2, 11, 12, 21, 22]);
    expect(results.total.output).toBe(69);
  });
});

describe("map with returnResults: false", () => {
  it.each(["inline", "threads"] as const)(
    "resolves with a summary and leaves the results on disk (%s)",
    async (executor) => {
      const runFolder = folder();
      const summary = await partial.map(inputs, {
        ...quiet,
        executor,
        threads: 1,
        runFolder,
        storage: "zarr",
        returnResults: false,
      });
      expect(summary.runFolder).toBe(runFolder);
      expect(summary.functions.c).toEqual({
        total: 6,
        reused: 0,
        computed: 6,
        failed: 0,
        skipped: 0,
      });
      expect(summary.functions.total).toEqual({
        total: 1,
        reused: 0,
        computed: 1,
        failed: 0,
        skipped: 0,
      });
      expect(summary.outputs).toEqual(["c", "e", "d", "total"]);
      expect(summary.errors).toEqual([]);
      expect("c" in summary).toBe(false);
      expect(await loadOutputs("total", { runFolder })).toBe(69);
    },
  );

  it("counts the elements a resume reuses apart from those it computes", async () => {
    const runFolder = folder();
    await partial.map(inputs, { ...quiet, runFolder, outputs: ["c"], fixedIndices: { i: 0 } });
    const summary = await partial.map(inputs, {
      ...quiet,
      runFolder,
      resume: true,
      outputs: ["c"],
      returnResults: false,
    });
    expect(summary.functions.c).toEqual({
      total: 6,
      reused: 2,
      computed: 4,
      failed: 0,
      skipped: 0,
    });
  });
});
