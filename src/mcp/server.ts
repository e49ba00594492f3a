/**
 * `pipeweave mcp`: a pipeline served to AI agents over the Model Context Protocol, with the
 * tools of {@link TOOLS}. Typed errors come back as tool errors (`isError`) carrying their code.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { LoadedPipeline } from "../cli/load-module.ts";
import { PipeweaveError } from "../errors.ts";
import type { MapRun } from "../map/map-run.ts";
import { openRoot } from "./root.ts";
import { TOOLS, type ToolName } from "./tool-list.ts";
import { HANDLERS, type ToolContext } from "./tools.ts";

/** Options of {@link createMcpServer}. */
export interface McpServerOptions {
  /**
   * The folder under which the `map` tool makes run folders and the other tools read them;
   * created if missing. Nothing outside it is read or written.
   * @defaultValue `"runs"` (relative to the current folder)
   */
  readonly root?: string;
  /**
   * The largest value, in bytes of JSON, that `run` and `load` return; larger ones are
   * refused with `E_OUTPUT_TOO_LARGE` (ask for part of it with `load`'s `select` or `index`).
   * @defaultValue 1_000_000
   */
  readonly maxOutputBytes?: number;
}

/** The server's name in the protocol's handshake. */
const SERVER_NAME = "pipeweave";

/**
 * An MCP server for `pipeline`, not yet connected to a transport.
 *
 * @param pipeline - The pipeline to serve.
 * @param options - Its root and output cap.
 * @returns The server; `connect` it to a transport (see {@link serveMcpStdio}).
 */
export function createMcpServer(pipeline: LoadedPipeline, options: McpServerOptions = {}): Server {
  return serverFor(toolContext(pipeline, options));
}

/**
 * What the tools share, made once per served pipeline: over HTTP each request gets its own
 * {@link serverFor}, and a sweep one request starts is followed by the next.
 */
export function toolContext(pipeline: LoadedPipeline, options: McpServerOptions): ToolContext {
  return {
    pipeline,
    root: openRoot(options.root ?? "runs"),
    maxOutputBytes: options.maxOutputBytes ?? 1_000_000,
    started: new Map<string, MapRun<unknown>>(),
  };
}

/** A protocol server whose tools work on `context`. */
export function serverFor(context: ToolContext): Server {
  const server = new Server(
    { name: SERVER_NAME, version: "1" },
    {
      capabilities: { tools: {} },
      instructions:
        `Tools for the pipeweave pipeline "${context.pipeline.name}": call describe first to ` +
        "learn its inputs and outputs.",
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...TOOLS] }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const { name, arguments: args = {} } = request.params;
    if (!Object.hasOwn(HANDLERS, name)) {
      return failure({
        code: "E_INVALID_ARGUMENT",
        message: `No tool "${name}"; the tools are ${TOOLS.map((t) => t.name).join(", ")}.`,
      });
    }
    try {
      const value = await HANDLERS[name as ToolName](context, args);
      return { content: [{ type: "text", text: JSON.stringify(value) }] };
    } catch (error) {
      return failure(errorOf(error));
    }
  });
  return server;
}

/**
 * Serves `pipeline` over MCP on this process's stdin and stdout until the client closes them
 * (what `pipeweave mcp module#export` runs, started by an agent's client). stdout carries the
 * protocol only; nothing else may write to it.
 *
 * @param pipeline - The pipeline to serve.
 * @param options - Its root (run folders go nowhere else) and output cap.
 * @returns Once the connection is closed.
 * @throws An error from creating the root folder (it is made if missing).
 * @example
 * ```ts
 * await serveMcpStdio(pipeline, { root: "runs", maxOutputBytes: 100_000 });
 * ```
 */
export async function serveMcpStdio(
  pipeline: LoadedPipeline,
  options: McpServerOptions = {},
): Promise<void> {
  const server = createMcpServer(pipeline, options);
  const closed = new Promise<void>((resolve) => {
    server.onclose = resolve;
  });
  await server.connect(new StdioServerTransport());
  // The transport does not notice its input ending: the client going away is the end.
  process.stdin.once("end", () => void server.close());
  await closed;
}

interface ToolError {
  readonly code: string;
  readonly message: string;
}

function errorOf(error: unknown): ToolError {
  if (error instanceof PipeweaveError) return { code: error.code, message: error.message };
  return {
    code: "E_UNEXPECTED",
    message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  };
}

function failure(error: ToolError): CallToolResult {
  return {
    isError: true,
    content: [{ type: "text", text: `${error.code}: ${error.message}` }],
    structuredContent: { error },
  };
}
