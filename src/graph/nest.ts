import { PipelineDefinitionError } from "../errors.ts";
import { PipeFunc } from "./pipe-func.ts";
import type { AnyPipeFunc } from "./types.ts";

/** Runs a group of functions; what the nested function calls. */
export interface InnerPipeline {
  runAll(inputs: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>>;
  runAllSync(inputs: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

/**
 * Combines functions into one (pipefunc's NestedPipeFunc): its inputs are what the group
 * reads from outside, its outputs every output of the group. It runs synchronously when every
 * inner function is a plain (non-async) function, else it returns a promise.
 *
 * @param group - The functions to combine.
 * @param name - Name of the nested function. @defaultValue the inner names joined by "+"
 * @param makePipeline - Builds the inner pipeline (breaks the import cycle with Pipeline).
 */
export function nestFunctions(
  group: readonly AnyPipeFunc[],
  name: string | undefined,
  makePipeline: (functions: readonly AnyPipeFunc[]) => InnerPipeline,
): AnyPipeFunc {
  if (group.length === 0) {
    throw new PipelineDefinitionError("nest() needs at least one output to nest.");
  }
  const inner = makePipeline(group);
  const produced = new Set(group.flatMap((f) => f.outputs));
  const inputs = [...new Set(group.flatMap((f) => f.inputs))].filter((n) => !produced.has(n));
  const outputs = group.flatMap((f) => f.outputs);
  const isAsync = group.some((f) => f.call.fn.constructor.name === "AsyncFunction");
  const pick = (all: Record<string, unknown>) => outputs.map((o) => all[o]);
  const fn = isAsync
    ? async (args: Record<string, unknown>) => pick(await inner.runAll(args))
    : (args: Record<string, unknown>) => pick(inner.runAllSync(args));
  const nestedName = name ?? group.map((f) => f.name).join("+");
  const build = (renames: Readonly<Record<string, string>>): PipeFunc => {
    const rename = (n: string) => renames[n] ?? n;
    return new PipeFunc({
      name: nestedName,
      call: {
        fn: (args: Record<string, unknown>) => fn(args),
        style: "object",
        params: inputs.map((n) => {
          const p = group.flatMap((f) => f.call.params).find((q) => q.graph === n)!;
          return { arg: n, graph: rename(n), default: p.default };
        }),
        bound: {},
        outputs: outputs.map(rename),
        rawOutputs: outputs,
        outputPicker: undefined,
      },
      derive: {
        renameGraph: (more) => build({ ...renames, ...more }),
        with: () => {
          throw new PipelineDefinitionError(
            `Nested function "${nestedName}" cannot be changed with .with(); change its inner functions and nest again.`,
          );
        },
      },
    });
  };
  return build({});
}
