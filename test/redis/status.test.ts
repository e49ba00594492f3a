/**
 * The run status of a map on Redis workers: per-function progress counts the elements the
 * workers computed, and status.json lists the workers that took part. Needs Redis (skipped
 * with a notice without one, except under CI=true).
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runStatus } from "../../src/index.ts";
import { redis } from "../../src/redis/index.ts";
import { redisAvailable, redisUrl } from "../redis-available.ts";
import { slow } from "./fixtures/pipelines.mjs";
import { calls, testBed } from "./workers.ts";

const available = await redisAvailable("the redis run status tests");

describe.runIf(available)("redis executor: the run status", () => {
  const bed = testBed("status");
  afterAll(() => bed.cleanUp(), 30_000);

  it("counts the workers' elements per function and lists each worker with its elements", async () => {
    const queue = bed.queue("status");
    const log = join(bed.folder(), "calls.log");
    const runFolder = join(bed.folder(), "run");
    const [a, b] = await Promise.all([bed.worker("slow", queue), bed.worker("slow", queue)]);
    const executor = redis({ connection: redisUrl, queue, chunkSize: 1 });
    const n = 12;
    try {
      // Elements of 40 ms, one per job: while one worker runs a job, the other takes the next.
      await slow.map(
        { x: Array.from({ length: n }, (_, i) => i), log, ms: 40 },
        { executor, runFolder, progress: false },
      );
    } finally {
      await executor.close();
    }
    const status = runStatus(runFolder);
    expect(status.state).toBe("done");
    expect(status.functions.map((f) => [f.name, f.done, f.failed, f.total])).toEqual([
      ["y", n, 0, n],
    ]);
    // Each worker with the elements it computed (the call log says which, one call each).
    const byPid = new Map<number, number>();
    for (const [pid] of calls(log)) byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
    const workers = [...(status.workers ?? [])].sort((p, q) => p.pid - q.pid);
    expect(workers).toEqual(
      [a!.pid, b!.pid]
        .sort((p, q) => p - q)
        .map((pid) => ({ host: hostname(), pid, elements: byPid.get(pid) })),
    );
    expect(workers.reduce((sum, w) => sum + w.elements, 0)).toBe(n);
  }, 60_000);

  it("lists no workers for a map that ran in this process", async () => {
    const runFolder = join(bed.folder(), "run");
    await slow.map(
      { x: [1, 2], log: join(bed.folder(), "calls.log"), ms: 0 },
      { runFolder, progress: false },
    );
    expect(runStatus(runFolder).workers).toBeUndefined();
  });
});
