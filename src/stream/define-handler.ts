import {
  type DeclarationReference,
  declare,
  declaredReference,
  resolveDeclaration,
} from "../_internal/declarations.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { AttemptContext } from "./stage.ts";
import type { WorkerState } from "./worker-state.ts";

/** Where a thread finds a handler: the module declaring it and the name it was declared with. */
export type HandlerReference = DeclarationReference;

/** A stage handler of any item type, as {@link defineHandler} takes it. */
export type AnyHandler = (item: never, state: WorkerState, context: AttemptContext) => unknown;

const KIND = "handler";

/**
 * Declares a stream handler that worker threads can load by importing its module, so a
 * stage may run it with `threads: true`. Call it at the top level of the module.
 *
 * @param moduleUrl - `import.meta.url` of the calling module.
 * @param name - A name unique within that module; also the stage's default name.
 * @param handler - The handler, `(item, state, context) => value`.
 * @returns The same handler, now declared.
 * The module may also run the stream at its top level, as below: a worker importing it takes
 * the declaration and suspends that run, so nothing starts again in the worker.
 *
 * @example
 * ```ts
 * export const score = defineHandler(import.meta.url, "score", (text: string) => heavyScore(text));
 * await stream(texts).pipe(pool({ workers: 2, threads: true }, score)).toArray();
 * ```
 */
export function defineHandler<F extends AnyHandler>(
  moduleUrl: string,
  name: string,
  handler: F,
): F {
  if (typeof handler !== "function") {
    throw new InvalidArgumentError(
      "handler",
      `Expected the handler of defineHandler(…, "${name}") to be a function, got ${typeof handler}.`,
    );
  }
  return declare(KIND, { module: moduleUrl, name }, () => handler);
}

/** The reference a handler was declared with, if it was. */
export function handlerReference(handler: object): HandlerReference | undefined {
  return declaredReference(KIND, handler);
}

/** Imports the declaring module and returns the handler, or undefined when it has none so named. */
export async function resolveHandler(ref: HandlerReference): Promise<AnyHandler | undefined> {
  return (await resolveDeclaration(KIND, ref)) as AnyHandler | undefined;
}
