/**
 * Arguments every element reads whole (a 50 MB Float64Array, a lookup table), sent once per
 * worker instead of once per chunk. The coordinator serializes such a value once per map into
 * shared memory (a SharedArrayBuffer, which `postMessage` hands over without copying); a
 * chunk carries only its id and that memory, and each thread reads it back the first time it
 * meets the id and keeps the value for the chunks that follow.
 */
import { randomUUID } from "node:crypto";
import { fromBytes, toBytes } from "./clone.ts";
import { decode, encode } from "./transfer.ts";
import type { Chunk, ChunkItem, WholeArgument } from "./types.ts";

/**
 * Serialized values smaller than this travel in the chunk as before: a shared buffer and a
 * lookup cost more than copying a few kilobytes.
 */
export const MIN_SHARED_BYTES = 64 * 1024;

/** A whole argument as a chunk task carries it: its id and its serialized bytes, shared. */
export interface SharedArgument {
  readonly position: number;
  readonly id: string;
  /**
   * The value's serialization (threads: in a SharedArrayBuffer); absent where the worker
   * fetches it itself (Redis), which it then does only when it does not keep the value.
   */
  readonly bytes?: Uint8Array;
}

/**
 * Ids for the whole arguments of one map: the same value read whole by several functions
 * keeps one id, and another map (the value perhaps changed since) gets new ones.
 */
export class WholeIds {
  readonly #ids = new WeakMap<object, string>();

  /** The id of `value`, or undefined for a primitive (which always travels in the chunk). */
  of(value: unknown): string | undefined {
    if (typeof value !== "object" || value === null) return undefined;
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = randomUUID();
      this.#ids.set(value, id);
    }
    return id;
  }
}

/** What {@link shareWhole} made of a chunk. */
export interface SharedChunk {
  /** The items, values encoded, with every shared argument left out (undefined). */
  readonly items: ChunkItem[];
  readonly shared: SharedArgument[];
}

/**
 * Serializes each of a chunk's whole arguments once (by its id) into shared memory, and leaves
 * them out of the items. A value that is small, or that cannot be serialized (it then fails its
 * elements as before), stays in the items.
 *
 * @param chunk - The chunk, with `whole` naming the arguments every item reads whole.
 * @param memory - The shared values made so far, by id (the executor's, for the map).
 */
export function shareWhole(
  chunk: Chunk,
  memory: Map<string, Uint8Array | null>,
  inSharedMemory = true,
): SharedChunk & { readonly made: SharedArgument[] } {
  const shared: SharedArgument[] = [];
  const made: SharedArgument[] = [];
  for (const { position, id } of chunk.whole ?? []) {
    let bytes = memory.get(id);
    if (bytes === undefined) {
      bytes = sharedBytes(chunk.items[0]?.values[position], inSharedMemory);
      memory.set(id, bytes);
      if (bytes) made.push({ position, id, bytes });
    }
    if (bytes) shared.push({ position, id, bytes });
  }
  const left = new Set(shared.map((s) => s.position));
  const items = chunk.items.map((item) => ({
    index: item.index,
    values: item.values.map((v, k) => (left.has(k) ? undefined : encode(v))),
  }));
  return { items, shared, made };
}

/** The value's serialization (copied into shared memory); null when small or not serializable. */
function sharedBytes(value: unknown, inSharedMemory: boolean): Uint8Array | null {
  let bytes: Buffer;
  try {
    bytes = toBytes(encode(value));
  } catch {
    return null;
  }
  if (bytes.length < MIN_SHARED_BYTES) return null;
  if (!inSharedMemory) return bytes;
  const memory = new Uint8Array(new SharedArrayBuffer(bytes.length));
  memory.set(bytes);
  return memory;
}

/** A thread keeps the shared values it read, most recently used last, up to these bounds. */
const KEEP_VALUES = 16;
const KEEP_BYTES = 1024 * 1024 * 1024;

const kept = new Map<string, { readonly value: unknown; readonly size: number }>();
let keptBytes = 0;

/**
 * Puts a task's shared arguments back into its items (in the thread), reading each value from
 * shared memory the first time this thread meets its id.
 *
 * @returns How many values this thread read now (0 when it had them all).
 */
export function restoreShared(
  items: readonly ChunkItem[],
  shared: readonly SharedArgument[] | undefined,
): { readonly items: readonly ChunkItem[]; readonly loaded: number } {
  if (!shared || shared.length === 0) return { items, loaded: 0 };
  let loaded = 0;
  const values = shared.map(({ id, bytes }) => {
    const hit = kept.get(id);
    if (hit) {
      // Most recently used last: eviction takes the first.
      kept.delete(id);
      kept.set(id, hit);
      return hit.value;
    }
    if (!bytes) throw new Error(`shared argument ${id} is neither kept nor given`);
    loaded++;
    const value = decode(fromBytes(bytes));
    kept.set(id, { value, size: bytes.length });
    keptBytes += bytes.length;
    while (kept.size > KEEP_VALUES || (keptBytes > KEEP_BYTES && kept.size > 1)) {
      const [oldest, entry] = kept.entries().next().value!;
      kept.delete(oldest);
      keptBytes -= entry.size;
    }
    return value;
  });
  const restored = items.map((item) => {
    const copy = item.values.slice();
    shared.forEach((s, k) => {
      copy[s.position] = values[k];
    });
    return { index: item.index, values: copy };
  });
  return { items: restored, loaded };
}

/**
 * Whether this process (thread) keeps the shared value `id`, so a worker fetches only the
 * others.
 */
export function keepsShared(id: string): boolean {
  return kept.has(id);
}

export type { WholeArgument };
