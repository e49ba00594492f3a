/**
 * The redis cache's options, as the core sees them. The store itself (and ioredis) lives in
 * `pipeweave/redis`; nothing here may import ioredis, not even its types, so the core's
 * declarations type-check in a project without it.
 */
import { InvalidOptionError } from "../errors.ts";

/**
 * Where a Redis server is, in ioredis's terms: an ioredis `RedisOptions` value fits.
 */
export interface RedisAddress {
  /** @defaultValue `"127.0.0.1"` */
  readonly host?: string;
  /** @defaultValue 6379 */
  readonly port?: number;
  /** A Unix socket, used instead of `host` and `port`. */
  readonly path?: string;
  readonly username?: string;
  readonly password?: string;
  /** @defaultValue 0 */
  readonly db?: number;
  /** TLS options (Node's `tls.connect` options); present means `rediss://`. */
  readonly tls?: object;
}

/**
 * ioredis connection options written in place: the address plus any other ioredis option
 * (`connectTimeout`, `retryStrategy` …), passed through to ioredis as is.
 */
export interface RedisConnectionOptions extends RedisAddress {
  readonly [option: string]: unknown;
}

/**
 * Node's `Buffer` where Node's types are loaded (so an ioredis client fits), else
 * `Uint8Array`: these declarations must type-check without `@types/node` too.
 */
type Bytes = typeof globalThis extends { Buffer: { prototype: infer B } } ? B : Uint8Array;

/**
 * A connected Redis client: an ioredis `Redis` fits. Only what the cache calls is listed, so
 * these types never name ioredis.
 */
export interface RedisCacheClient {
  /** The client's options; only the address is read, for error messages. */
  readonly options: {
    readonly host?: string | undefined;
    readonly port?: number | undefined;
    readonly path?: string | undefined;
    readonly tls?: object | undefined;
  };
  /** The connection's state ("ready" …). */
  readonly status: string;
  getBuffer(key: string): Promise<Uint8Array | null>;
  set(key: string, value: Bytes): Promise<unknown>;
  set(key: string, value: Bytes, secondsToken: "EX", seconds: number): Promise<unknown>;
  unlink(...keys: string[]): Promise<unknown>;
  scanStream(options: { match: string; count: number }): AsyncIterable<string[]>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** Options of the Redis cache (`cache: { type: "redis", ... }`, or `pipeweave/redis`). */
export interface RedisCacheOptions {
  /**
   * A Redis URL or ioredis options; the pipeline opens and closes this connection. ioredis
   * options given here (`connectTimeout`, `commandTimeout`, `retryStrategy` …) win over the
   * bounds pipeweave sets.
   * @defaultValue `process.env.REDIS_URL` or `redis://127.0.0.1:6379`
   */
  // RedisAddress takes an ioredis `RedisOptions` value (an interface has no index signature);
  // RedisConnectionOptions takes an object literal with any ioredis option.
  readonly connection?: string | RedisConnectionOptions | RedisAddress;
  /** A connected ioredis client you own (used instead of `connection`, never closed by pipeweave). */
  readonly client?: RedisCacheClient;
  /** Prefix of every key, to share one Redis between caches. @defaultValue `"pipeweave:cache:"` */
  readonly prefix?: string;
  /** Expire entries after this many seconds. @defaultValue never */
  readonly ttlSeconds?: number;
  /**
   * How long connecting, or one command, may wait for Redis before the run fails with a
   * `RedisConnectionError` (applies to the connection pipeweave opens, not to `client`).
   * @defaultValue 5000
   */
  readonly timeoutMs?: number;
}

/** The redis cache's `timeoutMs` when none is given. */
export const DEFAULT_REDIS_TIMEOUT_MS = 5000;

/**
 * Checks the options that can be checked without connecting.
 *
 * @throws {@link InvalidOptionError} naming the option.
 */
export function checkRedisOptions(options: RedisCacheOptions): void {
  const t = options.timeoutMs;
  if (t !== undefined && !(typeof t === "number" && Number.isFinite(t) && t > 0)) {
    throw new InvalidOptionError(
      "timeoutMs",
      `Expected \`timeoutMs\` of the redis cache to be a number of milliseconds above 0, got ` +
        `\`${String(t)}\` (${typeof t}). Leave it out for ${DEFAULT_REDIS_TIMEOUT_MS} ms.`,
    );
  }
}
