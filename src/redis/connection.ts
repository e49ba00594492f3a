/**
 * Redis connections of the distributed executor and its workers: made from a URL or ioredis
 * options, bounded so that an unreachable server is an error in a known time, and named in
 * messages without their credentials.
 */
import { Redis, type RedisOptions } from "ioredis";
import type { RedisAddress, RedisConnectionOptions } from "../cache/redis-options.ts";

/** Where Redis is: a URL (`redis://host:6379/0`, `rediss://…`) or ioredis options. */
export type RedisConnection = string | RedisConnectionOptions | RedisAddress;

/** The connection used when none is given: `REDIS_URL`, else the local default. */
export function defaultConnection(): string {
  return process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
}

/** Longest pause between reconnection attempts while Redis is away. */
const MAX_RETRY_DELAY_MS = 2000;

/**
 * Opens a client that connects on first use and, while Redis is away, keeps reconnecting in
 * the background (backing off up to 2 s), so a server that comes back is used again.
 *
 * @param connection - A URL or ioredis options; options given there win over `bounds`.
 * @param bounds - Timeouts and retry behaviour pipeweave wants for this use.
 */
export function openClient(connection: RedisConnection, bounds: RedisOptions): Redis {
  const options: RedisOptions = {
    lazyConnect: true,
    retryStrategy: (times) => Math.min(100 * 2 ** (times - 1), MAX_RETRY_DELAY_MS),
    ...bounds,
  };
  return typeof connection === "string"
    ? new Redis(connection, options)
    : new Redis({ ...options, ...(connection as RedisOptions) });
}

/** The address of a connection, for messages: a URL without user name and password. */
export function describeConnection(connection: RedisConnection): string {
  return typeof connection === "string" ? redactUrl(connection) : addressOf(connection);
}

/** A Redis URL without its user name and password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//");
  }
}

/** The address ioredis options point at, without credentials. */
export function addressOf(options: {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly path?: string | undefined;
  readonly tls?: object | undefined;
}): string {
  if (options.path) return `unix:${options.path}`;
  const scheme = options.tls ? "rediss" : "redis";
  return `${scheme}://${options.host ?? "127.0.0.1"}:${options.port ?? 6379}`;
}

/**
 * Waits until `client` is connected, starting it if it waits for a first command; rejects
 * after `timeoutMs` with the connection's last error (ioredis keeps retrying meanwhile).
 *
 * @param lastError - The connection's last error, read when the time is up.
 */
export function waitReady(
  client: Redis,
  timeoutMs: number,
  lastError: () => Error | undefined,
): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off("ready", onReady);
      const reason = lastError()?.message.replace(/\.$/, "") ?? "no connection";
      reject(new Error(`${reason} (waited ${timeoutMs} ms)`));
    }, timeoutMs);
    client.once("ready", onReady);
    if (client.status === "wait") client.connect().catch(() => undefined);
  });
}

/**
 * Settles like `promise`, or rejects after `ms` saying what did not answer, so no call to
 * Redis waits without bound (a command queued while the connection is away would).
 */
export function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply within ${ms} ms ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
