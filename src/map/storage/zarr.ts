import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import * as zarr from "zarrita";
import { RunFolderMismatchError, StorageValueError } from "../../errors.ts";
import { corruptStoreError, isNotFound, openStoreMeta, writeFileAtomicSync } from "./file.ts";
import { MemoryStore } from "./memory.ts";
import type { OutputStore, StoreOptions } from "./types.ts";

/** The data types pipeweave creates, from the first value stored. */
type CreatedDataType = "float64" | "bool" | "int64";

/** A zarrita array over the store's folder. */
type ZarrArray = zarr.Array<zarr.DataType, AtomicFileSystemStore>;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * zarrita's file system store, except that every write lands atomically (temporary file then
 * rename). Its file operations are synchronous on purpose, as in the file store: each costs
 * tens of microseconds, where an async one pays several round trips through libuv's thread
 * pool per element (measured 10-15x slower) and opens files without bound when a sweep sets
 * thousands of elements at once. zarrita awaits a synchronous store just the same.
 */
class AtomicFileSystemStore implements zarr.SyncMutable {
  readonly #root: string;
  readonly #folders = new Set<string>();

  constructor(root: string) {
    this.#root = root;
  }

  get(key: zarr.AbsolutePath): Uint8Array | undefined {
    try {
      return readFileSync(this.#path(key));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  set(key: zarr.AbsolutePath, value: Uint8Array): void {
    const path = this.#path(key);
    const folder = dirname(path);
    if (!this.#folders.has(folder)) {
      mkdirSync(folder, { recursive: true });
      this.#folders.add(folder);
    }
    writeFileAtomicSync(path, value);
  }

  #path(key: zarr.AbsolutePath): string {
    return join(this.#root, key.slice(1));
  }
}

/** A store persisting each element as one chunk of a Zarr v3 array; see {@link openZarrStore}. */
class ZarrStore extends MemoryStore {
  override readonly kind = "zarr";
  readonly #folder: string;
  readonly #store: AtomicFileSystemStore;
  readonly #pending = new Set<Promise<void>>();
  #dataType: zarr.DataType | undefined;
  #array: Promise<ZarrArray> | undefined;
  #failure: { readonly error: unknown } | undefined;

  constructor(options: StoreOptions & { readonly folder: string }) {
    super(options);
    this.#folder = options.folder;
    this.#store = new AtomicFileSystemStore(options.folder);
  }

  /**
   * Opens the folder's array when it has one, and loads every chunk written so far.
   *
   * @throws RunFolderMismatchError when the array's shape or chunking is not this store's.
   */
  async restore(): Promise<void> {
    // The array is created by the first set, so a folder without zarr.json has no elements.
    if (!existsSync(join(this.#folder, "zarr.json"))) return;
    const array: ZarrArray = await zarr.open.v3(this.#store, { kind: "array" });
    const differences: string[] = [];
    if (array.shape.join() !== this.shape.join() || array.shape.length !== this.shape.length) {
      differences.push(
        `output "${this.output}" is stored with shape [${array.shape.join(", ")}], this run ` +
          `has [${this.shape.join(", ")}]`,
      );
    } else if (array.chunks.some((length) => length !== 1)) {
      differences.push(
        `output "${this.output}" is stored with chunk shape [${array.chunks.join(", ")}]; ` +
          "pipeweave writes one element per chunk",
      );
    }
    if (differences.length > 0) throw new RunFolderMismatchError(this.#folder, differences);
    this.#dataType = array.dtype;
    this.#array = Promise.resolve(array);
    const chunks = listChunks(join(this.#folder, "c"), this.shape.length);
    const strides = rowMajorStrides(this.shape);
    await Promise.all(
      chunks.map(async (coords) => {
        const { data } = await array.getChunk(coords).catch((cause: unknown) => {
          throw corruptStoreError(
            this.#folder,
            this.#chunkPath(coords),
            `chunk of output "${this.output}" cannot be decoded (${String(cause)})`,
            cause,
          );
        });
        // A truncated chunk decodes to no element at all; it must not count as stored.
        if ((data as { readonly length: number }).length !== 1) {
          throw corruptStoreError(
            this.#folder,
            this.#chunkPath(coords),
            `chunk of output "${this.output}" holds ${(data as { readonly length: number }).length} ` +
              `elements of ${array.dtype}, expected 1 (a truncated or foreign file)`,
          );
        }
        let index = 0;
        for (let axis = 0; axis < coords.length; axis++) {
          index += coords[axis]! * strides[axis]!;
        }
        super.set(index, data instanceof zarr.BoolArray ? data.get(0) : firstOf(data));
      }),
    );
  }

  /**
   * Stores a number, bigint or boolean in memory and writes it as its own chunk.
   *
   * @param index - Linear (row-major) index of the element.
   * @param value - A number (float64), bigint (int64) or boolean (bool), of the same type as
   *   the first value stored.
   * @returns A promise resolved once the chunk is renamed into place.
   * @throws StorageValueError (synchronously) when the value is not a numeric or boolean
   *   scalar, or not of the output's data type.
   */
  override set(index: number, value: unknown): Promise<void> {
    this.checkIndex(index);
    this.#checkValue(index, value);
    super.set(index, value);
    const write = this.#write(index, value);
    const settled: Promise<void> = write.then(
      () => {
        this.#pending.delete(settled);
      },
      (error: unknown) => {
        this.#pending.delete(settled);
        this.#failure ??= { error };
      },
    );
    this.#pending.add(settled);
    return write;
  }

  /**
   * Waits for every pending chunk write.
   *
   * @returns A promise resolved when all writes started so far are on disk.
   * @throws The first error of a write since the last flush (even one `set` already reported).
   */
  override async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure) throw failure.error;
  }

  #checkValue(index: number, value: unknown): void {
    const type = typeof value;
    if (type !== "number" && type !== "bigint" && type !== "boolean") {
      throw new StorageValueError(
        this.output,
        "zarr",
        `element ${index} is ${describe(value)}, but zarr holds numeric or boolean scalars ` +
          "only (number -> float64, bigint -> int64, boolean -> bool). Use " +
          'storage: "file" for other values.',
      );
    }
    if (this.#dataType === undefined) {
      const created: CreatedDataType =
        type === "number" ? "float64" : type === "bigint" ? "int64" : "bool";
      this.#dataType = created;
      this.#array = this.#create(created);
      return;
    }
    const expected = scalarTypeOf(this.#dataType);
    if (type !== expected) {
      throw new StorageValueError(
        this.output,
        "zarr",
        `element ${index} is ${describe(value)}, but the output's array holds ` +
          `${this.#dataType}${expected ? ` (${expected} values)` : ""}, set by the first ` +
          'value stored. Return one type for every element, or use storage: "file".',
      );
    }
    if (type === "bigint") {
      const [min, max] = this.#dataType === "uint64" ? [0n, UINT64_MAX] : [INT64_MIN, INT64_MAX];
      const big = value as bigint;
      if (big < min || big > max) {
        throw new StorageValueError(
          this.output,
          "zarr",
          `element ${index} is ${big}n, outside the range of ${this.#dataType} ` +
            `(${min}n to ${max}n). Return a number, or use storage: "file".`,
        );
      }
    }
  }

  #chunkPath(coords: readonly number[]): string {
    return join(this.#folder, "c", ...coords.map(String));
  }

  #create(dtype: CreatedDataType): Promise<ZarrArray> {
    return zarr.create(this.#store, {
      shape: [...this.shape],
      chunkShape: this.shape.map(() => 1),
      dtype,
      codecs: [{ name: "bytes", configuration: { endian: "little" } }],
      fillValue: dtype === "float64" ? Number.NaN : dtype === "bool" ? false : 0,
      dimensionNames: [...this.dims],
      attributes: {},
    });
  }

  async #write(index: number, value: unknown): Promise<void> {
    const array = await this.#array!;
    let selection: zarr.Slice[] | null = null;
    if (this.shape.length > 0) {
      selection = new Array<zarr.Slice>(this.shape.length);
      let rest = index;
      for (let axis = this.shape.length - 1; axis >= 0; axis--) {
        const length = this.shape[axis]!;
        const coord = rest % length;
        rest = (rest - coord) / length;
        selection[axis] = zarr.slice(coord, coord + 1);
      }
    }
    await zarr.set(array, selection, value as zarr.Scalar<zarr.DataType>);
  }
}

/**
 * Opens (creating it when missing) a store that writes an output as a Zarr v3 array in
 * `folder`, readable by zarrita, Python's zarr and xarray: `zarr.json` is the array's
 * metadata, `c/<i>/<j>…` (`c` for 0-D) one chunk per element, and pipeweave's own
 * `meta.json` (`{ kind: "zarr", shape, dims, output }`) sits beside them, which zarr ignores.
 *
 * The array is created on the first `set`, its data type taken from that value: a number makes
 * it float64 (fill value NaN), a bigint int64 (fill value 0), a boolean bool (fill value
 * false); `dimension_names` are the dims. Each chunk is written to a temporary file and renamed
 * into place, so a crash never leaves half an element. Opening an existing folder loads every
 * chunk written so far, so `has()` tells a resumed run which elements are done.
 *
 * @param options - The output's name, shape, dims and the store's `folder`.
 * @returns The store, holding every element already in the folder.
 * @throws TypeError when the shape or dims are invalid.
 * @throws RunFolderMismatchError when the folder holds a store of another kind, shape, dims or
 *   chunking.
 * @throws StorageValueError (from `set`) when a value is not a number, bigint or boolean, or
 *   not of the type of the first value stored.
 * @example
 * ```ts
 * const store = await openZarrStore({ output: "c", shape: [3, 3], dims: ["i", "j"], folder });
 * await store.set(4, 0.5); // writes folder/c/1/1
 * ```
 */
export async function openZarrStore(
  options: StoreOptions & { readonly folder: string },
): Promise<OutputStore> {
  const store = new ZarrStore(options);
  mkdirSync(options.folder, { recursive: true });
  openStoreMeta(options.folder, "zarr", options);
  await store.restore();
  return store;
}

/** Coordinates of every chunk file under `folder` (the array's `c`), dot-files skipped. */
function listChunks(folder: string, rank: number): number[][] {
  if (rank === 0) {
    try {
      return statSync(folder).isFile() ? [[]] : [];
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
  }
  const found: number[][] = [];
  const walk = (path: string, prefix: readonly number[]): void => {
    let names: string[];
    try {
      names = readdirSync(path);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    for (const name of names) {
      // Temporaries of an interrupted write start with a dot and never match.
      if (!/^\d+$/.test(name)) continue;
      const coords = [...prefix, Number(name)];
      if (coords.length === rank) found.push(coords);
      else walk(join(path, name), coords);
    }
  };
  walk(folder, []);
  return found;
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = step;
    step *= shape[axis]!;
  }
  return strides;
}

function firstOf(data: unknown): unknown {
  return (data as ArrayLike<unknown>)[0];
}

/** The JS type a zarr data type holds, or undefined when pipeweave cannot write it. */
function scalarTypeOf(dtype: zarr.DataType): "number" | "bigint" | "boolean" | undefined {
  if (dtype === "bool") return "boolean";
  if (dtype === "int64" || dtype === "uint64") return "bigint";
  return /^(float|u?int)\d+$/.test(dtype) ? "number" : undefined;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return `a string (${JSON.stringify(value.slice(0, 40))})`;
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "Object"})`;
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}${type === "boolean" || type === "number" ? ` (${String(value)})` : ""}`;
}
