/**
 * Parsers of the CLI's argument values, for commander: each throws commander's
 * InvalidArgumentError naming the argument and the expected form, which commander prints with
 * the usage (exit 2).
 */
import { InvalidArgumentError } from "commander";
import { setOwn } from "../_internal/own.ts";

/** `<module>#<export>`, split. */
export interface Target {
  /** The module path as given (relative to the current folder, or absolute). */
  readonly module: string;
  /** The export naming the pipeline. */
  readonly exportName: string;
}

/** Parses `<module>#<export>` at its last `#` (a path may hold one, an export cannot). */
export function parseTarget(text: string): Target {
  const at = text.lastIndexOf("#");
  if (at <= 0 || at === text.length - 1) {
    throw new InvalidArgumentError(
      `Expected <module>#<export> (such as pipelines.ts#pipeline), got "${text}". ` +
        "Name the module's export that holds the pipeline after the #.",
    );
  }
  return { module: text.slice(0, at), exportName: text.slice(at + 1) };
}

/**
 * Collects repeated `--input name=value` into one record; the value is JSON when it parses
 * as JSON, else the text itself (`--input name=alice` is the string "alice").
 */
export function collectInput(
  text: string,
  previous: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const at = text.indexOf("=");
  if (at <= 0) {
    throw new InvalidArgumentError(
      `Expected --input name=value, got "${text}". Values that parse as JSON are JSON ` +
        "(--input n=3, --input xs=[1,2]); others are strings (--input label=run-1).",
    );
  }
  const inputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(previous ?? {})) setOwn(inputs, k, v);
  setOwn(inputs, text.slice(0, at), parseValue(text.slice(at + 1)));
  return inputs;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** An integer from 1 up, for the option `name`. */
export function positiveInteger(name: string): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (text.trim() === "" || !Number.isInteger(n) || n < 1) {
      throw new InvalidArgumentError(
        `Expected ${name} to be an integer from 1 and up, got "${text}".`,
      );
    }
    return n;
  };
}

/** An integer from 0 up, for the option `name`. */
export function nonNegativeInteger(name: string): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (text.trim() === "" || !Number.isInteger(n) || n < 0) {
      throw new InvalidArgumentError(
        `Expected ${name} to be an integer from 0 and up, got "${text}".`,
      );
    }
    return n;
  };
}

/** `i,j,...`: integers from 0 up, for `--index`. */
export function parseIndex(text: string): number[] {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) {
    throw new InvalidArgumentError(
      `Expected --index as integers i,j,... from 0 and up, got "${text}" (one per axis, such as --index 2 or --index 0,3).`,
    );
  }
  return parts.map(Number);
}

/** A BullMQ queue name for `--queue`: not empty, without ":" (BullMQ's key separator). */
export function queueName(text: string): string {
  if (text === "" || text.includes(":")) {
    throw new InvalidArgumentError(
      `Expected --queue to be a non-empty name without ":", got "${text}" (such as --queue sweep).`,
    );
  }
  return text;
}
