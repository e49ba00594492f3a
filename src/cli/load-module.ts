import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { closestNames } from "../_internal/closest.ts";
import { MissingDependencyError, PipelineModuleError } from "../errors.ts";
import { Pipeline, type UntypedPipeFunc } from "../graph/pipeline.ts";
import type { Target } from "./args.ts";

/** A pipeline loaded from a user's module: its functions' types are not known here. */
export type LoadedPipeline = Pipeline<readonly UntypedPipeFunc[]>;

/**
 * Imports `<module>` (relative to `cwd`) and returns its export `<export>`, which must be a
 * Pipeline. A `.ts` module needs a TypeScript loader: when the CLI runs without one, tsx's is
 * registered if tsx is installed.
 *
 * @throws {@link PipelineModuleError} when the module is missing or fails to load, has no such
 *   export (its exports listed), or the export is not a Pipeline.
 * @throws {@link MissingDependencyError} for a `.ts` module without any TypeScript loader.
 */
export async function loadPipeline(
  target: Target,
  cwd: string = process.cwd(),
): Promise<LoadedPipeline> {
  const { module, exportName } = target;
  const path = resolve(cwd, module);
  if (!existsSync(path)) {
    throw new PipelineModuleError(
      module,
      exportName,
      `Module "${module}" not found (looked for ${path}). Pass the module's path relative to ` +
        "the current folder, such as ./pipelines.ts#pipeline.",
    );
  }
  if (/\.[cm]?tsx?$/.test(path)) await ensureTypeScriptLoader(module);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (cause) {
    throw new PipelineModuleError(
      module,
      exportName,
      `Module "${module}" failed to load: ${describeError(cause)}. Fix the module; importing ` +
        "it alone (node, or tsx for TypeScript) shows the same error.",
      { cause },
    );
  }
  const exports = Object.keys(namespace).sort();
  if (!Object.hasOwn(namespace, exportName)) {
    const best = closestNames(exportName, exports, 1)[0];
    const listed =
      exports.length > 0 ? `Its exports: ${exports.join(", ")}.` : "It exports nothing.";
    throw new PipelineModuleError(
      module,
      exportName,
      `Module "${module}" has no export "${exportName}".${best ? ` Did you mean "${best}"?` : ""} ${listed}`,
      { exports },
    );
  }
  const value = namespace[exportName];
  if (!isPipeline(value)) {
    throw new PipelineModuleError(
      module,
      exportName,
      `Export "${exportName}" of module "${module}" is not a Pipeline (got ${describeValue(value)}). ` +
        "Export the pipeline itself: export const pipeline = new Pipeline([...]).",
      { exports },
    );
  }
  return value;
}

/**
 * A Pipeline of this copy of pipeweave, or of another copy (a module importing pipeweave from
 * elsewhere than the CLI's own installation): its methods are what the CLI calls.
 */
function isPipeline(value: unknown): value is LoadedPipeline {
  if (value instanceof Pipeline) return true;
  if (typeof value !== "object" || value === null) return false;
  const methods = ["run", "map", "info", "toAscii", "toMermaid", "toDot"];
  return methods.every((m) => typeof (value as Record<string, unknown>)[m] === "function");
}

let typescript: Promise<void> | undefined;

/**
 * Registers tsx's loader for a `.ts` module unless the process already has one (`node
 * --import tsx`, or tsx's own CLI). Without tsx, Node's type stripping (Node 22.18+) may
 * still load it; where Node has none either, the user is told what to do.
 */
function ensureTypeScriptLoader(module: string): Promise<void> {
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ");
  if (flags.includes("tsx")) return Promise.resolve();
  typescript ??= import("tsx/esm/api").then(
    (api) => {
      api.register();
    },
    (cause: unknown) => {
      if ((process.features as { readonly typescript?: unknown }).typescript) return;
      throw new MissingDependencyError(
        "tsx",
        `Loading the TypeScript module "${module}"`,
        "build the module to JavaScript and pass the .js file",
        cause,
      );
    },
  );
  return typescript;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.replace(/\.$/, "");
  return String(error);
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value === undefined) return "undefined";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
