import { existsSync } from "node:fs";
import { own, setOwn } from "../_internal/own.ts";
import { stackInternal } from "./internal-axes.ts";
import { MISSING } from "./missing.ts";
import { outputFolder, readRunRecord } from "./run-folder.ts";
import { storeToNdArray } from "./storage/memory.ts";
import { loadStore } from "./storage/open.ts";

/** Where to load from. */
export interface LoadOptions {
  /** A run folder written by `map`. */
  readonly runFolder: string;
}

/**
 * Reads one output of a finished (or partly finished) sweep from its run folder, without the
 * pipeline: an `NdArray` for a mapped output (MISSING where not computed), else the value.
 *
 * @param output - The output's name.
 * @throws TypeError when the folder is not a run folder or has no such output.
 * @throws {@link RunFolderCorruptError} when run.json or a stored element cannot be read, or
 *   an element (zarr: a chunk) was not written there by this run: copied from another place,
 *   output or run, or changed since. It is never read as a value.
 */
export async function loadOutputs(output: string, options: LoadOptions): Promise<unknown> {
  const record = readRunRecord(options.runFolder);
  const info = own(record.outputs, output);
  if (!info) {
    const known = Object.keys(record.outputs)
      .map((o) => `"${o}"`)
      .join(", ");
    throw new TypeError(
      `Run folder "${options.runFolder}" has no output "${output}". Its outputs: ${known}.`,
    );
  }
  if (info.storage === "memory") {
    throw new TypeError(
      `Output "${output}" of "${options.runFolder}" was kept in memory only; run map with ` +
        'storage "file" or "zarr" to load it later.',
    );
  }
  const store = await loadStore(outputFolder(options.runFolder, output), {
    output,
    run: record.id,
  });
  // An output with internal axes (`x[i] -> y[i, j]`) is stored as one array per element.
  if (store.shape.length < info.dims.length) {
    return stackInternal(store.values(), store.shape, info.dims, info.internalShape);
  }
  if (store.shape.length === 0) return store.has(0) ? store.get(0) : MISSING;
  return storeToNdArray(store, info.dims);
}

/**
 * Reads every output of a run folder, by name; see {@link loadOutputs}. An output kept in
 * memory only, or not reached before the run stopped, is MISSING.
 *
 * @throws {@link RunFolderCorruptError} when a stored output cannot be read: a corrupt output
 *   is reported, never taken for one that was not computed.
 */
export async function loadAll(options: LoadOptions): Promise<Record<string, unknown>> {
  const record = readRunRecord(options.runFolder);
  const out: Record<string, unknown> = {};
  for (const [name, info] of Object.entries(record.outputs)) {
    const stored = info.storage !== "memory" && existsSync(outputFolder(options.runFolder, name));
    setOwn(out, name, stored ? await loadOutputs(name, options) : MISSING);
  }
  return out;
}
