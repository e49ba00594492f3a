import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, expect, it } from "vitest";

const run = promisify(execFile);
let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs a module that declares what its workers need and runs it on threads at its own top
 * level. Each worker imports the module once to find the declaration; none runs it again.
 */
it.each([
  ["a sweep", "map/fixtures/same-file-map.ts", "[1,4,9,16]"],
  ["a stream", "stream/fixtures/same-file-stream.ts", "[3,6,9,12]"],
])(
  "runs %s on threads declared in the same module, without recursing",
  async (_, file, expected) => {
    dir = mkdtempSync(join(tmpdir(), "pipeweave-same-file-"));
    const log = join(dir, "evaluations.log");
    const { stdout } = await run(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "..", file)],
      { env: { ...process.env, PIPEWEAVE_EVAL_LOG: log }, timeout: 60_000, killSignal: "SIGKILL" },
    );
    expect(stdout.trim()).toBe(expected);
    const evaluations = readFileSync(log, "utf8").trim().split("\n");
    expect(evaluations.filter((e) => e === "main")).toHaveLength(1);
    // One import per worker thread (two here), never a worker started by a worker.
    const workers = evaluations.filter((e) => e === "worker").length;
    expect(workers).toBeGreaterThanOrEqual(1);
    expect(workers).toBeLessThanOrEqual(2);
  },
  90_000,
);
