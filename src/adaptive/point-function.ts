/**
 * One adaptive point, as a function an executor can run: the pipeline evaluated for an output
 * with the point's inputs. Threads know it by a marked output name (no function of a pipeline
 * can have it), so the thread worker builds the same function from the pipeline it imported.
 */
import { pipefunc } from "../graph/pipe-func.ts";
import type { AnyPipeFunc } from "../graph/types.ts";

/** Starts the output name of a chunk that evaluates adaptive points. */
const MARK = "\u0000adaptive-point:";

/** The chunk output that asks an executor to evaluate the pipeline for `output`. */
export function pointOutput(output: string): string {
  return MARK + output;
}

/** What evaluating a point needs of a pipeline. */
export interface PointPipeline {
  run(output: string, inputs: Readonly<Record<string, unknown>>): Promise<unknown>;
}

const made = new WeakMap<object, Map<string, AnyPipeFunc>>();

/**
 * The function that evaluates `pipeline` for the output a marked name carries, called with
 * one argument, `inputs` (all of the point's inputs); undefined for a name without the mark.
 */
export function pointFunction(pipeline: object, marked: string): AnyPipeFunc | undefined {
  if (!marked.startsWith(MARK)) return undefined;
  let byOutput = made.get(pipeline);
  if (!byOutput) {
    byOutput = new Map();
    made.set(pipeline, byOutput);
  }
  let f = byOutput.get(marked);
  if (!f) {
    const output = marked.slice(MARK.length);
    const target = pipeline as PointPipeline;
    f = pipefunc(
      { output: "value", name: `adaptive point of "${output}"` },
      ({ inputs }: { inputs: Readonly<Record<string, unknown>> }) => target.run(output, inputs),
    ) as unknown as AnyPipeFunc;
    byOutput.set(marked, f);
  }
  return f;
}

/**
 * For a worker process holding `pipeline`: the function of a marked output when the pipeline
 * can run (a `Pipeline`), else undefined (the worker then refuses the chunk as an unknown
 * output).
 */
export function runnablePointFunction(pipeline: object, marked: string): AnyPipeFunc | undefined {
  const run = (pipeline as { readonly run?: unknown }).run;
  return typeof run === "function" ? pointFunction(pipeline, marked) : undefined;
}
