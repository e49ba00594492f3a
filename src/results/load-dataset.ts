import { readFileSync } from "node:fs";
import { join } from "node:path";
import { deserialize } from "node:v8";
import { RunFolderCorruptError } from "../errors.ts";
import { type LoadOptions, loadAll } from "../map/load.ts";
import { parseMapSpec } from "../map/mapspec.ts";
import { NdArray } from "../map/ndarray.ts";
import { type RunRecord, readRunRecord } from "../map/run-folder.ts";
import { isNotFound } from "../map/storage/file.ts";
import type { Dataset } from "./dataset.ts";
import { sweepDataset } from "./sweep-dataset.ts";

/**
 * Reads a run folder as a labelled {@link Dataset}, without the pipeline: the outputs it stores
 * as data variables, and the mapped inputs (saved in `inputs/`) as the coordinates of their
 * axes, as `results.dataset()` gives them. Which input labels which axis is read from the
 * mapspecs in run.json, so folders written before datasets existed load too.
 *
 * Left out: outputs kept in memory only, and mapped outputs the run stopped before storing.
 * An axis whose input run.json records by hash only (a value `v8` cannot serialize) or by
 * default (an input left to its default is not saved) is labelled 0..n-1 under its own name.
 *
 * @param options - The run folder.
 * @returns The dataset.
 * @throws {@link RunFolderNotFoundError} when the path holds no run.
 * @throws {@link RunFolderCorruptError} when run.json, an output or an input file cannot be
 *   read, or an input's length differs from its axis in the outputs.
 * @example
 * ```ts
 * const ds = await loadDataset({ runFolder: "runs/grid" });
 * ds.sel({ a: 2 }).get("c").array.values();
 * ```
 */
export async function loadDataset(options: LoadOptions): Promise<Dataset> {
  const { runFolder } = options;
  const record = readRunRecord(runFolder);
  const all = await loadAll(options);
  const outputs: [string, unknown][] = [];
  const lengths = new Map<string, number>();
  for (const [name, info] of Object.entries(record.outputs)) {
    const value = all[name];
    // Not stored: kept in memory only, or (a mapped output) not reached before the run stopped.
    if (info.storage === "memory" || (info.dims.length > 0 && !(value instanceof NdArray)))
      continue;
    outputs.push([name, value]);
    if (!(value instanceof NdArray)) continue;
    value.dims.forEach((d, k) => {
      lengths.set(d, value.shape[k]!);
    });
  }
  const inputs: [string, NdArray<unknown>][] = [];
  for (const [name, dims] of mappedInputs(runFolder, record)) {
    const array = readInput(runFolder, name, dims);
    if (array === undefined) continue;
    array.dims.forEach((d, k) => {
      const length = lengths.get(d);
      if (length !== undefined && length !== array.shape[k]) {
        throw new RunFolderCorruptError(
          runFolder,
          inputFile(runFolder, name),
          `input "${name}" has ${array.shape[k]} values along axis "${d}", but the outputs ` +
            `have ${length}: the file is not the one the run saved`,
        );
      }
    });
    inputs.push([name, array]);
  }
  return sweepDataset(outputs, inputs);
}

function inputFile(runFolder: string, name: string): string {
  return join(runFolder, "inputs", `${encodeURIComponent(name)}.v8`);
}

/**
 * The root inputs the run's mapspecs read along axes, with their axes (`:` as `name:k`), as
 * the sweep's layout claims them: the first mapspec that reads an input gives its axes.
 */
function mappedInputs(runFolder: string, record: RunRecord): Map<string, readonly string[]> {
  const functions = record.pipeline.functions;
  const produced = new Set(functions.flatMap((f) => f.outputs));
  const out = new Map<string, readonly string[]>();
  for (const f of functions) {
    if (typeof f.mapspec !== "string") continue;
    let spec: ReturnType<typeof parseMapSpec>;
    try {
      spec = parseMapSpec(f.mapspec, f.name);
    } catch (cause) {
      throw new RunFolderCorruptError(
        runFolder,
        join(runFolder, "run.json"),
        `function "${f.name}" has the mapspec ${JSON.stringify(f.mapspec)}, which does not parse`,
        cause,
      );
    }
    for (const input of spec.inputs) {
      if (produced.has(input.name) || input.axes.length === 0 || out.has(input.name)) continue;
      out.set(
        input.name,
        input.axes.map((a, k) => a ?? `${input.name}:${k}`),
      );
    }
  }
  return out;
}

/**
 * A mapped input as saved in `inputs/`, as an NdArray along `dims`; undefined when it was not
 * saved (recorded by hash only, or left to its default).
 *
 * @throws {@link RunFolderCorruptError} when the file cannot be read as arrays `dims` deep.
 */
function readInput(
  runFolder: string,
  name: string,
  dims: readonly string[],
): NdArray<unknown> | undefined {
  const file = inputFile(runFolder, name);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  try {
    const value: unknown = deserialize(bytes);
    // An NdArray given as the input was saved as its fields (v8 keeps no class).
    if (isArrayFields(value)) return new NdArray(value.shape, dims, value.data);
    const list = ArrayBuffer.isView(value)
      ? Array.from(value as unknown as ArrayLike<unknown>)
      : (value as unknown[]);
    return NdArray.fromNested(list, dims);
  } catch (cause) {
    throw new RunFolderCorruptError(
      runFolder,
      file,
      `input "${name}" cannot be read as arrays ${dims.length} deep (${String(cause)})`,
      cause,
    );
  }
}

function isArrayFields(
  value: unknown,
): value is { readonly shape: readonly number[]; readonly data: readonly unknown[] } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const fields = value as { shape?: unknown; dims?: unknown; data?: unknown };
  return Array.isArray(fields.shape) && Array.isArray(fields.dims) && Array.isArray(fields.data);
}
