/**
 * Redis connections of the distributed executor and its workers: made from a URL or ioredis
 * options, and bounded so that an unreachable server is an error in a known time.
 */
import { Redis, type RedisOptions } from "ioredis";
import type { RedisConnection } from "./address.ts";

/** Longest pause between reconnection attempts while Redis is away. */
const MAX_RETRY_DELAY_MS = 2000;
/**
 * How long `disconnect()` lets a socket close on its own before destroying it. ioredis waits
 * its 2 s default for a socket already closed too (Redis lost), and its timer keeps the
 * process alive that long after the last connection is dropped.
 */
const DISCONNECT_TIMEOUT_MS = 100;

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
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    ...bounds,
  };
  return typeof connection === "string"
    ? new Redis(connection, options)
    : new Redis({ ...options, ...(connection as RedisOptions) });
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
