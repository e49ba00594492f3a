import { createHash } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import { packEntry, unpackEntry } from "../cache/entry.ts";
import {
  checkRedisOptions,
  DEFAULT_REDIS_TIMEOUT_MS,
  type RedisCacheClient,
  type RedisCacheOptions,
} from "../cache/redis-options.ts";
import { CACHE_CORRUPT_WARNING, CACHE_MISS, type CacheStore } from "../cache/store.ts";
import { RedisConnectionError } from "../errors.ts";
import { addressOf, redactUrl } from "./address.ts";

/** Longest pause between reconnection attempts while Redis is away. */
const MAX_RETRY_DELAY_MS = 2000;
const CONNECTION_CLOSED = "Connection is closed.";

/**
 * Results in Redis (through `ioredis`), shared by every process and machine that uses the
 * same server and prefix. Values are stored with `v8.serialize`, beside their key and a format
 * tag; an entry that does not read back as this key's is a miss with a
 * `PIPEWEAVE_CACHE_CORRUPT` warning, then recomputed and rewritten.
 *
 * Redis being down is never a hang or a wall of client logs: a connection pipeweave opens
 * connects on first use, gives up on a connect or a command after `timeoutMs`, retries the
 * connection in the background (so a server that comes back is used again), and every failed
 * command rejects with a {@link RedisConnectionError} whose `url` carries no credentials.
 */
class RedisStore implements CacheStore {
  readonly type = "redis";
  readonly serializes = true;
  readonly #client: RedisCacheClient;
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #ttl: number | undefined;
  readonly #timeoutMs: number;
  readonly #url: string;
  /** The connection's last error, the reason a queued command was given up. */
  #lastError: Error | undefined;

  /**
   * @param options - Connection, prefix, expiry and timeout.
   * @throws {@link InvalidOptionError} for a `timeoutMs` that cannot work.
   */
  constructor(options: RedisCacheOptions) {
    checkRedisOptions(options);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_REDIS_TIMEOUT_MS;
    this.#prefix = options.prefix ?? "pipeweave:cache:";
    this.#ttl = options.ttlSeconds;
    if (options.client) {
      this.#owned = false;
      this.#client = options.client;
      this.#url = addressOf(options.client.options);
      return;
    }
    this.#owned = true;
    const connection = options.connection ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
    const bounds: RedisOptions = {
      // Connect on the first command, so making a pipeline opens no socket.
      lazyConnect: true,
      connectTimeout: this.#timeoutMs,
      commandTimeout: this.#timeoutMs,
      // ioredis retries 20 times per command by default, over a minute with Redis down; one
      // retry turns a refused connection into an error in well under a second.
      maxRetriesPerRequest: 1,
      // Keep reconnecting in the background, backing off, so the cache works again once the
      // server is back; commands meanwhile fail within the bounds above. The offline queue
      // stays on: a command sent while connecting waits for the connection, not fails at once.
      retryStrategy: (times) => Math.min(100 * 2 ** (times - 1), MAX_RETRY_DELAY_MS),
    };
    const client =
      typeof connection === "string"
        ? new Redis(connection, bounds)
        : new Redis({ ...bounds, ...(connection as RedisOptions) });
    this.#url = typeof connection === "string" ? redactUrl(connection) : addressOf(connection);
    // With a listener, ioredis stops printing "[ioredis] Unhandled error event" per attempt;
    // the error itself reaches the caller through the failed command.
    client.on("error", (error: Error) => {
      this.#lastError = error;
    });
    client.on("ready", () => {
      this.#lastError = undefined;
    });
    this.#client = client;
  }

  #key(key: string): string {
    return this.#prefix + createHash("sha256").update(key).digest("base64url");
  }

  /** The error a failed client call becomes: a RedisConnectionError naming the address. */
  #unreachable(error: unknown): RedisConnectionError {
    if (error instanceof RedisConnectionError) return error;
    const message = error instanceof Error ? error.message : String(error);
    let reason = message;
    if (message === "Command timed out") reason = `no reply within ${this.#timeoutMs} ms`;
    else if (
      this.#lastError &&
      (message === CONNECTION_CLOSED ||
        (error instanceof Error && error.name === "MaxRetriesPerRequestError"))
    ) {
      reason = this.#lastError.message;
    }
    return new RedisConnectionError(this.#url, reason.replace(/\.$/, ""), error);
  }

  async #command<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw this.#unreachable(error);
    }
  }

  async get(key: string): Promise<unknown> {
    const name = this.#key(key);
    const bytes = await this.#command(() => this.#client.getBuffer(name));
    if (bytes === null) return CACHE_MISS;
    const entry = unpackEntry(bytes, key);
    return "corrupt" in entry ? this.#corrupt(name, entry.corrupt) : entry.value;
  }

  /**
   * A corrupt entry (garbage, truncated, written by something else, or another key's) is a
   * miss, as on disk: the result is recomputed and the entry rewritten. The warning names the
   * Redis key, with a code users can filter on; the entry is removed, so a failing recompute
   * does not warn again on every run (removing an entry another process has just rewritten
   * costs that process one miss, never a wrong value).
   */
  async #corrupt(name: string, reason: string): Promise<typeof CACHE_MISS> {
    process.emitWarning(
      `The Redis cache entry "${name}" at ${this.#url} is corrupt: ${reason}. It is treated ` +
        "as a miss: the result is recomputed and the entry rewritten.",
      { type: "PipeweaveWarning", code: CACHE_CORRUPT_WARNING },
    );
    await this.#command(() => this.#client.unlink(name));
    return CACHE_MISS;
  }

  async set(key: string, value: unknown): Promise<void> {
    // Serialized outside #command: a value v8 cannot serialize is the function's problem.
    const bytes = packEntry(key, value);
    await this.#command(() =>
      this.#ttl === undefined
        ? this.#client.set(this.#key(key), bytes)
        : this.#client.set(this.#key(key), bytes, "EX", this.#ttl),
    );
  }

  async size(): Promise<number> {
    return this.#command(async () => {
      let n = 0;
      for await (const keys of this.#scan()) n += keys.length;
      return n;
    });
  }

  async clear(): Promise<void> {
    await this.#command(async () => {
      for await (const keys of this.#scan()) {
        if (keys.length > 0) await this.#client.unlink(...keys);
      }
    });
  }

  async close(): Promise<void> {
    if (!this.#owned) return;
    // QUIT needs a live connection; anything else (connecting, retrying) is dropped at once.
    if (this.#client.status === "ready") {
      try {
        await this.#client.quit();
        return;
      } catch {
        // The server went away meanwhile: fall through and drop the socket.
      }
    }
    this.#client.disconnect();
  }

  #scan(): AsyncIterable<string[]> {
    return this.#client.scanStream({ match: `${this.#prefix}*`, count: 500 });
  }
}

/**
 * Makes a cache store in Redis, for `cache: { type: "custom", store }` or your own use; the
 * pipeline option `cache: { type: "redis", ... }` makes the same store.
 *
 * @param options - Connection (or client), prefix, expiry and timeout.
 * @returns A store whose `close()` closes the connection it opened.
 * @throws {@link InvalidOptionError} for a `timeoutMs` that cannot work.
 * @example
 * ```ts
 * import { createRedisStore } from "pipeweave/redis";
 * const store = createRedisStore({ connection: "redis://cache:6379", ttlSeconds: 3600 });
 * const p = new Pipeline([f], { cache: { type: "custom", store } });
 * ```
 */
export function createRedisStore(options: RedisCacheOptions = {}): CacheStore {
  return new RedisStore(options);
}
