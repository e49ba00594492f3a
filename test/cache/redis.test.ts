import { Redis, type RedisOptions } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pipeline, pipefunc } from "../../src/index.ts";
import { createRedisStore } from "../../src/redis/index.ts";
import { redisAvailable, redisNames, redisUrl } from "../redis-available.ts";

const url = redisUrl;
const available = await redisAvailable("the Redis cache tests");

describe.runIf(available)("cache: redis", () => {
  const names = redisNames("cache");
  const prefix = names.prefix("cache");
  const pipelines: Pipeline[] = [];
  const make = () => {
    const calls = { n: 0 };
    const f = pipefunc(
      { output: "y", cache: true, mapspec: "x[i] -> y[i]", version: 1 },
      async ({ x }: { x: number }) => {
        calls.n++;
        return { x, square: x * x };
      },
    );
    const p = new Pipeline([f], { cache: { type: "redis", connection: url, prefix } });
    pipelines.push(p as unknown as Pipeline);
    return { calls, p };
  };

  beforeAll(async () => {
    await make().p.clearCache();
  });
  afterAll(async () => {
    await pipelines[0]?.clearCache();
    await Promise.all(pipelines.map((p) => p.closeCache()));
    await names.cleanUp();
  });

  it("shares results between pipelines on separate connections", async () => {
    const a = make();
    const b = make();
    expect(await a.p.run("y", { x: 3 })).toEqual({ x: 3, square: 9 });
    expect(await b.p.run("y", { x: 3 })).toEqual({ x: 3, square: 9 });
    expect(a.calls.n + b.calls.n).toBe(1);
    expect(await b.p.cacheStats()).toEqual({ hits: 1, misses: 0, size: 1 });
  });

  it("answers map elements with batched lookups and stores the rest", async () => {
    const a = make();
    const x = Array.from({ length: 600 }, (_, i) => i);
    const first = await a.p.map({ x }, { progress: false });
    expect(a.calls.n).toBe(599); // x = 3 was cached by the test before
    const b = make();
    const second = await b.p.map({ x }, { progress: false });
    expect(b.calls.n).toBe(0);
    expect(second.y.array.values()).toEqual(first.y.array.values());
    expect((await b.p.cacheStats()).size).toBe(600);
  });

  it("refuses runSync, since Redis answers asynchronously", () => {
    const { p } = make();
    expect(() => p.runSync("y", { x: 1 })).toThrow(
      /redis cache, which answers asynchronously: use run\(\)/,
    );
  });

  it("clears only its own prefix", async () => {
    const other = new Redis(url);
    const theirs = `${names.prefix("other")}kept`;
    await other.set(theirs, "kept");
    const { p } = make();
    await p.clearCache();
    expect(await p.cacheStats()).toEqual({ hits: 0, misses: 0, size: 0 });
    expect(await other.get(theirs)).toBe("kept");
    await other.del(theirs);
    await other.quit();
  });

  it("takes your ioredis client (left open) or ioredis options, and pipeweave/redis makes the same store", async () => {
    const own = `${prefix}own:`;
    const f = pipefunc({ output: "z", cache: true }, ({ x }: { x: number }) => x + 1);
    const client = new Redis(url);
    const withClient = new Pipeline([f], { cache: { type: "redis", client, prefix: own } });
    expect(await withClient.run("z", { x: 1 })).toBe(2);
    await withClient.closeCache();
    expect(client.status).toBe("ready");

    const { hostname, port, pathname } = new URL(url);
    const options: RedisOptions = {
      host: hostname,
      port: Number(port || 6379),
      db: Number(pathname.slice(1) || 0),
    };
    const withOptions = new Pipeline([f], {
      cache: { type: "redis", connection: options, prefix: own },
    });
    const store = createRedisStore({
      connection: { ...options, connectTimeout: 2000 },
      prefix: own,
    });
    const withStore = new Pipeline([f], { cache: { type: "custom", store } });
    for (const p of [withOptions, withStore]) {
      expect(await p.run("z", { x: 1 })).toBe(2);
      expect(await p.cacheStats()).toEqual({ hits: 1, misses: 0, size: 1 });
    }
    await withStore.clearCache();
    await Promise.all([withOptions.closeCache(), withStore.closeCache(), client.quit()]);
  });
});
