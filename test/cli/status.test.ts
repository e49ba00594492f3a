/**
 * `pipeweave status` and `runs` on run folders that `map` wrote from a `.ts` and a `.js` module;
 * colours only where they may be.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANSI, cli, show } from "./cli.ts";

const scratch = mkdtempSync(join(tmpdir(), "pipeweave-cli-status-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const INPUTS = "sweep-inputs.json";

describe("pipeweave status and runs", () => {
  const first = join(scratch, "runs", "first");
  const second = join(scratch, "runs", "second");

  beforeAll(async () => {
    const mapped = await cli([
      "map",
      "pipelines.ts#sweep",
      "--inputs",
      INPUTS,
      "--run-folder",
      first,
    ]);
    expect(mapped.code, show(mapped)).toBe(0);
    // A second run, started later: `runs` lists it first.
    const again = await cli([
      "map",
      "./squares.js#squares",
      "--inputs",
      INPUTS,
      "--run-folder",
      second,
    ]);
    expect(again.code, show(again)).toBe(0);
  }, 60_000);

  it("status --json prints the run's status", async () => {
    const result = await cli(["status", first, "--json"]);
    expect(result.code, show(result)).toBe(0);
    const status = JSON.parse(result.stdout);
    expect(status).toMatchObject({ runFolder: first, pipeline: "sweep", state: "done" });
    expect(
      status.functions.map((f: { name: string; done: number; total: number }) => [
        f.name,
        f.done,
        f.total,
      ]),
    ).toEqual([
      ["y", 4, 4],
      ["total", 1, 1],
    ]);
  });

  it("status prints a table: state, each function's counts, the process", async () => {
    const result = await cli(["status", first]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toMatch(/^Run\s+.*first/m);
    expect(result.stdout).toMatch(/^Pipeline\s+sweep/m);
    expect(result.stdout).toMatch(/^State\s+done/m);
    expect(result.stdout).toMatch(/^Process\s+\d+@\S+/m);
    expect(result.stdout).toMatch(/^function\s+state\s+done\s+failed\s+skipped\s+total\s+elapsed/m);
    expect(result.stdout).toMatch(/^y\s+done\s+4\s+0\s+0\s+4\s+\S+/m);
    expect(result.stdout).toMatch(/^total\s+done\s+1\s+0\s+0\s+1\s+\S+/m);
    expect(result.stdout).not.toMatch(ANSI);
  });

  it("status of a folder that is not a run folder is exit 1", async () => {
    const result = await cli(["status", scratch]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toMatch(/not a run folder/);
  });

  it("runs lists every run under DIR, newest first, one line each", async () => {
    const result = await cli(["runs", "runs"], { cwd: scratch });
    expect(result.code, show(result)).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^folder\s+pipeline\s+state\s+progress\s+age$/);
    expect(lines[1]).toMatch(/^runs\/second\s+squares\s+done\s+4\/4\s+\S/);
    expect(lines[2]).toMatch(/^runs\/first\s+sweep\s+done\s+5\/5\s+\S/);
    expect(lines).toHaveLength(3);
  });

  it("runs defaults to the current folder, and --json prints the statuses", async () => {
    const result = await cli(["runs", "--json"], { cwd: scratch });
    expect(result.code, show(result)).toBe(0);
    const runs = JSON.parse(result.stdout) as { runFolder: string; state: string }[];
    expect(runs.map((r) => [r.runFolder, r.state])).toEqual([
      [second, "done"],
      [first, "done"],
    ]);
  });

  it("runs --depth bounds how deep it looks", async () => {
    const shallow = await cli(["runs", scratch, "--depth", "1"]);
    expect(shallow.code, show(shallow)).toBe(0);
    expect(shallow.stdout).toMatch(/No run folders under/);
    const deep = await cli(["runs", scratch, "--depth", "2", "--json"]);
    expect(JSON.parse(deep.stdout)).toHaveLength(2);
  });

  it("runs in a folder without runs says so and exits 0", async () => {
    const empty = mkdtempSync(join(scratch, "empty-"));
    const result = await cli(["runs", empty]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toMatch(/No run folders under/);
  });

  it.each([
    ["FORCE_COLOR=1", { FORCE_COLOR: "1" }, true],
    ["NO_COLOR=1 (over FORCE_COLOR)", { FORCE_COLOR: "1", NO_COLOR: "1" }, false],
    ["a pipe, no switches", {}, false],
  ])("status with %s: colours %s", async (_, env, coloured) => {
    const result = await cli(["status", first], { env });
    expect(result.code, show(result)).toBe(0);
    expect(ANSI.test(result.stdout)).toBe(coloured);
  });
});

describe("pipeweave status of a run on worker processes", () => {
  // What a map on Redis workers leaves in status.json (test/redis/status.test.ts makes one).
  const folder = join(scratch, "remote");
  const status = {
    format: 1,
    runFolder: folder,
    pipeline: "grid",
    state: "done",
    pid: 4242,
    host: "coordinator",
    startedAt: "2025-01-01T00:00:00.000Z",
    updatedAt: "2025-01-01T00:00:03.000Z",
    elapsedMs: 3000,
    etaMs: null,
    functions: [
      { name: "y", outputs: ["y"], state: "done", done: 9, failed: 0, total: 9, elapsedMs: 2900 },
    ],
    workers: [
      { host: "node-a", pid: 101, elements: 8 },
      { host: "node-b", pid: 202, elements: 1 },
    ],
  };
  beforeAll(() => {
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "status.json"), JSON.stringify(status));
  });

  it("lists the workers that took part, each with its elements", async () => {
    const result = await cli(["status", folder]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toMatch(
      /^Workers\s+node-a:101 \(8 elements\), node-b:202 \(1 element\)$/m,
    );
    expect(result.stdout).toMatch(/^Process\s+4242@coordinator$/m);
  });

  it("status --json includes them", async () => {
    const result = await cli(["status", folder, "--json"]);
    expect(result.code, show(result)).toBe(0);
    expect(JSON.parse(result.stdout).workers).toEqual(status.workers);
  });

  it("a run without workers has no Workers line", async () => {
    const local = join(scratch, "local");
    mkdirSync(local, { recursive: true });
    const { workers: _, ...rest } = status;
    writeFileSync(join(local, "status.json"), JSON.stringify({ ...rest, runFolder: local }));
    const result = await cli(["status", local]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).not.toMatch(/^Workers/m);
  });

  it("a status.json whose workers are malformed is a corrupt run folder naming them", async () => {
    const bad = join(scratch, "bad-workers");
    mkdirSync(bad, { recursive: true });
    writeFileSync(
      join(bad, "status.json"),
      JSON.stringify({ ...status, runFolder: bad, workers: [{ host: "x" }] }),
    );
    const result = await cli(["status", bad]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toMatch(/status\.json/);
    expect(result.stderr).toMatch(/workers\[0\] is not a worker/);
  });

  it("status lists the latest failed elements with their index", async () => {
    const folder = join(scratch, "failed-elements");
    const mapped = await cli([
      "map",
      "pipelines.ts#failing",
      "--inputs",
      INPUTS,
      "--run-folder",
      folder,
      "--errors",
      "continue",
    ]);
    expect(mapped.code, show(mapped)).toBe(0);
    const result = await cli(["status", folder]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toMatch(/^State\s+done, 1 failed$/m);
    expect(result.stdout).toMatch(/^Failed elements:\n {2}y\[2\] x must not be 3$/m);
    const json = JSON.parse((await cli(["status", folder, "--json"])).stdout);
    expect(json.failedElements).toBe(1);
    expect(json.errors).toEqual([
      { name: "y", index: [2], message: "x must not be 3", at: expect.any(String) },
    ]);
  });
});
