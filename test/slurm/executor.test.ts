import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { AbortError, ExecutorError, InvalidOptionError, runStatus } from "../../src/index.ts";
import { slurm } from "../../src/slurm/index.ts";
import { slurmAvailable } from "../slurm-available.ts";
import { accented, placed, sized, skewed, slow, sweep } from "./fixtures/pipelines.mjs";
import {
  calls,
  counts,
  folders,
  jobIds,
  liveTasks,
  rejection,
  scancel,
  showJob,
  storedElements,
  until,
} from "./helpers.ts";

const available = slurmAvailable("the SLURM executor tests");
const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const TSX = import.meta.resolve("tsx");

describe("slurm(): without a cluster", () => {
  it("refuses a map without a run folder before any work, naming the functions", async () => {
    const executor = slurm();
    try {
      const error = await rejection(sweep.map({ a: [1], b: [2] }, { executor, progress: false }));
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).code).toBe("E_INVALID_OPTION");
      expect((error as Error).message).toMatch(/"c", "d"/);
      expect((error as Error).message).toMatch(/runFolder/);
    } finally {
      await executor.close();
    }
  });

  it.each([
    [{ retries: -1 }, /retries/],
    [{ pollMs: 0 }, /pollMs/],
    [{ chunkSize: 1.5 }, /chunkSize/],
    [{ partition: "a b" }, /partition/],
    [{ command: [] }, /command/],
  ])("refuses the option %o", (options, name) => {
    let error: unknown;
    try {
      slurm(options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toMatch(name);
  });
});

describe.runIf(available)("slurm(): on a real cluster", () => {
  const dirs = folders("executor");
  afterAll(() => dirs.cleanUp());

  it("runs a 2-D sweep, a reduction and an unmapped function as inline does", async () => {
    const inputs = { a: [1, 2, 3], b: [4, 5, 6, 7] };
    const inline = await sweep.map(inputs, { progress: false });
    const runFolder = dirs.make();
    const executor = slurm({ chunkSize: 5, pollMs: 200 });
    try {
      const results = await sweep.map(inputs, { executor, runFolder, progress: false });
      expect(results.c!.array.toNested()).toEqual(inline.c!.array.toNested());
      expect(results.d!.array.toNested()).toEqual(inline.d!.array.toNested());
      expect(results.total!.output).toBe(inline.total!.output);
      expect(results.count!.output).toBe(12);
      expect(storedElements(runFolder, "c")).toHaveLength(12);
    } finally {
      await executor.close();
    }
    // Mapped functions went to SLURM: c's elements as one job array of ceil(12 / 5) tasks, d's
    // as its inputs were ready (one job or more); the reduction and count ran here.
    const status = runStatus(runFolder);
    const jobsOf = (name: string) => status.functions.find((f) => f.name === name)!.jobs;
    expect(jobsOf("c")).toEqual([{ job: expect.any(String), tasks: 3, states: { COMPLETED: 3 } }]);
    const d = jobsOf("d")!;
    expect(d.length).toBeGreaterThanOrEqual(1);
    for (const job of d) expect(job.states).toEqual({ COMPLETED: job.tasks });
    expect(jobsOf("total")).toBeUndefined();
    expect(jobsOf("count")).toBeUndefined();
  });

  it("runs an output whose name its job folder encodes with % (sbatch patterns escaped)", async () => {
    const runFolder = dirs.make();
    const executor = slurm({ pollMs: 200 });
    try {
      const results = await accented.map(
        { x: [1, 2, 3] },
        { executor, runFolder, progress: false },
      );
      expect(results.größe!.array.data).toEqual([2, 4, 6]);
    } finally {
      await executor.close();
    }
  });

  it("runs an unmapped function or a reduction that declares resources as a one-task job, the others here", async () => {
    const inputs = { x: [1, 2, 3, 4] };
    const inline = await placed.map(inputs, { progress: false });
    const runFolder = dirs.make();
    const executor = slurm({ pollMs: 200 });
    type Placed = { value: number; pid: number };
    let results: Awaited<ReturnType<typeof placed.map>>;
    try {
      results = await placed.map(inputs, { executor, runFolder, progress: false });
    } finally {
      await executor.close();
    }
    const out = (name: string) => results[name]!.output as Placed;
    for (const name of ["total", "peak", "scaled", "count"]) {
      expect(out(name).value, name).toBe((inline[name]!.output as Placed).value);
    }
    // The pipeline's default memory alone sends neither total nor count away.
    expect(out("total").pid).toBe(process.pid);
    expect(out("count").pid).toBe(process.pid);
    expect(out("peak").pid).not.toBe(process.pid);
    expect(out("scaled").pid).not.toBe(process.pid);
    const status = runStatus(runFolder);
    const jobsOf = (name: string) => status.functions.find((f) => f.name === name)!.jobs;
    expect(jobsOf("total")).toBeUndefined();
    expect(jobsOf("count")).toBeUndefined();
    expect(jobsOf("peak")).toEqual([
      { job: expect.any(String), tasks: 1, states: { COMPLETED: 1 } },
    ]);
    const [scaled] = jobsOf("scaled")!;
    expect(scaled).toEqual({ job: expect.any(String), tasks: 1, states: { COMPLETED: 1 } });
    // Its own resources over the pipeline's: 2 cpus, 200 MB, 3 minutes.
    const fields = showJob(`${scaled!.job}_0`);
    expect(fields["CPUs/Task"]).toBe("2");
    expect(fields.MinMemoryNode).toBe("200M");
    expect(fields.TimeLimit).toBe("00:03:00");
  });

  it("asks sbatch for the cpus, memory and time limit the function's resources give", async () => {
    const runFolder = dirs.make();
    const executor = slurm({ pollMs: 200 });
    try {
      const results = await sized.map({ x: [1, 2] }, { executor, runFolder, progress: false });
      expect(results.y!.array.values()).toEqual([2, 3]);
    } finally {
      await executor.close();
    }
    const [job] = jobIds(runFolder);
    const fields = showJob(`${job}_0`);
    expect(fields["CPUs/Task"]).toBe("2");
    expect(fields.MinMemoryNode).toBe("300M");
    expect(fields.TimeLimit).toBe("00:07:00");
  });

  it("recomputes the elements of an array task cancelled mid-run: every element right and stored once", async () => {
    const runFolder = dirs.make();
    const log = join(dirs.make(), "calls.log");
    const x = [0, 1, 2, 3, 4, 5, 6, 7];
    const executor = slurm({ chunkSize: 2, pollMs: 200 });
    try {
      const mapping = slow.map({ x, log, ms: 4000 }, { executor, runFolder, progress: false });
      await until(() => calls(log).length > 0, 60_000, "a first element");
      // The task of the first element done still has its second one to run, which SLURM's
      // kill (2 s after its SIGTERM on the test cluster) interrupts.
      const first = calls(log)[0]!;
      const [job] = jobIds(runFolder);
      scancel(`${job}_${Math.floor(first / 2)}`);
      const results = await mapping;
      expect(results.y!.array.values()).toEqual(x.map((v) => v * 2));
    } finally {
      await executor.close();
    }
    expect(storedElements(runFolder)).toHaveLength(x.length);
    // Each element ran, the cancelled task's unfinished one twice at most (again elsewhere).
    const ran = counts(log);
    for (const v of x) expect(ran.get(v)).toBeGreaterThanOrEqual(1);
    expect([...ran.values()].filter((n) => n > 1).length).toBeLessThanOrEqual(1);
    expect(jobIds(runFolder).length).toBeGreaterThanOrEqual(2);
  });

  it("fails with an ExecutorError naming the task, SLURM's reason and its log once retries are spent", async () => {
    const runFolder = dirs.make();
    const log = join(dirs.make(), "calls.log");
    const x = [0, 1, 2, 3];
    const executor = slurm({ chunkSize: 2, pollMs: 200, retries: 0 });
    let job = "";
    try {
      const mapping = rejection(
        slow.map({ x, log, ms: 4000 }, { executor, runFolder, progress: false }),
      );
      await until(() => calls(log).length > 0, 60_000, "a first element");
      job = jobIds(runFolder)[0]!;
      const task = Math.floor(calls(log)[0]! / 2);
      scancel(`${job}_${task}`);
      const error = (await mapping) as ExecutorError;
      expect(error).toBeInstanceOf(ExecutorError);
      expect(error.code).toBe("E_EXECUTOR");
      expect(error.job).toBe(`${job}_${task}`);
      expect(error.reason).toMatch(/^CANCELLED/);
      expect(error.message).toContain(`job ${job}, array index ${task}`);
      expect(error.message).toMatch(/CANCELLED/);
      expect(error.log).toMatch(/CANCELLED/);
      expect(error.message).toContain(error.log!);
    } finally {
      await executor.close();
    }
    // The map stopped: the other task was cancelled with it.
    expect(liveTasks([job]).size).toBe(0);
  });

  it("cancels the run's jobs when the map is aborted, and leaves a folder that resume finishes", async () => {
    const runFolder = dirs.make();
    const log = join(dirs.make(), "calls.log");
    const x = [0, 1, 2, 3, 4, 5];
    const executor = slurm({ chunkSize: 3, pollMs: 200 });
    try {
      const stop = new AbortController();
      const mapping = rejection(
        slow.map(
          { x, log, ms: 1000 },
          { executor, runFolder, signal: stop.signal, progress: false },
        ),
      );
      await until(() => calls(log).length > 0, 60_000, "a first element");
      stop.abort(new Error("enough"));
      expect(await mapping).toBeInstanceOf(AbortError);
      expect(liveTasks(jobIds(runFolder)).size).toBe(0);
      const results = await slow.map(
        { x, log, ms: 1000 },
        { executor, runFolder, resume: true, progress: false },
      );
      expect(results.y!.array.values()).toEqual(x.map((v) => v * 2));
    } finally {
      await executor.close();
    }
  });

  it("fails when the array tasks hold another definition of the pipeline, naming both hashes", async () => {
    const runFolder = dirs.make();
    const executor = slurm({
      pollMs: 200,
      command: ["env", "PIPEWEAVE_TEST_SKEW=2", process.execPath, "--import", TSX, MAIN],
    });
    try {
      const error = (await rejection(
        skewed.map({ x: [1, 2, 3] }, { executor, runFolder, progress: false }),
      )) as ExecutorError;
      expect(error).toBeInstanceOf(ExecutorError);
      expect(error.hashes?.coordinator).toMatch(/^[0-9a-f]{16}$/);
      expect(error.hashes?.worker).toMatch(/^[0-9a-f]{16}$/);
      expect(error.hashes?.coordinator).not.toBe(error.hashes?.worker);
      expect(error.message).toContain("definition hash");
      expect(error.message).toContain(error.hashes!.worker);
    } finally {
      await executor.close();
    }
  });
});
