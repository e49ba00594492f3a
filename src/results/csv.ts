import { isMissing } from "../map/missing.ts";
import type { Dataset } from "./dataset.ts";
import { tableOf } from "./table.ts";

/**
 * The long-format table of `dataset` (see {@link Dataset.toRows}) as CSV (RFC 4180): a header
 * of column names, then one line per row; a masked element is an empty field (an empty string
 * is `""`), a date its ISO
 * text, a bigint its digits, an object its JSON. Fields holding a comma, quote or line break
 * are quoted.
 *
 * @param dataset - The dataset.
 * @param output - The data variable whose elements are the rows.
 * @returns The CSV text, ending with a line break.
 * @throws {@link DatasetError} when `output` is not a data variable.
 */
export function toCsv(dataset: Dataset, output?: string): string {
  const { columns, length } = tableOf(dataset, output);
  const lines = [columns.map((c) => field(c.name)).join(",")];
  for (let n = 0; n < length; n++) {
    lines.push(columns.map((c) => cell(c.value(n))).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** A value as a field: a masked one empty, an empty string quoted (`""`) to tell them apart. */
function cell(value: unknown): string {
  return value === "" ? '""' : field(text(value));
}

function text(value: unknown): string {
  if (isMissing(value) || value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (value instanceof Date) return Number.isNaN(+value) ? "" : value.toISOString();
  if (typeof value === "object") {
    try {
      return JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    } catch {
      return String(value);
    }
  }
  return String(value);
}

function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
