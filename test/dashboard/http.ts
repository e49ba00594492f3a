/** Raw HTTP for the dashboard tests: paths sent as written (fetch would normalise `..`). */
import { request } from "node:http";
import type { Dashboard } from "../../src/index.ts";

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** Sends `method path` to the dashboard at `url`'s host and port, with an optional Host header. */
export function raw(
  url: string,
  path: string,
  options: { readonly method?: string; readonly host?: string } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        path,
        method: options.method ?? "GET",
        ...(options.host === undefined ? {} : { headers: { host: options.host } }),
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** The dashboard's URL for `route` ("/", "/events", "/status"), with its token. */
export function routeOf(url: string, route: string): string {
  const u = new URL(url);
  u.pathname = route;
  return u.toString();
}

/** The states a dashboard's event stream sends, until `until` says stop (or the time is up). */
export function events(
  url: string,
  until: (state: unknown, all: readonly unknown[]) => boolean,
  timeoutMs = 20_000,
): Promise<unknown[]> {
  const u = new URL(routeOf(url, "/events"));
  return new Promise((resolve, reject) => {
    const states: unknown[] = [];
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no matching event within ${timeoutMs} ms; got ${states.length}`));
    }, timeoutMs);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname + u.search }, (res) => {
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of block.split("\n")) {
            if (!line.startsWith("data: ")) continue;
            const state: unknown = JSON.parse(line.slice(6));
            states.push(state);
            if (until(state, states)) {
              clearTimeout(timer);
              req.destroy();
              resolve(states);
              return;
            }
          }
          end = buffer.indexOf("\n\n");
        }
      });
    });
    req.on("error", (error) => {
      if (!req.destroyed) reject(error);
    });
    req.end();
  });
}

/**
 * Dashboard options whose `onReady` resolves `ready`: pass `options` to a run, then await the
 * dashboard it serves.
 */
export function whenReady(): {
  readonly options: { readonly onReady: (dashboard: Dashboard) => void };
  readonly ready: Promise<Dashboard>;
} {
  let onReady: (dashboard: Dashboard) => void = () => {};
  const ready = new Promise<Dashboard>((resolve) => {
    onReady = resolve;
  });
  return { options: { onReady }, ready };
}
