/** `printDocumentation`'s text: a pipeline's description as aligned tables. */
import type { PipelineDescription } from "./describe.ts";

/**
 * The description as text: a title line, then tables of inputs, outputs and functions
 * (pipefunc's `print_documentation`). Empty cells read "-".
 */
export function formatDocumentation(d: PipelineDescription): string {
  const lines = [`Pipeline "${d.name}"${d.description ? `: ${d.description}` : ""}`];
  const section = (title: string, head: readonly string[], rows: readonly string[][]) => {
    lines.push("", title);
    if (rows.length === 0) lines.push("  (none)");
    else for (const line of alignRows([head, ...rows])) lines.push(`  ${line}`);
  };
  const cell = (text: string | undefined) => (text === undefined || text === "" ? "-" : text);
  section(
    "Inputs",
    ["name", "type", "default", "description", "read by"],
    d.inputs.map((i) => [
      i.axes ? `${i.name}[${i.axes.join(", ")}]` : i.name,
      cell(i.type),
      i.required ? "(required)" : cell(i.default?.text),
      cell(i.description),
      i.readBy.join(", "),
    ]),
  );
  section(
    "Outputs",
    ["name", "type", "function", "mapspec", "description"],
    d.outputs.map((o) => [
      `${o.axes.length > 0 ? `${o.name}[${o.axes.join(", ")}]` : o.name}${o.leaf ? " (leaf)" : ""}`,
      cell(o.type),
      o.producedBy,
      cell(o.mapspec),
      cell(o.description),
    ]),
  );
  section(
    "Functions",
    ["name", "inputs", "outputs", "description"],
    d.functions.map((f) => [
      f.variant ? `${f.name} (variant ${f.variant})` : f.name,
      cell(f.inputs.join(", ")),
      cell(f.outputs.join(", ")),
      cell(f.description),
    ]),
  );
  return lines.join("\n");
}

/** Pads every column but the last to its widest cell, two spaces apart. */
function alignRows(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  return rows.map((r) =>
    r
      .map((c, j) => (j === r.length - 1 ? c : c.padEnd(widths[j]!)))
      .join("  ")
      .trimEnd(),
  );
}
