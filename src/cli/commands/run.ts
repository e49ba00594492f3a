/** `pipeweave run <module#export> <output>`: computes one output and prints it as JSON. */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { MapRequiredError } from "../../errors.ts";
import { parseTarget, type Target } from "../args.ts";
import { addInputOptions, type InputOptions, targetArgument } from "../common.ts";
import { inputTable, outputTable } from "../describe-table.ts";
import { readInputs } from "../inputs.ts";
import { lossWarning, toJsonLine } from "../json.ts";
import { print, printError, reportFailure } from "../output.ts";

interface RunCliOptions extends InputOptions {
  readonly output?: string;
  readonly allowUnused?: boolean;
}

export function addRunCommand(program: Command): void {
  const command = program
    .command("run")
    .description("compute one output of a pipeline and print it as JSON")
    .addArgument(targetArgument())
    .argument("<output>", "the output to compute");
  addInputOptions(command)
    .option("--output <file>", "write the JSON to this file instead of stdout")
    .option("--allow-unused", "accept inputs that no function reads")
    .addHelpText(
      "after",
      "\nExample:\n  pipeweave run ./pipelines.ts#pipeline total --input a=2 --input 'xs=[1,2,3]'",
    )
    .action(async (target: Target, output: string, options: RunCliOptions, self: Command) => {
      const { loadPipeline } = await import("../load-module.ts");
      const pipeline = await loadPipeline(target);
      const inputs = readInputs(options.inputs, options.input);
      let value: unknown;
      try {
        value = await pipeline.run(output, inputs, { allowUnused: options.allowUnused === true });
      } catch (error) {
        if (!(error instanceof MapRequiredError)) throw error;
        // The library says "map"; here is the command that does it.
        reportFailure(error, self.optsWithGlobals<{ verbose?: boolean }>().verbose === true);
        printError(
          `Compute it with: pipeweave map ${mapArguments(target, options)} --run-folder <dir>\n` +
            `then read it with: pipeweave load <dir> ${output}`,
        );
        process.exitCode = 1;
        return;
      }
      const { text, lost } = toJsonLine(value);
      if (options.output === undefined) print(text);
      else writeFileSync(options.output, `${text}\n`);
      const warning = lossWarning(lost);
      if (warning) printError(warning);
    });
}

/**
 * Before `run <module#export> --help` prints: loads that pipeline and adds its inputs (types,
 * defaults, descriptions) and outputs to the help (pipefunc's `Pipeline.cli`). The help
 * prints without them, with a note, when the module cannot be loaded.
 */
export async function addPipelineHelp(program: Command, argv: readonly string[]): Promise<void> {
  const at = argv.findIndex((a) => !a.startsWith("-"));
  const text = argv[at + 1];
  if (argv[at] !== "run" || text === undefined || text.startsWith("-")) return;
  if (!argv.includes("--help") && !argv.includes("-h")) return;
  const command = program.commands.find((c) => c.name() === "run");
  if (!command || !text.includes("#")) return;
  let help: string;
  try {
    const { loadPipeline } = await import("../load-module.ts");
    const d = (await loadPipeline(parseTarget(text))).describe();
    const indent = (lines: readonly string[]) => lines.map((l) => `  ${l}`).join("\n");
    help =
      `\nPipeline "${d.name}"${d.description ? `: ${d.description}` : ""}\n` +
      `${indent(inputTable(d))}\n\n${indent(outputTable(d))}\n\n` +
      "Give each input with --input <name>=<value> (or all in --inputs <file>).";
  } catch (error) {
    help = `\n(The inputs of ${text} are not listed: ${error instanceof Error ? error.message : String(error)})`;
  }
  command.addHelpText("after", help);
}

/** `<module>#<export>` and the input flags of this command, as `map` takes them. */
function mapArguments(target: Target, options: RunCliOptions): string {
  const parts = [`${target.module}#${target.exportName}`];
  if (options.inputs !== undefined) parts.push("--inputs", options.inputs);
  else if (options.input !== undefined) parts.push("--inputs <file>");
  if (options.allowUnused) parts.push("--allow-unused");
  return parts.join(" ");
}
