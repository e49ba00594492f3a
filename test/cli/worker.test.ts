/**
 * `pipeweave worker`: takes the chunks a coordinator's redis() executor queues, and stops
 * cleanly on SIGTERM. Needs Redis (skipped with a notice without one, except under CI=true).
 */
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { redis } from "../../src/redis/index.ts";
import { sweep } from "../redis/fixtures/pipelines.mjs";
import { testBed, until } from "../redis/workers.ts";
import { redisAvailable, redisUrl } from "../redis-available.ts";
import { startCli } from "./cli.ts";

const available = await redisAvailable("the pipeweave worker tests");
// The pipelines the redis tests share: plain JavaScript, so the worker (tsx) and this process
// (vitest) see the same function source and the same definition hash.
const REDIS_FIXTURES = fileURLToPath(new URL("../redis/fixtures/", import.meta.url));

describe.runIf(available)("pipeweave worker", () => {
  const bed = testBed("cli");
  afterAll(() => bed.cleanUp(), 30_000);

  it("runs a coordinator's chunks until SIGTERM, then reports what it ran and exits 0", async () => {
    const queue = bed.queue("worker");
    const worker = startCli(
      [
        "worker",
        "pipelines.mjs#sweep",
        "--redis",
        redisUrl,
        "--queue",
        queue,
        "--concurrency",
        "2",
        "--cpus",
        "3",
        "--memory",
        "1.5GB",
      ],
      { cwd: REDIS_FIXTURES },
    );
    let stdout = "";
    let stderr = "";
    worker.stdout?.on("data", (d: Buffer) => {
      stdout += String(d);
    });
    worker.stderr?.on("data", (d: Buffer) => {
      stderr += String(d);
    });
    const exited = new Promise<number | null>((resolve) => worker.once("close", resolve));
    try {
      await until(
        () => /takes chunks of pipeline "redis-sweep"/.test(stdout) || worker.exitCode !== null,
      );
      expect(stdout, stderr).toMatch(
        new RegExp(
          `^Worker .* pid ${worker.pid} takes chunks of pipeline "redis-sweep" \\(definition [0-9a-f]{16}\\) from queue "${queue}", offering 3 cpus and 1536 MB of memory\\.$`,
          "m",
        ),
      );
      const executor = redis({ connection: redisUrl, queue, chunkSize: 3 });
      const x = Array.from({ length: 10 }, (_, i) => i * 7);
      try {
        const inline = await sweep.map({ x, factor: 3 }, { progress: false });
        const remote = await sweep.map({ x, factor: 3 }, { executor, progress: false });
        expect(remote.y!.array.toNested()).toEqual(inline.y!.array.toNested());
        expect(remote.total!.output).toBe(inline.total!.output);
      } finally {
        await executor.close();
      }
    } finally {
      worker.kill("SIGTERM");
    }
    expect(await exited, stderr).toBe(0);
    // 4 chunks of y (3 + 3 + 3 + 1 elements) and the reduction's 1.
    expect(stdout).toMatch(/^Stopped after 5 chunks \(11 elements\)\.$/m);
    expect(stderr).toMatch(/SIGTERM: finishing the jobs in progress, then stopping/);
  });
});
