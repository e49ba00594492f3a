/**
 * Where Redis is, as the distributed executor and its workers take it, and how messages name
 * it (without credentials). No ioredis here, not even its types, so the declarations of
 * `pipeweave/redis` that use these type-check without it.
 */
import type { RedisAddress, RedisConnectionOptions } from "../cache/redis-options.ts";

/** Where Redis is: a URL (`redis://host:6379/0`, `rediss://…`) or ioredis options. */
export type RedisConnection = string | RedisConnectionOptions | RedisAddress;

/** The connection used when none is given: `REDIS_URL`, else the local default. */
export function defaultConnection(): string {
  return process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
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
