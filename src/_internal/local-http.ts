/**
 * The guards of pipeweave's local HTTP servers (the dashboard, `pipeweave mcp --http`): a
 * random token compared in constant time, and the `Host` check that keeps a page of another
 * site from reaching a loopback server by rebinding its own name to 127.0.0.1.
 */

import { randomBytes, timingSafeEqual } from "node:crypto";
import { InvalidOptionError } from "../errors.ts";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** Whether `host` is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host);
}

/** A new random token: 24 bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

/** Whether `given` is `token`, in time that does not depend on where they differ. */
export function isToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Whether a request's `Host` names the server: any host when it listens on a public address
 * (the token guards it), the loopback names with its port otherwise.
 */
export function isAllowedHost(header: string | undefined, host: string, port: number): boolean {
  if (!isLoopback(host)) return true;
  if (header === undefined) return false;
  const allowed = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  return allowed.includes(header.toLowerCase());
}

/** `host` as it goes in a URL: an IPv6 address in brackets. */
export function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * The address a local server listens on, checked: `host` (default 127.0.0.1) and `port`
 * (default 0: a free one). A host other than a loopback address gets `warning` as a process
 * warning with `code`: other machines can then reach the server.
 *
 * @throws {@link InvalidOptionError} for a port or host that is not one.
 */
export function listenAddress(
  options: { readonly host?: string | undefined; readonly port?: number | undefined },
  warning: string,
  code: string,
): { readonly host: string; readonly port: number } {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidOptionError(
      "port",
      `Expected \`port\` to be an integer from 0 to 65535 (0 picks a free one), got ${JSON.stringify(port)}.`,
    );
  }
  if (typeof host !== "string" || host.length === 0) {
    throw new InvalidOptionError(
      "host",
      `Expected \`host\` to be an address such as "127.0.0.1", got ${JSON.stringify(host)}.`,
    );
  }
  if (!isLoopback(host)) process.emitWarning(warning.replace("{host}", host), { code });
  return { host, port };
}
