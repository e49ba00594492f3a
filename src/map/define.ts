import type { Pipeline } from "../graph/pipeline.ts";
import type { AnyPipeFunc } from "../graph/types.ts";

/** Where a worker finds a pipeline: the module declaring it and the name it was declared with. */
export interface PipelineReference {
  /** `import.meta.url` of the declaring module. */
  readonly module: string;
  /** The declared name. */
  readonly name: string;
}

interface Declared {
  readonly byKey: Map<string, Pipeline<readonly AnyPipeFunc[]>>;
  readonly refs: WeakMap<object, PipelineReference>;
}

// On globalThis so that every copy of this module in a process (source and dist, or two
// bundles) shares one table: the worker finds what the user's module declared.
const KEY = Symbol.for("pipeweave.declaredPipelines");
const declared: Declared = ((globalThis as Record<symbol, unknown>)[KEY] as Declared) ?? {
  byKey: new Map(),
  refs: new WeakMap(),
};
(globalThis as Record<symbol, unknown>)[KEY] = declared;

const keyOf = (ref: PipelineReference) => `${ref.module}#${ref.name}`;

/**
 * Declares a pipeline that worker threads (and Redis workers) can rebuild by importing its
 * module. Call it at the top level of the module, so importing the module declares it.
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
  const ref: PipelineReference = { module: moduleUrl, name };
  const existing = declared.byKey.get(keyOf(ref));
  if (existing) return existing as P;
  const pipeline = factory();
  declared.byKey.set(keyOf(ref), pipeline);
  declared.refs.set(pipeline, ref);
  return pipeline;
}

/** The reference a pipeline was declared with, if it was. */
export function referenceOf(pipeline: object): PipelineReference | undefined {
  return declared.refs.get(pipeline);
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
  let pipeline = declared.byKey.get(keyOf(ref));
  if (pipeline) return pipeline;
  await import(ref.module);
  pipeline = declared.byKey.get(keyOf(ref));
  if (!pipeline) {
    throw new TypeError(
      `Module ${ref.module} does not declare a pipeline named "${ref.name}" at its top level. ` +
        "Call definePipeline(import.meta.url, name, factory) there.",
    );
  }
  return pipeline;
}
