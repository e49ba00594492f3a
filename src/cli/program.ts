/**
 * The `pipeweave` command line: commander parses every argument (usage errors exit 2 with the
 * usage), each command lives in its own file under commands/ and calls the library.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { COMMANDS } from "./commands/index.ts";
import { addPipelineHelp } from "./commands/run.ts";
import { flushOutput, reportFailure } from "./output.ts";

/** Exit status of bad arguments (what shells and getopt-style tools use for usage errors). */
export const USAGE_EXIT = 2;
/** Exit status of a command that failed. */
export const FAILURE_EXIT = 1;

/** The program with every command; it throws instead of exiting, see {@link runCli}. */
export function createProgram(): Command {
  const program = new Command("pipeweave")
    .description("Run and inspect pipeweave pipelines and sweeps.")
    .version(version(), "-V, --version", "print pipeweave's version")
    .option("--verbose", "on failure, print the whole error with its stack and causes")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError()
    .exitOverride();
  // Settings given above (exitOverride, help after errors) are inherited by commands added with
  // program.command(), which is how each command file adds itself.
  for (const add of COMMANDS) add(program);
  return program;
}

/**
 * Runs the CLI on `argv` (without node and the script) and resolves to the exit status: 0, 1
 * for a failed command (its error printed), 2 for bad arguments (the usage printed).
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await addPipelineHelp(program, argv);
    await program.parseAsync(argv, { from: "user" });
    return Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : USAGE_EXIT;
    reportFailure(error, program.opts<{ verbose?: boolean }>().verbose === true);
    return FAILURE_EXIT;
  }
}

/** Runs the CLI on this process's arguments and exits with its status once output is out. */
export async function main(): Promise<never> {
  const code = await runCli(process.argv.slice(2));
  await flushOutput();
  // Exit even when the user's module left something open (a timer, a connection).
  process.exit(code);
}

function version(): string {
  // dist/cli/ and src/cli/ are both two folders below package.json.
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  return String((pkg as { version?: unknown }).version);
}
