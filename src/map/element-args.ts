/**
 * An element's arguments by name: as the error that stops a map names them, and as a
 * `resources` function reads them.
 */

import { setOwn } from "../_internal/own.ts";
import { isCacheUnavailable } from "../cache/unavailable.ts";
import { NodeExecutionError, ValidationError } from "../errors.ts";
import { NO_VALUE } from "../executor/invoke.ts";
import type { AnyPipeFunc } from "../graph/types.ts";

/**
 * The error `errors: "raise"` stops a map with: a failed schema check as itself (it names
 * the node, argument and index, as in `run`), anything else wrapped with the element's index.
 */
export function failure(
  f: AnyPipeFunc,
  args: readonly unknown[],
  error: unknown,
  index: readonly number[],
): Error {
  if (error instanceof ValidationError || isCacheUnavailable(error)) return error;
  return new NodeExecutionError(f.name, namedInputs(f, args), error, index);
}

/** An element's given arguments by graph name (those left to a default are absent). */
export function namedInputs(f: AnyPipeFunc, values: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  f.call.params.forEach((p, i) => {
    if (values[i] !== NO_VALUE) setOwn(out, p.graph, values[i]);
  });
  return out;
}

/**
 * `f`'s arguments by its own argument names, as a resources function reads them: those given
 * (an argument left to the function's own default is absent), and the bound ones.
 */
export function argumentsByName(
  f: AnyPipeFunc,
  values: readonly unknown[],
  given: (k: number) => boolean,
): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f.call.bound)) setOwn(args, k, v);
  f.call.params.forEach((p, k) => {
    if (given(k) && values[k] !== NO_VALUE) setOwn(args, p.arg, values[k]);
  });
  return args;
}
