/**
 * Every command of the CLI, in the order `--help` lists them. A command is one file here that
 * adds itself to the program; adding one means adding its file and a line below. Actions
 * import the engine when they run, so `--help` and usage errors answer without loading it.
 */
import type { Command } from "commander";
import { addDashboardCommand } from "./dashboard.ts";
import { addInfoCommand } from "./info.ts";
import { addLoadCommand } from "./load.ts";
import { addMapCommand } from "./map.ts";
import { addMcpCommand } from "./mcp.ts";
import { addRunCommand } from "./run.ts";
import { addRunsCommand } from "./runs.ts";
import { addStatusCommand } from "./status.ts";
import { addVizCommand } from "./viz.ts";
import { addWatchCommand } from "./watch.ts";
import { addWorkerCommand } from "./worker.ts";

/** Adds one command (with its arguments, options and action) to the program. */
export type AddCommand = (program: Command) => void;

export const COMMANDS: readonly AddCommand[] = [
  addRunCommand,
  addMapCommand,
  addInfoCommand,
  addVizCommand,
  addLoadCommand,
  addStatusCommand,
  addRunsCommand,
  addWatchCommand,
  addDashboardCommand,
  addWorkerCommand,
  addMcpCommand,
];
