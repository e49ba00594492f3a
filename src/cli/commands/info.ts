/** `pipeweave info <module#export>`: a pipeline's inputs and outputs. */
import type { Command } from "commander";
import type { Target } from "../args.ts";
import { targetArgument } from "../common.ts";
import { inputTable, outputTable } from "../describe-table.ts";
import { renderTable } from "../format.ts";
import { toJsonBlock } from "../json.ts";
import { print } from "../output.ts";
import { stdoutStyle } from "../style.ts";

export function addInfoCommand(program: Command): void {
  program
    .command("info")
    .description("describe a pipeline: its inputs (required and optional), outputs and functions")
    .addArgument(targetArgument())
    .option("--json", "print pipeline.info(), the name and pipeline.describe() as JSON")
    .action(async (target: Target, options: { readonly json?: boolean }) => {
      const { loadPipeline } = await import("../load-module.ts");
      const pipeline = await loadPipeline(target);
      const info = pipeline.info();
      const described = pipeline.describe();
      if (options.json) {
        print(toJsonBlock({ name: pipeline.name, ...info, describe: described }));
        return;
      }
      const style = stdoutStyle();
      const list = (names: readonly string[]) => (names.length > 0 ? names.join(", ") : "-");
      const functions = pipeline.sortedFunctions.map((f) =>
        f.mapspec ? `${f.name} (${f.mapspec})` : f.name,
      );
      const rows = [
        ["required inputs", list(info.requiredInputs)],
        ["optional inputs", list(info.optionalInputs)],
        ["outputs", list(info.outputs)],
        ["intermediate", list(info.intermediate)],
        ["functions", list(functions)],
      ];
      print(style.bold(`Pipeline "${pipeline.name}"`));
      if (described.description) print(`  ${described.description}`);
      // The table's title row is not wanted here: the rows label themselves.
      for (const line of renderTable([{ title: "" }, { title: "" }], rows).slice(1)) {
        print(`  ${line}`);
      }
      for (const table of [inputTable(described), outputTable(described)]) {
        if (table.length < 2) continue;
        print("");
        for (const line of table) print(`  ${line}`);
      }
    });
}
