import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { type NdArray, Pipeline, pipefunc, UnknownOutputError } from "../../src/index.ts";

const add = pipefunc(
  { output: "c", mapspec: "a[i], b[j] -> c[i, j]" },
  ({ a, b }: { a: number; b: number }) => a + b,
);
const total = pipefunc({ output: "total" }, ({ c }: { c: NdArray<number> }) =>
  c.values().reduce((s, v) => s + v, 0),
);
const pipeline = new Pipeline([add, total]);
const inputs = { a: [1, 2, 3], b: [10, 20] };
const quiet = { progress: false } as const;

const dir = mkdtempSync(join(tmpdir(), "pipeweave-results-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("printing map results", () => {
  it("shows each output by name with its value, not the array twice and the store", async () => {
    const results = await pipeline.map(inputs, { ...quiet, runFolder: join(dir, "shown") });
    expect(inspect(results)).toBe(
      [
        "{",
        "  c: OutputResult {",
        "    output: NdArray shape [3, 2] dims [i, j] [ [ 11, 21 ], [ 12, 22 ], [ 13, 23 ] ]",
        "  },",
        "  total: OutputResult { output: 102 }",
        "}",
      ].join("\n"),
    );
    expect(inspect(results.total, { depth: -1 })).toBe("[OutputResult]");
    // Only the printout is shorter: every field is still there.
    expect(results.c.array).toBe(results.c.output);
    expect(Object.keys(results.c)).toEqual(["output", "array", "shape", "dims", "store"]);
    expect({ ...results.total }).toMatchObject({ output: 102, shape: [], dims: [] });
  });
});

describe("results.toRows", () => {
  it("throws an UnknownOutputError for a name that is neither an output nor an input", async () => {
    const results = await pipeline.map(inputs, quiet);
    expect(results.toRows("total")).toEqual([{ total: 102 }]);
    expect(results.toRows("a")).toEqual([
      { i: 0, a: 1 },
      { i: 1, a: 2 },
      { i: 2, a: 3 },
    ]);
    // It gave [] before, as for an output whose every element failed.
    let error: unknown;
    try {
      results.toRows("totl");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnknownOutputError);
    expect(error).toMatchObject({ code: "E_UNKNOWN_OUTPUT", output: "totl", runFolder: undefined });
    expect((error as Error).message).toBe('No function produces "totl". Did you mean "total"?');
  });
});
