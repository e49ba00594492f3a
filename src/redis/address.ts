/**
 * Where Redis is, as the distributed executor and its workers take it, and how messages name
 * it (without credentials). No ioredis here, not even its types, so the declarations of
 * `pipeweave/redis` that use these type-check without it.
 */
import type { RedisAddress, RedisConnectionOptions } from "../cache/redis-options.ts";
import { InvalidOptionError } from "../errors.ts";

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

/**
 * Why `url` is not a Redis address ioredis can read, or undefined when it is one:
 * `redis://host:port/db`, `rediss://…` (TLS), `host:port`, a port, or a Unix socket path.
 */
export function redisUrlProblem(url: string): string | undefined {
  if (/^\d+$/.test(url) || (url.startsWith("/") && !url.startsWith("//"))) return undefined;
  const scheme = /^([a-z][a-z\d+.-]*):\/\//i.exec(url)?.[1];
  if (scheme !== undefined && !/^rediss?$/i.test(scheme)) {
    return `its scheme is ${scheme}://, not redis:// or rediss://`;
  }
  try {
    // ioredis reads an address without a scheme as a redis:// one.
    new URL(scheme === undefined ? `redis://${url.replace(/^\/\//, "")}` : url);
    return undefined;
  } catch {
    return "it does not parse as a URL";
  }
}

/** What went wrong with `url`, given as `what` (an option, a flag), and the forms expected. */
export function describeBadUrl(what: string, url: string, problem: string): string {
  return (
    `Expected ${what} to be a Redis URL such as redis://host:port (rediss:// for TLS, or a ` +
    `Unix socket path), got "${redactUrl(url)}": ${problem}.`
  );
}

/**
 * Refuses a connection URL (the one given, else `REDIS_URL`) that is not a Redis address.
 *
 * @throws {@link InvalidOptionError} naming `connection` (or `REDIS_URL`) and the forms expected.
 */
export function checkConnectionUrl(connection: RedisConnection | undefined): void {
  const url = connection ?? defaultConnection();
  if (typeof url !== "string") return;
  const problem = redisUrlProblem(url);
  if (problem === undefined) return;
  const what = connection === undefined ? "REDIS_URL (the default `connection`)" : "`connection`";
  throw new InvalidOptionError("connection", describeBadUrl(what, url, problem));
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
