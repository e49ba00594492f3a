import { setOwn } from "../_internal/own.ts";
import { thrownMessage } from "../_internal/thrown-message.ts";
import { invokerOf } from "../executor/invoke.ts";
import { isThenable } from "../graph/engine.ts";
import type { AnyPipeFunc } from "../graph/types.ts";

/**
 * A failed sweep element recorded under `errors: "continue"`: which function, which element,
 * what it was called with and what it threw. `reproduce()` calls the function again with the
 * same arguments, to debug it in place.
 */
export class ErrorSnapshot {
  /** The failing function's name. */
  readonly node: string;
  /** The element's index along the function's output axes (`[]` for a single call). */
  readonly index: readonly number[];
  /** The arguments by graph name. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /**
   * The error's message; for a thrown value that is not an Error, how `util.inspect` shows it
   * (`{ code: 7 }`).
   */
  readonly message: string;
  /** The error's stack, when it had one. */
  readonly stack: string | undefined;
  /** What was thrown (rebuilt from plain data when it came from another thread). */
  readonly error: unknown;
  readonly #func: AnyPipeFunc;
  readonly #values: readonly unknown[];

  /**
   * @param func - The failing function.
   * @param index - Element index.
   * @param values - Argument values in the function's parameter order.
   * @param error - What it threw.
   */
  constructor(
    func: AnyPipeFunc,
    index: readonly number[],
    values: readonly unknown[],
    error: unknown,
  ) {
    this.node = func.name;
    this.index = index;
    const inputs: Record<string, unknown> = {};
    func.call.params.forEach((p, i) => {
      setOwn(inputs, p.graph, values[i]);
    });
    this.inputs = inputs;
    this.message = thrownMessage(error);
    this.stack = error instanceof Error ? error.stack : undefined;
    this.error = error;
    this.#func = func;
    this.#values = values;
  }

  /** Calls the function again with the recorded arguments; returns or throws what it does. */
  reproduce(): unknown {
    const result = invokerOf(this.#func)(this.#values);
    return isThenable(result) ? Promise.resolve(result) : result;
  }

  /** Plain data for run folders and logs. */
  toJSON(): { node: string; index: readonly number[]; message: string; stack: string | undefined } {
    return { node: this.node, index: this.index, message: this.message, stack: this.stack };
  }
}
