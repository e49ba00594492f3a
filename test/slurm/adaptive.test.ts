import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidOptionError } from "../../src/index.ts";
import { slurm } from "../../src/slurm/index.ts";
import { slurmAvailable } from "../slurm-available.ts";
import { curve } from "./fixtures/pipelines.mjs";
import { folders, jobIds, rejection } from "./helpers.ts";

const available = slurmAvailable("the SLURM adaptive tests");

describe("pipeline.adaptive on slurm(): without a cluster", () => {
  it("refuses a sweep without a run folder before any point", async () => {
    const executor = slurm();
    try {
      const error = await rejection(
        curve.adaptive({
          dimensions: { x: [-1, 1] },
          output: "y",
          inputs: { shift: 0, log: "/dev/null" },
          goal: { points: 4 },
          executor,
        }),
      );
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as Error).message).toMatch(/runFolder/);
    } finally {
      await executor.close();
    }
  });
});

describe.runIf(available)("pipeline.adaptive on slurm(): on a real cluster", () => {
  const dirs = folders("adaptive");
  afterAll(() => dirs.cleanUp());

  it("evaluates points that are plain graph runs as SLURM array tasks", async () => {
    const runFolder = dirs.make();
    const log = join(dirs.make(), "calls.log");
    const executor = slurm({ pollMs: 200 });
    try {
      const result = await curve.adaptive({
        dimensions: { x: [-1, 1] },
        output: "y",
        inputs: { shift: 3, log },
        goal: { points: 6 },
        executor,
        concurrency: 3,
        runFolder,
      });
      expect(result.points).toHaveLength(6);
      for (const p of result.points) {
        expect(p.value).toBeCloseTo((p.inputs.x as number) ** 2 + 3, 12);
      }
    } finally {
      await executor.close();
    }
    // Every point ran in a task process, none in this one.
    const pids = readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => Number(l.split(" ")[0]));
    expect(pids).toHaveLength(6);
    expect(pids).not.toContain(process.pid);
    expect(jobIds(runFolder).length).toBeGreaterThanOrEqual(1);
  });
});
