import { existsSync, realpathSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { closestNames } from "../_internal/closest.ts";
import { importAsWorker } from "../_internal/declarations.ts";
import { MissingDependencyError, PipelineModuleError } from "../errors.ts";
import { Pipeline, type UntypedPipeFunc } from "../graph/pipeline.ts";
import { importPipelineModule, type PipelineModuleImport } from "../map/define.ts";
import { type AnyHandler, handlerReference } from "../stream/define-handler.ts";
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
  const path = await locate(target, cwd);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (cause) {
    throw failedToLoad(target, cause);
  }
  return pipelineExport(target, namespace);
}

/**
 * Imports `<module>` for `pipeweave worker` and returns its pipeline `<export>`, as
 * {@link loadPipeline} does, except that a run the module starts at its top level is
 * suspended, as in a worker thread (the same-file pattern: `definePipeline`, then
 * `await pipeline.map(..., { executor: redis(...) })`), so the worker never starts that run.
 *
 * Such a module's exports cannot be read: its evaluation stops at the run and never completes.
 * The worker then takes the pipeline declared under the export's name
 * (`definePipeline(import.meta.url, "<export>", ...)`) before the run, by the module or a module
 * it imports (the module's own first, when both declare the name). A module whose evaluation
 * completes is read through its exports, as by {@link loadPipeline}.
 *
 * @throws {@link PipelineModuleError} as {@link loadPipeline} does, and when a module that runs
 *   a pipeline at its top level declares none under the export's name before that run (the
 *   names it declares listed).
 * @throws {@link MissingDependencyError} for a `.ts` module without any TypeScript loader.
 */
export async function loadWorkerPipeline(
  target: Target,
  cwd: string = process.cwd(),
): Promise<LoadedPipeline> {
  const { url, imported } = await importAt(target, cwd, importPipelineModule);
  return workerPipelineOf(target, url, imported);
}

/** What `pipeweave worker <module>#<export>` serves: a pipeline's map chunks, or stream stages. */
export type WorkerTarget =
  | { readonly kind: "pipeline"; readonly pipeline: LoadedPipeline }
  | {
      readonly kind: "handlers";
      /** Every handler the module declared, by declared name (the export's among them). */
      readonly handlers: ReadonlyMap<string, AnyHandler>;
    };

/**
 * Imports `<module>` as {@link loadWorkerPipeline} does; when `<export>` names a stream handler
 * declared with `defineHandler` (by its export or its declared name), the worker serves the
 * stream stages of every handler the module declares; otherwise it serves the pipeline.
 *
 * @throws {@link PipelineModuleError} as {@link loadWorkerPipeline} does.
 */
export async function loadWorkerTarget(
  target: Target,
  cwd: string = process.cwd(),
): Promise<WorkerTarget> {
  const { url, imported } = await importAt(target, cwd, importAsWorker);
  const handlers = new Map<string, AnyHandler>();
  for (const d of imported.declared) {
    if (d.kind === "handler") handlers.set(d.ref.name, d.value as AnyHandler);
  }
  const exported = imported.completed ? imported.namespace[target.exportName] : undefined;
  const named =
    (typeof exported === "function" && handlerReference(exported) !== undefined) ||
    (exported === undefined && handlers.has(target.exportName));
  if (named) {
    // A handler declared by a module it imports (so not in `declared`) is served too.
    if (typeof exported === "function") {
      handlers.set(handlerReference(exported)!.name, exported as AnyHandler);
    }
    return { kind: "handlers", handlers };
  }
  const pipelines = imported.declared
    .filter((d) => d.kind === "pipeline")
    .map((d) => ({ ref: d.ref, pipeline: d.value as LoadedPipeline }));
  return {
    kind: "pipeline",
    pipeline: workerPipelineOf(target, url, {
      namespace: imported.completed ? imported.namespace : undefined,
      pipelines,
    } as PipelineModuleImport),
  };
}

/** The pipeline a worker serves, from its module's import. */
function workerPipelineOf(
  target: Target,
  url: string,
  imported: PipelineModuleImport,
): LoadedPipeline {
  const { module, exportName } = target;
  if (imported.namespace) return pipelineExport(target, imported.namespace);
  const named = imported.pipelines.filter((d) => d.ref.name === exportName);
  // The module's own declaration, else the one a module it imports made, if only one did.
  const found =
    named.find((d) => withoutQuery(d.ref.module) === url) ??
    (named.length === 1 ? named[0] : undefined);
  if (found && isPipeline(found.pipeline)) return found.pipeline;
  const names = [...new Set(imported.pipelines.map((d) => `"${d.ref.name}"`))];
  const declared =
    named.length > 1
      ? `Several modules it imports declare "${exportName}" (${named.map((d) => d.ref.module).join(", ")}), so which one is meant is unclear.`
      : names.length > 0
        ? `It declares ${names.join(", ")} before that run.`
        : "It declares no pipeline before that run.";
  throw new PipelineModuleError(
    module,
    exportName,
    `Module "${module}" runs a pipeline at its top level; the worker stops it there (it never ` +
      "runs that pipeline), so the module's exports cannot be read, and the worker takes the " +
      `pipeline declared as definePipeline(import.meta.url, "${exportName}", ...) before that ` +
      `run. ${declared} Declare the pipeline under its export's name ("${exportName}") before ` +
      "the module's first run, or move the run to another module.",
  );
}

/**
 * Imports `<module>` for a SLURM array task (`pipeweave worker --slurm`) and returns the
 * pipeline it declares as `definePipeline(import.meta.url, "<name>", ...)`: the coordinator
 * names a pipeline by its declaration, which need not be the name of an export. A module that
 * declares none under that name is read as {@link loadWorkerPipeline} reads it.
 *
 * @throws {@link PipelineModuleError} as {@link loadWorkerPipeline} does.
 */
export async function loadDeclaredPipeline(
  target: Target,
  cwd: string = process.cwd(),
): Promise<LoadedPipeline> {
  const { url, imported } = await importAt(target, cwd, importPipelineModule);
  const own = imported.pipelines.find(
    (d) => d.ref.name === target.exportName && withoutQuery(d.ref.module) === url,
  );
  if (own && isPipeline(own.pipeline)) return own.pipeline;
  return loadWorkerPipeline(target, cwd);
}

/**
 * Imports the target's module with `importer`, at the URL it declares with: Node's resolution
 * follows symbolic links, so the real path's URL is its `import.meta.url`.
 */
async function importAt<I>(
  target: Target,
  cwd: string,
  importer: (url: string) => Promise<I>,
): Promise<{ readonly url: string; readonly imported: I }> {
  const url = pathToFileURL(realpathSync(await locate(target, cwd))).href;
  try {
    return { url, imported: await importer(url) };
  } catch (cause) {
    throw failedToLoad(target, cause);
  }
}

/** The module's absolute path, checked to exist, with a TypeScript loader when it needs one. */
async function locate(target: Target, cwd: string): Promise<string> {
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
  return path;
}

function failedToLoad(target: Target, cause: unknown): PipelineModuleError {
  const { module, exportName } = target;
  return new PipelineModuleError(
    module,
    exportName,
    `Module "${module}" failed to load: ${describeError(cause)}. Fix the module; importing ` +
      "it alone (node, or tsx for TypeScript) shows the same error.",
    { cause },
  );
}

/** The export `<export>` of a loaded module, checked to be a Pipeline. */
function pipelineExport(target: Target, namespace: Record<string, unknown>): LoadedPipeline {
  const { module, exportName } = target;
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

/** A module URL without the query or fragment a loader may add. */
function withoutQuery(url: string): string {
  return url.replace(/[?#].*$/, "");
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
