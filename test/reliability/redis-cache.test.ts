/**
 * Issue 21, points 8 and 9: a Redis cache server killed in the middle of a map rejects the
 * map once with a RedisConnectionError (no unhandled rejection, no crash); a corrupt Redis
 * entry, or one copied from another key, is a miss with a warning, recomputed and rewritten.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serialize } from "node:v8";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CacheStore, Pipeline, pipefunc, RedisConnectionError } from "../../src/index.ts";
import { createRedisStore } from "../../src/redis/index.ts";
import { redisAvailable, redisNames, redisUrl } from "../redis-available.ts";

const hasRedisServer = spawnSync("redis-server", ["--version"]).status === 0;
if (!hasRedisServer) {
  console.warn("[pipeweave] No redis-server on PATH: skipping the killed-cache-server tests.");
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

/** A redis-server of this test's own, in a temporary folder, that the test can kill. */
async function privateRedis(): Promise<{ url: string; kill: () => void; done: Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "pipeweave-redis-cache-"));
  const server: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { cwd: dir, stdio: ["ignore", "pipe", "inherit"] },
  );
  const done = new Promise<void>((resolve) => server.once("exit", () => resolve())).then(() =>
    rmSync(dir, { recursive: true, force: true }),
  );
  await new Promise<void>((resolve, reject) => {
    let out = "";
    server.stdout!.on("data", (chunk: Buffer) => {
      out += chunk;
      if (out.includes("Ready to accept connections")) resolve();
    });
    server.once("exit", (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, kill: () => server.kill("SIGKILL"), done };
}

describe.runIf(hasRedisServer)("redis cache: the server killed in the middle of a map", () => {
  let unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on("unhandledRejection", onUnhandled);
  });
  afterEach(() => {
    process.off("unhandledRejection", onUnhandled);
  });

  /**
   * The Redis store the `redis` cache type makes, telling when a store has failed: elements
   * computed after the kill wait for that, so the failed stores surface while the map is
   * still running, as they do when its elements are slow.
   */
  function watched(url: string) {
    const inner = createRedisStore({ connection: url, timeoutMs: 2000 });
    let failed!: () => void;
    const storeFailed = new Promise<void>((resolve) => {
      failed = resolve;
    });
    const store: CacheStore = {
      type: "redis",
      get: (key) => inner.get(key),
      set: (key, value, ms) => {
        const pending = Promise.resolve(inner.set(key, value, ms));
        pending.then(undefined, failed);
        return pending;
      },
      size: () => inner.size(),
      clear: () => inner.clear(),
      close: () => inner.close?.(),
    };
    return { store, storeFailed };
  }

  const cases = [
    ["while results are stored", "store", "raise"],
    ["while results are stored (errors: continue)", "store", "continue"],
    ["while elements are looked up", "lookup", "raise"],
  ] as const;

  it.each(cases)(
    "%s: the map rejects once with RedisConnectionError",
    async (_, phase, errors) => {
      const server = await privateRedis();
      let pipeline: Pipeline | undefined;
      try {
        const { store, storeFailed } = watched(server.url);
        const n = 2000;
        let calls = 0;
        const f = pipefunc(
          { output: "y", cache: true, mapspec: "x[i] -> y[i]", version: 1 },
          async ({ x }: { x: number }) => {
            // Killed in the middle of the elements, whose results are being stored.
            if (phase === "store" && ++calls >= n / 4) {
              if (calls === n / 4) server.kill();
              await storeFailed;
              // A turn of the event loop, where a failed store nobody handles is reported.
              await new Promise((resolve) => setImmediate(resolve));
            }
            return x * 2;
          },
        );
        // Killed once the input is made, before the cached function looks its elements up.
        const input = pipefunc({ output: "x", version: 1 }, ({ n }: { n: number }) => {
          if (phase === "lookup") server.kill();
          return Array.from({ length: n }, (_, i) => i);
        });
        pipeline = new Pipeline([input, f], {
          cache:
            phase === "store"
              ? { type: "custom", store }
              : { type: "redis", connection: server.url, timeoutMs: 2000 },
        }) as unknown as Pipeline;
        const error = await pipeline
          .map({ n }, { progress: false, errors })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RedisConnectionError);
        expect(error).toMatchObject({ code: "E_REDIS_CONNECTION", url: server.url });
        // Rejections left behind surface within a turn or two of the event loop.
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(unhandled).toEqual([]);
      } finally {
        server.kill();
        await pipeline?.closeCache();
        await server.done;
      }
    },
    30_000,
  );
});

const available = await redisAvailable("the Redis corrupt-entry tests");

describe.runIf(available)("redis cache: a corrupt entry is a miss", () => {
  const names = redisNames("corrupt");
  const prefix = names.prefix("corrupt");
  const client = new Redis(redisUrl);
  let warnings: (Error & { code?: string })[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  beforeEach(() => {
    warnings = [];
    process.on("warning", onWarning);
  });
  afterEach(() => {
    process.off("warning", onWarning);
  });
  const pipelines: Pipeline[] = [];
  afterAll(async () => {
    await Promise.all(pipelines.map((p) => p.closeCache()));
    await client.quit();
    await names.cleanUp();
  });

  function counted(sub: string) {
    const calls = { n: 0 };
    const f = pipefunc(
      { output: "y", cache: true, name: "grow", version: 1 },
      async ({ x }: { x: number }) => {
        calls.n++;
        return { x, squares: [x * x] };
      },
    );
    const pipeline = () => {
      const p = new Pipeline([f], {
        cache: { type: "redis", connection: redisUrl, prefix: `${prefix}${sub}:` },
      });
      pipelines.push(p as unknown as Pipeline);
      return p;
    };
    return { calls, pipeline };
  }
  const settled = () => new Promise((resolve) => setImmediate(resolve));

  const corruptions: [string, (key: string, other: string) => Promise<unknown>][] = [
    ["garbage bytes", (key) => client.set(key, Buffer.from("not a v8 value \u0000\u00ff"))],
    [
      "a truncated entry",
      async (key) => client.set(key, (await client.getBuffer(key))!.subarray(0, 9)),
    ],
    [
      "a v8 value that is not an entry",
      (key) => client.set(key, serialize({ x: 3, squares: [0] })),
    ],
    [
      "the entry of another key, copied",
      async (key, other) => client.set(key, (await client.getBuffer(other))!),
    ],
  ];

  it.each(corruptions)(
    "%s: recomputed with a warning naming the entry, and rewritten",
    async (label, corrupt) => {
      const { calls, pipeline } = counted(label.replaceAll(" ", "-"));
      const first = pipeline();
      expect(await first.run("y", { x: 3 })).toEqual({ x: 3, squares: [9] });
      const [key] = await client.keys(`${prefix}${label.replaceAll(" ", "-")}:*`);
      expect(await first.run("y", { x: 4 })).toEqual({ x: 4, squares: [16] });
      const other = (await client.keys(`${prefix}${label.replaceAll(" ", "-")}:*`)).find(
        (k) => k !== key,
      )!;
      await corrupt(key!, other);

      const p = pipeline();
      expect(await p.run("y", { x: 3 })).toEqual({ x: 3, squares: [9] });
      expect(calls.n).toBe(3);
      expect(await p.cacheStats()).toMatchObject({ hits: 0, misses: 1, size: 2 });
      await settled();
      const seen = warnings.filter((w) => w.code === "PIPEWEAVE_CACHE_CORRUPT");
      expect(seen).toHaveLength(1);
      expect(seen[0]!.message).toContain(key!);
      expect(seen[0]!.message).toMatch(/treated as a miss/);

      // Rewritten: a fresh pipeline reads it back without calling the function or warning.
      const again = pipeline();
      expect(await again.run("y", { x: 3 })).toEqual({ x: 3, squares: [9] });
      expect(await again.run("y", { x: 4 })).toEqual({ x: 4, squares: [16] });
      expect(calls.n).toBe(3);
      await settled();
      expect(warnings.filter((w) => w.code === "PIPEWEAVE_CACHE_CORRUPT")).toHaveLength(1);
    },
  );
});
