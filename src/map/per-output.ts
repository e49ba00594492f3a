/**
 * `map` options given per output (pipefunc's `chunksizes` and `storage` dicts): `chunkSize` and
 * `storage` as one value for all, or `{ [output]: value }`.
 */
import { closestNames } from "../_internal/closest.ts";
import { own } from "../_internal/own.ts";
import { InvalidOptionError } from "../errors.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import type { StorageKind } from "./storage/types.ts";

/** A chunk size, or one computed from the number of elements the function computes. */
export type ChunkSizeValue = number | ((elements: number) => number);

/** `chunkSize` of `map`: one for every function, or per function as `{ [output]: size }`. */
export type ChunkSizeOption = number | Readonly<Record<string, ChunkSizeValue>>;

/** `storage` of `map`: one kind for every output, or per output as `{ [output]: kind }`. */
export type StorageOption = StorageKind | Readonly<Record<string, StorageKind>>;

const STORAGE_KINDS: readonly StorageKind[] = ["memory", "file", "zarr"];

/**
 * The storage of each output: the one kind for mapped outputs (single values go to file with a
 * run folder, else memory), or per output, the outputs not listed as without the option.
 *
 * @throws {@link InvalidOptionError} for an unknown kind, a name that is no output (with the
 *   closest ones), or file/zarr without a run folder.
 */
export function storagePlan(
  storage: StorageOption | undefined,
  runFolder: string | undefined,
  outputs: readonly string[],
): (output: string, isMapped: boolean) => StorageKind {
  const fallback: StorageKind = runFolder ? "file" : "memory";
  const check = (kind: unknown, option: string) => {
    if (!STORAGE_KINDS.includes(kind as StorageKind)) {
      throw new InvalidOptionError(
        option,
        `Expected \`${option}\` to be one of ${STORAGE_KINDS.map((k) => `"${k}"`).join(", ")}, got ` +
          `${JSON.stringify(kind)}.`,
      );
    }
    if (kind !== "memory" && !runFolder) {
      throw new InvalidOptionError(
        option,
        `storage "${String(kind)}" writes results into a run folder, but no \`runFolder\` was given. ` +
          `Pass runFolder: "runs/my-sweep" (a folder to create), or use storage: "memory".`,
      );
    }
  };
  const byOutput = typeof storage === "object" && storage !== null ? storage : undefined;
  const all: StorageKind = typeof storage === "string" ? storage : fallback;
  if (storage !== undefined && typeof storage !== "string" && !byOutput) check(storage, "storage");
  check(all, "storage");
  if (byOutput) {
    checkNames(byOutput, outputs, "storage");
    for (const [name, kind] of Object.entries(byOutput)) check(kind, `storage.${name}`);
  }
  return (output, isMapped) => {
    const chosen = byOutput ? own(byOutput, output) : undefined;
    if (chosen !== undefined) return chosen;
    return isMapped ? all : fallback;
  };
}

/**
 * Checks `chunkSize` before any work: a positive integer, or per output a positive integer or a
 * function, naming only outputs.
 *
 * @throws {@link InvalidOptionError} naming the entry.
 */
export function checkChunkSize(
  chunkSize: ChunkSizeOption | undefined,
  outputs: readonly string[],
): void {
  if (chunkSize === undefined) return;
  if (typeof chunkSize !== "object" || chunkSize === null) {
    checkSize(chunkSize, "chunkSize");
    return;
  }
  checkNames(chunkSize, outputs, "chunkSize");
  for (const [name, size] of Object.entries(chunkSize)) {
    if (typeof size !== "function") checkSize(size, `chunkSize.${name}`);
  }
}

/**
 * The chunk size of function `f` (by any of its outputs, else its name), computing it from the
 * number of elements it computes when given as a function; undefined for the executor's own.
 *
 * @throws {@link InvalidOptionError} when a function gives no positive integer.
 */
export function chunkSizeFor(
  chunkSize: ChunkSizeOption | undefined,
  f: AnyPipeFunc,
  elements: number,
): number | undefined {
  if (chunkSize === undefined || typeof chunkSize === "number") return chunkSize;
  const key = [...f.outputs, f.name].find((o) => own(chunkSize, o) !== undefined);
  if (key === undefined) return undefined;
  const size = own(chunkSize, key)!;
  if (typeof size !== "function") return size;
  const computed = size(elements);
  checkSize(computed, `chunkSize.${key}`, ` (returned for ${elements} elements)`);
  return computed;
}

function checkSize(size: unknown, option: string, context = ""): void {
  if (typeof size === "number" && Number.isInteger(size) && size >= 1) return;
  throw new InvalidOptionError(
    option,
    `Expected \`${option}\` to be an integer from 1 and up${context}, got ` +
      `\`${String(size)}\` (${typeof size}).`,
  );
}

function checkNames(
  byOutput: Readonly<Record<string, unknown>>,
  outputs: readonly string[],
  option: string,
): void {
  for (const name of Object.keys(byOutput)) {
    if (outputs.includes(name)) continue;
    const close = closestNames(name, outputs);
    throw new InvalidOptionError(
      `${option}.${name}`,
      `\`${option}\` names "${name}", which is not an output of the pipeline` +
        (close.length > 0 ? ` (did you mean ${close.map((c) => `"${c}"`).join(", ")}?)` : "") +
        `. Its outputs: ${outputs.map((o) => `"${o}"`).join(", ")}.`,
    );
  }
}
