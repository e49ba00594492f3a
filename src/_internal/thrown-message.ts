import { inspect } from "node:util";

/** Characters of a thrown value's description kept in a message. */
const MESSAGE_CHARS = 2000;

/**
 * A readable message for anything thrown: an Error's message, a string as is, and a plain
 * object or other non-Error value as `util.inspect` shows it (`{ code: 7 }`, never
 * `[object Object]`), cut to a couple of thousand characters. A value with its own `toString`
 * (other than Object's and Array's) is shown by it.
 *
 * @param value - What was thrown.
 * @returns Its message.
 */
export function thrownMessage(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null) return String(value);
  let text: string;
  try {
    const own = (value as { toString?: unknown }).toString;
    text =
      typeof own === "function" &&
      own !== Object.prototype.toString &&
      own !== Array.prototype.toString
        ? String(value)
        : inspect(value, { depth: 2, breakLength: Number.POSITIVE_INFINITY });
  } catch {
    // A toString that throws, or a proxy refusing to be read.
    text = inspect(value, { depth: 2, breakLength: Number.POSITIVE_INFINITY });
  }
  return text.length <= MESSAGE_CHARS ? text : `${text.slice(0, MESSAGE_CHARS - 1)}…`;
}
