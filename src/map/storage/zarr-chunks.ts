/**
 * The chunk layer of the zarr store: which chunk shape an output gets, where each element sits
 * in the regular chunk grid, how a chunk's elements become the bytes of Zarr v3's `bytes`
 * codec, and the presence record that says which elements of a chunk hold a value.
 *
 * Presence records. A chunk's bytes cannot say which of its elements were stored: a missing
 * element is written as the fill value (NaN for float64), and NaN is also a value an element may
 * legitimately return. So every chunk of more than one element has a record beside it, in one
 * flat dot-folder of the array's folder: `.present/<i>.<j>…` for chunk `c/<i>/<j>…`. Zarr readers
 * never look there: it is outside the array's chunk key space (`c/…`) and not a node name they
 * list. A record is binary:
 *
 * | bytes | what |
 * | --- | --- |
 * | 0-3 | magic `PWPR` |
 * | 4 | format version, 1 |
 * | 5-7 | zero |
 * | 8-11 | elements per chunk (the chunk shape's product, overhang included), uint32 LE |
 * | 12-15 | byte length of the chunk file it describes, uint32 LE |
 * | 16-47 | SHA-256 of that chunk file's bytes |
 * | 48- | one bit per element of the chunk, row-major within the chunk: bit `k & 7` of byte `k >> 3` is set when element `k` holds a value |
 *
 * The chunk is renamed into place first, then its record; both are written to a temporary file
 * and renamed, so each is whole or absent. A reader trusts a chunk only when its record exists
 * and the record's length and hash are those of the chunk's bytes: a crash between the two
 * renames leaves a chunk with no record, or with the record of its previous version, and the
 * hash tells them apart, so those elements count as not stored and are computed again, never
 * read with a stale presence. A chunk of one element needs no record: the file exists exactly
 * when its element was stored (the layout pipeweave wrote before chunking, still read as is).
 */
import { createHash } from "node:crypto";

/** Outputs with fewer elements keep one element per chunk: at most this many files, no records. */
export const SMALL_OUTPUT = 256;

/** Elements a chunk of a larger output holds at least (when the output has that many). */
export const CHUNK_ELEMENTS = 1024;

/** The folder, inside the array's folder, holding the presence records. */
export const PRESENCE_FOLDER = ".present";

const MAGIC = [0x50, 0x57, 0x50, 0x52]; // "PWPR"
const VERSION = 1;
const HEADER = 48;

/**
 * The chunk shape pipeweave gives a new array: one element per chunk for outputs under
 * {@link SMALL_OUTPUT} elements; otherwise whole trailing axes (the axes a row-major sweep fills
 * first, so chunks complete one after another) until a chunk holds {@link CHUNK_ELEMENTS}.
 *
 * @param shape - The output's shape.
 * @returns The chunk shape, one positive length per axis.
 */
export function chooseChunkShape(shape: readonly number[]): number[] {
  const chunk = shape.map(() => 1);
  let size = 1;
  for (const length of shape) size *= length;
  if (size < SMALL_OUTPUT) return chunk;
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

/** A decoded presence record. */
export interface PresenceRecord {
  /** Byte length of the chunk file it describes. */
  readonly chunkBytes: number;
  /** SHA-256 of that chunk file. */
  readonly hash: Uint8Array;
  /** One bit per element of the chunk (see the module comment). */
  readonly bits: Uint8Array;
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
 * Encodes the presence record of a chunk about to be written.
 *
 * @param chunk - The chunk file's bytes.
 * @param chunkSize - Elements per chunk.
 * @param bits - Its presence bitmap.
 * @returns The record's bytes.
 */
export function encodePresence(chunk: Uint8Array, chunkSize: number, bits: Uint8Array): Uint8Array {
  const record = new Uint8Array(HEADER + bits.length);
  const view = new DataView(record.buffer);
  record.set(MAGIC, 0);
  record[4] = VERSION;
  view.setUint32(8, chunkSize, true);
  view.setUint32(12, chunk.length, true);
  record.set(sha256(chunk), 16);
  record.set(bits, HEADER);
  return record;
}

/**
 * Decodes a presence record.
 *
 * @param record - The record file's bytes.
 * @param chunkSize - Elements per chunk of the array.
 * @returns The record, or a sentence saying why the bytes are not a record for this array.
 */
export function decodePresence(record: Uint8Array, chunkSize: number): PresenceRecord | string {
  const expected = HEADER + Math.ceil(chunkSize / 8);
  if (record.length !== expected || MAGIC.some((b, k) => record[k] !== b)) {
    return `it is not a presence record of ${chunkSize} elements (${record.length} bytes, expected ${expected} starting with "PWPR")`;
  }
  if (record[4] !== VERSION) return `its format version is ${record[4]}, expected ${VERSION}`;
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  if (view.getUint32(8, true) !== chunkSize) {
    return `it describes chunks of ${view.getUint32(8, true)} elements, the array's hold ${chunkSize}`;
  }
  return {
    chunkBytes: view.getUint32(12, true),
    hash: record.subarray(16, HEADER),
    bits: record.subarray(HEADER),
  };
}

/**
 * @param record - A chunk's presence record.
 * @param chunk - The chunk file's bytes.
 * @returns True when the record was written for exactly these bytes.
 */
export function describes(record: PresenceRecord, chunk: Uint8Array): boolean {
  if (record.chunkBytes !== chunk.length) return false;
  const hash = sha256(chunk);
  return hash.every((b, k) => record.hash[k] === b);
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
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
