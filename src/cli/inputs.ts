import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { setOwn } from "../_internal/own.ts";
import { InvalidOptionError } from "../errors.ts";

/**
 * The inputs of `run` and `map`: the JSON object in `--inputs FILE` (relative to the current
 * folder), then each `--input name=value` over it.
 *
 * @throws {@link InvalidOptionError} naming the file when it cannot be read, is not JSON, or
 *   does not hold an object.
 */
export function readInputs(
  file: string | undefined,
  overrides: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  if (file !== undefined) {
    for (const [k, v] of Object.entries(readInputsFile(file))) setOwn(inputs, k, v);
  }
  for (const [k, v] of Object.entries(overrides ?? {})) setOwn(inputs, k, v);
  return inputs;
}

function readInputsFile(file: string): Record<string, unknown> {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : String(error);
    throw new InvalidOptionError("--inputs", `Inputs file "${file}" ${why} (looked for ${path}).`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidOptionError(
      "--inputs",
      `Inputs file "${file}" is not valid JSON: ${(error as Error).message}. ` +
        'It must hold an object of inputs by name, such as { "x": [1, 2, 3] }.',
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const got = Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`;
    throw new InvalidOptionError(
      "--inputs",
      `Inputs file "${file}" must hold a JSON object of inputs by name, got ${got}. ` +
        'Write it as { "x": [1, 2, 3] }.',
    );
  }
  return value as Record<string, unknown>;
}
