/**
 * `pipeweave dashboard <run-folder>`: serves the live dashboard of a sweep's run folder on
 * 127.0.0.1 until Ctrl-C (or SIGTERM); the URL, with its token, is printed.
 */
import type { Command } from "commander";
import { nonNegativeInteger } from "../args.ts";
import { runFolderArgument, untilStopped } from "../common.ts";
import { print } from "../output.ts";

interface DashboardCliOptions {
  readonly host?: string;
  readonly port: number;
}

export function addDashboardCommand(program: Command): void {
  program
    .command("dashboard")
    .description(
      "serve a live page of a sweep's progress (graph, per-function counts, errors) until Ctrl-C",
    )
    .addArgument(runFolderArgument())
    .option(
      "--host <address>",
      "listen on this address instead of 127.0.0.1 (other machines can then reach it; a warning says so)",
    )
    .option("--port <n>", "the port (0 picks a free one)", nonNegativeInteger("--port"), 0)
    .action(async (runFolder: string, options: DashboardCliOptions) => {
      const { serveDashboard } = await import("../../dashboard/run-folder.ts");
      const dashboard = await serveDashboard(runFolder, {
        ...(options.host === undefined ? {} : { host: options.host }),
        port: options.port,
        onReady: (d) => print(`pipeweave dashboard of ${runFolder}: ${d.url}\n(Ctrl-C stops it)`),
      });
      await untilStopped();
      await dashboard.close();
    });
}
