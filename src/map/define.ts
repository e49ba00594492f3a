import {
  type DeclarationReference,
  declare,
  declaredReference,
  importAsWorker,
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
 * Worker processes (Redis) build the pipeline with their own values of the module's
 * constants: declare the data the functions read in the pipeline's (or their own)
 * `captures`, so a worker holding other values is refused.
 *
 * @param moduleUrl - `import.meta.url` of the calling module.
 * @param name - A name unique within that module.
 * @param factory - Builds the pipeline; called once per process or thread.
 * @returns The pipeline the factory built.
 * @example
 * ```ts
 * const K = 2;
 * export const pipeline = definePipeline(
 *   import.meta.url,
 *   "sweep",
 *   () => new Pipeline([f, g], { captures: { K } }),
 * );
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

/** How the name of a declared pipeline's variant selection is written: `name?variant={...}`. */
const VARIANT_MARK = "?variant=";

/**
 * Declares the pipeline that `withVariant` derived from a declared pipeline, under the
 * parent's name and the selection, so worker threads rebuild it: they import the module,
 * find the parent and choose the same variants. Nothing happens for an undeclared parent.
 */
export function declareVariant(
  parent: object,
  derived: object,
  selection: Readonly<Record<string, string>>,
): void {
  const ref = referenceOf(parent);
  if (!ref) return;
  const sorted = Object.fromEntries(Object.entries(selection).sort(([a], [b]) => (a < b ? -1 : 1)));
  declare(
    KIND,
    { module: ref.module, name: `${ref.name}${VARIANT_MARK}${JSON.stringify(sorted)}` },
    () => derived,
  );
}

/**
 * Imports the declaring module (which declares the pipeline as a side effect) and returns the
 * declared pipeline (for a variant selection's name, the declared pipeline with those variants).
 *
 * @throws TypeError when the module does not declare that name.
 */
export async function resolveReference(
  ref: PipelineReference,
): Promise<Pipeline<readonly AnyPipeFunc[]>> {
  const mark = ref.name.indexOf(VARIANT_MARK);
  if (mark >= 0) {
    const parent = await resolveReference({ module: ref.module, name: ref.name.slice(0, mark) });
    const selection = JSON.parse(ref.name.slice(mark + VARIANT_MARK.length)) as Record<
      string,
      string
    >;
    return parent.withVariant(selection as never) as Pipeline<readonly AnyPipeFunc[]>;
  }
  const pipeline = await resolveDeclaration(KIND, ref);
  if (!pipeline) {
    throw new TypeError(
      `Module ${ref.module} does not declare a pipeline named "${ref.name}" at its top level. ` +
        "Call definePipeline(import.meta.url, name, factory) there.",
    );
  }
  return pipeline as Pipeline<readonly AnyPipeFunc[]>;
}

/** A pipeline declared with {@link definePipeline}, with its reference. */
export interface DeclaredPipeline {
  readonly ref: PipelineReference;
  readonly pipeline: Pipeline<readonly AnyPipeFunc[]>;
}

/** A module imported as a worker process imports it: see {@link importPipelineModule}. */
export interface PipelineModuleImport {
  /** The module's exports, or undefined when a run at its top level suspended it. */
  readonly namespace: Readonly<Record<string, unknown>> | undefined;
  /** The pipelines declared during the import (by the module or the modules it imports). */
  readonly pipelines: readonly DeclaredPipeline[];
}

/**
 * Imports a module the way a worker thread does, for a worker process: a run the module
 * starts at its top level (`await pipeline.map(...)` after {@link definePipeline}) is
 * suspended, so the process serving the module never starts it. Such a module's exports
 * cannot be read (its evaluation never completes); the pipelines it declared before the run
 * can.
 *
 * @throws What the module's evaluation threw.
 */
export async function importPipelineModule(moduleUrl: string): Promise<PipelineModuleImport> {
  const imported = await importAsWorker(moduleUrl);
  const pipelines = imported.declared
    .filter((d) => d.kind === KIND)
    .map((d) => ({ ref: d.ref, pipeline: d.value as Pipeline<readonly AnyPipeFunc[]> }));
  return { namespace: imported.completed ? imported.namespace : undefined, pipelines };
}
