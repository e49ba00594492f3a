import { outputSummary, type PipelineView } from "./view.ts";

/**
 * linepipe's layout: one box per function in execution order, listing what it reads, what
 * it produces and its mapspec, joined by arrows.
 */
export function toAscii(view: PipelineView): string {
  const functions = view.sortedFunctions;
  if (functions.length === 0) return `${view.name} (empty)`;
  const boxes = functions.map((f) => {
    const lines = [f.name, `  in:  ${f.inputs.length > 0 ? f.inputs.join(", ") : "(none)"}`];
    lines.push(`  out: ${outputSummary(f)}`);
    if (f.mapspec) lines.push(`  map: ${f.mapspec}`);
    return lines;
  });
  const width = Math.max(view.name.length, ...boxes.flat().map((l) => l.length)) + 2;
  const mid = Math.floor((width + 2) / 2);
  const arrow = [`${" ".repeat(mid)}│`, `${" ".repeat(mid)}▼`];
  const out = [view.name];
  boxes.forEach((lines, i) => {
    if (i > 0) out.push(...arrow);
    out.push(`┌${"─".repeat(width)}┐`);
    for (const line of lines) out.push(`│ ${line.padEnd(width - 1)}│`);
    out.push(`└${"─".repeat(width)}┘`);
  });
  return out.join("\n");
}
