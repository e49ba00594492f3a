/** `pipeweave runs [dir]`: every run folder under a folder, newest first. */
import { resolve } from "node:path";
import type { Command } from "commander";
import { nonNegativeInteger } from "../args.ts";
import { toJsonBlock } from "../json.ts";
import { print } from "../output.ts";
import { renderRuns } from "../render-status.ts";
import { stdoutStyle } from "../style.ts";

export function addRunsCommand(program: Command): void {
  program
    .command("runs")
    .description("list the run folders under a folder with their status, newest first")
    .argument("[dir]", "where to look", ".")
    .option(
      "--depth <n>",
      "how many folder levels below dir to search",
      nonNegativeInteger("--depth"),
      3,
    )
    .option("--json", "print the statuses as JSON (listRuns(dir))")
    .action(async (dir: string, options: { readonly depth: number; readonly json?: boolean }) => {
      const { listRuns } = await import("../../status/read.ts");
      const runs = listRuns(dir, { depth: options.depth });
      if (options.json) print(toJsonBlock(runs));
      else if (runs.length === 0) print(`No run folders under ${resolve(dir)}.`);
      else print(renderRuns(runs, process.cwd(), stdoutStyle()));
    });
}
