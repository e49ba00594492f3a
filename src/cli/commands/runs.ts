/** `pipeweave runs [dir]`: every run folder under a folder, newest first. */
import { resolve } from "node:path";
import type { Command } from "commander";
import { listRuns } from "../../status/read.ts";
import { toJsonBlock } from "../json.ts";
import { print } from "../output.ts";
import { renderRuns } from "../render-status.ts";
import { stdoutStyle } from "../style.ts";

export function addRunsCommand(program: Command): void {
  program
    .command("runs")
    .description("list the run folders under a folder with their status, newest first")
    .argument("[dir]", "where to look", ".")
    .option("--json", "print the statuses as JSON (listRuns(dir))")
    .action((dir: string, options: { readonly json?: boolean }) => {
      const runs = listRuns(dir);
      if (options.json) print(toJsonBlock(runs));
      else if (runs.length === 0) print(`No run folders under ${resolve(dir)}.`);
      else print(renderRuns(runs, process.cwd(), stdoutStyle()));
    });
}
