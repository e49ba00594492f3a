/** `pipeweave run <module#export> <output>`: computes one output and prints it as JSON. */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import type { Target } from "../args.ts";
import { addInputOptions, type InputOptions, targetArgument } from "../common.ts";
import { readInputs } from "../inputs.ts";
import { lossWarning, toJsonLine } from "../json.ts";
import { print, printError } from "../output.ts";

interface RunCliOptions extends InputOptions {
  readonly output?: string;
}

export function addRunCommand(program: Command): void {
  const command = program
    .command("run")
    .description("compute one output of a pipeline and print it as JSON")
    .addArgument(targetArgument())
    .argument("<output>", "the output to compute");
  addInputOptions(command)
    .option("--output <file>", "write the JSON to this file instead of stdout")
    .addHelpText(
      "after",
      "\nExample:\n  pipeweave run ./pipelines.ts#pipeline total --input a=2 --input 'xs=[1,2,3]'",
    )
    .action(async (target: Target, output: string, options: RunCliOptions) => {
      const { loadPipeline } = await import("../load-module.ts");
      const pipeline = await loadPipeline(target);
      const inputs = readInputs(options.inputs, options.input);
      const value = await pipeline.run(output, inputs);
      const { text, lost } = toJsonLine(value);
      if (options.output === undefined) print(text);
      else writeFileSync(options.output, `${text}\n`);
      const warning = lossWarning(lost);
      if (warning) printError(warning);
    });
}
