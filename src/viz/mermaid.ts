import { type EdgeSource, layout, outputSummary, type PipelineView, variantLabel } from "./view.ts";

/** Mermaid `flowchart TD` source: inputs as stadiums, functions as boxes, edges by name. */
export function toMermaid(view: PipelineView): string {
  const g = layout(view);
  const id = (s: EdgeSource) => (s.kind === "input" ? `i${s.index}` : `f${s.index}`);
  const lines = ["flowchart TD"];
  g.inputs.forEach((name, i) => {
    lines.push(`  i${i}(["${text(name)}"])`);
  });
  g.functions.forEach((f, i) => {
    const map = f.mapspec ? `<br/>${text(f.mapspec)}` : "";
    const label = variantLabel(f, view);
    const variant = label ? `<br/><i>${text(label)}</i>` : "";
    lines.push(`  f${i}["<b>${text(f.name)}</b><br/>→ ${text(outputSummary(f))}${map}${variant}"]`);
  });
  for (const e of g.edges) {
    lines.push(`  ${id(e.from)} -- "${text(e.label)}" --> f${e.to}`);
  }
  return lines.join("\n");
}

/** Escapes text for a quoted Mermaid label. */
function text(s: string): string {
  return s.replace(/[&"<>#]/g, (c) => `#${c.charCodeAt(0)};`);
}
