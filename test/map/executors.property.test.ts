import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { type ExecutorChoice, type MapOptions, NdArray, ThreadExecutor } from "../../src/index.ts";
import {
  instanceProbe,
  type NodeSpec,
  POISON,
  type RandomPipeline,
  randomPipelines,
  sameNames,
} from "./fixtures/random-pipelines.ts";

const MAX_FUNCTIONS = 6;

interface Case {
  readonly k: number;
  readonly inputs: Record<string, number | number[]>;
  readonly chunkSize: number;
  /** Per function (f1, f2, …): whether the mixed run sends it to threads. */
  readonly onThreads: readonly boolean[];
}

// Values 0-20, with POISON (13) more often than 1 in 21 so that failures are common.
const value = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 20 }) },
  { weight: 1, arbitrary: fc.constant(POISON) },
);

function inputsOf(p: RandomPipeline): fc.Arbitrary<Record<string, number | number[]>> {
  const lengths = fc.record(
    Object.fromEntries(p.axes.map((axis) => [axis, fc.integer({ min: 1, max: 5 })])),
  );
  return lengths.chain((length) =>
    fc.record({
      // Roots on the same axis get the same length: they are zipped.
      ...Object.fromEntries(
        p.roots.map((r) => [
          r.name,
          fc.array(value, { minLength: length[r.axis]!, maxLength: length[r.axis]! }),
        ]),
      ),
      ...Object.fromEntries(p.scalars.map((s) => [s, value])),
    }),
  );
}

const caseArb: fc.Arbitrary<Case> = fc
  .integer({ min: 0, max: randomPipelines.length - 1 })
  .chain((k) =>
    fc.record({
      k: fc.constant(k),
      inputs: inputsOf(randomPipelines[k]!),
      chunkSize: fc.integer({ min: 1, max: 4 }),
      onThreads: fc.array(fc.boolean(), { minLength: MAX_FUNCTIONS, maxLength: MAX_FUNCTIONS }),
    }),
  );

/** What must not depend on the executor: every output (shape, axes, values) and the failures. */
function observe(
  p: RandomPipeline,
  results: Awaited<ReturnType<RandomPipeline["pipeline"]["map"]>>,
) {
  const outputs: Record<string, unknown> = {};
  for (const n of p.nodes) {
    const r = results[n.output]!;
    outputs[n.output] = {
      shape: r.shape,
      dims: r.dims,
      value: r.shape.length === 0 ? r.output : r.array.toNested(),
    };
  }
  const errors = results.errors.map((e) => `${e.node} [${e.index.join(", ")}] ${e.message}`).sort();
  return { outputs, errors };
}

const folders: string[] = [];
// One pool for the whole file: starting worker threads (and loading TypeScript in them)
// costs far more than a sweep of these sizes.
const pool = new ThreadExecutor({ threads: 2 });
afterAll(async () => {
  await pool.close();
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const base: MapOptions = { progress: false, errors: "continue" };

/** Runs one case under inline, threads, a per-function mix and a file run folder. */
async function runEverywhere(c: Case, threads: "pool" | "string") {
  const p = randomPipelines[c.k]!;
  const threaded: ExecutorChoice = threads === "pool" ? pool : "threads";
  const mix: Record<string, ExecutorChoice> = {};
  p.nodes.forEach((n, at) => {
    mix[n.output] = c.onThreads[at] ? threaded : "inline";
  });
  const dir = mkdtempSync(join(tmpdir(), "pipeweave-executors-"));
  folders.push(dir);
  const runs = {
    inline: await p.pipeline.map(c.inputs, { ...base, executor: "inline" }),
    threads: await p.pipeline.map(c.inputs, {
      ...base,
      executor: threaded,
      threads: 2,
      chunkSize: c.chunkSize,
    }),
    mixed: await p.pipeline.map(c.inputs, {
      ...base,
      executor: mix,
      threads: 2,
      chunkSize: c.chunkSize,
    }),
    file: await p.pipeline.map(c.inputs, {
      ...base,
      executor: "inline",
      runFolder: dir,
      storage: "file",
    }),
  };
  rmSync(dir, { recursive: true, force: true });
  const reference = observe(p, runs.inline);
  for (const [name, results] of Object.entries(runs)) {
    expect(observe(p, results), `${name} vs inline on ${p.name}: ${p.description}`).toEqual(
      reference,
    );
  }
  return reference;
}

/** A case that surely fails somewhere: a function throwing on POISON reads a root input. */
function poisonedCase(): Case {
  const k = randomPipelines.findIndex((p) =>
    p.nodes.some(
      (n) =>
        n.kind === "element" &&
        n.throwsOn &&
        n.inputs.some((i) => p.roots.some((r) => r.name === i)),
    ),
  );
  const p = randomPipelines[k]!;
  const inputs: Record<string, number | number[]> = {};
  p.roots.forEach((r, at) => {
    inputs[r.name] = [POISON, at + 1, POISON];
  });
  for (const s of p.scalars) inputs[s] = 2;
  return { k, inputs, chunkSize: 2, onThreads: [true, false, true, false, true, false] };
}

describe("map: executors agree on random pipelines", () => {
  it("gives the same outputs, masks and failures inline, on threads, mixed and with a run folder", async () => {
    let failures = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        failures += (await runEverywhere(c, "pool")).errors.length;
      }),
      { numRuns: 80, examples: [[poisonedCase()]] },
    );
    // The property is only worth something if failures (and masking) happened.
    expect(failures).toBeGreaterThan(0);
  }, 60_000);

  it('agrees with executor: "threads" and per-function "threads", each run making its own pool', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        await runEverywhere(c, "string");
      }),
      { numRuns: 3, examples: [[poisonedCase()]] },
    );
  }, 60_000);

  it("covers outer products, zips, reductions and functions without mapspec", () => {
    const nodes = randomPipelines.flatMap((p) => p.nodes);
    const axesOf = new Map(
      randomPipelines.flatMap((p) => [
        ...p.roots.map((r) => [`${p.name}/${r.name}`, [r.axis]] as const),
        ...p.scalars.map((s) => [`${p.name}/${s}`, []] as const),
        ...p.nodes.map((n) => [`${p.name}/${n.output}`, n.axes] as const),
      ]),
    );
    const argumentAxes = (p: RandomPipeline, n: NodeSpec) =>
      n.inputs.map((i) => axesOf.get(`${p.name}/${i}`)!);
    // Outer product: an element function whose output has more axes than any argument.
    expect(
      randomPipelines.some((p) =>
        p.nodes.some(
          (n) => n.kind === "element" && argumentAxes(p, n).every((a) => a.length < n.axes.length),
        ),
      ),
    ).toBe(true);
    // Zip: one element function reading two roots on the same axis.
    expect(
      randomPipelines.some((p) =>
        p.nodes.some((n) => {
          const axes = p.roots.filter((r) => n.inputs.includes(r.name)).map((r) => r.axis);
          return n.kind === "element" && new Set(axes).size < axes.length;
        }),
      ),
    ).toBe(true);
    // Partial reduction (keeps an axis) and full reduction to one value.
    expect(nodes.some((n) => n.kind === "reduce" && n.axes.length > 0)).toBe(true);
    expect(nodes.some((n) => n.kind === "reduce" && n.axes.length === 0)).toBe(true);
    expect(nodes.some((n) => n.kind === "whole")).toBe(true);
    expect(nodes.some((n) => n.throwsOn)).toBe(true);
    expect(randomPipelines.some((p) => p.scalars.length > 0)).toBe(true);
    for (const p of randomPipelines) {
      expect(p.nodes.length).toBeGreaterThanOrEqual(2);
      expect(p.nodes.length).toBeLessThanOrEqual(MAX_FUNCTIONS);
    }
  });
});

describe("map: NdArrays on worker threads", () => {
  it("gives functions NdArrays of the class they import (inline)", async () => {
    const r = await instanceProbe.map({ x: [1, 2] }, { progress: false });
    expect(r.isArray.output).toBe(true);
    expect(r.pair.array.get(0)).toBeInstanceOf(NdArray);
  });

  // On a worker thread piscina may require() thread-worker.ts through tsx's CommonJS hooks
  // while the pipeline module is import()ed as ESM: two copies of NdArray, which instanceof
  // must treat as one.
  it("gives functions NdArrays of the class they import (threads)", async () => {
    const r = await instanceProbe.map({ x: [1, 2] }, { progress: false, executor: pool });
    expect(r.isArray.output).toBe(true);
    expect(r.pair.array.get(0)).toBeInstanceOf(NdArray);
  });
});

describe("map: functions that share a name", () => {
  it("calls each function inline", async () => {
    const r = await sameNames.map({ x: [1, 2] }, { progress: false });
    expect(r.double.array.toNested()).toEqual([2, 4]);
    expect(r.tenfold.array.toNested()).toEqual([10, 20]);
  });

  // Both functions are named "times"; the worker finds them by their first output.
  it("calls each function on threads", async () => {
    const r = await sameNames.map({ x: [1, 2] }, { progress: false, executor: pool });
    expect(r.double.array.toNested()).toEqual([2, 4]);
    expect(r.tenfold.array.toNested()).toEqual([10, 20]);
  });
});
