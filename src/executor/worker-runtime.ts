/**
 * What every worker thread pipeweave starts needs to load the user's module: the process's
 * flags plus a TypeScript loader when the module is `.ts`.
 */

/**
 * Worker threads inherit the process's flags. When no TypeScript loader is among them (a test
 * runner that transforms in-process, or a built pipeweave used by a `.ts` pipeline module),
 * add tsx's loader when it is installed, so workers can import `.ts` modules.
 */
export function workerExecArgv(): string[] {
  const argv = [...process.execArgv];
  if (argv.some((a) => a.includes("tsx"))) return argv;
  try {
    argv.push("--import", import.meta.resolve("tsx"));
  } catch {
    // No tsx: workers load plain JavaScript only, which is what a built package needs.
  }
  return argv;
}

/** The URL of a worker entry beside `self`, as `.ts` when running from source, else `.js`. */
export function workerFile(self: string, name: string): string {
  const ext = self.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./${name}${ext}`, self).href;
}

let typescript: Promise<void> | undefined;

/**
 * Loader hooks registered by `--import` on the main thread do not always reach worker
 * threads' ESM loader (a `.ts` entry may have been loaded through the CommonJS hooks only).
 * Before importing a `.ts` module in a worker, register tsx's ESM hooks in this thread.
 *
 * @param module - The URL about to be imported.
 */
export function prepareImport(module: string): Promise<void> {
  if (!/\.[cm]?ts$/.test(module)) return Promise.resolve();
  typescript ??= import("tsx/esm/api").then(
    (api) => {
      api.register();
    },
    () => {
      // Without tsx the import fails with Node's own message about the extension.
    },
  );
  return typescript;
}
