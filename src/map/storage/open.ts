import { META_FILE, openFileStore, readStoreMeta } from "./file.ts";
import { createMemoryStore } from "./memory.ts";
import type { OutputStore, StorageKind, StoreOptions } from "./types.ts";

/**
 * The zarr store, loaded on first use: zarrita is a good part of pipeweave's import time, and
 * every worker thread imports pipeweave.
 */
async function openZarrStore(options: StoreOptions & { readonly folder: string }) {
  const zarr = await import("./zarr.ts");
  return zarr.openZarrStore(options);
}

const KINDS: readonly StorageKind[] = ["memory", "file", "zarr"];

/**
 * Creates the store of one output for a sweep: in memory, or opened (created when missing) in
 * `options.folder` for file and zarr, which load the elements already there.
 *
 * @param kind - The backend: `"memory"`, `"file"` or `"zarr"`.
 * @param options - The output's name, shape, dims and, for file and zarr, its `folder`.
 * @returns The store; a promise of it for zarr, whose opening reads chunks asynchronously.
 * @throws TypeError when `kind` is unknown, or `folder` is missing for file or zarr.
 * @throws RunFolderMismatchError when the folder holds a store of another kind, shape or dims.
 * @example
 * ```ts
 * const store = await createStore("file", { output: "c", shape: [3], dims: ["i"], folder });
 * ```
 */
export function createStore(
  kind: StorageKind,
  options: StoreOptions,
): OutputStore | Promise<OutputStore> {
  if (kind === "memory") return createMemoryStore(options);
  if (kind !== "file" && kind !== "zarr") {
    throw new TypeError(
      `Expected \`storage\` of output "${options.output}" to be one of ` +
        `${KINDS.map((k) => `"${k}"`).join(", ")}, got \`${String(kind)}\` (${typeof kind}).`,
    );
  }
  const { folder } = options;
  if (typeof folder !== "string" || folder === "") {
    throw new TypeError(
      `Expected \`folder\` for "${kind}" storage of output "${options.output}", got ` +
        `\`${String(folder)}\` (${typeof folder}). Pass a runFolder, or use storage: "memory".`,
    );
  }
  return kind === "file"
    ? openFileStore({ ...options, folder })
    : openZarrStore({ ...options, folder });
}

/**
 * Opens the store a sweep left in `folder`, from its `meta.json` alone, so results can be read
 * back in a process that does not have the pipeline. The store is fully usable, but meant for
 * reading: call `get`, `has` and `values`.
 *
 * @param folder - One output's folder inside a run folder.
 * @param place - The output's name and the run's id (run.json's `id`), which every stored
 *   element must be bound to.
 * @returns The file or zarr store, holding every element on disk.
 * @throws Error when the folder has no `meta.json` (it is not a pipeweave store).
 * @throws {@link RunFolderCorruptError} when `meta.json`, an element file or a chunk is corrupt,
 *   or a stored element is not bound to this output, its place and this run.
 * @example
 * ```ts
 * const store = await loadStore("runs/demo/outputs/c", { output: "c", run: record.id });
 * store.values(); // every element, MISSING where absent
 * ```
 */
export async function loadStore(
  folder: string,
  place: { readonly output: string; readonly run: string | undefined },
): Promise<OutputStore> {
  const meta = readStoreMeta(folder);
  if (meta === undefined) {
    throw new Error(
      `No output store in "${folder}": it has no ${META_FILE}. Pass the folder of one output ` +
        'inside a run folder written by map with storage "file" or "zarr".',
    );
  }
  const options: StoreOptions & { readonly folder: string } = {
    output: place.output,
    shape: meta.shape,
    dims: meta.dims,
    folder,
    untrusted: "refuse",
    ...(place.run === undefined ? {} : { run: place.run }),
  };
  return meta.kind === "file" ? openFileStore(options) : openZarrStore(options);
}
