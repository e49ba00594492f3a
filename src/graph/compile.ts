/**
 * Compiles a {@link Plan} into one straight-line JavaScript function, once per plan.
 *
 * Why code generation: the per-function overhead target is well under a microsecond, which
 * an interpreter loop (argument objects built from name tables, dynamic dispatch) cannot
 * reach. The generated code builds each argument object as a literal with a fixed shape, so
 * V8 keeps every call site monomorphic. All names reach the code through JSON.stringify, and
 * every value through the `env` object, never through the source text.
 */

import { isInheritedName, literalKey as key } from "../_internal/own.ts";
import { splitsResult } from "./pipe-func.ts";
import type { Plan, Source } from "./plan.ts";
import type { AnyPipeFunc } from "./types.ts";

/** Services the generated code calls; implemented by the engine. @internal */
export interface RunnerEnv {
  /** Function of each plan step. */
  readonly fns: readonly Function[];
  /** Constant values referenced by the code (`k0`, `k1`, …). */
  readonly values: readonly unknown[];
  /** Instrumented call (listeners, validation); returns the raw result or a promise. */
  readonly call: (step: number, args: unknown) => unknown;
  /** Wraps an error thrown in `step` (idempotent for errors already wrapped). */
  readonly fail: (step: number, error: unknown, args: unknown) => unknown;
  /** The error thrown when a sync run meets a promise. */
  readonly asyncInSync: (step: number, promise: PromiseLike<unknown>) => unknown;
  /** Wraps a pending result so its rejection is a named error and never unhandled. */
  readonly track: (step: number, promise: PromiseLike<unknown>, args: unknown) => unknown;
  /** Splits a multi-output result into its outputs, in declared order. */
  readonly split: (step: number, result: unknown) => readonly unknown[];
}

/** A compiled plan: `(inputs, extra) => value` (a Promise for async runners). */
export type Runner = (
  inputs: Readonly<Record<string, unknown>>,
  extra: Readonly<Record<string, unknown>>,
) => unknown;

/** How to compile. */
export interface CompileMode {
  /** Emit an async function that awaits promises where their values are read. */
  readonly async: boolean;
  /** Route each call through `env.call` (listeners, validation) instead of calling directly. */
  readonly instrumented: boolean;
  /**
   * Await each async function before the next one starts (`order: "declared"`), instead of
   * letting independent ones run concurrently.
   */
  readonly sequential: boolean;
}

const THENABLE = (v: string) =>
  `(${v} instanceof Promise || (${v} !== null && typeof ${v} === "object" && typeof ${v}.then === "function"))`;

/**
 * Generates the runner of a plan.
 *
 * @param plan - The plan to compile.
 * @param functions - The graph's functions (plan steps index into it).
 * @param mode - Sync or async, fast or instrumented.
 * @returns The generated source and the constant values it needs.
 */
export function generate(
  plan: Plan,
  functions: readonly AnyPipeFunc[],
  mode: CompileMode,
): { readonly source: string; readonly values: unknown[] } {
  const values: unknown[] = [];
  const constant = (v: unknown) => {
    values.push(v);
    return `k${values.length - 1}`;
  };
  const steps = plan.steps.map((s) => functions[s.fn]!);
  const split = steps.map((f) => splitsResult(f.call));
  // Split results (several outputs, or a picker) go into o<step>_<k> variables; others read r<step>.
  const ref = (src: Source): string => {
    switch (src.kind) {
      case "input":
        return `inputs[${JSON.stringify(src.name)}]`;
      case "extra":
        return `extra[${JSON.stringify(src.name)}]`;
      case "value":
        return src.value === undefined ? "undefined" : constant(src.value);
      case "node":
        return split[src.step] ? `o${src.step}_${src.output}` : `r${src.step}`;
      case "omit":
        return "undefined";
    }
  };

  const lines: string[] = [];
  const decl: string[] = ["step = -1"];
  const argExpr: string[] = [];
  plan.steps.forEach((step, s) => {
    const f = steps[s]!;
    const call = f.call;
    decl.push(`r${s}`);
    if (mode.async) decl.push(`p${s} = false`);
    if (split[s]) for (let k = 0; k < call.outputs.length; k++) decl.push(`o${s}_${k}`);

    if (mode.async) {
      // Await pending upstream results only where they are read: independent async
      // functions started earlier keep running concurrently.
      const waits = new Set<number>();
      for (const src of step.args) if (src.kind === "node") waits.add(src.step);
      for (const w of waits) {
        if (!split[w]) lines.push(`if (p${w}) { r${w} = await r${w}; p${w} = false; }`);
      }
    }

    let args: string;
    if (call.style === "object") {
      const props: string[] = [];
      call.params.forEach((p, k) => {
        const src = step.args[k]!;
        if (src.kind !== "omit") props.push(`${key(p.arg)}: ${ref(src)}`);
        // Left out, `constructor` would read Object.prototype's in the pattern, not its default.
        else if (isInheritedName(p.arg)) props.push(`${key(p.arg)}: undefined`);
      });
      for (const [name, value] of Object.entries(call.bound)) {
        props.push(`${key(name)}: ${constant(value)}`);
      }
      decl.push(`a${s}`);
      lines.push(`a${s} = { ${props.join(", ")} };`);
      args = `a${s}`;
      argExpr.push(`a${s}`);
    } else {
      const list = `${step.args.map(ref).join(", ")}`;
      args = mode.instrumented ? `[${list}]` : list;
      argExpr.push(`[${list}]`);
    }

    lines.push(`step = ${s};`);
    lines.push(mode.instrumented ? `r${s} = env.call(${s}, ${args});` : `r${s} = f${s}(${args});`);
    if (!mode.async) {
      lines.push(`if (${THENABLE(`r${s}`)}) throw env.asyncInSync(${s}, r${s});`);
    } else if (!split[s] && !mode.sequential) {
      lines.push(
        `if (${THENABLE(`r${s}`)}) { r${s} = env.track(${s}, r${s}, ${argExpr[s]}); p${s} = true; }`,
      );
    } else {
      lines.push(`if (${THENABLE(`r${s}`)}) r${s} = await env.track(${s}, r${s}, ${argExpr[s]});`);
    }
    if (split[s]) {
      lines.push(`{ const parts = env.split(${s}, r${s});`);
      call.outputs.forEach((_, k) => {
        lines.push(`o${s}_${k} = parts[${k}];`);
      });
      lines.push("}");
    }
  });

  if (mode.async) {
    // Every started function finishes (and its error surfaces) before the run resolves.
    plan.steps.forEach((_, s) => {
      lines.push(`if (p${s}) { r${s} = await r${s}; p${s} = false; }`);
    });
  }
  lines.push("step = -1;");
  if (plan.result.kind === "one") {
    lines.push(`return ${ref(plan.result.source)};`);
  } else {
    const props = plan.result.entries.map(([name, src]) => `${key(name)}: ${ref(src)}`);
    lines.push(`return { ${props.join(", ")} };`);
  }

  const header = [
    ...steps.map((_, s) => `const f${s} = env.fns[${s}];`),
    ...values.map((_, i) => `const k${i} = env.values[${i}];`),
  ];
  const failArgs =
    argExpr.length === 0
      ? "undefined"
      : `(${argExpr.map((a, s) => `step === ${s} ? ${a} : `).join("")}undefined)`;
  const source = [
    '"use strict";',
    ...header,
    `return ${mode.async ? "async " : ""}function run(inputs, extra) {`,
    `let ${decl.join(", ")};`,
    "try {",
    ...lines,
    `} catch (e) { throw env.fail(step, e, ${failArgs}); }`,
    "};",
  ].join("\n");
  return { source, values };
}

/**
 * Compiles a plan into a runner bound to `env`.
 *
 * @param plan - The plan.
 * @param functions - The graph's functions.
 * @param mode - Sync or async, fast or instrumented.
 * @param makeEnv - Builds the env from the constant values the code needs.
 */
export function compile(
  plan: Plan,
  functions: readonly AnyPipeFunc[],
  mode: CompileMode,
  makeEnv: (values: unknown[]) => RunnerEnv,
): Runner {
  return compileBinder(plan, functions, mode)(makeEnv);
}

/**
 * Compiles a plan once into something that binds the code to an env per call: a traced run
 * binds it to an env of its own listeners without compiling again.
 */
export function compileBinder(
  plan: Plan,
  functions: readonly AnyPipeFunc[],
  mode: CompileMode,
): (makeEnv: (values: unknown[]) => RunnerEnv) => Runner {
  const { source, values } = generate(plan, functions, mode);
  const factory = new Function("env", source) as (env: RunnerEnv) => Runner;
  return (makeEnv) => factory(makeEnv(values));
}
