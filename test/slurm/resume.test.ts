import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { slurm } from "../../src/slurm/index.ts";
import { slurmAvailable } from "../slurm-available.ts";
import { slow } from "./fixtures/pipelines.mjs";
import { calls, counts, folders, jobIds, liveTasks, storedElements, until } from "./helpers.ts";

const available = slurmAvailable("the SLURM resume test");
const COORDINATOR = fileURLToPath(new URL("./fixtures/coordinator.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");

describe.runIf(available)("slurm(): a coordinator killed mid-run", () => {
  const dirs = folders("resume");
  afterAll(() => dirs.cleanUp());

  it("resumes by reattaching to the jobs still running: no element is submitted or computed twice", async () => {
    const runFolder = join(dirs.make(), "run");
    const log = join(dirs.make(), "calls.log");
    const ms = 3000;
    const child = spawn(
      process.execPath,
      ["--import", TSX, COORDINATOR, runFolder, log, String(ms)],
      {
        stdio: "ignore",
      },
    );
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      // Killed once its tasks run: their elements are in flight on SLURM, none stored yet.
      await until(() => liveTasks(jobIds(runFolder)).size > 0, 60_000, "the coordinator's job");
      await until(
        () => [...liveTasks(jobIds(runFolder)).values()].includes("RUNNING"),
        60_000,
        "a running task",
      );
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    const submitted = jobIds(runFolder);
    expect(submitted).toHaveLength(1);
    expect(calls(log).length).toBeLessThan(8);

    const executor = slurm({ chunkSize: 2, pollMs: 200 });
    try {
      const x = Array.from({ length: 8 }, (_, i) => i);
      const results = await slow.map(
        { x, log, ms },
        { executor, runFolder, resume: true, progress: false },
      );
      expect(results.y!.array.values()).toEqual(x.map((v) => v * 2));
    } finally {
      await executor.close();
    }
    // The resumed run followed the first job to its end and submitted nothing of its own.
    expect(jobIds(runFolder)).toEqual(submitted);
    expect([...counts(log).entries()].sort((a, b) => a[0] - b[0])).toEqual(
      Array.from({ length: 8 }, (_, i) => [i, 1]),
    );
    expect(storedElements(runFolder)).toHaveLength(8);
  });
});
