/**
 * `pipeweave map <module#export> --inputs FILE --run-folder DIR`: runs a sweep into a run
 * folder, with progress bars on a TTY and one summary line per function otherwise.
 */
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { AbortError } from "../../errors.ts";
import type { ProgressListener } from "../../map/events.ts";
import { positiveInteger, type Target } from "../args.ts";
import { addInputOptions, type InputOptions, targetArgument } from "../common.ts";
import { readInputs } from "../inputs.ts";
import { summaryLines } from "../map-summary.ts";
import { print, printError } from "../output.ts";

interface MapCliOptions extends InputOptions {
  readonly runFolder: string;
  readonly executor: "inline" | "threads";
  readonly threads?: number;
  readonly resume?: boolean;
  readonly overwrite?: boolean;
  readonly errors: "raise" | "continue";
  readonly dashboard?: boolean;
}

/** Exit status after Ctrl-C (128 + SIGINT), as shells report it. */
const INTERRUPTED_EXIT = 130;

export function addMapCommand(program: Command): void {
  const command = program
    .command("map")
    .description(
      "run a sweep into a run folder (progress bars on a TTY, a line per function otherwise)",
    )
    .addArgument(targetArgument());
  addInputOptions(command)
    .requiredOption("--run-folder <dir>", "the run folder: run.json, inputs, outputs, status.json")
    .addOption(
      new Option("--executor <executor>", "where elements run")
        .choices(["inline", "threads"])
        .default("inline"),
    )
    .addOption(
      new Option("--threads <n>", "size of the thread pool (implies --executor threads)")
        .argParser(positiveInteger("--threads"))
        .implies({ executor: "threads" }),
    )
    .option("--resume", "reuse the results already in the run folder, computing only the rest")
    .option("--overwrite", "replace the results of a run already in the run folder")
    .option("--dashboard", "serve a live dashboard of the run on 127.0.0.1 (its URL is printed)")
    .addOption(
      new Option("--errors <mode>", "stop at the first failure, or record it and go on")
        .choices(["raise", "continue"])
        .default("raise"),
    )
    .addHelpText(
      "after",
      "\nExample:\n  pipeweave map ./sweep.ts#pipeline --inputs inputs.json --run-folder runs/first",
    )
    .action(async (target: Target, options: MapCliOptions, self: Command) => {
      if (options.threads !== undefined && options.executor !== "threads") {
        self.error("error: --threads needs --executor threads.", { exitCode: 2 });
      }
      const { loadPipeline } = await import("../load-module.ts");
      const pipeline = await loadPipeline(target);
      const inputs = readInputs(options.inputs, options.input);
      // Bars redraw in place on a terminal; anywhere else a line per function reads better.
      const progress: true | ProgressListener = process.stderr.isTTY
        ? true
        : summaryLines(
            pipeline.sortedFunctions.map((f) => f.name),
            print,
          );
      const controller = new AbortController();
      // The first Ctrl-C stops scheduling and waits for the elements already running, leaving
      // the folder resumable; a second one quits at once (the run then reads as stale).
      const quit = () => process.exit(INTERRUPTED_EXIT);
      const interrupt = () => {
        printError(
          "Stopping once the running elements finish (Ctrl-C again to quit now). Resume with:\n" +
            `  ${resumeCommand(target, options)}`,
        );
        process.once("SIGINT", quit);
        controller.abort(new Error("interrupted (Ctrl-C)"));
      };
      process.once("SIGINT", interrupt);
      try {
        await pipeline.map(inputs, {
          runFolder: options.runFolder,
          executor: options.executor,
          ...(options.threads === undefined ? {} : { threads: options.threads }),
          resume: options.resume === true,
          overwrite: options.overwrite === true,
          errors: options.errors,
          dashboard: options.dashboard === true,
          progress,
          signal: controller.signal,
        });
      } catch (error) {
        if (!(error instanceof AbortError && controller.signal.aborted)) throw error;
        printError("Interrupted; the run folder keeps what finished.");
        process.exitCode = INTERRUPTED_EXIT;
        return;
      } finally {
        process.off("SIGINT", interrupt);
        process.off("SIGINT", quit);
      }
      print(
        `Results in ${resolve(options.runFolder)}; read one with: pipeweave load ${options.runFolder} <output>`,
      );
    });
}

/** The command that finishes this run. */
function resumeCommand(target: Target, options: MapCliOptions): string {
  const parts = ["pipeweave", "map", `${target.module}#${target.exportName}`];
  if (options.inputs !== undefined) parts.push("--inputs", options.inputs);
  for (const [name, value] of Object.entries(options.input ?? {})) {
    parts.push("--input", `'${name}=${typeof value === "string" ? value : JSON.stringify(value)}'`);
  }
  parts.push("--run-folder", options.runFolder);
  if (options.executor !== "inline") parts.push("--executor", options.executor);
  if (options.threads !== undefined) parts.push("--threads", String(options.threads));
  if (options.errors !== "raise") parts.push("--errors", options.errors);
  parts.push("--resume");
  return parts.join(" ");
}
