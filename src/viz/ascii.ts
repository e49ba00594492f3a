import { drawnFunctions, outputSummary, type PipelineView, variantLabel } from "./view.ts";

/**
 * linepipe's layout: one box per function in execution order, listing what it reads, what
 * it produces and its mapspec, joined by arrows.
 */
export function toAscii(view: PipelineView): string {
  const functions = drawnFunctions(view);
  if (functions.length === 0) return `${view.name} (empty)`;
  const boxes = functions.map((f) => {
    const lines = [f.name, `  in:  ${f.inputs.length > 0 ? f.inputs.join(", ") : "(none)"}`];
    lines.push(`  out: ${outputSummary(f)}`);
    if (f.mapspec) lines.push(`  map: ${f.mapspec}`);
    const variant = variantLabel(f, view);
    if (variant) lines.push(`  ${variant}`);
    return lines;
  });
  const width = Math.max(view.name.length, ...boxes.flat().map((l) => l.length)) + 2;
  const mid = Math.floor((width + 2) / 2);
  const arrow = [`${" ".repeat(mid)}│`, `${" ".repeat(mid)}▼`];
  const out = [view.name];
  for (const g of view.variantGroups ?? []) {
    if (g.variants.length < 2) continue;
    const list = g.variants.map((v) => (v === g.chosen ? `${v} (chosen)` : v)).join(" | ");
    out.push(`variants ${g.group}: ${list}${g.chosen === undefined ? " (choose one)" : ""}`);
  }
  // Two variants of the same outputs are alternatives, not steps: "or" between them.
  const alternative = (i: number) =>
    functions[i]!.variant !== undefined &&
    functions[i - 1]!.variant !== undefined &&
    functions[i]!.outputs.some((o) => functions[i - 1]!.outputs.includes(o));
  boxes.forEach((lines, i) => {
    if (i > 0) out.push(...(alternative(i) ? [`${" ".repeat(mid - 1)}or`] : arrow));
    out.push(`┌${"─".repeat(width)}┐`);
    for (const line of lines) out.push(`│ ${line.padEnd(width - 1)}│`);
    out.push(`└${"─".repeat(width)}┘`);
  });
  return out.join("\n");
}
