/**
 * Optional peer dependencies (ioredis, later bullmq): found and loaded only by the feature
 * that needs them, so `import "pipeweave"` never loads them, and a missing one is a
 * {@link MissingDependencyError} that says how to install it rather than a bare module error.
 */
import { MissingDependencyError } from "../errors.ts";

/** What a feature needing an optional dependency says when it is missing. */
export interface OptionalDependency {
  /** The package ("ioredis"). */
  readonly name: string;
  /** What needs it, as the start of a sentence ("The redis cache"). */
  readonly feature: string;
  /** What to do instead of installing it, if anything. */
  readonly alternative?: string;
}

/**
 * Checks, without loading it, that the dependency can be found from pipeweave's own folder,
 * so a missing one fails when the feature is set up instead of on first use. Where the
 * runtime cannot resolve synchronously (a test runner's or bundler's module system), this
 * checks nothing and {@link importOptional} reports it instead.
 *
 * @throws {@link MissingDependencyError} when the package is not installed.
 */
export function assertInstalled(dependency: OptionalDependency): void {
  if (typeof import.meta.resolve !== "function") return;
  try {
    import.meta.resolve(dependency.name);
  } catch (error) {
    if (isMissing(error, dependency.name)) throw missingError(dependency, error);
    // Anything else is not ours to judge here: loading the module will tell.
  }
}

/**
 * Loads the module of a feature that imports an optional dependency.
 *
 * @param load - Imports the feature's module (which imports the dependency).
 * @throws {@link MissingDependencyError} when the dependency cannot be found; any other
 *   failure to load as it is.
 */
export async function importOptional<T>(
  dependency: OptionalDependency,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissing(error, dependency.name)) throw missingError(dependency, error);
    throw error;
  }
}

function missingError(dependency: OptionalDependency, cause: unknown): MissingDependencyError {
  return new MissingDependencyError(
    dependency.name,
    dependency.feature,
    dependency.alternative,
    cause,
  );
}

/** Whether `error` is the module system failing to find the package `name` itself. */
function isMissing(error: unknown, name: string): boolean {
  if (error === null || typeof error !== "object") return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
    typeof message === "string" &&
    (message.includes(`'${name}'`) || message.includes(`"${name}"`))
  );
}
