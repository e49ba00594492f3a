import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { closestNames } from "../_internal/closest.ts";
import { own, setOwn } from "../_internal/own.ts";
import {
  OutputAxesError,
  OutputNotStoredError,
  RunFolderCorruptError,
  UnknownOutputError,
} from "../errors.ts";
import type { MapOutputValue } from "../graph/map-types.ts";
import type { Pipeline } from "../graph/pipeline.ts";
import type { AnyPipeFunc, OutputName } from "../graph/types.ts";
import { stackInternal } from "./internal-axes.ts";
import { sweepLayout } from "./layout.ts";
import { MISSING } from "./missing.ts";
import { type OutputRecord, outputFolder, type RunRecord, readRunRecord } from "./run-folder.ts";
import { META_FILE } from "./storage/file.ts";
import { storeToNdArray } from "./storage/memory.ts";
import { loadStore } from "./storage/open.ts";

/** Where to load from. */
export interface LoadOptions {
  /** A run folder written by `map`. */
  readonly runFolder: string;
}

/**
 * Reads one output of a finished (or partly finished) sweep from its run folder, typed as the
 * pipeline's `map` types it: `NdArray<T, ["i", "j"]>` for an output of a literal mapspec
 * `… -> c[i, j]`, `T` for an unmapped one.
 *
 * @param pipeline - The pipeline that wrote the folder (only its types and mapspecs are read).
 * @param output - The output's name.
 * @param options - The run folder.
 * @returns The output's value.
 * @throws {@link OutputAxesError} when the folder stores the output with other axes than the
 *   pipeline gives it; the rest as the form without the pipeline.
 * @example
 * ```ts
 * const c = await loadOutputs(pipeline, "c", { runFolder: "runs/grid" }); // NdArray<number, ["i", "j"]>
 * ```
 */
export async function loadOutputs<
  Fns extends readonly AnyPipeFunc[],
  const K extends OutputName<Fns>,
>(
  pipeline: Pipeline<Fns, string>,
  output: K,
  options: LoadOptions,
): Promise<MapOutputValue<Fns, K>>;
/**
 * Reads one output of a finished (or partly finished) sweep from its run folder, without the
 * pipeline: an `NdArray` for a mapped output (MISSING where not computed), else the value.
 *
 * @param output - The output's name.
 * @param options - The run folder.
 * @returns The output's value.
 * @throws {@link RunFolderNotFoundError} when the path does not exist, is a file, or holds no
 *   run.json.
 * @throws {@link UnknownOutputError} when the run has no such output, suggesting close names.
 * @throws {@link OutputNotStoredError} when the run kept the output in memory only, or stopped
 *   before storing anything of it ({@link loadAll} gives MISSING for it instead).
 * @throws {@link RunFolderCorruptError} when run.json or a stored element cannot be read, or
 *   an element (zarr: a chunk) was not written there by this run: copied from another place,
 *   output or run, or changed since. It is never read as a value.
 */
export async function loadOutputs(output: string, options: LoadOptions): Promise<unknown>;
export async function loadOutputs(
  ...args:
    | [pipeline: Pipeline<readonly AnyPipeFunc[], string>, output: string, options: LoadOptions]
    | [output: string, options: LoadOptions]
): Promise<unknown> {
  if (args.length === 3) {
    const [pipeline, output, options] = args;
    const record = readRunRecord(options.runFolder);
    const stored = own(record.outputs, output);
    const layout = sweepLayout(pipeline, pipeline.sortedFunctions);
    const expected = layout.producer.get(output)?.outputDims;
    // An output the pipeline does not produce, or the folder does not hold, is reported below.
    if (stored && expected && stored.dims.join("\u0000") !== expected.join("\u0000")) {
      throw new OutputAxesError(options.runFolder, output, stored.dims, expected);
    }
    return loadOne(output, options);
  }
  return loadOne(...args);
}

async function loadOne(output: string, options: LoadOptions): Promise<unknown> {
  const record = readRunRecord(options.runFolder);
  const info = own(record.outputs, output);
  if (!info) {
    const known = Object.keys(record.outputs);
    throw new UnknownOutputError(output, closestNames(output, known), known, options.runFolder);
  }
  if (!isStored(options.runFolder, output, info)) {
    throw new OutputNotStoredError(options.runFolder, output, info.storage);
  }
  return loadStored(options.runFolder, output, info, record);
}

/**
 * Reads every output of a run folder, by name; see {@link loadOutputs}. An output kept in
 * memory only, or not reached before the run stopped, is MISSING.
 *
 * @param options - The run folder.
 * @returns Each output's value by name.
 * @throws {@link RunFolderNotFoundError} when the path does not exist, is a file, or holds no
 *   run.json.
 * @throws {@link RunFolderCorruptError} when a stored output cannot be read: a corrupt output
 *   is reported, never taken for one that was not computed.
 */
export async function loadAll(options: LoadOptions): Promise<Record<string, unknown>> {
  const record = readRunRecord(options.runFolder);
  const out: Record<string, unknown> = {};
  for (const [name, info] of Object.entries(record.outputs)) {
    const stored = isStored(options.runFolder, name, info);
    setOwn(out, name, stored ? await loadStored(options.runFolder, name, info, record) : MISSING);
  }
  return out;
}

/**
 * Whether the run wrote a store for `output`. Its folder's meta.json is the first file a store
 * writes: an empty folder without it was made by a run that stopped (or is still starting), but
 * one holding files lost it, and its elements cannot be read.
 *
 * @throws {@link RunFolderCorruptError} naming meta.json when the folder holds files without it.
 */
function isStored(runFolder: string, output: string, info: OutputRecord): boolean {
  if (info.storage === "memory") return false;
  const folder = outputFolder(runFolder, output);
  const meta = join(folder, META_FILE);
  if (existsSync(meta)) return true;
  // Dot-files are temporaries of writes that never reached their rename.
  const files = existsSync(folder) ? readdirSync(folder).filter((f) => !f.startsWith(".")) : [];
  if (files.length > 0) {
    throw new RunFolderCorruptError(
      runFolder,
      meta,
      `it is missing, but the output's folder holds ${files.length} other file(s), which cannot ` +
        "be read without it",
    );
  }
  return false;
}

async function loadStored(
  runFolder: string,
  output: string,
  info: OutputRecord,
  record: RunRecord,
): Promise<unknown> {
  const store = await loadStore(outputFolder(runFolder, output), { output, run: record.id });
  // An output with internal axes (`x[i] -> y[i, j]`) is stored as one array per element.
  if (store.shape.length < info.dims.length) {
    return stackInternal(store.values(), store.shape, info.dims, info.internalShape);
  }
  if (store.shape.length === 0) return store.has(0) ? store.get(0) : MISSING;
  return storeToNdArray(store, info.dims);
}
