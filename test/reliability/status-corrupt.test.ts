/**
 * `runStatus`, `listRuns` and the CLI's `status` and `runs` never report a run folder as
 * something it is not: a corrupt run.json is corrupt (load and resume refuse it), whatever
 * status.json says, and a path that is a file is not a run folder.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  listRuns,
  loadOutputs,
  Pipeline,
  pipefunc,
  RunFolderCorruptError,
  RunFolderNotFoundError,
  runStatus,
} from "../../src/index.ts";
import { cli, show } from "../cli/cli.ts";

let dir = "";
let good = "";
let corrupt = "";
let file = "";
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pipeweave-status-corrupt-"));
  const pipeline = new Pipeline([
    pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x + 1),
  ]);
  good = join(dir, "runs", "good");
  corrupt = join(dir, "runs", "corrupt");
  for (const folder of [good, corrupt]) {
    await pipeline.map({ x: [1, 2, 3] }, { runFolder: folder, progress: false });
  }
  // Its status.json still says done.
  writeFileSync(join(corrupt, "run.json"), '{ "format": 1, "pipeline": ');
  file = join(dir, "notes.txt");
  writeFileSync(file, "not a run folder");
  mkdirSync(join(dir, "empty"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("a run folder whose run.json is corrupt", () => {
  it("runStatus throws RunFolderCorruptError naming run.json, as loading does", async () => {
    const error = thrown(() => runStatus(corrupt));
    expect(error).toBeInstanceOf(RunFolderCorruptError);
    const e = error as RunFolderCorruptError;
    expect(e.code).toBe("E_RUN_FOLDER_CORRUPT");
    expect(e.file).toBe(join(corrupt, "run.json"));
    expect(e.message).toContain(`"${corrupt}"`);
    expect(e.message).toContain("not valid JSON");
    await expect(loadOutputs("y", { runFolder: corrupt })).rejects.toThrow(RunFolderCorruptError);
  });

  it("listRuns lists it as corrupt, with the reason, beside the good one", () => {
    const runs = listRuns(dir);
    const states = Object.fromEntries(runs.map((r) => [r.runFolder, r.state]));
    expect(states).toEqual({ [good]: "done", [corrupt]: "corrupt" });
    const broken = runs.find((r) => r.runFolder === corrupt)!;
    expect(broken.error).toContain("run.json");
    expect(broken.error).toContain("not valid JSON");
  });

  it("pipeweave status exits 1 naming the corrupt run.json; pipeweave runs says corrupt", async () => {
    const status = await cli(["status", corrupt]);
    expect(status.code, show(status)).toBe(1);
    expect(status.stderr).toContain(join(corrupt, "run.json"));
    expect(status.stderr).toContain("corrupt file");
    expect(status.stdout).not.toMatch(/done/);
    const runs = await cli(["runs", join(dir, "runs")]);
    expect(runs.code, show(runs)).toBe(0);
    expect(runs.stdout).toMatch(/corrupt\s+corrupt\s+-/);
    expect(runs.stdout).toMatch(/good\s+\S*\s+done/);
  });
});

describe("a path that is no run folder", () => {
  it("runStatus says it is a file, or does not exist, never ENOTDIR", () => {
    const error = thrown(() => runStatus(file));
    expect(error).toBeInstanceOf(RunFolderNotFoundError);
    expect((error as Error).message).toBe(
      `"${file}" is not a run folder: it is a file. Pass the folder map wrote (its runFolder ` +
        "option, or pipeweave map --run-folder), which holds run.json and status.json.",
    );
    expect(() => runStatus(join(dir, "missing"))).toThrow(
      `"${join(dir, "missing")}" is not a run folder: it does not exist.`,
    );
    expect(() => runStatus(join(dir, "empty"))).toThrow("it has no run.json");
  });

  it("pipeweave status <file> exits 1 with that message", async () => {
    const result = await cli(["status", file]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toContain(`error: "${file}" is not a run folder: it is a file.`);
    expect(result.stderr).not.toContain("ENOTDIR");
  });
});
