import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { redis } from "../../src/redis/index.ts";
import { slow } from "../redis/fixtures/pipelines.mjs";
import { calls, testBed, until } from "../redis/workers.ts";
import { redisAvailable, redisUrl } from "../redis-available.ts";

const available = await redisAvailable("the Redis worker-recovery tests");

describe.runIf(available)("redis executor: a worker killed while it holds the last chunk", () => {
  const bed = testBed("patience");

  afterAll(() => bed.cleanUp(), 30_000);

  it("has the chunk recomputed by the worker left before giving up, though timeoutMs is shorter than the workers' lock and stalled check", async () => {
    const queue = bed.queue("patience");
    const log = join(bed.folder(), "calls.log");
    // BullMQ alone puts a dead worker's chunk back in the queue at the second stalled check
    // after its lock expired: at least 2.5 s after the kill here, while the coordinator's
    // timeoutMs is 1 s and the worker left idles, holding no job. A lock of 1.5 s gives the
    // surviving worker time to renew it on a busy machine (with 0.5 s it lapsed under load,
    // and the chunk stalled a second time, past maxStalledCount).
    const workers = await Promise.all([
      bed.worker("slow", queue, "1500", "2500"),
      bed.worker("slow", queue, "1500", "2500"),
    ]);
    const x = [0, 1, 2, 3, 4, 5];
    const executor = redis({ connection: redisUrl, queue, chunkSize: x.length, timeoutMs: 1000 });
    try {
      const mapping = slow.map({ x, log, ms: 100 }, { executor, progress: false });
      await until(() => calls(log).length > 0);
      const victim = calls(log)[0]![0];
      process.kill(victim, "SIGKILL");
      const killedAt = Date.now();
      const results = await mapping;
      console.log(`recovery: the map ended ${Date.now() - killedAt} ms after the kill`);
      expect(results.y!.array.values()).toEqual(x.map((v) => v * 2));
      // The worker left ran the whole chunk again.
      const survivor = workers.find((w) => w.pid !== victim)!.pid;
      const again = calls(log).filter(([pid]) => pid === survivor);
      expect(again.map(([, v]) => v)).toEqual(x);
    } finally {
      await executor.close();
    }
  });
});
