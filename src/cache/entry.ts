/**
 * Cache entries as the disk and Redis stores keep them: the value beside its key and a format
 * tag, serialized by v8, so bytes are only ever read as the entry they were written for (an
 * entry copied from another key, or bytes written by something else, are not this key's).
 */
import { deserialize, serialize } from "node:v8";

/** Names the layout of an entry; bytes without it are not one of ours. */
const FORMAT = "pipeweave-cache/1";

interface Entry {
  readonly format: typeof FORMAT;
  readonly key: string;
  readonly value: unknown;
}

/**
 * The bytes of `key`'s entry holding `value`.
 *
 * @throws Error from `v8.serialize` for a value it cannot serialize (a function).
 */
export function packEntry(key: string, value: unknown): Buffer {
  const entry: Entry = { format: FORMAT, key, value };
  return serialize(entry);
}

/**
 * The value `bytes` hold as `key`'s entry, or why they are not that entry (for the store's
 * corrupt-entry warning).
 */
export function unpackEntry(
  bytes: Uint8Array,
  key: string,
): { readonly value: unknown } | { readonly corrupt: string } {
  let entry: unknown;
  try {
    entry = deserialize(bytes);
  } catch (error) {
    return { corrupt: `it does not deserialize (${(error as Error).message})` };
  }
  if (!isEntry(entry)) return { corrupt: "it is not a pipeweave cache entry" };
  // Only bytes copied or renamed by hand hold another key's entry; never return its value.
  if (entry.key !== key) return { corrupt: "it holds the entry of another key" };
  return { value: entry.value };
}

function isEntry(entry: unknown): entry is Entry {
  return (
    typeof entry === "object" &&
    entry !== null &&
    (entry as Entry).format === FORMAT &&
    typeof (entry as Entry).key === "string" &&
    Object.hasOwn(entry, "value")
  );
}
