import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import * as zarr from "zarrita";
import { RunFolderMismatchError, StorageValueError } from "../../errors.ts";
import { isNotFound, openStoreMeta, writeFileAtomicSync } from "./file.ts";
import { corruptStoreError, UntrustedFiles, type UntrustedPolicy } from "./integrity.ts";
import { MemoryStore } from "./memory.ts";
import type { OutputStore, StoreOptions } from "./types.ts";
import {
  arrayIdentity,
  ChunkGrid,
  type ChunkVersion,
  chooseChunkShape,
  chunkIdentity,
  decodePresence,
  type ElementCodec,
  elementCodec,
  emptyBits,
  encodePresence,
  hasBit,
  PRESENCE_FOLDER,
  SMALL_OUTPUT,
  SUPPORTED_DATA_TYPES,
  setBit,
  versionHash,
  versionOf,
} from "./zarr-chunks.ts";

/** The data types pipeweave creates, from the first value stored. */
type CreatedDataType = "float64" | "bool" | "int64";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * Completed elements reach the disk at least this often: a `set` that finds the last write of
 * partial chunks older than this writes them all (a "checkpoint"), so a crash loses at most
 * this much finished work plus the elements in flight, however long a chunk takes to fill.
 */
const CHECKPOINT_MS = 100;

/** A checkpoint waits at least this many times as long as the last one took, to stay cheap. */
const CHECKPOINT_SPACING = 10;

/** Most sets between two reads of the clock for the checkpoint. */
const MAX_STRIDE = 64;

/** The array's metadata file, in its folder. */
const METADATA = "zarr.json";

/** A store over one folder's files, for zarrita to read `zarr.json` with. */
class FolderReader implements zarr.SyncReadable {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  get(key: zarr.AbsolutePath): Uint8Array | undefined {
    try {
      return readFileSync(join(this.#root, key.slice(1)));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}

/**
 * A store writing an output as a chunked Zarr v3 array; see {@link openZarrStore}.
 *
 * Every element is kept in memory (the MemoryStore half) and counted as settled once it is set
 * or masked. A chunk is encoded from memory and written when all its elements inside the array
 * are settled (a small output's one chunk at every set), and partial chunks when `flush` is
 * called or a checkpoint is due. File
 * operations are synchronous on purpose: each costs tens of microseconds, and a chunk write
 * happens once per thousand elements or so, where awaiting it would cost the sweep's hot path a
 * promise per element.
 */
class ZarrStore extends MemoryStore {
  override readonly kind = "zarr";
  readonly #folder: string;
  readonly #folders = new Set<string>();
  readonly #run: string;
  readonly #untrusted: UntrustedPolicy;
  /** A small output's chunk is written at every set. */
  readonly #writeThrough: boolean;
  #grid: ChunkGrid;
  /** 1 once an element is set or masked (this run, or found stored when opened). */
  #settled: Uint8Array;
  /** Per chunk: elements inside the array not yet settled; the chunk is written at 0. */
  #remaining: Uint32Array;
  /** Per chunk: 1 when a chunk file may exist on disk. */
  #onDisk: Uint8Array;
  /** Per chunk: the version on disk, when this run wrote it or its record vouches for it. */
  #versions: (ChunkVersion | undefined)[] = [];
  /** Where the array belongs, which every chunk hash starts with; set with the data type. */
  #identity = "";
  /** Chunks whose elements in memory differ from the disk's. */
  readonly #dirty = new Set<number>();
  #nextCheckpoint = performance.now() + CHECKPOINT_MS;
  #lastClock = 0;
  #stride = 1;
  #countdown = 1;
  #dataType: zarr.DataType | undefined;
  /** The JS type of the data type's values, checked on every set. */
  #scalarType: "number" | "bigint" | "boolean" | undefined;
  #codec: ElementCodec | undefined;
  #failure: { readonly error: unknown } | undefined;

  constructor(options: StoreOptions & { readonly folder: string }) {
    super(options);
    this.#folder = options.folder;
    this.#run = options.run ?? "";
    this.#untrusted = options.untrusted ?? "recompute";
    this.#writeThrough = this.size < SMALL_OUTPUT;
    this.#grid = new ChunkGrid(this.shape, chooseChunkShape(this.shape));
    this.#settled = new Uint8Array(this.size);
    this.#remaining = new Uint32Array(0);
    this.#onDisk = new Uint8Array(0);
    this.#useGrid(this.#grid);
  }

  /**
   * Opens the folder's array when it has one, and loads every element its chunks hold.
   *
   * @throws RunFolderMismatchError when the array's shape is not this store's, or it uses a
   *   data type, codec or chunk key encoding pipeweave does not write.
   * @throws RunFolderCorruptError when `zarr.json`, a chunk or a presence record is corrupt,
   *   or (`untrusted: "refuse"`) a chunk is not vouched for by its record.
   */
  async restore(): Promise<void> {
    const metadataPath = join(this.#folder, METADATA);
    let text: Buffer;
    try {
      text = readFileSync(metadataPath);
    } catch (error) {
      // The array is created by the first set, so a folder without zarr.json has no elements.
      if (isNotFound(error)) return;
      throw error;
    }
    let metadata: Record<string, unknown>;
    let array: zarr.Array<zarr.DataType, FolderReader>;
    try {
      metadata = JSON.parse(text.toString("utf8")) as Record<string, unknown>;
      array = await zarr.open.v3(new FolderReader(this.#folder), { kind: "array" });
    } catch (cause) {
      throw corruptStoreError(
        this.#folder,
        metadataPath,
        `the metadata of output "${this.output}" is not a Zarr v3 array (${String(cause)})`,
        cause,
      );
    }
    const differences = this.#differences(metadata, array);
    if (differences.length > 0) throw new RunFolderMismatchError(this.#folder, differences);
    this.#dataType = array.dtype;
    this.#scalarType = scalarTypeOf(array.dtype);
    this.#codec = elementCodec(array.dtype, !isBigEndian(metadata), array.fillValue);
    // Chunks keep the shape they were written with (one element each, before chunking).
    if (array.chunks.join() !== this.#grid.chunks.join()) {
      this.#useGrid(new ChunkGrid(this.shape, array.chunks));
    }
    this.#identity = arrayIdentity(this.#run, this.output, array.dtype, this.#grid);
    const untrusted = new UntrustedFiles(this.#folder, this.output, this.#untrusted);
    for (const coords of listChunks(join(this.#folder, "c"), this.shape.length)) {
      const chunk = this.#grid.indexOf(coords);
      if (chunk >= 0) this.#restoreChunk(chunk, coords, untrusted);
    }
    untrusted.warn();
  }

  /**
   * Stores a number, bigint or boolean in memory; writes its chunk once every element of the
   * chunk is settled, or partial chunks when a checkpoint is due.
   *
   * @param index - Linear (row-major) index of the element.
   * @param value - A number (float64), bigint (int64) or boolean (bool), of the same type as
   *   the first value stored.
   * @returns Nothing when no write failed; a rejected promise when one did (reported again by
   *   the next `flush`).
   * @throws StorageValueError (synchronously) when the value is not a numeric or boolean
   *   scalar, or not of the output's data type.
   */
  override set(index: number, value: unknown): Promise<void> | undefined {
    this.checkIndex(index);
    this.#checkValue(index, value);
    super.set(index, value);
    const chunk = this.#grid.chunkOf(index);
    this.#dirty.add(chunk);
    let failed: { readonly error: unknown } | undefined;
    if (this.#settle(index, chunk) || this.#writeThrough) {
      failed = this.#attempt(() => this.#writeChunk(chunk));
    } else if (--this.#countdown <= 0) {
      // Fast elements read the clock every few dozen sets, slow ones at each.
      const now = performance.now();
      this.#stride = now - this.#lastClock < 0.25 ? Math.min(this.#stride * 2, MAX_STRIDE) : 1;
      this.#countdown = this.#stride;
      this.#lastClock = now;
      if (now >= this.#nextCheckpoint) failed = this.#attempt(() => this.#checkpoint(now));
    }
    return failed ? Promise.reject(failed.error) : undefined;
  }

  /**
   * Masks an element; a resumed run computes it again. Its chunk is written when this settles
   * the chunk's last element and the chunk holds something the disk does not.
   *
   * @param index - Linear (row-major) index of the element.
   */
  override setMissing(index: number): void {
    this.checkIndex(index);
    const wasStored = super.has(index);
    super.setMissing(index);
    const chunk = this.#grid.chunkOf(index);
    // A masked element looks on disk exactly like one never computed: only one that was
    // stored there changes the chunk.
    if (wasStored) this.#dirty.add(chunk);
    if (this.#settle(index, chunk) && this.#dirty.has(chunk)) {
      this.#attempt(() => this.#writeChunk(chunk));
    }
  }

  /**
   * Writes every chunk that holds elements the disk does not have yet, complete or not.
   *
   * @returns A promise resolved when they are on disk.
   * @throws The first error of a write since the last flush (even one `set` already reported).
   */
  override async flush(): Promise<void> {
    for (const chunk of [...this.#dirty]) this.#attempt(() => this.#writeChunk(chunk));
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure) throw failure.error;
  }

  #useGrid(grid: ChunkGrid): void {
    this.#grid = grid;
    this.#remaining = new Uint32Array(grid.count);
    if (grid.chunkSize === 1) this.#remaining.fill(1);
    else
      for (let chunk = 0; chunk < grid.count; chunk++)
        this.#remaining[chunk] = grid.capacity(chunk);
    this.#onDisk = new Uint8Array(grid.count);
    this.#versions = new Array(grid.count);
  }

  /** Marks an element settled; true when that settles the last element of its chunk. */
  #settle(index: number, chunk: number): boolean {
    if (this.#settled[index] === 1) return this.#remaining[chunk] === 0;
    this.#settled[index] = 1;
    return --this.#remaining[chunk]! === 0;
  }

  /** Runs a write; a failure is kept for `flush` (the first since the last one) and returned. */
  #attempt(write: () => void): { readonly error: unknown } | undefined {
    try {
      write();
      return undefined;
    } catch (error) {
      this.#failure ??= { error };
      return { error };
    }
  }

  /** Writes every dirty chunk, then schedules the next checkpoint. */
  #checkpoint(started: number): void {
    try {
      for (const chunk of [...this.#dirty]) this.#writeChunk(chunk);
    } finally {
      const now = performance.now();
      this.#nextCheckpoint = now + Math.max(CHECKPOINT_MS, CHECKPOINT_SPACING * (now - started));
    }
  }

  /**
   * Encodes a chunk from memory and writes its presence record, then the chunk (see
   * zarr-chunks.ts); a chunk with no element stored is removed, then its record.
   */
  #writeChunk(chunk: number): void {
    // Taken off first: a failed write is reported, not retried by every later flush.
    this.#dirty.delete(chunk);
    const grid = this.#grid;
    const codec = this.#codec!;
    const bytes = new Uint8Array(grid.chunkSize * codec.bytes);
    const view = new DataView(bytes.buffer);
    // Elements outside the array (edge chunks) and missing ones hold the fill value.
    for (let offset = 0; offset < grid.chunkSize; offset++) {
      codec.write(view, offset * codec.bytes, codec.fill);
    }
    const bits = emptyBits(grid.chunkSize);
    let stored = 0;
    grid.forEachElement(chunk, (index, offset) => {
      if (!super.has(index)) return;
      codec.write(view, offset * codec.bytes, super.get(index));
      setBit(bits, offset);
      stored++;
    });
    const coords = grid.coordsOf(chunk);
    const path = this.#chunkPath(coords);
    const record = this.#recordPath(coords);
    if (stored === 0) {
      if (this.#onDisk[chunk] === 1) {
        // The chunk first: a record without its chunk vouches for nothing.
        rmSync(path, { force: true });
        rmSync(record, { force: true });
        this.#onDisk[chunk] = 0;
        this.#versions[chunk] = undefined;
      }
      return;
    }
    const identity = chunkIdentity(this.#identity, chunkKey(coords));
    const version: ChunkVersion = { hash: versionHash(identity, bits, bytes), bits };
    // The record first, naming the version on disk too: a crash before the chunk's rename
    // leaves the old chunk, which the record still vouches for.
    const presence = encodePresence(grid.chunkSize, bytes.length, version, this.#versions[chunk]);
    this.#ensureFolder(dirname(record));
    writeFileAtomicSync(record, presence);
    this.#ensureFolder(dirname(path));
    writeFileAtomicSync(path, bytes);
    this.#onDisk[chunk] = 1;
    this.#versions[chunk] = version;
  }

  /**
   * Loads the elements a chunk file holds, when a version of its presence record vouches for
   * its bytes; reports it to `untrusted` otherwise.
   */
  #restoreChunk(chunk: number, coords: readonly number[], untrusted: UntrustedFiles): void {
    const grid = this.#grid;
    const codec = this.#codec!;
    const path = this.#chunkPath(coords);
    const bytes = readFileSync(path);
    this.#onDisk[chunk] = 1;
    // Writes are atomic, so a chunk of another length was not written by pipeweave whole.
    if (bytes.length !== grid.chunkSize * codec.bytes) {
      throw corruptStoreError(
        this.#folder,
        path,
        `chunk of output "${this.output}" holds ${bytes.length} bytes, expected ` +
          `${grid.chunkSize * codec.bytes} (${grid.chunkSize} elements of ${this.#dataType}; ` +
          "a truncated or foreign file)",
      );
    }
    // Rewritten (or removed, when nothing of it is stored) once its elements are settled again.
    const distrust = (reason: string) => {
      untrusted.add(path, "chunk", reason);
      this.#dirty.add(chunk);
    };
    const recordPath = this.#recordPath(coords);
    let recordBytes: Buffer;
    try {
      recordBytes = readFileSync(recordPath);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      // pipeweave renames a chunk's record into place before the chunk.
      distrust(`has no presence record "${recordPath}"`);
      return;
    }
    const record = decodePresence(recordBytes, grid.chunkSize);
    if ("problem" in record) {
      if (!record.corrupt) {
        distrust(`has a presence record that ${record.problem}`);
        return;
      }
      throw corruptStoreError(
        this.#folder,
        recordPath,
        `presence record of output "${this.output}" is unreadable: ${record.problem}`,
      );
    }
    const version = versionOf(record, chunkIdentity(this.#identity, chunkKey(coords)), bytes);
    if (version === undefined) {
      distrust(
        `is not the chunk its presence record "${recordPath}" was written for: the two were ` +
          "copied from another chunk, output or run, or the chunk's bytes or the record's " +
          "presence bits changed since",
      );
      return;
    }
    this.#versions[chunk] = version;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    grid.forEachElement(chunk, (index, offset) => {
      if (!hasBit(version.bits, offset)) return;
      super.set(index, codec.read(view, offset * codec.bytes));
      this.#settle(index, chunk);
    });
  }

  /** What in the folder's array pipeweave cannot resume, in words. */
  #differences(metadata: Record<string, unknown>, array: zarr.Array<zarr.DataType>): string[] {
    const output = `output "${this.output}"`;
    if (array.shape.length !== this.shape.length || array.shape.join() !== this.shape.join()) {
      return [
        `${output} is stored with shape [${array.shape.join(", ")}], this run has ` +
          `[${this.shape.join(", ")}]`,
      ];
    }
    const differences: string[] = [];
    if (!(SUPPORTED_DATA_TYPES as readonly string[]).includes(array.dtype)) {
      differences.push(
        `${output} is stored as ${array.dtype}; pipeweave reads and writes ` +
          `${SUPPORTED_DATA_TYPES.join(", ")}`,
      );
    }
    const codecs = metadata.codecs as readonly { name?: unknown }[] | undefined;
    if (!Array.isArray(codecs) || codecs.length !== 1 || codecs[0]?.name !== "bytes") {
      differences.push(
        `${output} is stored with codecs ${JSON.stringify(codecs)}; pipeweave writes the ` +
          'single codec "bytes"',
      );
    }
    const keys = metadata.chunk_key_encoding as
      | { name?: unknown; configuration?: { separator?: unknown } }
      | undefined;
    const separator = keys?.configuration?.separator ?? "/";
    if (keys !== undefined && (keys.name !== "default" || separator !== "/")) {
      differences.push(
        `${output} is stored with chunk_key_encoding ${JSON.stringify(keys)}; pipeweave ` +
          'writes "default" with separator "/"',
      );
    }
    return differences;
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
      this.#create(type === "number" ? "float64" : type === "bigint" ? "int64" : "bool");
      return;
    }
    const expected = this.#scalarType;
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

  /**
   * Writes the array's `zarr.json`: Zarr v3 core metadata (regular chunk grid, default chunk
   * keys `c/<i>/<j>…`, the single `bytes` codec, little endian) with the dims as
   * `dimension_names`, as zarr-python, xarray and tensorstore read it.
   */
  #create(dtype: CreatedDataType): void {
    const fillValue = dtype === "float64" ? Number.NaN : dtype === "bool" ? false : 0;
    const metadata = {
      zarr_format: 3,
      node_type: "array",
      shape: this.shape,
      data_type: dtype,
      chunk_grid: { name: "regular", configuration: { chunk_shape: this.#grid.chunks } },
      chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
      codecs: [{ name: "bytes", configuration: { endian: "little" } }],
      fill_value: dtype === "float64" ? "NaN" : fillValue,
      dimension_names: this.dims,
      attributes: {},
    };
    writeFileAtomicSync(join(this.#folder, METADATA), `${JSON.stringify(metadata, null, 2)}\n`);
    this.#identity = arrayIdentity(this.#run, this.output, dtype, this.#grid);
    this.#dataType = dtype;
    this.#scalarType = scalarTypeOf(dtype);
    this.#codec = elementCodec(dtype, true, fillValue);
  }

  #chunkPath(coords: readonly number[]): string {
    return join(this.#folder, "c", ...coords.map(String));
  }

  #recordPath(coords: readonly number[]): string {
    return join(this.#folder, PRESENCE_FOLDER, coords.length === 0 ? "c" : coords.join("."));
  }

  #ensureFolder(folder: string): void {
    if (this.#folders.has(folder)) return;
    mkdirSync(folder, { recursive: true });
    this.#folders.add(folder);
  }
}

/**
 * Opens (creating it when missing) a store that writes an output as a Zarr v3 array in
 * `folder`, readable by zarrita, Python's zarr, xarray and tensorstore: `zarr.json` is the
 * array's metadata (regular chunk grid, `bytes` codec, the dims as `dimension_names`),
 * `c/<i>/<j>…` (`c` for 0-D) its chunks, and pipeweave's own files sit where zarr readers never
 * look: `meta.json` (`{ kind: "zarr", shape, dims, output }`) and `.present/<i>.<j>…`, one
 * presence record per chunk saying which of its elements hold a value.
 *
 * Outputs of fewer than 256 elements are one chunk, written again at every `set`; larger ones
 * take whole trailing axes per chunk up to at least 1,024 elements (a 300 x 300 output is
 * chunked [4, 300]: 75 chunks). A chunk is written when each of its elements is set or masked;
 * partial chunks are written by `flush` and at least every 100 ms while elements keep coming,
 * so a crash loses at most that much finished work plus the elements in flight. Each file is
 * written to a temporary file and renamed into place, and a chunk counts only with a record
 * that vouches for its bytes at its place (the run's id `options.run`, the output's name, the
 * chunk's key), so a crash never leaves an element read wrong: at worst it is computed again.
 * A chunk its record does not vouch for (copied from another chunk, output or run, rewritten
 * by another tool, or a record edited by hand) is never read (see `options.untrusted`).
 * Opening an existing folder loads every element its chunks hold, with the chunk shape its
 * `zarr.json` gives.
 *
 * The array is created on the first `set`, its data type taken from that value: a number makes
 * it float64 (fill value NaN), a bigint int64 (fill value 0), a boolean bool (fill value
 * false). Missing elements hold the fill value in the chunks, so Python sees NaN where an
 * element failed; pipeweave tells them from a returned NaN by the presence records.
 *
 * @param options - The output's name, shape, dims, the store's `folder`, the run's id and what
 *   to do with a chunk its record does not vouch for.
 * @returns The store, holding every element already in the folder.
 * @throws TypeError when the shape or dims are invalid.
 * @throws RunFolderMismatchError when the folder holds a store of another kind, shape or dims,
 *   or an array of a data type, codec or chunk key encoding pipeweave does not write.
 * @throws RunFolderCorruptError when `zarr.json`, a chunk or a presence record is corrupt, or
 *   (`untrusted: "refuse"`) a chunk is not vouched for by its record.
 * @throws StorageValueError (from `set`) when a value is not a number, bigint or boolean, or
 *   not of the type of the first value stored.
 * @example
 * ```ts
 * const store = await openZarrStore({ output: "c", shape: [3, 3], dims: ["i", "j"], folder });
 * store.set(4, 0.5); // one chunk under 256 elements: writes folder/.present/0.0, folder/c/0/0
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

/** A chunk's key in the array: `c/<i>/<j>…`, `c` for a 0-D array. */
function chunkKey(coords: readonly number[]): string {
  return coords.length === 0 ? "c" : `c/${coords.join("/")}`;
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

/** True when the array's `bytes` codec is big endian. */
function isBigEndian(metadata: Record<string, unknown>): boolean {
  const codecs = metadata.codecs as readonly { configuration?: { endian?: unknown } }[];
  return codecs[0]?.configuration?.endian === "big";
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
