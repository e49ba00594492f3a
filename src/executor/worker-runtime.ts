/**
 * What every worker thread pipeweave starts needs to load the user's module: the process's
 * flags plus a TypeScript loader when the worker entry itself is `.ts`.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

function isTypeScript(url: string): boolean {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // A plain path: test it as it is.
  }
  return /\.[cm]?ts$/.test(path);
}

// This file runs as TypeScript when pipeweave runs from its sources (tests, `tsx`), and then
// every worker it starts runs TypeScript too.
const FROM_SOURCE = isTypeScript(import.meta.url);

/**
 * Worker threads inherit the process's flags. A `.ts` worker entry (pipeweave running from its
 * sources) needs a TypeScript loader: when none is among the flags (a test runner that
 * transforms in-process), add tsx's. A `.js` entry (the built package) gets none: loading tsx
 * costs each thread about a second, and {@link prepareImport} registers it in the thread only
 * when a `.ts` pipeline module is imported.
 *
 * @param entry - URL of the worker entry.
 */
export function workerExecArgv(entry: string): string[] {
  const argv = [...process.execArgv];
  if (!isTypeScript(entry) || argv.some((a) => a.includes("tsx"))) return argv;
  try {
    argv.push("--import", import.meta.resolve("tsx"));
  } catch {
    // No tsx: the entry cannot load; piscina reports the extension error.
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
 * Before importing a `.ts` module in a worker, register tsx's ESM hooks in this thread; from
 * sources, before any module, since a `.js` module there may import pipeweave's `.ts` files.
 *
 * @param module - The URL about to be imported.
 */
export function prepareImport(module: string): Promise<void> {
  if (!FROM_SOURCE && !isTypeScript(module)) return Promise.resolve();
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

/**
 * A short hash of a module file's bytes, so a thread can tell the coordinator's module from a
 * file changed on disk since; undefined for a module that is not a readable file.
 *
 * @param module - The module's URL.
 */
export function moduleFingerprint(module: string): string | undefined {
  if (!module.startsWith("file:")) return undefined;
  try {
    return createHash("sha256")
      .update(readFileSync(new URL(module)))
      .digest("hex")
      .slice(0, 16);
  } catch {
    return undefined;
  }
}
