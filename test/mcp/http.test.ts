/**
 * `pipeweave mcp --http`: the SDK's Streamable HTTP client against the CLI in a child process,
 * with the token in the URL or as a Bearer header; raw requests for the refusals (no token, a
 * wrong one, a wrong Host, another path or method); and, in this process, the listen errors
 * and the warning for an address beyond this machine.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoadedPipeline } from "../../src/cli/load-module.ts";
import { InvalidOptionError, McpListenError, Pipeline, pipefunc } from "../../src/index.ts";
import { serveMcpHttp } from "../../src/mcp/http.ts";
import { CLI_MS, cliInProcess, startCli, until } from "../cli/cli.ts";
import * as tool from "./client.ts";

const root = mkdtempSync(join(tmpdir(), "pipeweave-mcp-http-"));
let child: ChildProcess;
let url: URL;
let stdout = "";

/** A client of the server at `address`, with `headers` on every request. */
async function connect(address: URL, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "pipeweave-test", version: "1" });
  await client.connect(new StreamableHTTPClientTransport(address, { requestInit: { headers } }));
  return client;
}

/** The endpoint without its token. */
function bare(): URL {
  const address = new URL(url);
  address.search = "";
  return address;
}

/** A raw request to the server, its path and headers as written (fetch would set Host itself). */
function raw(
  path: string,
  options: { readonly method?: string; readonly headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: options.method ?? "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...options.headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.method === "GET" ? undefined : body);
  });
}

beforeAll(async () => {
  child = startCli(["mcp", "pipelines.ts#sweep", "--http", "--root", root]);
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await until(() => /pipeweave mcp: http:\/\/\S+/.test(stderr), "the server's URL");
  url = new URL(stderr.match(/pipeweave mcp: (http:\/\/\S+)/)![1]!);
}, CLI_MS);

afterAll(async () => {
  const closed = new Promise((resolve) => child.once("close", resolve));
  child.kill("SIGTERM");
  await closed;
  rmSync(root, { recursive: true, force: true });
});

describe("pipeweave mcp --http", () => {
  it("prints its URL on stderr: 127.0.0.1, the /mcp route, a token; stdout stays empty", () => {
    expect(url.href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp\?token=[\w-]{32}$/);
    expect(stdout).toBe("");
  });

  it("serves the tools to a client with the token in the URL: run, map, status, load", async () => {
    const client = await connect(url);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("map");
      expect(await tool.value(client, "run", { output: "y", inputs: { x: 5 } })).toBe(10);
      await tool.value(client, "map", { inputs: { x: [1, 2, 3] }, runFolder: "web" });
      // Each request gets its own protocol server: the sweep is followed across them.
      await until(async () => {
        const status = (await tool.value(client, "status", { id: "web" })) as { state: string };
        return status.state === "done";
      }, "the sweep to end");
      expect(await tool.value(client, "load", { id: "web", output: "total" })).toBe(12);
      expect((await tool.refusal(client, "run", { output: "y", inputs: {} })).code).toBe(
        "E_MISSING_INPUT",
      );
    } finally {
      await client.close();
    }
  });

  it("serves a client that sends the token as Authorization: Bearer", async () => {
    const client = await connect(bare(), {
      Authorization: `Bearer ${url.searchParams.get("token")}`,
    });
    try {
      expect(await tool.value(client, "run", { output: "y", inputs: { x: 2 } })).toBe(4);
    } finally {
      await client.close();
    }
  });

  it("refuses a request without a token (401) and one with a wrong token (403)", async () => {
    const missing = await raw("/mcp");
    expect(missing.status).toBe(401);
    expect(missing.headers["www-authenticate"]).toBe("Bearer");
    expect((await raw("/mcp?token=wrong")).status).toBe(403);
    expect((await raw("/mcp", { headers: { authorization: "Bearer wrong" } })).status).toBe(403);
  });

  it("refuses a Host other than its own address, token or not (DNS rebinding)", async () => {
    const response = await raw(`/mcp${url.search}`, {
      headers: { host: `evil.example:${url.port}` },
    });
    expect(response.status).toBe(403);
    expect(response.body).toContain("answers only to the address it listens on");
  });

  it("serves only POST /mcp: 404 for other paths, 405 for other methods", async () => {
    expect((await raw(`/${url.search}`)).status).toBe(404);
    expect((await raw(`/mcp/../etc/passwd${url.search}`)).status).toBe(404);
    const get = await raw(`/mcp${url.search}`, { method: "GET" });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe("POST");
  });

  it("refuses --port without --http (usage, exit 2)", async () => {
    const result = await cliInProcess(["mcp", "pipelines.ts#sweep", "--port", "8000"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--port needs --http");
  });
});

describe("serveMcpHttp", () => {
  const pipeline = new Pipeline([
    pipefunc({ output: "y" }, ({ x }: { x: number }) => x),
  ]) as unknown as LoadedPipeline;
  const quiet = { root, onReady: () => {} };

  it("refuses a port that is taken with McpListenError, naming the address", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const error = await serveMcpHttp(pipeline, { ...quiet, port }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(McpListenError);
      expect((error as McpListenError).code).toBe("E_MCP_LISTEN");
      expect((error as McpListenError).message).toContain(`127.0.0.1:${port} (EADDRINUSE)`);
    } finally {
      taken.close();
    }
  });

  it("refuses a port out of range with InvalidOptionError", async () => {
    const error = await serveMcpHttp(pipeline, { ...quiet, port: 70000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).message).toContain("`port`");
  });

  it("warns when it listens beyond this machine", async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    const server = await serveMcpHttp(pipeline, { ...quiet, host: "0.0.0.0" });
    await server.close();
    await until(() => warnings.length > 0, "the warning");
    process.off("warning", onWarning);
    expect(warnings.map((w) => (w as { code?: string }).code)).toContain("PIPEWEAVE_MCP_HOST");
  });
});
