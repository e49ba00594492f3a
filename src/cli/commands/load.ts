/**
 * `pipeweave load <run-folder> <output>`: one output of a sweep, as JSON (its value), or as a
 * long-format table with its coordinates (CSV or Parquet).
 */
import { writeFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { InvalidOptionError } from "../../errors.ts";
import { parseIndex } from "../args.ts";
import { runFolderArgument } from "../common.ts";
import { lossWarning, toJsonLine } from "../json.ts";
import { printError } from "../output.ts";

type Format = "json" | "csv" | "parquet";

interface LoadCliOptions {
  readonly index?: number[];
  readonly format: Format;
  readonly out?: string;
}

export function addLoadCommand(program: Command): void {
  program
    .command("load")
    .description(
      "print one output of a run folder: as JSON (a mapped output as { shape, dims, data, " +
        "missing? }), or as a table with a row per element and its coordinates (CSV, Parquet)",
    )
    .addArgument(runFolderArgument())
    .argument("<output>", "the output to read")
    .option(
      "--index <i,j,...>",
      "print only the element at this index of a mapped output (--format json)",
      parseIndex,
    )
    .addOption(
      new Option(
        "--format <format>",
        "json: the value; csv, parquet: one row per element with its position, the inputs " +
          "labelling its axes and the outputs along them",
      )
        .choices(["json", "csv", "parquet"])
        .default("json"),
    )
    .option("--out <file>", "write to this file instead of stdout (needed by --format parquet)")
    .addHelpText(
      "after",
      "\nExamples:\n  pipeweave load runs/grid c --format csv > c.csv\n" +
        "  pipeweave load runs/grid c --format parquet --out c.parquet",
    )
    .action(
      async (runFolder: string, output: string, options: LoadCliOptions, command: Command) => {
        const usage = (message: string) =>
          command.error(`error: ${message}`, { exitCode: 2, code: "commander.invalidArgument" });
        if (options.index !== undefined && options.format !== "json") {
          usage(
            `--index picks one element as JSON; it does not go with --format ${options.format}.`,
          );
        }
        if (options.format === "parquet" && options.out === undefined) {
          usage("--format parquet writes a binary file: pass --out <file>.");
        }
        if (options.format === "json") {
          const { text, lost } = toJsonLine(await loadValue(runFolder, output, options.index));
          write(options.out, `${text}\n`);
          const warning = lossWarning(lost);
          if (warning) printError(warning);
          return;
        }
        const [{ loadDataset }, { loadOutputs }] = await Promise.all([
          import("../../results/load-dataset.ts"),
          import("../../map/load.ts"),
        ]);
        const dataset = await loadDataset({ runFolder });
        // An output the dataset lacks is unknown or not stored: loadOutputs says which.
        if (!Object.hasOwn(dataset.dataVars, output)) await loadOutputs(output, { runFolder });
        if (options.format === "csv") {
          const { toCsv } = await import("../../results/csv.ts");
          write(options.out, toCsv(dataset, output));
        } else {
          const { writeParquet } = await import("../../results/arrow.ts");
          await writeParquet(dataset, options.out!, { output });
        }
      },
    );
}

/** The output's value, or its element at `index`. */
async function loadValue(
  runFolder: string,
  output: string,
  index: readonly number[] | undefined,
): Promise<unknown> {
  const [{ loadOutputs }, { NdArray }] = await Promise.all([
    import("../../map/load.ts"),
    import("../../map/ndarray.ts"),
  ]);
  const value = await loadOutputs(output, { runFolder });
  if (index === undefined) return value;
  if (!(value instanceof NdArray)) {
    throw new InvalidOptionError(
      "--index",
      `Output "${output}" of "${runFolder}" is not a mapped output; --index needs one. ` +
        "Load it without --index.",
    );
  }
  return value.get(...index);
}

/** Writes `text` to `file`, or to stdout without one. */
function write(file: string | undefined, text: string): void {
  if (file === undefined) process.stdout.write(text);
  else writeFileSync(file, text);
}
