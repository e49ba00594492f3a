import { describe, expect, it } from "vitest";
import {
  AbortError,
  type AdaptiveProgress,
  InvalidOptionError,
  type NdArray,
  NodeExecutionError,
  Pipeline,
  pipefunc,
  UnknownOutputError,
} from "../../src/index.ts";
import { caught } from "../caught.ts";
import { busy, pairs, peak } from "./fixtures/adaptive-pipelines.ts";

const a = 0.01;
const sharp = (x: number) => x + (a * a) / (a * a + x * x);

/** Resolves when `resolve()` is called: a deferred, instead of a sleep. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("pipeline.adaptive", () => {
  it("learns an output over one input with the others fixed, to a loss goal", async () => {
    const result = await peak.adaptive({
      dimensions: { x: [-1, 1] },
      output: "y",
      inputs: { a },
      goal: { loss: 0.02 },
    });
    expect(result.loss()).toBeLessThanOrEqual(0.02);
    expect(result.points[0]!.inputs).toEqual({ x: -1 });
    expect(result.points[1]!.inputs).toEqual({ x: 1 });
    for (const p of result.points) expect(p.value).toBeCloseTo(sharp(p.inputs.x as number), 12);
    expect(result.interpolate(0)).toBeCloseTo(1, 6);
    expect(result.toRows()[2]).toEqual({ x: 0, y: 1 });
  });

  it("stops at a points goal, a predicate, or a time goal", async () => {
    const base = { dimensions: { x: [-1, 1] as const }, output: "y" } as const;
    expect(
      (await peak.adaptive({ ...base, goal: { points: 37 }, concurrency: 4 })).points,
    ).toHaveLength(37);
    const seen: AdaptiveProgress[] = [];
    const byPredicate = await peak.adaptive({
      ...base,
      goal: (p) => p.points >= 12,
      progress: (p) => seen.push(p),
    });
    expect(byPredicate.points).toHaveLength(12);
    expect(seen.at(-1)!.points).toBe(12);
    expect((await peak.adaptive({ ...base, goal: { seconds: 0 } })).points).toHaveLength(0);
  });

  it("keeps `concurrency` points in flight and asks the next as each arrives", async () => {
    let running = 0;
    let most = 0;
    const gates: (() => void)[] = [];
    const slow = pipefunc({ output: "y" }, async ({ x }: { x: number }) => {
      running++;
      most = Math.max(most, running);
      const gate = deferred();
      gates.push(gate.resolve);
      await gate.promise;
      running--;
      return Math.sin(5 * x);
    });
    const done = new Pipeline([slow]).adaptive({
      dimensions: { x: [0, 1] },
      output: "y",
      goal: { points: 20 },
      concurrency: 3,
    });
    // Release points one at a time, as they arrive: each release lets one more start.
    for (let released = 0; released < 20; released++) {
      while (gates.length === 0) await new Promise((r) => setImmediate(r));
      gates.shift()!();
    }
    const result = await done;
    expect(most).toBe(3);
    const xs = result.points.map((p) => p.inputs.x);
    expect(new Set(xs).size).toBe(20);
  });

  it("evaluates points on threads, and a failure there stops the sweep with its error", async () => {
    const result = await busy.adaptive({
      dimensions: { x: [0, 0.8] },
      output: "y",
      goal: { points: 24 },
      executor: "threads",
      threads: 2,
    });
    expect(result.points).toHaveLength(24);
    for (const p of result.points) expect(p.value).toBeCloseTo((p.inputs.x as number) ** 2, 12);
    const error = await rejection(
      busy.adaptive({
        dimensions: { x: [0, 1] },
        output: "y",
        goal: { points: 10 },
        executor: "threads",
        threads: 2,
      }),
    );
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect((error as Error).message).toContain("x too large: 1");
  });

  it("keeps two points running at once on two threads, every time a pair finishes", async () => {
    // Each point waits for a partner: a loop that awaited one point before asking the next,
    // or an executor path that ran one point at a time, leaves points waiting alone (0).
    const result = await pairs.adaptive({
      dimensions: { x: [0, 1] },
      output: "met",
      inputs: { arrivals: new SharedArrayBuffer(4), waitMs: 10_000 },
      goal: { points: 8 },
      executor: "threads",
      threads: 2,
    });
    expect(result.points.map((p) => p.value)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('records failed points with errors: "continue" and never asks them again', async () => {
    const result = await busy.adaptive({
      dimensions: { x: [0, 1] },
      output: "y",
      goal: { points: 30 },
      errors: "continue",
    });
    expect(result.points.length + result.failures.length).toBe(30);
    expect(result.failures.length).toBeGreaterThan(0);
    for (const f of result.failures) {
      expect(f.inputs.x as number).toBeGreaterThan(0.9);
      expect(f.error).toContain("x too large");
    }
    const xs = [...result.points, ...result.failures].map((p) => p.inputs.x);
    expect(new Set(xs).size).toBe(30);
  });

  it("stops on abort with an AbortError whose cause is the signal's reason", async () => {
    const controller = new AbortController();
    const reason = new Error("enough");
    const error = await rejection(
      peak.adaptive({
        dimensions: { x: [-1, 1] },
        output: "y",
        goal: { loss: 0 },
        progress: (p) => {
          if (p.points === 15) controller.abort(reason);
        },
        signal: controller.signal,
      }),
    );
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).code).toBe("E_ABORTED");
    expect((error as AbortError).cause).toBe(reason);
  });

  it("runs one learner per value of a mapped input, giving points to the worst known", async () => {
    const f = pipefunc(
      { output: "y", mapspec: "k[i] -> y[i]" },
      ({ x, k }: { x: number; k: number }) => Math.tanh(k * x),
    );
    const result = await new Pipeline([f]).adaptive({
      dimensions: { x: [-1, 1] },
      output: "y",
      inputs: { k: [1, 50] },
      goal: { loss: 0.05 },
    });
    expect(result.mapped).toEqual(["k"]);
    expect(result.learners).toHaveLength(2);
    const [gentle, steep] = result.learners.map((l) => l.size);
    // The steep tanh needs more points for the same loss.
    expect(steep!).toBeGreaterThan(gentle!);
    expect(result.interpolate(0.5, { k: 50 })).toBeCloseTo(1, 2);
    expect(result.toRows().every((r) => r.k === 1 || r.k === 50)).toBe(true);
  });

  it("evaluates a whole map per point when the output reduces a sweep", async () => {
    const f = pipefunc(
      { output: "y", mapspec: "k[i] -> y[i]" },
      ({ x, k }: { x: number; k: number }) => k * x * x,
    );
    const total = pipefunc({ output: "total" }, ({ y }: { y: NdArray<number> }) =>
      y.data.reduce((s: number, v) => s + (v as number), 0),
    );
    const result = await new Pipeline([f, total]).adaptive({
      dimensions: { x: [0, 2] },
      output: "total",
      inputs: { k: [1, 2, 3] },
      goal: { points: 10 },
    });
    expect(result.learners).toHaveLength(1);
    for (const p of result.points) expect(p.value).toBeCloseTo(6 * (p.inputs.x as number) ** 2);
  });

  it("learns over two inputs on a triangulation", async () => {
    const g = pipefunc({ output: "z" }, ({ x, y }: { x: number; y: number }) => x * y + 1);
    const result = await new Pipeline([g]).adaptive({
      dimensions: { x: [0, 1], y: [0, 2] },
      output: "z",
      goal: { points: 60 },
      concurrency: 4,
    });
    expect(result.points).toHaveLength(60);
    expect(result.interpolate([0.5, 1])).toBeCloseTo(1.5, 1);
    expect(result.interpolate([2, 1])).toBeUndefined();
  });

  it("refuses three dimensions, unknown outputs and bad options, naming them", async () => {
    const h = pipefunc(
      { output: "w" },
      ({ x, y, z }: { x: number; y: number; z: number }) => x + y + z,
    );
    const p = new Pipeline([h]);
    const three = await rejection(
      p.adaptive({
        dimensions: { x: [0, 1], y: [0, 1], z: [0, 1] },
        output: "w",
        goal: { points: 1 },
      }),
    );
    expect(three).toBeInstanceOf(InvalidOptionError);
    expect((three as InvalidOptionError).option).toBe("dimensions");
    expect((three as Error).message).toContain("x, y, z");
    const unknown = await rejection(
      p.adaptive({ dimensions: { x: [0, 1] }, output: "v", goal: { points: 1 } }),
    );
    expect(unknown).toBeInstanceOf(UnknownOutputError);
    const cases: [Record<string, unknown>, string, string][] = [
      [{ goal: { lots: 1 } }, "goal", "{ loss: number }"],
      [{ concurrency: 0 }, "concurrency", "`0`"],
      [{ dimensions: { q: [0, 1] } }, "dimensions.q", '"q"'],
      [{ inputs: { x: 1 } }, "inputs.x", '"x"'],
      [{ dimensions: { x: [1, 0] } }, "dimensions", "[1,0]"],
      [{ resume: true }, "resume", "runFolder"],
      [{ errors: "ignore" }, "errors", '"ignore"'],
    ];
    for (const [change, option, named] of cases) {
      const error = await rejection(
        p.adaptive({
          dimensions: { x: [0, 1] },
          output: "w",
          inputs: { y: 0, z: 0 },
          goal: { points: 1 },
          ...change,
        } as never),
      );
      expect(error, option).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe(option);
      expect((error as Error).message).toContain(named);
    }
    caught(
      () => {
        throw three;
      },
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
  });
});

describe("AdaptiveResult.dataset", () => {
  it("labels the points along one axis with the dimensions and mapped inputs as coordinates", async () => {
    const f = pipefunc(
      { output: "y", mapspec: "k[i] -> y[i]" },
      ({ x, k }: { x: number; k: number }) => k * x,
    );
    const result = await new Pipeline([f]).adaptive({
      dimensions: { x: [0, 1] },
      output: "y",
      inputs: { k: [2, 3] },
      goal: { points: 8 },
    });
    const ds = result.dataset();
    expect(ds.dims).toEqual({ point: 8 });
    const rows = ds.toRows();
    expect(rows).toHaveLength(8);
    for (const row of rows) expect(row.y).toBeCloseTo((row.k as number) * (row.x as number));
  });
});
