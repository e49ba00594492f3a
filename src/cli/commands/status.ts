/** `pipeweave status <run-folder>`: where a sweep stands, from its heartbeat file. */
import type { Command } from "commander";
import { runFolderArgument } from "../common.ts";
import { toJsonBlock } from "../json.ts";
import { print } from "../output.ts";
import { renderStatus } from "../render-status.ts";
import { stdoutStyle } from "../style.ts";

export function addStatusCommand(program: Command): void {
  program
    .command("status")
    .description(
      "show where a sweep stands: running, done, failed, aborted, or stale (its process is gone)",
    )
    .addArgument(runFolderArgument())
    .option("--json", "print the status as JSON (runStatus(folder))")
    .action(async (runFolder: string, options: { readonly json?: boolean }) => {
      const { runStatus } = await import("../../status/read.ts");
      const status = runStatus(runFolder);
      print(options.json ? toJsonBlock(status) : renderStatus(status, stdoutStyle()));
    });
}
