/** Text helpers of the CLI: durations, ages and aligned tables. */

export { formatCount, formatDuration } from "../_internal/human.ts";

/** How long ago an ISO timestamp was: `3 s ago`, `5 min ago`, `2 h ago`, `4 d ago`. */
export function formatAge(iso: string, now: number = Date.now()): string {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return "-";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

/** A column of {@link renderTable}. */
export interface Column {
  readonly title: string;
  /** @defaultValue "left" */
  readonly align?: "left" | "right";
}

/**
 * Aligns rows under their titles, two spaces apart, without trailing spaces. `paint` colours a
 * cell after padding, so escapes never upset the alignment.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  paint: (text: string, row: number, column: number) => string = (text) => text,
  paintTitle: (text: string) => string = (text) => text,
): string[] {
  const widths = columns.map((c, j) =>
    Math.max(c.title.length, ...rows.map((r) => (r[j] ?? "").length)),
  );
  const line = (cells: readonly string[], style: (text: string, j: number) => string) =>
    columns
      .map((c, j) => {
        const text = cells[j] ?? "";
        const last = j === columns.length - 1;
        const padded =
          c.align === "right" ? text.padStart(widths[j]!) : last ? text : text.padEnd(widths[j]!);
        return style(padded, j);
      })
      .join("  ");
  return [
    line(
      columns.map((c) => c.title),
      (text) => paintTitle(text),
    ),
    ...rows.map((r, i) => line(r, (text, j) => paint(text, i, j))),
  ];
}
