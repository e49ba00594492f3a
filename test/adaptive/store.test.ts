import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  loadAdaptive,
  RunFolderExistsError,
  RunFolderMismatchError,
  RunFolderNotEmptyError,
  RunFolderNotFoundError,
} from "../../src/index.ts";
import { tempFolders } from "../temp-folders.ts";
import { peak } from "./fixtures/adaptive-pipelines.ts";

const run = promisify(execFile);
const child = join(import.meta.dirname, "fixtures", "adaptive-child.ts");
const scratch = tempFolders("pipeweave-adaptive-");

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

const calls = (log: string) =>
  existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).map(Number) : [];

describe("adaptive run folders", () => {
  it("stores every point, resumes to a new goal and loads in another reader", async () => {
    const runFolder = join(scratch(), "run");
    const options = { dimensions: { x: [-1, 1] as const }, output: "y", inputs: { a: 0.1 } };
    const first = await peak.adaptive({ ...options, goal: { points: 25 }, runFolder });
    const loaded = await loadAdaptive({ runFolder });
    expect(loaded.points).toEqual(first.points);
    expect(loaded.loss()).toBe(first.loss());
    const more = await peak.adaptive({ ...options, goal: { points: 40 }, runFolder, resume: true });
    expect(more.points).toHaveLength(40);
    expect(more.points.slice(0, 25)).toEqual(first.points);
    // Resuming continues the same learner: the same points as one run to 40.
    const straight = await peak.adaptive({ ...options, goal: { points: 40 } });
    expect(more.points.map((p) => p.inputs.x)).toEqual(straight.points.map((p) => p.inputs.x));
  });

  it("refuses a folder holding a sweep without resume, other settings, and foreign files", async () => {
    const runFolder = join(scratch(), "run");
    const options = {
      dimensions: { x: [-1, 1] as const },
      output: "y",
      goal: { points: 5 },
      runFolder,
    };
    await peak.adaptive(options);
    expect(await rejection(peak.adaptive(options))).toBeInstanceOf(RunFolderExistsError);
    const mismatch = await rejection(
      peak.adaptive({ ...options, dimensions: { x: [0, 1] }, resume: true }),
    );
    expect(mismatch).toBeInstanceOf(RunFolderMismatchError);
    expect((mismatch as RunFolderMismatchError).differences[0]).toContain("dimensions");
    const overwritten = await peak.adaptive({
      ...options,
      dimensions: { x: [0, 1] },
      overwrite: true,
    });
    expect(overwritten.bounds).toEqual([[0, 1]]);
    const foreign = join(scratch(), "mine");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "notes.txt"), "keep");
    const notEmpty = await rejection(peak.adaptive({ ...options, runFolder: foreign }));
    expect(notEmpty).toBeInstanceOf(RunFolderNotEmptyError);
    expect(await rejection(loadAdaptive({ runFolder: foreign }))).toBeInstanceOf(
      RunFolderNotFoundError,
    );
  });

  it("loses at most the points in flight when the process is killed, and resumes", async () => {
    const dir = scratch();
    const runFolder = join(dir, "run");
    const log = join(dir, "calls.log");
    const proc = spawn(process.execPath, ["--import", "tsx", child, runFolder, log], {
      stdio: "ignore",
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (calls(log).length >= 12) {
          clearInterval(timer);
          proc.kill("SIGKILL");
          resolve();
        }
      }, 5);
      proc.on("exit", (code) => {
        clearInterval(timer);
        if (code === 0) reject(new Error("the child finished before it was killed"));
        resolve();
      });
    });
    await new Promise((r) => proc.once("close", r));
    expect(proc.signalCode).toBe("SIGKILL");
    const evaluated = calls(log);
    const stored = (await loadAdaptive({ runFolder })).points.map((p) => p.inputs.x as number);
    // Every point whose evaluation finished is stored, but for the 2 in flight at the kill.
    expect(stored.length).toBeGreaterThanOrEqual(evaluated.length - 2);
    expect(stored.length).toBeLessThan(60);
    const { stdout } = await run(process.execPath, [
      "--import",
      "tsx",
      child,
      runFolder,
      log,
      "resume",
    ]);
    expect(stdout.trim()).toBe("done 60");
    const again = calls(log).slice(evaluated.length);
    expect(again.filter((x) => stored.includes(x))).toEqual([]);
    expect((await loadAdaptive({ runFolder })).points).toHaveLength(60);
  }, 60_000);
});
