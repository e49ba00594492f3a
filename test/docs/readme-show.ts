/**
 * How the README writes values in `// → value` comments, and how a shown value is compared
 * with what a snippet really gave. One notation for both sides, so the README reads like
 * TypeScript: `15`, `"a"` inside structures, `[1, 2]`, `{ c: 5, d: 15 }`, `Error("boom")`.
 */

/** What the README test reads back. */
export interface RunReport {
  /** Per claimed statement (by README line): whether it returned, and what, as shown. */
  readonly checks: { line: number; ok: boolean; shown: string }[];
  /** The error the module ended with, as `Name: message`. */
  error?: string;
  /** README line of the snippet that was running when it ended. */
  lastBlock?: number;
  /** Whether the module's evaluation completed. */
  finished: boolean;
}

/** Starts a snippet's output on stdout, so the test can split it per snippet. */
export const BLOCK_MARK = "\u001epipeweave-readme-block ";

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * `value` in the README's notation, on one line. A string at the top is shown as it is (what
 * `console.log` prints); strings inside arrays and objects are quoted.
 */
export function show(value: unknown): string {
  return typeof value === "string" ? value : literal(value, new Set());
}

/** A thrown value as the README writes it after `throws`: `Name: message`. */
export function showThrown(thrown: unknown): string {
  return thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : show(thrown);
}

function literal(value: unknown, seen: Set<object>): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "bigint":
      return `${value}n`;
    case "boolean":
    case "undefined":
    case "symbol":
      return String(value);
    case "function":
      return `[Function ${value.name || "anonymous"}]`;
  }
  if (value === null) return "null";
  const object = value as object;
  if (seen.has(object)) return "[Circular]";
  seen.add(object);
  try {
    return compound(object, seen);
  } finally {
    seen.delete(object);
  }
}

function compound(object: object, seen: Set<object>): string {
  const inner = (v: unknown) => literal(v, seen);
  if (Array.isArray(object)) return `[${object.map(inner).join(", ")}]`;
  if (object instanceof Error) return `${object.name}(${JSON.stringify(object.message)})`;
  if (object instanceof Date) return `Date(${JSON.stringify(object.toISOString())})`;
  if (object instanceof Map) {
    const entries = [...object].map(([k, v]) => `${inner(k)} => ${inner(v)}`);
    return entries.length === 0 ? "Map {}" : `Map { ${entries.join(", ")} }`;
  }
  if (object instanceof Set) {
    const items = [...object].map(inner);
    return items.length === 0 ? "Set {}" : `Set { ${items.join(", ")} }`;
  }
  if (ArrayBuffer.isView(object) && !(object instanceof DataView)) {
    const items = Array.from(object as unknown as ArrayLike<number | bigint>, inner);
    return `${object.constructor.name} [${items.join(", ")}]`;
  }
  const fields = Object.entries(object).map(([k, v]) => `${key(k)}: ${inner(v)}`);
  const body = fields.length === 0 ? "{}" : `{ ${fields.join(", ")} }`;
  const proto = Object.getPrototypeOf(object) as { constructor?: { name?: string } } | null;
  const name = proto?.constructor?.name;
  return proto === null || proto === Object.prototype || !name ? body : `${name} ${body}`;
}

const key = (k: string) => (IDENTIFIER.test(k) ? k : JSON.stringify(k));

/**
 * Whether `actual` is what `expected` claims. Whitespace is ignored (the README wraps long
 * values), and `…` in `expected` stands for any text (`{ calls: 1, totalMs: …, … }`).
 *
 * @param whole - The whole of `actual` must match (values); otherwise a part of it may
 *   (compiler messages, which wrap the claimed text in more of their own).
 */
export function matches(expected: string, actual: string, whole = true): boolean {
  const squeeze = (s: string) => s.replace(/\s+/g, "");
  const pattern = squeeze(expected)
    .split("…")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*?");
  return new RegExp(whole ? `^${pattern}$` : pattern, "s").test(squeeze(actual));
}
