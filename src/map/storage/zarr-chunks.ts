/**
 * The chunk layer of the zarr store: which chunk shape an output gets, where each element sits
 * in the regular chunk grid, how a chunk's elements become the bytes of Zarr v3's `bytes`
 * codec, and the presence record that says which elements of a chunk hold a value.
 *
 * Presence records. A chunk's bytes cannot say which of its elements were stored: a missing
 * element is written as the fill value (NaN for float64), and NaN is also a value an element may
 * legitimately return. So every chunk has a record beside it, in one flat dot-folder of the
 * array's folder: `.present/<i>.<j>…` for chunk `c/<i>/<j>…` (`.present/c` for the chunk `c`
 * of a 0-D array). Zarr readers never look there: it is outside the array's chunk key space
 * (`c/…`) and not a node name they list. A record is binary:
 *
 * | bytes | what |
 * | --- | --- |
 * | 0-3 | magic `PWPR` |
 * | 4 | format version, 2 |
 * | 5 | 1 when the record also describes the chunk's previous version, else 0 |
 * | 6-7 | zero |
 * | 8-11 | elements per chunk (the chunk shape's product, overhang included), uint32 LE |
 * | 12-15 | byte length of a chunk file, uint32 LE |
 * | 16-47 | hash of the chunk's new version |
 * | 48-79 | hash of its previous version (zero when none) |
 * | 80- | the previous version's presence bits (`B = ceil(elements / 8)` bytes, zero when none), then the new version's |
 *
 * Presence bits: one per element of the chunk, row-major within the chunk; bit `k & 7` of byte
 * `k >> 3` is set when element `k` holds a value. A version's hash is the SHA-256 of where the
 * chunk belongs (the run's id, the output's name, data type, shape, chunk shape and the chunk's
 * key, see {@link chunkIdentity}), its presence bits and the chunk file's bytes: a record
 * vouches only for those bytes, at that place, with those bits.
 *
 * Writing a chunk renames its record into place first, then the chunk; both are written to a
 * temporary file and renamed, so each is whole or absent. A reader trusts a chunk only when a
 * version of its record hashes to the chunk's bytes: the new one, or the previous one when a
 * crash came between the two renames (the elements of the chunk still on disk are read, as
 * they were before the write). So no crash leaves a chunk its record does not vouch for: such
 * a chunk (with no record, copied from another position, output or run, rewritten by another
 * tool, or with bits set by hand) was not written there by this run, and reading results
 * refuses it while resuming computes its elements again.
 */
import { createHash } from "node:crypto";

/**
 * Outputs with fewer elements are one chunk, written again at every `set` (the chunk is at most
 * a few kilobytes), so each element is on disk as soon as it is stored.
 */
export const SMALL_OUTPUT = 256;

/** Elements a chunk of a larger output holds at least (when the output has that many). */
export const CHUNK_ELEMENTS = 1024;

/** The folder, inside the array's folder, holding the presence records. */
export const PRESENCE_FOLDER = ".present";

const MAGIC = [0x50, 0x57, 0x50, 0x52]; // "PWPR"
const VERSION = 2;
const HEADER = 80;

/**
 * The chunk shape pipeweave gives a new array: the whole array for outputs under
 * {@link SMALL_OUTPUT} elements; otherwise whole trailing axes (the axes a row-major sweep fills
 * first, so chunks complete one after another) until a chunk holds {@link CHUNK_ELEMENTS}.
 *
 * @param shape - The output's shape.
 * @returns The chunk shape, one positive length per axis.
 */
export function chooseChunkShape(shape: readonly number[]): number[] {
  let size = 1;
  for (const length of shape) size *= length;
  if (size < SMALL_OUTPUT) return shape.map((length) => Math.max(length, 1));
  const chunk = shape.map(() => 1);
  let elements = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const length = shape[axis]!;
    const needed = Math.ceil(CHUNK_ELEMENTS / elements);
    if (length >= needed) {
      chunk[axis] = needed;
      break;
    }
    chunk[axis] = length;
    elements *= length;
  }
  return chunk;
}

/**
 * A regular chunk grid over an array (Zarr v3's `regular` grid): chunk `(k, j, …)` starts at
 * element `(k·dk, j·dj, …)`, and chunks on the far edges overhang the array.
 */
export class ChunkGrid {
  /** The array's shape. */
  readonly shape: readonly number[];
  /** The chunk shape. */
  readonly chunks: readonly number[];
  /** Chunks along each axis: `ceil(shape / chunks)`. */
  readonly gridShape: readonly number[];
  /** Number of chunks. */
  readonly count: number;
  /** Elements per chunk, overhang included. */
  readonly chunkSize: number;
  readonly #strides: number[];
  readonly #chunkStrides: number[];
  readonly #gridStrides: number[];

  /**
   * @param shape - The array's shape.
   * @param chunks - The chunk shape, one positive length per axis.
   */
  constructor(shape: readonly number[], chunks: readonly number[]) {
    this.shape = shape;
    this.chunks = chunks;
    this.gridShape = shape.map((length, axis) => Math.ceil(length / chunks[axis]!));
    this.count = this.gridShape.reduce((n, k) => n * k, 1);
    this.chunkSize = chunks.reduce((n, k) => n * k, 1);
    this.#strides = rowMajorStrides(shape);
    this.#chunkStrides = rowMajorStrides(chunks);
    this.#gridStrides = rowMajorStrides(this.gridShape);
  }

  /**
   * @param index - Linear (row-major) index of an element.
   * @returns The linear (row-major) index of its chunk in the grid.
   */
  chunkOf(index: number): number {
    if (this.chunkSize === 1) return index;
    const { shape, chunks } = this;
    let rest = index;
    let chunk = 0;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      const length = shape[axis]!;
      const coord = rest % length;
      rest = (rest - coord) / length;
      chunk += Math.floor(coord / chunks[axis]!) * this.#gridStrides[axis]!;
    }
    return chunk;
  }

  /**
   * @param chunk - Linear index of a chunk.
   * @returns Its coordinates in the grid.
   */
  coordsOf(chunk: number): number[] {
    const coords = new Array<number>(this.gridShape.length);
    let rest = chunk;
    for (let axis = this.gridShape.length - 1; axis >= 0; axis--) {
      const length = this.gridShape[axis]!;
      coords[axis] = rest % length;
      rest = Math.floor(rest / length);
    }
    return coords;
  }

  /**
   * @param coords - A chunk's coordinates in the grid.
   * @returns Its linear index, or -1 when the coordinates are outside the grid.
   */
  indexOf(coords: readonly number[]): number {
    let chunk = 0;
    for (let axis = 0; axis < coords.length; axis++) {
      const coord = coords[axis]!;
      if (coord >= this.gridShape[axis]!) return -1;
      chunk += coord * this.#gridStrides[axis]!;
    }
    return chunk;
  }

  /**
   * @param chunk - Linear index of a chunk.
   * @returns How many of its elements lie inside the array.
   */
  capacity(chunk: number): number {
    const coords = this.coordsOf(chunk);
    let n = 1;
    for (let axis = 0; axis < coords.length; axis++) {
      const start = coords[axis]! * this.chunks[axis]!;
      n *= Math.min(this.chunks[axis]!, this.shape[axis]! - start);
    }
    return n;
  }

  /**
   * Calls `visit` for each element of a chunk that lies inside the array, row-major.
   *
   * @param chunk - Linear index of a chunk.
   * @param visit - Receives the element's linear index in the array and in the chunk.
   */
  forEachElement(chunk: number, visit: (index: number, offset: number) => void): void {
    const rank = this.shape.length;
    if (rank === 0) {
      visit(0, 0);
      return;
    }
    const coords = this.coordsOf(chunk);
    const origin = coords.map((c, axis) => c * this.chunks[axis]!);
    const extent = origin.map((o, axis) => Math.min(this.chunks[axis]!, this.shape[axis]! - o));
    const last = rank - 1;
    const inner = new Array<number>(last).fill(0);
    // One contiguous run along the last axis per position of the outer axes.
    for (;;) {
      let index = origin[last]!;
      let offset = 0;
      for (let axis = 0; axis < last; axis++) {
        index += (origin[axis]! + inner[axis]!) * this.#strides[axis]!;
        offset += inner[axis]! * this.#chunkStrides[axis]!;
      }
      for (let k = 0; k < extent[last]!; k++) visit(index + k, offset + k);
      let axis = last - 1;
      while (axis >= 0 && ++inner[axis]! >= extent[axis]!) {
        inner[axis] = 0;
        axis--;
      }
      if (axis < 0) return;
    }
  }
}

/** Reads and writes one element of a data type at a byte offset of a chunk. */
export interface ElementCodec {
  /** Bytes per element. */
  readonly bytes: number;
  /** Writes `value` (of the data type's JS type) at `offset`. */
  write(view: DataView, offset: number, value: unknown): void;
  /** Reads the element at `offset`. */
  read(view: DataView, offset: number): unknown;
  /** The array's fill value as this type's JS value. */
  readonly fill: unknown;
}

/** The data types the zarr store reads and writes. */
export const SUPPORTED_DATA_TYPES = [
  "bool",
  "int8",
  "int16",
  "int32",
  "int64",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "float32",
  "float64",
] as const;

/**
 * The codec of one element under Zarr v3's `bytes` codec.
 *
 * @param dtype - The array's data type.
 * @param littleEndian - The `bytes` codec's `endian` is `"little"`.
 * @param fillValue - The array's fill value as zarrita parses it.
 * @returns The codec, or undefined for a data type outside {@link SUPPORTED_DATA_TYPES}.
 */
export function elementCodec(
  dtype: string,
  littleEndian: boolean,
  fillValue: unknown,
): ElementCodec | undefined {
  const le = littleEndian;
  const number = (
    bytes: number,
    write: (view: DataView, offset: number, value: number) => void,
    read: (view: DataView, offset: number) => number,
  ): ElementCodec => ({
    bytes,
    write: (view, offset, value) => write(view, offset, value as number),
    read,
    fill: Number(fillValue ?? 0),
  });
  switch (dtype) {
    case "bool":
      return {
        bytes: 1,
        write: (view, offset, value) => view.setUint8(offset, value ? 1 : 0),
        read: (view, offset) => view.getUint8(offset) !== 0,
        fill: Boolean(fillValue),
      };
    case "int8":
      return number(
        1,
        (v, o, x) => v.setInt8(o, x),
        (v, o) => v.getInt8(o),
      );
    case "uint8":
      return number(
        1,
        (v, o, x) => v.setUint8(o, x),
        (v, o) => v.getUint8(o),
      );
    case "int16":
      return number(
        2,
        (v, o, x) => v.setInt16(o, x, le),
        (v, o) => v.getInt16(o, le),
      );
    case "uint16":
      return number(
        2,
        (v, o, x) => v.setUint16(o, x, le),
        (v, o) => v.getUint16(o, le),
      );
    case "int32":
      return number(
        4,
        (v, o, x) => v.setInt32(o, x, le),
        (v, o) => v.getInt32(o, le),
      );
    case "uint32":
      return number(
        4,
        (v, o, x) => v.setUint32(o, x, le),
        (v, o) => v.getUint32(o, le),
      );
    case "float32":
      return number(
        4,
        (v, o, x) => v.setFloat32(o, x, le),
        (v, o) => v.getFloat32(o, le),
      );
    case "float64":
      return number(
        8,
        (v, o, x) => v.setFloat64(o, x, le),
        (v, o) => v.getFloat64(o, le),
      );
    case "int64":
      return {
        bytes: 8,
        write: (view, offset, value) => view.setBigInt64(offset, value as bigint, le),
        read: (view, offset) => view.getBigInt64(offset, le),
        fill: BigInt((fillValue as bigint | number | null) ?? 0),
      };
    case "uint64":
      return {
        bytes: 8,
        write: (view, offset, value) => view.setBigUint64(offset, value as bigint, le),
        read: (view, offset) => view.getBigUint64(offset, le),
        fill: BigInt((fillValue as bigint | number | null) ?? 0),
      };
    default:
      return undefined;
  }
}

/** One version of a chunk as a presence record describes it. */
export interface ChunkVersion {
  /** Its hash (see the module comment). */
  readonly hash: Uint8Array;
  /** Its presence bits. */
  readonly bits: Uint8Array;
}

/** A decoded presence record. */
export interface PresenceRecord {
  /** Byte length of the chunk file it describes. */
  readonly chunkBytes: number;
  /** The version the record was written for. */
  readonly current: ChunkVersion;
  /** The version on disk when it was written, if any. */
  readonly previous: ChunkVersion | undefined;
}

/**
 * @param chunkSize - Elements per chunk.
 * @returns An empty presence bitmap for a chunk.
 */
export function emptyBits(chunkSize: number): Uint8Array {
  return new Uint8Array(Math.ceil(chunkSize / 8));
}

/**
 * @param bits - A presence bitmap.
 * @param offset - An element's index within the chunk.
 * @returns Whether its bit is set.
 */
export function hasBit(bits: Uint8Array, offset: number): boolean {
  return ((bits[offset >> 3]! >> (offset & 7)) & 1) === 1;
}

/**
 * Sets an element's bit.
 *
 * @param bits - A presence bitmap.
 * @param offset - The element's index within the chunk.
 */
export function setBit(bits: Uint8Array, offset: number): void {
  bits[offset >> 3]! |= 1 << (offset & 7);
}

/**
 * What every chunk hash of an array starts with: the run, the output and the array's form.
 *
 * @param run - The run's id.
 * @param output - The output's name.
 * @param dtype - The array's data type.
 * @param grid - Its chunk grid.
 * @returns A prefix for {@link chunkIdentity}.
 */
export function arrayIdentity(run: string, output: string, dtype: string, grid: ChunkGrid): string {
  return JSON.stringify(["PWPR", run, output, dtype, grid.shape, grid.chunks]);
}

/**
 * @param array - The array's {@link arrayIdentity}.
 * @param key - The chunk's key (`c/1/0`).
 * @returns Where a chunk belongs, as its hashes bind it.
 */
export function chunkIdentity(array: string, key: string): string {
  return `${array}${key}\n`;
}

/**
 * @param identity - The chunk's {@link chunkIdentity}.
 * @param bits - Its presence bits.
 * @param chunk - Its bytes.
 * @returns The hash of that version of the chunk.
 */
export function versionHash(identity: string, bits: Uint8Array, chunk: Uint8Array): Uint8Array {
  return createHash("sha256").update(identity).update(bits).update(chunk).digest();
}

/**
 * Encodes the presence record of a chunk about to be written.
 *
 * @param chunkSize - Elements per chunk.
 * @param chunkBytes - Byte length of the chunk file.
 * @param current - The version about to be written.
 * @param previous - The version on disk, if any.
 * @returns The record's bytes.
 */
export function encodePresence(
  chunkSize: number,
  chunkBytes: number,
  current: ChunkVersion,
  previous: ChunkVersion | undefined,
): Uint8Array {
  const size = current.bits.length;
  const record = new Uint8Array(HEADER + 2 * size);
  const view = new DataView(record.buffer);
  record.set(MAGIC, 0);
  record[4] = VERSION;
  view.setUint32(8, chunkSize, true);
  view.setUint32(12, chunkBytes, true);
  record.set(current.hash, 16);
  if (previous) {
    record[5] = 1;
    record.set(previous.hash, 48);
    record.set(previous.bits, HEADER);
  }
  record.set(current.bits, HEADER + size);
  return record;
}

/**
 * Decodes a presence record.
 *
 * @param record - The record file's bytes.
 * @param chunkSize - Elements per chunk of the array.
 * @returns The record; or why the bytes are not a record for this array, with `corrupt` true
 *   when they are not a whole record of any format version.
 */
export function decodePresence(
  record: Uint8Array,
  chunkSize: number,
): PresenceRecord | { readonly problem: string; readonly corrupt: boolean } {
  if (record.length < 8 || MAGIC.some((b, k) => record[k] !== b)) {
    return { problem: `it is not a presence record (no "PWPR" header)`, corrupt: true };
  }
  // A record of another format version was not written by this pipeweave: not vouched for.
  if (record[4] !== VERSION) {
    return { problem: `its format version is ${record[4]}, expected ${VERSION}`, corrupt: false };
  }
  const size = Math.ceil(chunkSize / 8);
  const expected = HEADER + 2 * size;
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  if (record.length !== expected || view.getUint32(8, true) !== chunkSize) {
    return {
      problem: `it is not a presence record of ${chunkSize} elements (${record.length} bytes, expected ${expected})`,
      corrupt: true,
    };
  }
  const bits = (offset: number) => record.subarray(offset, offset + size);
  return {
    chunkBytes: view.getUint32(12, true),
    current: { hash: record.subarray(16, 48), bits: bits(HEADER + size) },
    previous:
      record[5] === 1 ? { hash: record.subarray(48, HEADER), bits: bits(HEADER) } : undefined,
  };
}

/**
 * @param record - A chunk's presence record.
 * @param identity - The chunk's {@link chunkIdentity}.
 * @param chunk - The chunk file's bytes.
 * @returns The version of the record these bytes are, or undefined when neither.
 */
export function versionOf(
  record: PresenceRecord,
  identity: string,
  chunk: Uint8Array,
): ChunkVersion | undefined {
  if (record.chunkBytes !== chunk.length) return undefined;
  for (const version of [record.current, record.previous]) {
    if (version && equalBytes(versionHash(identity, version.bits, chunk), version.hash)) {
      return version;
    }
  }
  return undefined;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, k) => x === b[k]);
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
