/**
 * A tool's arguments, read one by one: the client may send anything, whatever the tool's
 * schema says, so each is checked here and a wrong one named in an `E_INVALID_ARGUMENT`.
 */
import { InvalidArgumentError } from "../errors.ts";

/** A tool call's arguments as received. */
export type Args = Readonly<Record<string, unknown>>;

/** `args[name]` as a string. */
export function stringArg(args: Args, name: string): string {
  const value = args[name];
  if (typeof value !== "string") {
    throw new InvalidArgumentError(
      name,
      `Expected \`${name}\` to be a string, got ${kind(value)}.`,
    );
  }
  return value;
}

/** `args[name]` as a boolean; false when left out. */
export function booleanArg(args: Args, name: string): boolean {
  const value = args[name];
  if (value === undefined || typeof value === "boolean") return value === true;
  throw new InvalidArgumentError(name, `Expected \`${name}\` to be a boolean, got ${kind(value)}.`);
}

/** `args[name]` as one of `choices`; `fallback` when left out. */
export function choiceArg<const C extends string>(
  args: Args,
  name: string,
  choices: readonly C[],
  fallback: C,
): C {
  const value = args[name];
  if (value === undefined) return fallback;
  if (choices.includes(value as C)) return value as C;
  throw new InvalidArgumentError(
    name,
    `Expected \`${name}\` to be one of ${choices.map((c) => `"${c}"`).join(", ")}, got ${kind(value)}.`,
  );
}

/** `args[name]` as an object of inputs by name. */
export function objectArg(args: Args, name: string): Record<string, unknown> {
  const value = args[name];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(
      name,
      `Expected \`${name}\` to be an object of inputs by name, got ${kind(value)}.`,
    );
  }
  return value as Record<string, unknown>;
}

/** `args.index` as an element's index: integers from 0 and up. */
export function indexArg(args: Args): number[] {
  const value = args.index;
  if (!Array.isArray(value) || !value.every((i) => Number.isInteger(i) && i >= 0)) {
    throw new InvalidArgumentError(
      "index",
      `Expected \`index\` to be an array of integers from 0 and up, got ${JSON.stringify(value)}.`,
    );
  }
  return value as number[];
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return value === undefined ? "nothing" : `${JSON.stringify(value)} (${typeof value})`;
}
