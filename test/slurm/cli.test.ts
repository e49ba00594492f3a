/**
 * `pipeweave map --executor slurm [--partition P]` on the local cluster, and `pipeweave
 * status` listing the run's SLURM jobs.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { cli, show } from "../cli/cli.ts";
import { slurmAvailable } from "../slurm-available.ts";
import { folders, jobIds, showJob } from "./helpers.ts";

const available = slurmAvailable("the SLURM CLI tests");
const PIPELINES = fileURLToPath(new URL("./fixtures/pipelines.mjs", import.meta.url));

describe("pipeweave map --executor slurm: arguments", () => {
  it("needs --run-folder, and --partition needs --executor slurm", async () => {
    const memory = await cli([
      "map",
      `${PIPELINES}#sweep`,
      "--storage",
      "memory",
      "--executor",
      "slurm",
    ]);
    expect(memory.code, show(memory)).toBe(2);
    expect(memory.stderr).toContain("--executor slurm needs --run-folder");
    const threads = await cli([
      "map",
      `${PIPELINES}#sweep`,
      "--run-folder",
      "nowhere",
      "--executor",
      "threads",
      "--partition",
      "debug",
    ]);
    expect(threads.code, show(threads)).toBe(2);
    expect(threads.stderr).toContain("--partition needs --executor slurm");
  });
});

describe.runIf(available)("pipeweave map --executor slurm on the local cluster", () => {
  const dirs = folders("cli");
  afterAll(() => dirs.cleanUp());

  it("runs the sweep as job arrays in the partition given; status lists each function's jobs", async () => {
    const partition = execFileSync("sinfo", ["-h", "-o", "%R"], { encoding: "utf8" }).split(
      "\n",
    )[0]!;
    const work = dirs.make();
    const runFolder = join(work, "run");
    const inputs = join(work, "inputs.json");
    writeFileSync(inputs, JSON.stringify({ a: [1, 2], b: [3, 4, 5] }));
    const mapped = await cli(
      [
        "map",
        `${PIPELINES}#sweep`,
        "--inputs",
        inputs,
        "--run-folder",
        runFolder,
        "--partition",
        partition,
        "--chunk-size",
        "3",
      ],
      { timeoutMs: 120_000 },
    );
    expect(mapped.code, show(mapped)).toBe(0);
    const total = await cli(["load", runFolder, "total"]);
    expect(JSON.parse(total.stdout)).toBe(2 * (3 * (1 + 2) + 2 * 10 * (3 + 4 + 5)));
    const [first] = jobIds(runFolder);
    expect(showJob(`${first}_0`).Partition).toBe(partition);
    const status = await cli(["status", runFolder]);
    expect(status.code, show(status)).toBe(0);
    expect(status.stdout).toContain("SLURM jobs:");
    // Chunks that are ready together go out as one array job: c's 6 elements at chunk 3 are
    // 2 tasks of one job; d's go out as c's results arrive (a task reports as it goes), in
    // one job or several, chunks of at most 3.
    let tasks = 0;
    for (const id of jobIds(runFolder)) {
      const line = new RegExp(`job ${id}: (\\d+) tasks?, \\1 COMPLETED`).exec(status.stdout);
      expect(line, status.stdout).not.toBeNull();
      tasks += Number(line![1]);
    }
    expect(tasks).toBeGreaterThanOrEqual(4);
  }, 180_000);
});
