import {
  type DeclarationReference,
  declare,
  declaredReference,
  resolveDeclaration,
} from "../_internal/declarations.ts";
import type { Pipeline } from "../graph/pipeline.ts";
import type { AnyPipeFunc } from "../graph/types.ts";

/** Where a worker finds a pipeline: the module declaring it and the name it was declared with. */
export type PipelineReference = DeclarationReference;

const KIND = "pipeline";

/**
 * Declares a pipeline that worker threads (and Redis workers) can rebuild by importing its
 * module. Call it at the top level of the module, so importing the module declares it.
 *
 * The module may also run the pipeline at its top level, as below. A worker importing it
 * takes the declaration and suspends that run (its promise never settles there), so nothing
 * starts again in the worker; top-level code before the run does execute once per worker.
 *
 * @param moduleUrl - `import.meta.url` of the calling module.
 * @param name - A name unique within that module.
 * @param factory - Builds the pipeline; called once per process or thread.
 * @returns The pipeline the factory built.
 * @example
 * ```ts
 * export const pipeline = definePipeline(import.meta.url, "sweep", () => new Pipeline([f, g]));
 * await pipeline.map(inputs, { executor: "threads" });
 * ```
 */
export function definePipeline<P extends Pipeline<readonly AnyPipeFunc[]>>(
  moduleUrl: string,
  name: string,
  factory: () => P,
): P {
  return declare(KIND, { module: moduleUrl, name }, factory);
}

/** The reference a pipeline was declared with, if it was. */
export function referenceOf(pipeline: object): PipelineReference | undefined {
  return declaredReference(KIND, pipeline);
}

/**
 * Imports the declaring module (which declares the pipeline as a side effect) and returns the
 * declared pipeline.
 *
 * @throws TypeError when the module does not declare that name.
 */
export async function resolveReference(
  ref: PipelineReference,
): Promise<Pipeline<readonly AnyPipeFunc[]>> {
  const pipeline = await resolveDeclaration(KIND, ref);
  if (!pipeline) {
    throw new TypeError(
      `Module ${ref.module} does not declare a pipeline named "${ref.name}" at its top level. ` +
        "Call definePipeline(import.meta.url, name, factory) there.",
    );
  }
  return pipeline as Pipeline<readonly AnyPipeFunc[]>;
}
