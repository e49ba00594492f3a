/**
 * `pipeweave map --storage memory|file|zarr` and `--executor redis --redis URL --queue NAME`:
 * results where the flags say, a sweep run by a real `pipeweave worker`, and bad values
 * refused with the usage (exit 2) before anything runs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadOutputs, type NdArray } from "../../src/index.ts";
import { testBed } from "../redis/workers.ts";
import { redisAvailable, redisUrl } from "../redis-available.ts";
import { cli, cliInProcess, show, startCli, until } from "./cli.ts";

const bed = testBed("cli-map");
afterAll(() => bed.cleanUp(), 30_000);

const SWEEP = ["map", "pipelines.ts#sweep", "--inputs", "sweep-inputs.json"];

describe("pipeweave map --storage", () => {
  it("memory runs without a run folder and prints the leaf outputs as JSON on stdout", async () => {
    const result = await cli([...SWEEP, "--storage", "memory"]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toBe('{"total":20}\n');
    // The summary lines go to stderr, so stdout holds only the results.
    expect(result.stderr).toMatch(/^y\s+4\/4 done\s+0 failed/m);
  });

  it("zarr writes the mapped outputs as Zarr arrays in the run folder", async () => {
    const folder = join(bed.folder(), "zarr");
    const result = await cli([...SWEEP, "--storage", "zarr", "--run-folder", folder]);
    expect(result.code, show(result)).toBe(0);
    const record = JSON.parse(readFileSync(join(folder, "run.json"), "utf8"));
    expect(record.outputs.y.storage).toBe("zarr");
    expect(
      JSON.parse(readFileSync(join(folder, "outputs", "y", "zarr.json"), "utf8")),
    ).toMatchObject({
      zarr_format: 3,
    });
    expect(((await loadOutputs("y", { runFolder: folder })) as NdArray<number>).data).toEqual([
      2, 4, 6, 8,
    ]);
  });
});

describe("bad values and combinations exit 2 naming the flag", () => {
  it.each([
    [
      "an unknown storage",
      ["--storage", "disk"],
      /option '--storage <kind>' argument 'disk' is invalid\. Allowed choices are memory, file, zarr\./,
    ],
    [
      "an unknown executor",
      ["--executor", "gpu"],
      /option '--executor <executor>' argument 'gpu' is invalid\. Allowed choices are inline, threads, redis, slurm\./,
    ],
    [
      "a queue with a colon",
      ["--queue", "a:b"],
      /Expected --queue to be a non-empty name without ":", got "a:b"/,
    ],
    [
      "--redis with threads",
      ["--executor", "threads", "--redis", "redis://127.0.0.1"],
      /--redis needs --executor redis \(got --executor threads\)/,
    ],
    [
      "--queue with inline",
      ["--executor", "inline", "--queue", "q"],
      /--queue needs --executor redis \(got --executor inline\)/,
    ],
    [
      "a Redis URL of another scheme",
      ["--redis", "http://user:secret@host"],
      /Expected --redis to be a Redis URL .*its scheme is http:\/\//,
    ],
    [
      "a chunk size that is not a positive integer",
      ["--executor", "threads", "--chunk-size", "0"],
      /Expected --chunk-size to be an integer from 1 and up, got "0"/,
    ],
    [
      "a chunk size with inline",
      ["--chunk-size", "4"],
      /--chunk-size needs --executor threads, redis or slurm/,
    ],
  ] as const)("%s", async (_, args, message) => {
    const result = await cliInProcess([...SWEEP, "--run-folder", "unused", ...args]);
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/Usage: pipeweave map/);
    expect(result.stderr).not.toMatch(/secret/);
  });
});

const available = await redisAvailable("the pipeweave map --executor redis test");

describe.runIf(available)("pipeweave map --executor redis", () => {
  it("sends the chunks to a pipeweave worker on the queue and stores what it returns", async () => {
    const queue = bed.queue("map");
    const folder = join(bed.folder(), "redis");
    const worker = startCli([
      "worker",
      "pipelines.ts#sweep",
      "--redis",
      redisUrl,
      "--queue",
      queue,
    ]);
    let stdout = "";
    worker.stdout?.on("data", (d: Buffer) => {
      stdout += String(d);
    });
    const exited = new Promise<number | null>((resolve) => worker.once("close", resolve));
    try {
      await until(() => /takes chunks/.test(stdout) || worker.exitCode !== null, "the worker");
      const result = await cli([
        ...SWEEP,
        "--run-folder",
        folder,
        "--redis",
        redisUrl,
        "--queue",
        queue,
        "--chunk-size",
        "2",
      ]);
      expect(result.code, show(result)).toBe(0);
      expect(((await loadOutputs("y", { runFolder: folder })) as NdArray<number>).data).toEqual([
        2, 4, 6, 8,
      ]);
      expect(await loadOutputs("total", { runFolder: folder })).toBe(20);
    } finally {
      worker.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    // y's 4 elements ran on the worker in chunks of 2 (total, without mapspec, runs here).
    expect(stdout).toMatch(/^Stopped after 2 chunks \(4 elements\)\.$/m);
  });
});
