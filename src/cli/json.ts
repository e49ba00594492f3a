import { isMissing } from "../map/missing.ts";

/**
 * A value as the CLI prints it: JSON on one line (an NdArray as its `toJSON()` form, MISSING
 * as null, a bigint as its digits), `null` for what JSON cannot hold at the top level.
 */
export function toJsonLine(value: unknown): string {
  return JSON.stringify(value, replacer) ?? "null";
}

/** Structured output (`--json` of info, status, runs): indented, it is small and read by people too. */
export function toJsonBlock(value: unknown): string {
  return JSON.stringify(value, replacer, 2) ?? "null";
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (isMissing(value)) return null;
  return value;
}
