import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RunFolderMismatchError, VariantRequiredError } from "../../src/index.ts";
import { tempFolders } from "../temp-folders.ts";
import { solver } from "./fixtures/variant-pipeline.ts";

const quiet = { progress: false } as const;
const folder = tempFolders("pipeweave-variants-");

describe("map with variants", () => {
  it.each(["inline", "threads"] as const)(
    "maps the chosen variant (%s executor)",
    async (executor) => {
      const options = { ...quiet, executor, threads: 1 } as const;
      const fast = await solver.map({ x: [1, 2, 3] }, { ...options, variant: { solver: "fast" } });
      expect(fast.total.output).toBe(12);
      const exact = await solver.withVariant({ solver: "exact" }).map({ x: [1, 2, 3] }, options);
      expect(exact.y.array.data).toEqual([3, 5, 7]);
      expect(exact.total.output).toBe(15);
    },
  );

  it("refuses a map that chose no variant", async () => {
    await expect(solver.map({ x: [1] }, quiet)).rejects.toBeInstanceOf(VariantRequiredError);
  });

  it("records the variants in run.json and refuses to resume with other ones", async () => {
    const runFolder = folder();
    await solver.map({ x: [1, 2] }, { ...quiet, runFolder, variant: { solver: "fast" } });
    const record = JSON.parse(readFileSync(join(runFolder, "run.json"), "utf8")) as {
      variants?: Record<string, string>;
    };
    expect(record.variants).toEqual({ solver: "fast" });
    const resumed = await solver.map(
      { x: [1, 2] },
      { ...quiet, runFolder, resume: true, variant: { solver: "fast" } },
    );
    expect(resumed.total.output).toBe(6);
    const error: unknown = await solver
      .map({ x: [1, 2] }, { ...quiet, runFolder, resume: true, variant: { solver: "exact" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFolderMismatchError);
    const mismatch = error as RunFolderMismatchError;
    expect(mismatch.code).toBe("E_RUN_FOLDER_MISMATCH");
    expect(mismatch.differences[0]).toContain('variants { solver: "fast" }');
    expect(mismatch.differences[0]).toContain('{ solver: "exact" }');
  });
});
