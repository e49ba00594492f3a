import { createHash } from "node:crypto";
import { deserialize, serialize } from "node:v8";
import { Redis, type RedisOptions } from "ioredis";
import { CACHE_MISS, type CacheStore } from "./store.ts";

/** Options of the Redis cache. */
export interface RedisCacheOptions {
  /** A Redis URL or ioredis options; the pipeline opens and closes this connection. @defaultValue `process.env.REDIS_URL` or `redis://127.0.0.1:6379` */
  readonly connection?: string | RedisOptions;
  /** A connected ioredis client you own (used instead of `connection`, never closed by pipeweave). */
  readonly client?: Redis;
  /** Prefix of every key, to share one Redis between caches. @defaultValue `"pipeweave:cache:"` */
  readonly prefix?: string;
  /** Expire entries after this many seconds. @defaultValue never */
  readonly ttlSeconds?: number;
}

/**
 * Results in Redis (through `ioredis`), shared by every process and machine that uses the
 * same server and prefix. Values are stored with `v8.serialize`.
 */
export class RedisStore implements CacheStore {
  readonly type = "redis";
  readonly #client: Redis;
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #ttl: number | undefined;

  /** @param options - Connection, prefix and expiry. */
  constructor(options: RedisCacheOptions) {
    this.#owned = options.client === undefined;
    const connection = options.connection ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
    this.#client =
      options.client ??
      (typeof connection === "string" ? new Redis(connection) : new Redis(connection));
    this.#prefix = options.prefix ?? "pipeweave:cache:";
    this.#ttl = options.ttlSeconds;
  }

  #key(key: string): string {
    return this.#prefix + createHash("sha256").update(key).digest("base64url");
  }

  async get(key: string): Promise<unknown> {
    const bytes = await this.#client.getBuffer(this.#key(key));
    return bytes === null ? CACHE_MISS : deserialize(bytes);
  }

  async set(key: string, value: unknown): Promise<void> {
    const bytes = serialize(value);
    if (this.#ttl === undefined) await this.#client.set(this.#key(key), bytes);
    else await this.#client.set(this.#key(key), bytes, "EX", this.#ttl);
  }

  async size(): Promise<number> {
    let n = 0;
    for await (const keys of this.#scan()) n += keys.length;
    return n;
  }

  async clear(): Promise<void> {
    for await (const keys of this.#scan()) if (keys.length > 0) await this.#client.unlink(...keys);
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#client.quit();
  }

  #scan(): AsyncIterable<string[]> {
    return this.#client.scanStream({ match: `${this.#prefix}*`, count: 500 });
  }
}
