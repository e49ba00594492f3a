/** `pipeweave watch <run-folder>`: redraws a sweep's status until it ends. */
import type { Command } from "commander";
import type { RunStatus } from "../../status/types.ts";
import { positiveInteger } from "../args.ts";
import { runFolderArgument } from "../common.ts";
import { print } from "../output.ts";
import { renderStatus } from "../render-status.ts";
import { stdoutStyle } from "../style.ts";

export function addWatchCommand(program: Command): void {
  program
    .command("watch")
    .description(
      "redraw a sweep's status until it ends; exit 0 when done, 1 when failed, aborted or stale",
    )
    .addArgument(runFolderArgument())
    .option("--interval <ms>", "time between reads", positiveInteger("--interval"), 1000)
    .action(async (runFolder: string, options: { readonly interval: number }) => {
      const { runStatus } = await import("../../status/read.ts");
      const style = stdoutStyle();
      // On a terminal the status redraws in place; elsewhere (a pipe, a log) each change is
      // appended once, so the log shows the run's course without a line per heartbeat.
      const redraw = process.stdout.isTTY === true;
      let drawn = 0;
      let last = "";
      for (;;) {
        const status = runStatus(runFolder);
        const text = renderStatus(status, style);
        if (redraw) {
          if (drawn > 0) process.stdout.write(`\u001b[${drawn}A\u001b[0J`);
          print(text);
          drawn = rows(text, process.stdout.columns);
        } else if (progressOf(status) !== last) {
          if (last !== "") print("");
          print(text);
          last = progressOf(status);
        }
        if (status.state !== "running") {
          process.exitCode = status.state === "done" ? 0 : 1;
          return;
        }
        await new Promise((r) => setTimeout(r, options.interval));
      }
    });
}

/** Terminal rows `text` takes, long lines wrapping at `columns`. */
function rows(text: string, columns: number | undefined): number {
  const width = columns && columns > 0 ? columns : Number.POSITIVE_INFINITY;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: colour escapes take no room.
  const plain = text.replace(/\u001b\[[0-9;]*m/g, "");
  return plain.split("\n").reduce((n, line) => n + Math.max(1, Math.ceil(line.length / width)), 0);
}

/** What a change worth appending is: the state and each function's counts, not the clock. */
function progressOf(status: RunStatus): string {
  return [
    status.state,
    ...status.functions.map((f) => `${f.state}:${f.done}:${f.failed}:${f.skipped}`),
  ].join(" ");
}
