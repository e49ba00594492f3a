import { execFile } from "node:child_process";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { Pipeline, pipefunc, RedisConnectionError } from "../../src/index.ts";
import { redisAvailable, redisNames, redisUrl } from "../redis-available.ts";

/** Generous bound: the point is that nothing waits for a minute, not how fast it is. */
const HANG_GUARD_MS = 10_000;

describe("redis: unreachable", () => {
  it("fails run and map (errors: continue too) with RedisConnectionError within seconds, silently on stderr", async () => {
    const child = join(import.meta.dirname, "fixtures", "redis-unreachable.ts");
    // Port 1: nothing listens there, so every connect is refused.
    const url = "redis://someone:hunter2@127.0.0.1:1/0";
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", child, url],
      { timeout: 60_000 },
    );
    const out = JSON.parse(stdout);
    expect(stderr).not.toMatch(/Unhandled error event/);
    for (const attempt of [out.run, out.map, out.once]) {
      expect(attempt).toMatchObject({
        ok: false,
        name: "RedisConnectionError",
        code: "E_REDIS_CONNECTION",
        typed: true,
        url: "redis://127.0.0.1:1/0",
      });
      expect(attempt.ms).toBeLessThan(HANG_GUARD_MS);
      expect(attempt.message).toMatch(/ECONNREFUSED/);
      expect(attempt.message).not.toMatch(/hunter2|someone|cloneable|Function "y"/);
    }
    expect(out.close.ok).toBe(true);
  }, 60_000);

  it("rejects a timeoutMs that cannot work, naming the option", () => {
    const f = pipefunc({ output: "y", cache: true }, ({ x }: { x: number }) => x);
    expect(
      () => new Pipeline([f], { cache: { type: "redis", connection: redisUrl, timeoutMs: -1 } }),
    ).toThrow(/`timeoutMs`.*-1/);
  });
});

const available = await redisAvailable("the Redis lost-connection tests");

/** A TCP proxy in front of the real Redis that the test can cut and bring back. */
class CuttableProxy {
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  port = 0;

  async open(): Promise<void> {
    const target = new URL(redisUrl);
    const server = createServer((client) => {
      const upstream = connect(Number(target.port || 6379), target.hostname);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /** Stops listening and drops every connection, as a server that went away. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  /** The Redis URL through this proxy (credentials and database as in REDIS_URL). */
  url(): string {
    const u = new URL(redisUrl);
    u.hostname = "127.0.0.1";
    u.port = String(this.port);
    return u.toString();
  }
}

describe.runIf(available)("redis: lost connection", () => {
  const names = redisNames("lost");
  afterAll(() => names.cleanUp());
  const proxy = new CuttableProxy();
  let pipeline: Pipeline | undefined;
  afterEach(async () => {
    await pipeline?.clearCache().catch(() => {});
    await pipeline?.closeCache();
    await proxy.cut();
  });

  it("fails within seconds when the server goes away mid-run, and recovers when it returns", async () => {
    await proxy.open();
    const unhandled = vi.spyOn(console, "error");
    // A random part shows whether a value was computed again or read from the cache.
    const f = pipefunc({ output: "y", cache: true }, async ({ x }: { x: number }) => ({
      x,
      draw: Math.random(),
    }));
    const prefix = names.prefix("lost");
    pipeline = new Pipeline([f], { cache: { type: "redis", connection: proxy.url(), prefix } });
    const first = await pipeline.run("y", { x: 1 });

    await proxy.cut();
    const started = performance.now();
    const error = await pipeline.run("y", { x: 2 }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(HANG_GUARD_MS);
    expect(error).toBeInstanceOf(RedisConnectionError);
    expect((error as RedisConnectionError).url).toContain(`127.0.0.1:${proxy.port}`);
    expect((error as RedisConnectionError).message).toMatch(/Redis at .* is unreachable/);

    await proxy.open();
    expect(await pipeline.run("y", { x: 1 })).toEqual(first);
    expect(unhandled.mock.calls.flat().map(String).join("\n")).not.toMatch(/Unhandled error event/);
    unhandled.mockRestore();
  }, 30_000);
});
