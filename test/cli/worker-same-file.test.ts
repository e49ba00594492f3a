/**
 * `pipeweave worker` on a module that maps its own pipeline at its top level (the same-file
 * pattern of worker threads): the worker takes the declared pipeline and never starts that
 * map. Needs Redis (skipped with a notice without one, except under CI=true).
 */
import { type ChildProcess, execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { testBed, until } from "../redis/workers.ts";
import { redisAvailable, redisUrl } from "../redis-available.ts";
import { CLI_MS, cli, FIXTURES, show, startCli } from "./cli.ts";

const available = await redisAvailable("the same-file pipeweave worker tests");
const MODULE = "redis-same-file.ts";

/** The lines of the evaluation log, as [what, pid]. */
function evaluations(log: string): [string, number][] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const at = line.lastIndexOf(" ");
      return [line.slice(0, at), Number(line.slice(at + 1))];
    });
}

/** Collects a child's output. */
function collect(child: ChildProcess) {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += String(d);
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  return { stdout: () => stdout, stderr: () => stderr, exited };
}

describe.runIf(available)("pipeweave worker on a module that runs its own map", () => {
  const bed = testBed("same-file");
  afterAll(() => bed.cleanUp(), 30_000);

  it("serves the declared pipeline to the coordinator running the same file, without mapping itself", async () => {
    const queue = bed.queue("same-file");
    const log = join(bed.folder(), "evaluations.log");
    const env = { PIPEWEAVE_QUEUE: queue, PIPEWEAVE_EVAL_LOG: log, REDIS_URL: redisUrl };
    const worker = startCli(["worker", `${MODULE}#grid`, "--redis", redisUrl, "--queue", queue], {
      env,
    });
    const out = collect(worker);
    try {
      await until(() => /takes chunks of pipeline/.test(out.stdout()) || worker.exitCode !== null);
      expect(out.stdout(), out.stderr()).toMatch(
        /takes chunks of pipeline "same-file-grid" \(definition [0-9a-f]{16}\)/,
      );
      const coordinator = await new Promise<{ code: number; stdout: string; stderr: string }>(
        (resolve) => {
          execFile(
            process.execPath,
            ["--import", "tsx", join(FIXTURES, MODULE)],
            { env: { ...process.env, ...env }, timeout: CLI_MS, killSignal: "SIGKILL" },
            (error, stdout, stderr) =>
              resolve({
                code: error ? (typeof error.code === "number" ? error.code : -1) : 0,
                stdout: String(stdout),
                stderr: String(stderr),
              }),
          );
        },
      );
      expect(coordinator.code, coordinator.stderr + out.stdout() + out.stderr()).toBe(0);
      expect(JSON.parse(coordinator.stdout)).toEqual({ y: [1, 4, 9, 16, 25], total: 55 });
    } finally {
      worker.kill("SIGTERM");
    }
    expect(await out.exited, out.stderr()).toBe(0);
    // The worker ran the elements: 3 chunks of y (2 + 2 + 1); total, called once, runs in the
    // coordinator.
    expect(out.stdout()).toMatch(/^Stopped after 3 chunks \(5 elements\)\.$/m);
    const lines = evaluations(log);
    // The module was evaluated once in each process; only the coordinator mapped.
    const evaluated = lines.filter(([what]) => what === "evaluated").map(([, pid]) => pid);
    expect(evaluated).toHaveLength(2);
    expect(evaluated).toContain(worker.pid);
    expect(lines.filter(([what, pid]) => what.startsWith("map") && pid === worker.pid)).toEqual([]);
    expect(lines.filter(([what]) => what.startsWith("map")).length).toBeGreaterThan(0);
  }, 60_000);

  it("names the export and the declared names when the module maps before declaring it under that name", async () => {
    const queue = bed.queue("same-file-renamed");
    const result = await cli(["worker", `${MODULE}#grid`, "--redis", redisUrl, "--queue", queue], {
      env: { PIPEWEAVE_QUEUE: queue, PIPEWEAVE_DECLARED_NAME: "squares", REDIS_URL: redisUrl },
    });
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toMatch(/Module "redis-same-file\.ts" runs a pipeline at its top level/);
    expect(result.stderr).toMatch(/"grid"/);
    expect(result.stderr).toMatch(/"squares"/);
    expect(result.stderr).toMatch(/definePipeline\(import\.meta\.url, "grid"/);
  });
});
