import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import {
  isAllowedHost,
  isToken,
  listenAddress,
  newToken,
  urlHost,
} from "../_internal/local-http.ts";
import { DashboardError } from "../errors.ts";

/** Options of a dashboard: `map(..., { dashboard })`, `stream.run({ dashboard })`, {@link serveDashboard}. */
export interface DashboardOptions {
  /**
   * The address to bind. Anything but a loopback address lets other machines reach the
   * dashboard (with its token), and a warning says so.
   * @defaultValue "127.0.0.1"
   */
  readonly host?: string;
  /**
   * The port; 0 picks a free one.
   * @defaultValue 0
   */
  readonly port?: number;
  /**
   * Called once the dashboard listens. Without it, its URL is printed on stderr.
   * @defaultValue print `pipeweave dashboard: <url>` on stderr
   */
  readonly onReady?: (dashboard: Dashboard) => void;
}

/** A dashboard that listens. */
export interface Dashboard {
  /** The page's address, its token included: the only way in. */
  readonly url: string;
  /** The address and port it listens on. */
  readonly host: string;
  readonly port: number;
  /** Stops listening and ends every open connection. */
  close(): Promise<void>;
}

/** What a dashboard shows: its page, and the state its page is sent as it changes. */
export interface DashboardSource {
  /** The whole page (built once). */
  readonly page: string;
  /**
   * The state now, as JSON-safe data: sent to a page when it connects, and, without
   * {@link DashboardSource.changes}, whenever it differs from what was sent last.
   */
  snapshot(): unknown;
  /**
   * What changed since the last call (a state a page can apply on top of the ones it has, such
   * as the cells of a plot that settled since), as JSON-safe data; undefined when nothing did.
   * Asked for while pages listen, and sent to each of them.
   */
  changes?(): unknown;
}

/** A dashboard its owner can also let go of: see {@link ServedDashboard.release}. */
export interface ServedDashboard extends Dashboard {
  /**
   * Sends the final state and stops the dashboard from keeping the process alive: it goes on
   * serving while the process runs for other reasons, and lets it exit when nothing else does.
   */
  release(): void;
}

/** How often the state is compared with what was sent, while a page listens. */
const POLL_MS = 200;
/** A comment line keeps idle connections (and proxies) from timing out. */
const KEEPALIVE_MS = 15_000;

/**
 * The page may run its own inline script and style and talk to its own origin, nothing else:
 * no other site's code, no frames, no forms, no fetch to elsewhere.
 */
const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; " +
  "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const HEADERS = {
  "Content-Security-Policy": CSP,
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  // The token is in the URL: no link may carry it elsewhere.
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
} as const;

/**
 * Serves `source` on `host:port` behind a random token. Three routes exist — `/` (the page),
 * `/events` (server-sent events carrying each new state) and `/status` (the state as JSON) —
 * and each needs `?token=`; every other path is a 404, and no part of a request's path ever
 * reaches the file system. On a loopback address the `Host` header must name it too, so a page
 * of another site cannot reach the dashboard by rebinding its own name to 127.0.0.1.
 *
 * @throws {@link InvalidOptionError} for a port or host that is not one.
 * @throws {@link DashboardError} when the address cannot be bound.
 */
export async function startDashboard(
  source: DashboardSource,
  options: DashboardOptions = {},
): Promise<ServedDashboard> {
  const { host, port } = listenAddress(
    options,
    "The dashboard listens on {host}, not only on this machine: anyone who can reach it and " +
      "has its URL (with the token) sees the run. Leave `host` unset to bind 127.0.0.1 only.",
    "PIPEWEAVE_DASHBOARD_HOST",
  );
  const token = newToken();
  const clients = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let isReleased = false;
  let last = "";
  let poll: NodeJS.Timeout | undefined;
  let keepalive: NodeJS.Timeout | undefined;

  const current = (): string => JSON.stringify(source.snapshot());
  const broadcast = (force = false) => {
    if (source.changes && !force) {
      const update = source.changes();
      if (update === undefined) return;
      const text = JSON.stringify(update);
      for (const res of clients) res.write(`data: ${text}\n\n`);
      return;
    }
    const state = current();
    if (!force && state === last) return;
    last = state;
    for (const res of clients) res.write(`data: ${state}\n\n`);
  };
  const watch = () => {
    if (poll) return;
    poll = setInterval(broadcast, POLL_MS);
    keepalive = setInterval(() => {
      for (const res of clients) res.write(": keepalive\n\n");
    }, KEEPALIVE_MS);
    if (isReleased) {
      poll.unref();
      keepalive.unref();
    }
  };
  const unwatch = () => {
    clearInterval(poll);
    clearInterval(keepalive);
    poll = undefined;
    keepalive = undefined;
  };

  const server = createServer((req, res) => {
    const url = route(req);
    if (url === undefined) return refuse(res, 405, "Only GET and HEAD are served.\n");
    if (url.pathname !== "/" && url.pathname !== "/events" && url.pathname !== "/status") {
      return refuse(res, 404, "Not found.\n");
    }
    if (!isAllowedHost(req.headers.host, host, actualPort())) {
      return refuse(res, 403, "This dashboard answers only to the address it listens on.\n");
    }
    if (!isToken(url.searchParams.get("token") ?? "", token)) {
      return refuse(res, 403, "Wrong or missing token: open the URL pipeweave printed.\n");
    }
    if (url.pathname === "/") {
      res.writeHead(200, { ...HEADERS, "Content-Type": "text/html; charset=utf-8" });
      res.end(req.method === "HEAD" ? undefined : source.page);
      return;
    }
    if (url.pathname === "/status") {
      res.writeHead(200, { ...HEADERS, "Content-Type": "application/json; charset=utf-8" });
      res.end(req.method === "HEAD" ? undefined : current());
      return;
    }
    res.writeHead(200, {
      ...HEADERS,
      "Content-Type": "text/event-stream; charset=utf-8",
      Connection: "keep-alive",
    });
    if (req.method === "HEAD") return void res.end();
    const state = current();
    last = state;
    res.write(`retry: 1000\n\ndata: ${state}\n\n`);
    clients.add(res);
    watch();
    res.on("close", () => {
      clients.delete(res);
      if (clients.size === 0) unwatch();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    if (isReleased) socket.unref();
    socket.on("close", () => sockets.delete(socket));
  });
  const actualPort = () => (server.address() as AddressInfo | null)?.port ?? port;

  await new Promise<void>((resolve, reject) => {
    const fail = (error: unknown) => reject(new DashboardError(host, port, error));
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      resolve();
    });
  });
  const listening = actualPort();
  const dashboard: ServedDashboard = {
    url: `http://${urlHost(host)}:${listening}/?token=${token}`,
    host,
    port: listening,
    close() {
      unwatch();
      for (const res of clients) res.end();
      clients.clear();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    release() {
      broadcast(true);
      isReleased = true;
      server.unref();
      poll?.unref();
      keepalive?.unref();
      for (const socket of sockets) socket.unref();
    },
  };
  if (options.onReady) options.onReady(dashboard);
  else process.stderr.write(`pipeweave dashboard: ${dashboard.url}\n`);
  return dashboard;
}

/** The request's URL, or undefined for a method other than GET and HEAD. */
function route(req: IncomingMessage): URL | undefined {
  if (req.method !== "GET" && req.method !== "HEAD") return undefined;
  // Parsed against a fixed base: only its path and query are read, never joined to a folder.
  return new URL(req.url ?? "/", "http://dashboard.invalid");
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { ...HEADERS, "Content-Type": "text/plain; charset=utf-8" });
  res.end(message);
}
