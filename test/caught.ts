import { expect } from "vitest";
import { PipeweaveError } from "../src/errors.ts";

/**
 * Runs `action`, checks that it threw a `Class` carrying `code`, and returns the error for
 * assertions on its fields and message.
 */
export function caught<E extends Error>(
  action: () => unknown,
  Class: new (...args: never[]) => E,
  code: string,
): E {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(Class);
    expect(error).toBeInstanceOf(PipeweaveError);
    expect((error as PipeweaveError).code).toBe(code);
    return error as E;
  }
  throw new Error(`expected ${Class.name} to be thrown`);
}
