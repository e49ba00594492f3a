/** A pipeline's documentation as the CLI prints it (`info`, `run --help`). */
import type { PipelineDescription } from "../graph/describe.ts";
import { renderTable } from "./format.ts";

const cell = (text: string | undefined) => (text === undefined || text === "" ? "-" : text);

/** The inputs as a table: name (with its axes), type, default, description. */
export function inputTable(d: PipelineDescription): string[] {
  return renderTable(
    [{ title: "input" }, { title: "type" }, { title: "default" }, { title: "description" }],
    d.inputs.map((i) => [
      i.axes ? `${i.name}[${i.axes.join(", ")}]` : i.name,
      cell(i.type),
      i.required ? "(required)" : cell(i.default?.text),
      cell(i.description),
    ]),
  );
}

/** The outputs as a table: name (with its axes), producing function, description. */
export function outputTable(d: PipelineDescription): string[] {
  return renderTable(
    [{ title: "output" }, { title: "type" }, { title: "function" }, { title: "description" }],
    d.outputs.map((o) => [
      `${o.axes.length > 0 ? `${o.name}[${o.axes.join(", ")}]` : o.name}${o.leaf ? " (leaf)" : ""}`,
      cell(o.type),
      o.producedBy,
      cell(o.description),
    ]),
  );
}
