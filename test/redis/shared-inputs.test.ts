import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redis } from "../../src/redis/index.ts";
import { redisAvailable, redisUrl } from "../redis-available.ts";
import { lookup } from "./fixtures/pipelines.mjs";
import { type Child, events, testBed } from "./workers.ts";

const available = await redisAvailable("the redis shared-argument tests");

const size = 200_000; // 1.6 MB: well above the 64 KiB from which a whole argument is shared
const table = Float64Array.from({ length: size }, (_, k) => k * 0.5);
const x = Array.from({ length: 120 }, (_, k) => (k * 7919) % size);
const expected = x.map((k) => table[k]! + size);

describe.runIf(available)("an argument every element reads whole, on Redis workers", () => {
  const bed = testBed("shared-inputs");
  const queue = bed.queue("lookup");
  const log = join(bed.folder(), "events.log");
  let workers: Child[] = [];

  beforeAll(async () => {
    workers = await Promise.all([
      bed.worker("lookup", queue, "", "", log),
      bed.worker("lookup", queue, "", "", log),
    ]);
  }, 30_000);

  afterAll(() => bed.cleanUp(), 30_000);

  it("is fetched by each worker once, not sent in every job; results are the same", async () => {
    const executor = redis({ connection: redisUrl, queue, chunkSize: 10, measureBytes: true });
    try {
      const results = await lookup.map({ x, table }, { executor, progress: false });
      expect(results.y!.array.data).toEqual(expected);
      const stats = executor.stats();
      expect(stats.chunks).toBe(12);
      expect(stats.sharedValues).toBe(1);
      // Each worker process fetched it at most once, however many jobs it ran.
      expect(stats.sharedLoads).toBeGreaterThanOrEqual(1);
      expect(stats.sharedLoads).toBeLessThanOrEqual(workers.length);
      expect(stats.bytesSent / stats.chunks).toBeLessThan(4_000);
    } finally {
      await executor.close();
    }
    const done = events<{ type: string }>(log).filter((e) => e.type === "done");
    expect(done.length).toBeGreaterThanOrEqual(12);
  });

  it("is copied into every job with shareWholeInputs: false (results the same)", async () => {
    const executor = redis({
      connection: redisUrl,
      queue,
      chunkSize: 40,
      measureBytes: true,
      shareWholeInputs: false,
    });
    try {
      const results = await lookup.map({ x, table }, { executor, progress: false });
      expect(results.y!.array.data).toEqual(expected);
      const stats = executor.stats();
      expect(stats.sharedLoads).toBe(0);
      expect(stats.bytesSent / stats.chunks).toBeGreaterThan(size * 8);
    } finally {
      await executor.close();
    }
  });
});
