import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { redis } from "../../src/redis/index.ts";
import { big } from "../redis/fixtures/pipelines.mjs";
import { testBed } from "../redis/workers.ts";
import { redisAvailable, redisUrl } from "../redis-available.ts";

const available = await redisAvailable("the Redis memory tests");

const MIB = 1024 * 1024;

/** The keys of BullMQ queue `queue` and the bytes Redis holds for them. */
async function footprint(client: Redis, queue: string) {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await client.scan(cursor, "MATCH", `bull:${queue}:*`, "COUNT", 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== "0");
  let bytes = 0;
  for (const key of keys) bytes += Number(await client.call("MEMORY", "USAGE", key)) || 0;
  return { keys, bytes };
}

describe.runIf(available)("redis executor: what a finished map leaves in Redis", () => {
  const bed = testBed("memory");

  afterAll(() => bed.cleanUp(), 30_000);

  it("keeps no result nor job once the map is done, so Redis's memory stays bounded across runs", async () => {
    const queue = bed.queue("memory");
    await bed.worker("big", queue);
    const client = new Redis(redisUrl);
    const x = [1, 2, 3, 4];
    const sizes: number[] = [];
    try {
      for (let run = 0; run < 3; run++) {
        const executor = redis({ connection: redisUrl, queue, chunkSize: 1 });
        try {
          const results = await big.map({ x, mib: 2 }, { executor, progress: false });
          const values = results.y!.array.values() as Uint8Array[];
          expect(values.map((v) => [v.length, v[0], v.at(-1)])).toEqual(
            x.map((v) => [2 * MIB, v, v]),
          );
        } finally {
          await executor.close();
        }
        const { keys, bytes } = await footprint(client, queue);
        // No stored results, and no job (completed or failed) keeping its data.
        expect(keys.filter((k) => /pipeweave-result|:[0-9a-f]{16}\.\d+$/.test(k))).toEqual([]);
        sizes.push(bytes);
      }
      console.log(`memory: the queue's keys hold ${sizes.join(", ")} bytes after each run`);
      // 24 MiB of results went through; what stays is BullMQ's own bookkeeping (small events).
      expect(Math.max(...sizes)).toBeLessThan(256 * 1024);
    } finally {
      client.disconnect();
    }
  });
});
