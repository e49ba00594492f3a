/**
 * `pipeweave mcp <module#export>`: serves the pipeline to AI agents over MCP on stdio (an
 * agent's client starts it), with its run folders under `--root`. stdout is the protocol's.
 */
import type { Command } from "commander";
import { positiveInteger, type Target } from "../args.ts";
import { targetArgument } from "../common.ts";

interface McpCliOptions {
  readonly root: string;
  readonly maxOutputBytes?: number;
}

export function addMcpCommand(program: Command): void {
  program
    .command("mcp")
    .description(
      "serve a pipeline to AI agents over MCP on stdio: tools describe, run, map, status, load, runs",
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
    .addHelpText(
      "after",
      "\nExample (an agent's MCP configuration runs this):\n" +
        "  pipeweave mcp ./sweep.ts#pipeline --root runs",
    )
    .action(async (target: Target, options: McpCliOptions) => {
      const [{ loadPipeline }, { serveMcpStdio }] = await Promise.all([
        import("../load-module.ts"),
        import("../../mcp/server.ts"),
      ]);
      const pipeline = await loadPipeline(target);
      await serveMcpStdio(pipeline, {
        root: options.root,
        ...(options.maxOutputBytes === undefined ? {} : { maxOutputBytes: options.maxOutputBytes }),
      });
    });
}
