import { piscina } from "../_internal/piscina.ts";
import { NdArray } from "../map/ndarray.ts";
import { fromBytes, isCloneable, toBytes } from "./clone.ts";
import { serializeError } from "./error-data.ts";
import { NO_VALUE } from "./invoke.ts";
import type { ItemResult } from "./types.ts";

// Values crossing to a worker thread go through the structured clone algorithm, which drops
// class prototypes and refuses symbols: NdArrays and the "no value" marker travel as tags.
// A user's own object that carries the tag key travels escaped, so no data decodes as a tag.
const TAG = "__pipeweave";

type Tagged =
  | { readonly [TAG]: "none" }
  | { readonly [TAG]: "ndarray"; readonly json: ReturnType<NdArray<unknown>["toJSON"]> }
  | { readonly [TAG]: "escaped"; readonly value: unknown };

/** Prepares a value for postMessage. */
export function encode(value: unknown): unknown {
  if (value === NO_VALUE) return { [TAG]: "none" } satisfies Tagged;
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof NdArray) return { [TAG]: "ndarray", json: value.toJSON() } satisfies Tagged;
  if (TAG in value) return { [TAG]: "escaped", value } satisfies Tagged;
  return value;
}

/** Restores a value encoded by {@link encode}. */
export function decode(value: unknown): unknown {
  if (value === null || typeof value !== "object" || !(TAG in value)) return value;
  const tagged = value as Tagged;
  switch (tagged[TAG]) {
    case "none":
      return NO_VALUE;
    case "ndarray":
      return NdArray.fromJSON(tagged.json);
    case "escaped":
      return tagged.value;
  }
}

/**
 * What a thread sends back for one chunk: the results serialized (moved, not copied), and
 * apart from them the few that only `postMessage` carries (shared memory, Node host objects
 * such as a KeyObject).
 */
export type ThreadReply =
  | Uint8Array
  | {
      readonly bytes: Uint8Array;
      readonly raw: ItemResult[];
      /** Shared whole arguments the thread read for this chunk (see shared-inputs.ts). */
      readonly loaded?: number;
    };

/**
 * Encodes a chunk's results for the trip back. Serializing here, inside the thread, is what
 * lets a result that cannot cross fail its own element with an {@link UnclonableValueError}
 * (made by `refuse`), where a failed `postMessage` would have ended the thread and lost the
 * whole chunk.
 *
 * @param refuse - Makes the error for a result that cannot cross, from its description.
 * @param loaded - Shared whole arguments the thread read for this chunk, told back to the
 *   executor's stats (a reply saying so is not moved: it travels inside an object).
 */
export function packResults(
  results: readonly ItemResult[],
  refuse: (value: unknown) => Error,
  loaded = 0,
): ThreadReply {
  const encoded = results.map((r) => (r.ok ? { ...r, value: encode(r.value) } : r));
  try {
    const bytes = toBytes(encoded);
    return loaded > 0 ? { bytes, raw: [], loaded } : moved(bytes);
  } catch {
    // Some result refuses: sort them one by one below.
  }
  const plain: ItemResult[] = [];
  const raw: ItemResult[] = [];
  encoded.forEach((r, k) => {
    try {
      toBytes(r);
      plain.push(r);
      return;
    } catch {
      if (isCloneable(r)) {
        raw.push(r);
        return;
      }
    }
    const original = results[k]!;
    if (original.ok) {
      const error = serializeError(refuse(original.value));
      plain.push({ index: r.index, ok: false, error, durationMs: r.durationMs });
    } else {
      // serializeError keeps only cloneable parts; this is a last resort.
      const { name, message, stack, code } = original.error;
      plain.push({ ...original, error: { name, message, stack, code } });
    }
  });
  return { bytes: toBytes(plain), raw, ...(loaded > 0 ? { loaded } : {}) };
}

/** Reads a {@link ThreadReply} back into results, NdArrays and markers restored. */
export function unpackResults(reply: ThreadReply): ItemResult[] {
  const results =
    reply instanceof Uint8Array
      ? (fromBytes(reply) as ItemResult[])
      : [...(fromBytes(reply.bytes) as ItemResult[]), ...reply.raw];
  return results.map((r) => (r.ok ? { ...r, value: decode(r.value) } : r));
}

function moved(bytes: Buffer): Uint8Array {
  // Only a buffer that owns all of its memory can be moved without taking other data along.
  // `move` wraps it in a marker piscina unwraps when it posts the reply: the coordinator
  // receives the Uint8Array itself, which is what the type says.
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? (piscina().move(bytes) as Uint8Array)
    : bytes;
}
