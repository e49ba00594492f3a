import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redis } from "../../src/redis/index.ts";
import { redisAvailable, redisUrl } from "../redis-available.ts";
import { curve } from "./fixtures/pipelines.mjs";
import { type Child, calls, testBed } from "./workers.ts";

const available = await redisAvailable("the redis adaptive tests");

describe.runIf(available)("adaptive sweeps on redis workers", () => {
  const bed = testBed("adaptive");
  const queue = bed.queue("curve");
  let workers: Child[] = [];

  beforeAll(async () => {
    workers = await Promise.all([bed.worker("curve", queue), bed.worker("curve", queue)]);
  }, 30_000);

  afterAll(() => bed.cleanUp(), 30_000);

  it("evaluates points that are plain graph runs on the workers", async () => {
    const log = join(bed.folder(), "calls.log");
    const executor = redis({ connection: redisUrl, queue, capacity: 2 });
    try {
      const result = await curve.adaptive({
        dimensions: { x: [-1, 1] },
        output: "y",
        inputs: { shift: 3, log },
        goal: { points: 12 },
        executor,
      });
      expect(result.points).toHaveLength(12);
      for (const p of result.points) {
        expect(p.value).toBeCloseTo((p.inputs.x as number) ** 2 + 3, 12);
      }
      const ran = calls(log);
      expect(ran).toHaveLength(12);
      const pids = new Set(ran.map(([pid]) => pid));
      for (const pid of pids) expect(workers.map((w) => w.pid)).toContain(pid);
      expect(result.interpolate(0)).toBeGreaterThanOrEqual(3);
    } finally {
      await executor.close();
    }
  });
});
