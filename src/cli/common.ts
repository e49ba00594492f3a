/** Arguments and options several commands share. */
import { Argument, type Command } from "commander";
import { collectInput, parseTarget } from "./args.ts";

/** `<module#export>`: the module (relative to the current folder) and its pipeline export. */
export function targetArgument(): Argument {
  return new Argument(
    "<module#export>",
    "the module (.ts or .js, relative to the current folder) and the export holding the pipeline",
  ).argParser(parseTarget);
}

/** `<run-folder>`: a folder `map` wrote. */
export function runFolderArgument(): Argument {
  return new Argument("<run-folder>", "a run folder written by map");
}

/** `--inputs FILE` and repeated `--input name=value`. */
export function addInputOptions(command: Command): Command {
  return command
    .option("--inputs <file>", "a JSON file holding an object of inputs by name")
    .option(
      "--input <name=value>",
      "an input (repeat for more; over --inputs); JSON when it parses as JSON, else a string",
      collectInput,
    );
}

/** The options {@link addInputOptions} adds, as commander gives them. */
export interface InputOptions {
  readonly inputs?: string;
  readonly input?: Readonly<Record<string, unknown>>;
}

/** Resolves at the first Ctrl-C or SIGTERM: how a command that serves until stopped waits. */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
