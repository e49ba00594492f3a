/**
 * `pipeweave mcp --http`: the same tools over MCP's Streamable HTTP transport, on 127.0.0.1 by
 * default, behind a random token and the dashboard's Host check. One route, `/mcp`, exists.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import {
  isAllowedHost,
  isToken,
  listenAddress,
  newToken,
  urlHost,
} from "../_internal/local-http.ts";
import type { LoadedPipeline } from "../cli/load-module.ts";
import { McpListenError } from "../errors.ts";
import { type McpServerOptions, serverFor, toolContext } from "./server.ts";

/** Options of {@link serveMcpHttp}: the server's, and where it listens. */
export interface McpHttpOptions extends McpServerOptions {
  /**
   * The address to bind. Anything but a loopback address lets other machines reach the tools
   * (with the token), and a warning says so.
   * @defaultValue "127.0.0.1"
   */
  readonly host?: string;
  /**
   * The port; 0 picks a free one.
   * @defaultValue 0
   */
  readonly port?: number;
  /**
   * Called once the server listens. Without it, its URL is printed on stderr (stdout stays
   * free, as over stdio).
   * @defaultValue print `pipeweave mcp: <url>` on stderr
   */
  readonly onReady?: (server: McpHttpServer) => void;
}

/** An MCP server that listens over HTTP. */
export interface McpHttpServer {
  /** The MCP endpoint with its token (`http://127.0.0.1:PORT/mcp?token=…`): the only way in. */
  readonly url: string;
  /** The token alone, for a client that sends it as `Authorization: Bearer <token>`. */
  readonly token: string;
  readonly host: string;
  readonly port: number;
  /** Stops listening and ends every open connection. */
  close(): Promise<void>;
}

/** The one route served. */
const MCP_PATH = "/mcp";

/**
 * Serves `pipeline`'s tools over MCP's Streamable HTTP transport until `close()`. Each request
 * needs the token, as `?token=` or `Authorization: Bearer <token>` (401 without one, 403 for a
 * wrong one); on a loopback address its `Host` must name the server too (403), so a page of
 * another site cannot reach it by rebinding its name to 127.0.0.1. Only `POST /mcp` is served:
 * other paths are a 404, other methods a 405. The server keeps no session: the sweeps started
 * and the root are shared by every request.
 *
 * @param pipeline - The pipeline to serve.
 * @param options - Root, output cap, address and port.
 * @returns The server, listening.
 * @throws {@link InvalidOptionError} for a port or host that is not one.
 * @throws {@link McpListenError} when the address cannot be bound.
 * @example
 * ```ts
 * const server = await serveMcpHttp(pipeline, { root: "runs", onReady: (s) => console.error(s.url) });
 * // … later
 * await server.close();
 * ```
 */
export async function serveMcpHttp(
  pipeline: LoadedPipeline,
  options: McpHttpOptions = {},
): Promise<McpHttpServer> {
  const { host, port } = listenAddress(
    options,
    "The MCP server listens on {host}, not only on this machine: anyone who can reach it and " +
      "has its token can run the pipeline. Leave --host unset to bind 127.0.0.1 only.",
    "PIPEWEAVE_MCP_HOST",
  );
  const context = toolContext(pipeline, options);
  const token = newToken();
  const server = createServer((req, res) => {
    const status = refusal(req, host, actualPort(), token);
    if (status) return refuse(res, ...status);
    void answer(req, res);
  });
  const actualPort = () => (server.address() as AddressInfo | null)?.port ?? port;

  /** One request, one protocol server and transport: no session state to keep or leak. */
  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const mcp = serverFor(context);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on("close", () => {
      void transport.close();
      void mcp.close();
    });
    try {
      await mcp.connect(transport);
      await transport.handleRequest(req, res);
    } catch (error) {
      if (!res.headersSent) refuse(res, 500, `The request failed: ${String(error)}\n`);
    }
  };

  await new Promise<void>((resolve, reject) => {
    const fail = (error: unknown) => reject(new McpListenError(host, port, error));
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      resolve();
    });
  });
  const listening = actualPort();
  const served: McpHttpServer = {
    url: `http://${urlHost(host)}:${listening}${MCP_PATH}?token=${token}`,
    token,
    host,
    port: listening,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  if (options.onReady) options.onReady(served);
  else process.stderr.write(`pipeweave mcp: ${served.url}\n`);
  return served;
}

/** Why a request is refused, as its status and message; undefined for one to answer. */
function refusal(
  req: IncomingMessage,
  host: string,
  port: number,
  token: string,
): [number, string] | undefined {
  if (!isAllowedHost(req.headers.host, host, port)) {
    return [403, "This server answers only to the address it listens on.\n"];
  }
  // Parsed against a fixed base: only its path and query are read, never joined to a folder.
  const url = new URL(req.url ?? "/", "http://mcp.invalid");
  if (url.pathname !== MCP_PATH) return [404, `Not found; the MCP endpoint is ${MCP_PATH}.\n`];
  const given = url.searchParams.get("token") ?? bearer(req.headers.authorization);
  if (given === undefined) {
    return [401, "A token is needed: ?token= in the URL, or Authorization: Bearer <token>.\n"];
  }
  if (!isToken(given, token)) return [403, "Wrong token: use the one pipeweave mcp printed.\n"];
  // Stateless: no stream for server-sent requests to open, no session to delete.
  if (req.method !== "POST") return [405, "Only POST is served.\n"];
  return undefined;
}

function bearer(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Cache-Control": "no-store",
    ...(status === 401 ? { "WWW-Authenticate": "Bearer" } : {}),
    ...(status === 405 ? { Allow: "POST" } : {}),
  });
  res.end(message);
}
