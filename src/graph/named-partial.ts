import { PipelineDefinitionError } from "../errors.ts";
import { parseParameterNames, parseSignature } from "./signature.ts";

/**
 * Signature a partial exposes to `pipefunc` and `Node`, since its wrapper's own parameter
 * list (`(args)` or `(...args)`) says nothing about the arguments still open. @internal
 */
export const PARTIAL_SIGNATURE: unique symbol = Symbol("pipeweave.partialSignature");

/** What a partial remembers of its open arguments. @internal */
export type PartialSignature =
  | {
      readonly kind: "object";
      readonly params: readonly { readonly key: string; readonly defaultSource?: string }[];
    }
  | { readonly kind: "positional"; readonly count: number };

/**
 * The function a partial wraps and the values it binds, so a partial's identity (for caches
 * and run folders) is the wrapped function's source, captures and bound values, not the
 * wrapper's source, which is the same for every partial. @internal
 */
export const PARTIAL_TARGET: unique symbol = Symbol("pipeweave.partialTarget");

/** What {@link PARTIAL_TARGET} holds. @internal */
export interface PartialTarget {
  readonly fn: Function;
  readonly bound: Readonly<Record<string, unknown>>;
}

/**
 * Pre-binds arguments of `func` and names the result (linepipe's
 * `create_named_partial_function`). For a function taking one object of named arguments the
 * bound keys are merged into every call; for a positional function they are matched to its
 * parameter names and the partial takes the remaining parameters in order.
 *
 * @param func - The function to bind.
 * @param name - Stable name of the partial (used as the node name).
 * @param bound - Arguments to fix, by parameter name.
 * @returns The named partial.
 * @throws {@link PipelineDefinitionError} when a bound name is not a parameter of `func`.
 * @example
 * ```ts
 * const rolling5 = namedPartial(rolling, "rolling5", { window: 5 });
 * new Node({ func: rolling5, inputs: ["df"], outputs: ["features"] });
 * ```
 */
export function namedPartial<A extends object, R, const B extends Partial<A>>(
  func: (args: A) => R,
  name: string,
  bound: B,
): (args: Omit<A, keyof B> & Partial<Pick<A, keyof B & keyof A>>) => R;
export function namedPartial<F extends (...args: never[]) => unknown>(
  func: F,
  name: string,
  bound: Readonly<Record<string, unknown>>,
): (...args: unknown[]) => ReturnType<F>;
export function namedPartial(
  func: Function,
  name: string,
  bound: Readonly<Record<string, unknown>>,
): Function {
  const fail = (detail: string) => new PipelineDefinitionError(`namedPartial "${name}": ${detail}`);
  const parsed = parseSignature(func);
  let wrapper: Function;
  let signature: PartialSignature;
  if (parsed.kind === "object") {
    const keys = parsed.params.map((p) => p.key);
    const unknown = Object.keys(bound).filter((k) => !keys.includes(k));
    if (unknown.length > 0 && !parsed.hasRest) {
      throw fail(
        `${unknown.map((k) => `"${k}"`).join(", ")} ${unknown.length > 1 ? "are not parameters" : "is not a parameter"} of "${func.name || "anonymous"}" (its parameters: ${keys.join(", ")}). Fix the bound names.`,
      );
    }
    const f = func as (args: object) => unknown;
    wrapper = (args: object) => f({ ...args, ...bound });
    signature = {
      kind: "object",
      params: parsed.params.filter((p) => !Object.hasOwn(bound, p.key)),
    };
  } else {
    const names = parseParameterNames(func);
    if (!names) {
      throw fail(
        `cannot read the parameter names of "${func.name || "anonymous"}". Use a function with named parameters.`,
      );
    }
    const unknown = Object.keys(bound).filter((k) => !names.includes(k));
    if (unknown.length > 0) {
      throw fail(
        `${unknown.map((k) => `"${k}"`).join(", ")} ${unknown.length > 1 ? "are not parameters" : "is not a parameter"} of "${func.name || "anonymous"}" (its parameters: ${names.join(", ")}). Fix the bound names.`,
      );
    }
    const open = names.map((n) => !Object.hasOwn(bound, n));
    const fixed = names.map((n) => bound[n]);
    const f = func as (...args: unknown[]) => unknown;
    wrapper = (...args: unknown[]) => {
      let next = 0;
      return f(...open.map((isOpen, i) => (isOpen ? args[next++] : fixed[i])));
    };
    signature = { kind: "positional", count: open.filter(Boolean).length };
  }
  Object.defineProperty(wrapper, "name", { value: name });
  Object.defineProperty(wrapper, PARTIAL_SIGNATURE, { value: signature });
  Object.defineProperty(wrapper, PARTIAL_TARGET, { value: { fn: func, bound } });
  return wrapper;
}
