import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type NdArray,
  Pipeline,
  PipelineDefinitionError,
  pipefunc,
  RunFolderMismatchError,
} from "../../src/index.ts";
import { caught } from "../caught.ts";

const dir = mkdtempSync(join(tmpdir(), "pipeweave-nest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const double = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x * 2);
const inc = pipefunc(
  { output: "z", mapspec: "y[i], k[i] -> z[i]" },
  ({ y, k = 1 }: { y: number; k?: number }) => y + k,
);
const total = pipefunc({ output: "s" }, ({ z }: { z: NdArray<number> }) =>
  z.values().reduce((a, b) => a + b, 0),
);
const pipeline = new Pipeline([double, inc, total]);

describe("nest", () => {
  it("combines the mapspecs of the group, so map still maps element by element", async () => {
    const nested = pipeline.nest(["y", "z"], "yz");
    expect(nested.get("z").mapspec).toBe("x[i], k[i] -> y[i], z[i]");
    const plain = await pipeline.map({ x: [1, 2, 3], k: [10, 20, 30] });
    const results = await nested.map({ x: [1, 2, 3], k: [10, 20, 30] });
    expect(results.z!.output).toEqual(plain.z.output);
    expect((results.z!.output as NdArray<number>).data).toEqual([12, 24, 36]);
    expect((results.y!.output as NdArray<number>).data).toEqual([2, 4, 6]);
    expect(results.s!.output).toBe(72);
  });

  it("rejects groups whose mapspecs cannot be combined, naming the function", () => {
    const sum = pipefunc({ output: "t", mapspec: "y[:] -> t" }, ({ y }: { y: NdArray<number> }) =>
      y.values().reduce((a, b) => a + b, 0),
    );
    const p = new Pipeline([double, sum]);
    const error = caught(() => p.nest(["y", "t"]), PipelineDefinitionError, "E_DEFINITION");
    expect(error.message).toMatch(/Cannot nest "t" \(mapspec "y\[:\] -> t"\)/);

    const plain = pipefunc({ output: "w" }, ({ y }: { y: number }) => y);
    expect(() => new Pipeline([double, plain]).nest(["y", "w"])).toThrow(
      /"w", which has no mapspec/,
    );
  });

  it("returns the value itself when the group has one output", () => {
    const one = new Pipeline([pipefunc({ output: "c" }, ({ a }: { a: number }) => a + 1)]);
    expect(one.nest(["c"]).runSync("c", { a: 1 })).toBe(2);
  });

  it("works with withDefaults, withRenames and bound values", async () => {
    const nested = pipeline.nest(["y", "z"], "yz");
    expect(nested.withDefaults({ k: [5, 5] }).get("z").defaults).toEqual({ k: [5, 5] });
    const withK = nested.withDefaults({ x: 4 });
    expect(withK.runSync("z", { k: 0 })).toBe(8);

    const renamed = nested.withRenames({ x: "input", z: "out" });
    expect(renamed.get("out").mapspec).toBe("input[i], k[i] -> y[i], out[i]");
    const r = await renamed.map({ input: [1, 2], k: [1, 1] });
    expect((r.out!.output as NdArray<number>).data).toEqual([3, 5]);

    const bound = renamed
      .get("out")
      .with({ bound: { k: 100 }, mapspec: "input[i] -> y[i], out[i]" });
    expect(bound.inputs).toEqual(["input"]);
    const p = new Pipeline([bound]);
    expect(p.runSync("out", { input: 1 })).toBe(102);
    const mapped = await p.map({ input: [1, 2] });
    expect((mapped.out!.output as NdArray<number>).data).toEqual([102, 104]);
  });

  it("refuses options a nested function cannot change", () => {
    const nested = pipeline.nest(["y", "z"]).get("z");
    expect(() => nested.with({ output: "q" })).toThrow(/cannot change `output`/);
    expect(() => nested.with({ defaults: { nope: 1 } })).toThrow(/has no argument "nope"/);
  });

  it("is a different function for run folders when an inner function changes", async () => {
    const folder = join(dir, "changed");
    await pipeline.nest(["y", "z"]).map({ x: [1], k: [1] }, { runFolder: folder });
    const other = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]" },
      ({ x }: { x: number }) => x * 3,
    );
    const changed = new Pipeline([other, inc, total]).nest(["y", "z"]);
    const error = await changed.map({ x: [1], k: [1] }, { runFolder: folder, resume: true }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RunFolderMismatchError);
    expect((error as Error).message).toMatch(/changed code/);
  });
});
