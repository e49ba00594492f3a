import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runStatus } from "../../src/index.ts";
import { slurm } from "../../src/slurm/index.ts";
import { slurmAvailable } from "../slurm-available.ts";
import { timed } from "./fixtures/pipelines.mjs";
import { folders, jobIds, storedElements } from "./helpers.ts";

const available = slurmAvailable("the SLURM time-limit test");

/**
 * SLURM's least time limit is one minute, and its controller checks limits every 30 s or so:
 * this test waits a minute or two, in its own file so that it runs beside the other SLURM tests.
 */
describe.runIf(available)("slurm(): a task past its time limit", () => {
  const dirs = folders("time-limit");
  afterAll(() => dirs.cleanUp());

  it("submits the elements of a task SLURM ended for its time limit again: every element right and stored once", async () => {
    const runFolder = dirs.make();
    const marker = join(dirs.make(), "slept");
    const x = [0, 1, 2, 3];
    const executor = slurm({ chunkSize: 2, pollMs: 500 });
    try {
      const results = await timed.map({ x, marker }, { executor, runFolder, progress: false });
      expect(results.y!.array.values()).toEqual(x.map((v) => v * 3));
    } finally {
      await executor.close();
    }
    expect(storedElements(runFolder)).toHaveLength(x.length);
    const [first, again] = jobIds(runFolder);
    expect(again).toBeDefined();
    const jobs = runStatus(runFolder).functions[0]!.jobs!;
    expect(jobs.find((j) => j.job === first)!.states).toEqual({ TIMEOUT: 1, COMPLETED: 1 });
    expect(jobs.find((j) => j.job === again)!.states).toEqual({ COMPLETED: 1 });
  }, 240_000);
});
