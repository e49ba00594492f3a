/** `pipeweave load <run-folder> <output>`: one output of a sweep, as JSON. */
import type { Command } from "commander";
import { InvalidOptionError } from "../../errors.ts";
import { parseIndex } from "../args.ts";
import { runFolderArgument } from "../common.ts";
import { lossWarning, toJsonLine } from "../json.ts";
import { print, printError } from "../output.ts";

export function addLoadCommand(program: Command): void {
  program
    .command("load")
    .description(
      "print one output of a run folder as JSON (a mapped output as { shape, dims, data, missing? })",
    )
    .addArgument(runFolderArgument())
    .argument("<output>", "the output to read")
    .option(
      "--index <i,j,...>",
      "print only the element at this index of a mapped output",
      parseIndex,
    )
    .action(async (runFolder: string, output: string, options: { readonly index?: number[] }) => {
      const [{ loadOutputs }, { NdArray }] = await Promise.all([
        import("../../map/load.ts"),
        import("../../map/ndarray.ts"),
      ]);
      let value = await loadOutputs(output, { runFolder });
      if (options.index !== undefined) {
        if (!(value instanceof NdArray)) {
          throw new InvalidOptionError(
            "--index",
            `Output "${output}" of "${runFolder}" is not a mapped output; --index needs one. ` +
              "Load it without --index.",
          );
        }
        value = value.get(...options.index);
      }
      const { text, lost } = toJsonLine(value);
      print(text);
      const warning = lossWarning(lost);
      if (warning) printError(warning);
    });
}
