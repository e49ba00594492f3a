import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AbortError, ExecutorError } from "../../src/index.ts";
import { redis } from "../../src/redis/index.ts";
import { redisAvailable, redisUrl } from "../redis-available.ts";
import { slow } from "./fixtures/pipelines.mjs";
import { redisProxy } from "./proxy.ts";
import { calls, testBed, until } from "./workers.ts";

const available = await redisAvailable("the redis executor interruption tests");

/** The element files of output `y` in a run folder: one per stored element. */
const storedElements = (runFolder: string) =>
  readdirSync(join(runFolder, "outputs", "y")).filter((f) => f.endsWith(".v8"));

describe.runIf(available)("redis executor: Redis lost, maps aborted, workers stopped", () => {
  const bed = testBed("interruptions");

  afterAll(() => bed.cleanUp(), 30_000);

  it("fails with an ExecutorError within a bounded time when Redis is lost mid-run; the run folder resumes", async () => {
    const queue = bed.queue("lost");
    const log = join(bed.folder(), "calls.log");
    const runFolder = bed.folder();
    await bed.worker("slow", queue);
    const proxy = await redisProxy();
    const x = Array.from({ length: 12 }, (_, i) => i);
    const executor = redis({ connection: proxy.url, queue, chunkSize: 2, timeoutMs: 1000 });
    try {
      const mapping = slow.map({ x, log, ms: 100 }, { executor, runFolder, progress: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await until(() => calls(log).length > 0);
      proxy.cut();
      const cutAt = Date.now();
      const error = await mapping;
      expect(error).toBeInstanceOf(ExecutorError);
      expect((error as ExecutorError).message).toMatch(/Redis at redis:\/\/.* is unreachable/);
      expect(Date.now() - cutAt).toBeLessThan(10_000);
    } finally {
      const closing = Date.now();
      await executor.close();
      expect(Date.now() - closing).toBeLessThan(5_000);
    }
    expect(storedElements(runFolder).length).toBeLessThan(x.length);
    const again = redis({ connection: redisUrl, queue, chunkSize: 2 });
    try {
      const resumed = await slow.map(
        { x, log, ms: 100 },
        { executor: again, runFolder, resume: true, progress: false },
      );
      expect(resumed.y!.array.values()).toEqual(x.map((v) => v * 2));
    } finally {
      await again.close();
    }
  });

  it("stops waiting at once when the map is aborted; a worker stopped with SIGTERM finishes its chunk, then exits 0", async () => {
    const queue = bed.queue("stop");
    const log = join(bed.folder(), "calls.log");
    const w = await bed.worker("slow", queue);
    const x = [0, 1, 2, 3, 4, 5];
    const executor = redis({ connection: redisUrl, queue, chunkSize: x.length });
    try {
      const stop = new AbortController();
      const aborted = slow
        .map({ x, log, ms: 100 }, { executor, signal: stop.signal, progress: false })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      await until(() => calls(log).length > 0);
      stop.abort(new Error("enough"));
      const abortedAt = Date.now();
      expect(await aborted).toBeInstanceOf(AbortError);
      expect(Date.now() - abortedAt).toBeLessThan(500);

      const before = calls(log).length;
      const mapping = slow.map({ x, log, ms: 100 }, { executor, progress: false });
      await until(() => calls(log).length > Math.max(before, x.length));
      w.process.kill("SIGTERM");
      const results = await mapping;
      expect(results.y!.array.values()).toEqual(x.map((v) => v * 2));
      expect(await w.exited).toBe(0);
      expect(w.out()).toMatch(/^stopped /m);
    } finally {
      await executor.close();
    }
  });
});
