/**
 * `pipeweave mcp <module#export>`: serves the pipeline to AI agents over MCP, on stdio (an
 * agent's client starts it; stdout is the protocol's) or with `--http` on 127.0.0.1 behind a
 * token, with its run folders under `--root`.
 */
import type { Command } from "commander";
import { nonNegativeInteger, positiveInteger, type Target } from "../args.ts";
import { targetArgument, untilStopped } from "../common.ts";

interface McpCliOptions {
  readonly root: string;
  readonly maxOutputBytes?: number;
  readonly http?: boolean;
  readonly host?: string;
  readonly port?: number;
}

export function addMcpCommand(program: Command): void {
  program
    .command("mcp")
    .description(
      "serve a pipeline to AI agents over MCP (stdio, or --http): tools describe, run, map, status, load, runs",
    )
    .addArgument(targetArgument())
    .option(
      "--root <dir>",
      "the folder the sweeps' run folders go in (created if missing); nothing outside it is read or written",
      "runs",
    )
    .option(
      "--max-output-bytes <n>",
      "the largest value, as JSON, that run and load return (default 1000000)",
      positiveInteger("--max-output-bytes"),
    )
    .option(
      "--http",
      "serve MCP's Streamable HTTP transport on 127.0.0.1 instead of stdio; its URL, with a token, is printed on stderr",
    )
    .option(
      "--host <address>",
      "with --http: listen on this address instead of 127.0.0.1 (other machines can then reach it; a warning says so)",
    )
    .option(
      "--port <n>",
      "with --http: the port (default 0: a free one)",
      nonNegativeInteger("--port"),
    )
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  pipeweave mcp ./sweep.ts#pipeline --root runs          (an agent's MCP configuration runs this)\n" +
        "  pipeweave mcp ./sweep.ts#pipeline --root runs --http   (prints http://127.0.0.1:PORT/mcp?token=...)",
    )
    .action(async (target: Target, options: McpCliOptions, command: Command) => {
      if (!options.http && (options.host !== undefined || options.port !== undefined)) {
        const flag = options.host !== undefined ? "--host" : "--port";
        command.error(
          `error: ${flag} needs --http (over stdio there is no address to listen on).`,
          {
            exitCode: 2,
            code: "commander.invalidArgument",
          },
        );
      }
      const [{ loadPipeline }, { serveMcpStdio }, { serveMcpHttp }] = await Promise.all([
        import("../load-module.ts"),
        import("../../mcp/server.ts"),
        import("../../mcp/http.ts"),
      ]);
      const pipeline = await loadPipeline(target);
      const serverOptions = {
        root: options.root,
        ...(options.maxOutputBytes === undefined ? {} : { maxOutputBytes: options.maxOutputBytes }),
      };
      if (!options.http) return serveMcpStdio(pipeline, serverOptions);
      const server = await serveMcpHttp(pipeline, {
        ...serverOptions,
        ...(options.host === undefined ? {} : { host: options.host }),
        ...(options.port === undefined ? {} : { port: options.port }),
        // stderr, as over stdio: stdout stays free for whoever started the server.
        onReady: (s) => process.stderr.write(`pipeweave mcp: ${s.url}\n(Ctrl-C stops it)\n`),
      });
      await untilStopped();
      await server.close();
    });
}
