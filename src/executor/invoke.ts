import { isInheritedName, literalKey } from "../_internal/own.ts";
import type { AnyPipeFunc } from "../graph/types.ts";

/**
 * Calls a function with its arguments given as an array in `call.params` order. `NO_VALUE`
 * leaves an argument out so the function's own default applies.
 */
export type Invoker = (values: readonly unknown[]) => unknown;

/** Marks an argument left to the function's own default. */
export const NO_VALUE: unique symbol = Symbol.for("pipeweave.noValue") as never;

const invokers = new WeakMap<AnyPipeFunc, Invoker>();

/**
 * Builds (once per function) the caller used by `map` and by worker threads. Generated code
 * gives the argument object a fixed literal shape so the call site stays monomorphic, as in
 * the graph compiler; bound arguments are added from the function's own spec.
 */
export function invokerOf(f: AnyPipeFunc): Invoker {
  let invoker = invokers.get(f);
  if (invoker) return invoker;
  const { call } = f;
  const boundKeys = Object.keys(call.bound);
  const anyOmittable = call.params.some((p) => p.default.kind === "own");
  let source: string;
  if (call.style === "positional") {
    const args = call.params.map((p, i) =>
      p.default.kind === "own" ? `(v[${i}] === NO_VALUE ? undefined : v[${i}])` : `v[${i}]`,
    );
    source = `return fn(${args.join(", ")});`;
  } else if (!anyOmittable) {
    const props = call.params.map((p, i) => `${literalKey(p.arg)}: v[${i}]`);
    for (const k of boundKeys) props.push(`${literalKey(k)}: bound[${JSON.stringify(k)}]`);
    source = `return fn({ ${props.join(", ")} });`;
  } else {
    // Some argument may be left to the function's own default: build the object by key.
    // `__proto__` is defined, not assigned (assigning sets the prototype), and a name every
    // object inherits is passed as undefined, so the pattern's default applies.
    const set = (k: string, value: string) =>
      k === "__proto__"
        ? `Object.defineProperty(a, "__proto__", { value: ${value}, writable: true, enumerable: true, configurable: true });`
        : `a[${JSON.stringify(k)}] = ${value};`;
    const lines = ["const a = {};"];
    call.params.forEach((p, i) => {
      const value = isInheritedName(p.arg)
        ? `(v[${i}] === NO_VALUE ? undefined : v[${i}])`
        : `v[${i}]`;
      const assign = set(p.arg, value);
      lines.push(isInheritedName(p.arg) ? assign : `if (v[${i}] !== NO_VALUE) ${assign}`);
    });
    for (const k of boundKeys) lines.push(set(k, `bound[${JSON.stringify(k)}]`));
    lines.push("return fn(a);");
    source = lines.join("\n");
  }
  const make = new Function("fn", "bound", "NO_VALUE", `return (v) => { ${source} };`) as (
    fn: Function,
    bound: Readonly<Record<string, unknown>>,
    none: symbol,
  ) => Invoker;
  invoker = make(call.fn, call.bound, NO_VALUE);
  invokers.set(f, invoker);
  return invoker;
}
