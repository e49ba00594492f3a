import { type EdgeSource, layout, outputSummary, type PipelineView, variantLabel } from "./view.ts";

/** Graphviz DOT source: inputs as ellipses, functions as boxes, edges labelled by name. */
export function toDot(view: PipelineView): string {
  const g = layout(view);
  // Ids by position: two functions may share a display name, and must stay two nodes.
  const id = (s: EdgeSource) =>
    quote(s.kind === "input" ? `input:${g.inputs[s.index]}` : `fn:${s.index}`);
  const lines = [
    `digraph ${quote(view.name)} {`,
    "  rankdir=TB;",
    '  node [fontname="Helvetica"];',
  ];
  g.inputs.forEach((name, i) => {
    lines.push(`  ${id({ kind: "input", index: i })} [label=${quote(name)}, shape=ellipse];`);
  });
  g.functions.forEach((f, i) => {
    const variant = variantLabel(f, view);
    const label = [
      f.name,
      `→ ${outputSummary(f)}`,
      ...(f.mapspec ? [f.mapspec] : []),
      ...(variant ? [variant] : []),
    ].join("\n");
    // A variant the pipeline does not run without a choice is drawn dashed.
    const style = variant && !variant.endsWith("(chosen)") ? ", style=dashed" : "";
    lines.push(
      `  ${id({ kind: "function", index: i })} [label=${quote(label)}, shape=box${style}];`,
    );
  });
  for (const e of g.edges) {
    lines.push(
      `  ${id(e.from)} -> ${id({ kind: "function", index: e.to })} [label=${quote(e.label)}];`,
    );
  }
  lines.push("}");
  return lines.join("\n");
}

/** A DOT quoted string. */
function quote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}
