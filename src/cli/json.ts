import { isMissing } from "../map/missing.ts";

/** JSON text, and what JSON could not hold and was written as null (NaN, Infinity, undefined …). */
export interface JsonText {
  readonly text: string;
  /** Kinds of values replaced by null, such as `NaN`; empty when the JSON is exact. */
  readonly lost: readonly string[];
}

/**
 * A value as the CLI prints it: JSON on one line (an NdArray as its `toJSON()` form, MISSING
 * as null, a bigint as its digits). What JSON cannot hold is named in `lost`, so the caller
 * can say so instead of printing a silent null.
 */
export function toJsonLine(value: unknown): JsonText {
  return encode(value, undefined);
}

/** Structured output (`--json` of info, status, runs): indented, it is small and read by people too. */
export function toJsonBlock(value: unknown): string {
  return encode(value, 2).text;
}

function encode(value: unknown, indent: number | undefined): JsonText {
  const lost = new Set<string>();
  const text = JSON.stringify(
    value,
    function (this: unknown, key: string, v: unknown): unknown {
      if (typeof v === "bigint") return v.toString();
      if (isMissing(v)) return null;
      if (typeof v === "number" && !Number.isFinite(v)) lost.add(String(v));
      // JSON.stringify drops these from objects and writes null in arrays and at the top.
      else if (v === undefined || typeof v === "function" || typeof v === "symbol") {
        if (Array.isArray(this) || key === "") lost.add(v === undefined ? "undefined" : typeof v);
      }
      return v;
    },
    indent,
  );
  return { text: text ?? "null", lost: [...lost] };
}

/** The warning for values JSON could not hold, or undefined when there were none. */
export function lossWarning(lost: readonly string[]): string | undefined {
  if (lost.length === 0) return undefined;
  return `warning: JSON cannot hold ${lost.join(", ")}; written as null.`;
}
