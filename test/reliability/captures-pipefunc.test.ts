/**
 * Issue 21, point 15: pipefunc's own map and cache tests, translated, run with a cache and a
 * run folder without declaring a thing: they call imported helpers (code), count their calls
 * (side effects), and read no outside data. Before the refined analysis every one of them was
 * an UndeclaredCaptureError. What they read as data is still refused.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type MapResults,
  type NdArray,
  type PipeFunc,
  Pipeline,
  pipefunc,
  UndeclaredCaptureError,
} from "../../src/index.ts";
import { Geometry, np, range, sleep, sum } from "./fixtures/science.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pipeweave-captures-pipefunc-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const quiet = { progress: false } as const;
/** A fresh run folder inside the test's folder. */
let runs = 0;
const runFolder = () => join(dir, `run-${++runs}`);

/** Every function of the pipeline cached, as a user turning the cache on everywhere would. */
const cachedPipeline = (fns: readonly PipeFunc<object, object>[]) =>
  new Pipeline(
    fns.map((f) => f.with({ cache: true })),
    { cache: { type: "disk", folder: join(dir, "cache") } },
  );

/** Call counters, as pipefunc's tests keep them (`calls["f"] += 1`). */
const calls = { f: 0, g: 0, h: 0 };
let total = 0;
const order: number[] = [];

beforeEach(() => {
  calls.f = 0;
  calls.g = 0;
  calls.h = 0;
  total = 0;
  order.length = 0;
});

/** Runs `fns` with a run folder, then cached with a run folder, and returns the results. */
async function both(
  fns: readonly PipeFunc<object, object>[],
  inputs: Record<string, unknown>,
  options: { readonly internalShapes?: Record<string, number> } = {},
): Promise<readonly MapResults<Record<string, unknown>>[]> {
  const plain = await new Pipeline(fns).map(inputs, {
    ...quiet,
    ...options,
    runFolder: runFolder(),
  });
  const cached = await cachedPipeline(fns).map(inputs, {
    ...quiet,
    ...options,
    runFolder: runFolder(),
  });
  return [plain, cached] as MapResults<Record<string, unknown>>[];
}

describe("pipefunc's map tests, translated: helpers and counters need no declaring", () => {
  it("test_simple: an imported sum", async () => {
    const simulate = pipefunc(
      { output: "result", mapspec: "seed[i] -> result[i]" },
      ({ seed }: { seed: number }) => seed * 2,
    );
    const postProcess = pipefunc({ output: "sum" }, ({ result }: { result: NdArray<number> }) =>
      sum(result),
    );
    for (const r of await both([simulate, postProcess], { seed: [0, 1, 2, 3] })) {
      expect(r.sum!.output).toBe(12);
    }
  });

  it("test_simple_2_dim_array_to_1_dim_to_0_dim: methods of an imported namespace", async () => {
    const simulate = pipefunc(
      { output: "result", mapspec: "seed[i, j] -> result[i, j]" },
      ({ seed }: { seed: number }) => seed * 2,
    );
    const takeSum = pipefunc(
      { output: "sum", mapspec: "result[i, :] -> sum[i]" },
      ({ result }: { result: NdArray<number> }) => np.sum(result),
    );
    const takeProd = pipefunc({ output: "prod" }, ({ sum }: { sum: NdArray<number> }) =>
      np.prod(sum),
    );
    const seed = [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10, 11, 12],
    ];
    for (const r of await both([simulate, takeSum, takeProd], { seed })) {
      expect((r.sum!.array as NdArray<number>).toNested()).toEqual([20, 52, 84]);
      expect(r.prod!.output).toBe(20 * 52 * 84);
    }
  });

  it("test_simple_from_step: a generator calling an imported range", async () => {
    const generateSeeds = pipefunc(
      { output: "seed", mapspec: "n -> seed[i]" },
      ({ n }: { n: number }) => range(n),
    );
    const simulate = pipefunc(
      { output: "result", mapspec: "seed[i] -> result[i]" },
      ({ seed }: { seed: number }) => seed * 2,
    );
    const postProcess = pipefunc({ output: "sum" }, ({ result }: { result: NdArray<number> }) =>
      sum(result),
    );
    for (const r of await both(
      [generateSeeds, simulate, postProcess],
      { n: 4 },
      { internalShapes: { seed: 4 } },
    )) {
      expect(r.sum!.output).toBe(12);
    }
  });

  it("test_simple_from_step_nd: a method path (np.linalg.norm)", async () => {
    const norm = pipefunc({ output: "norm" }, ({ vector }: { vector: number[] }) =>
      np.linalg.norm(vector),
    );
    for (const r of await both([norm], { vector: [3, 4] })) expect(r.norm!.output).toBe(5);
  });

  it("test_pyiida_example: a class constructed, a mean taken", async () => {
    const makeGeometry = pipefunc(
      { output: "geo" },
      ({ x, y }: { x: number; y: number }) => new Geometry(x, y),
    );
    const electrostatics = pipefunc(
      { output: "charge", mapspec: "V_left[a], V_right[b] -> charge[a, b]" },
      ({ geo, V_left, V_right }: { geo: Geometry; V_left: number; V_right: number }) =>
        geo.x * 0 + V_left + V_right,
    );
    const averageCharge = pipefunc(
      { output: "average" },
      ({ charge }: { charge: NdArray<number> }) => np.mean(charge),
    );
    const inputs = { x: 0.1, y: 0.2, V_left: [0, 1, 2], V_right: [-0.5, 0.5] };
    for (const r of await both([makeGeometry, electrostatics, averageCharge], inputs)) {
      expect(r.average!.output).toBe(1);
    }
  });

  it("test_pipeline_with_defaults: a default and a helper", async () => {
    const f = pipefunc(
      { output: "z", mapspec: "x[i] -> z[i]" },
      ({ x, y = 1 }: { x: number; y?: number }) => x + y,
    );
    const g = pipefunc({ output: "sum" }, ({ z }: { z: NdArray<number> }) => sum(z));
    for (const r of await both([f, g], { x: [0, 1, 2, 3] })) expect(r.sum!.output).toBe(10);
  });

  it("an async element awaiting an imported sleep", async () => {
    const slow = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]" },
      async ({ x }: { x: number }) => {
        await sleep(1);
        return x + 1;
      },
    );
    for (const r of await both([slow], { x: [1, 2] }))
      expect(r.y!.array.toNested()).toEqual([2, 3]);
  });

  it("elements that record their order (seen.push) and append to a log file", async () => {
    // The log's path is data (an argument here); appendFileSync and order.push are code.
    const record = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]" },
      ({ x, log }: { x: number; log: string }) => {
        order.push(x);
        appendFileSync(log, `${x}\n`);
        return x * 10;
      },
    );
    const log = join(dir, "calls.log");
    for (const r of await both([record], { x: [1, 2, 3], log })) {
      expect(r.y!.array.toNested()).toEqual([10, 20, 30]);
    }
    expect(order.sort()).toEqual([1, 1, 2, 2, 3, 3]);
    expect(readFileSync(log, "utf8").split("\n").filter(Boolean)).toHaveLength(6);
  });
});

describe("pipefunc's cache tests, translated: counters count, the cache answers", () => {
  const f = pipefunc(
    { output: "c", mapspec: "a[i] -> c[i]", defaults: { b: 1 }, cache: true },
    ({ a, b }: { a: number; b: number }) => {
      calls.f += 1;
      return a + b;
    },
  );
  const g = pipefunc(
    { output: "d", cache: true },
    ({ b, c }: { b: number; c: NdArray<number> }) => {
      calls.g++;
      return b + sum(c);
    },
  );
  const h = pipefunc({ output: "e" }, ({ d }: { d: number }) => {
    calls.h++;
    total += d;
    return d;
  });

  it.each(["lru", "hybrid", "disk"] as const)("test_cache_with_map (%s)", async (type) => {
    const pipeline = new Pipeline([f, g, h], {
      cache: type === "disk" ? { type, folder: join(dir, "cache") } : { type },
    });
    for (let i = 0; i < 3; i++) {
      const r = await pipeline.map({ a: [1, 2, 3] }, quiet);
      expect(r.d!.output).toBe(10);
      expect(calls).toEqual({ f: 3, g: 1, h: i + 1 });
    }
    for (let i = 0; i < 3; i++) {
      const r = await pipeline.map({ a: [1, 2, 3], b: 2 }, quiet);
      expect(r.d!.output).toBe(14);
      expect(calls).toEqual({ f: 6, g: 2, h: i + 4 });
    }
    expect(total).toBe(3 * 10 + 3 * 14);
  });

  it("test_sharing_defaults: a counter in a run, cached", async () => {
    const one = pipefunc(
      { output: "c", defaults: { b: 1 }, cache: true },
      ({ a, b }: { a: number; b: number }) => {
        calls.f += 1;
        return a + b;
      },
    );
    const two = pipefunc({ output: "d", cache: true }, ({ b, c }: { b: number; c: number }) => {
      calls.g += 1;
      return b + c;
    });
    const pipeline = new Pipeline([one, two]);
    expect(await pipeline.run("d", { a: 1 })).toBe(3);
    expect(await pipeline.run("d", { a: 1 })).toBe(3);
    expect(calls).toMatchObject({ f: 1, g: 1 });
  });

  it("lists the helpers a function calls in run.json, for the record", async () => {
    const folder = runFolder();
    await new Pipeline([f, g, h]).map({ a: [1, 2] }, { ...quiet, runFolder: folder });
    const record = JSON.parse(readFileSync(join(folder, "run.json"), "utf8")) as {
      pipeline: { functions: { name: string; calls?: string[] }[] };
    };
    const byName = Object.fromEntries(record.pipeline.functions.map((r) => [r.name, r.calls]));
    expect(byName).toEqual({ c: undefined, d: ["sum"], e: undefined });
  });

  it("test_full_output_cache: a flag read as data is still refused, naming it", () => {
    let ranF1 = false;
    const ranF2 = false;
    const f1 = pipefunc({ output: "c", cache: true }, ({ a, b }: { a: number; b: number }) => {
      if (ranF2) throw new Error("f2 ran first");
      ranF1 = true;
      return a + b;
    });
    let error: unknown;
    try {
      new Pipeline([f1]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UndeclaredCaptureError);
    // ranF1 is only written: a side effect, not named.
    expect(error).toMatchObject({ code: "E_UNDECLARED_CAPTURE", node: "c", names: ["ranF2"] });
    expect((error as Error).message).toMatch(/captures: \{ ranF2 \}/);
    expect((error as Error).message).toMatch(/or the pipeline's/);
    expect(ranF1).toBe(false);
    expect(() => new Pipeline([f1], { captures: { ranF2 } })).not.toThrow();
  });
});
