/**
 * Issue 21, point 8: a Redis cache server killed in the middle of a map rejects the map once
 * with a RedisConnectionError (no unhandled rejection, no crash).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CacheStore, Pipeline, pipefunc, RedisConnectionError } from "../../src/index.ts";
import { createRedisStore } from "../../src/redis/index.ts";

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
