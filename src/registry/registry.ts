import { randomBytes } from "node:crypto";
import {
  closeSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { setOwn } from "../_internal/own.ts";
import { unstorable } from "../_internal/storable.ts";
import { stableHash } from "../cache/key.ts";
import { bytesDigest } from "../cache/numeric-key.ts";
import {
  PipeweaveError,
  RegistryConflictError,
  RegistryCorruptError,
  RegistryValueError,
} from "../errors.ts";
import type { NodeCall, RunListener } from "../graph/events.ts";
import {
  type EntryRecord,
  inputDigests,
  type RegistrySession,
  storedIdentity,
} from "./provenance.ts";

/** Options of a pipeline's persistent registry. */
export interface RegistryOptions {
  /** Folder holding one file per stored output; created when missing. */
  readonly path: string;
}

/** Where a registry name lives: a runtime constant in memory, or an output stored on disk. */
export type Placement = "memory" | "disk";

/** A view of a pipeline's registry, from {@link Pipeline.openRegistry}. */
export interface Registry {
  /** Every name: constants, then stored outputs. */
  keys(): string[];
  /** True when `name` is a constant or a stored output. */
  has(name: string): boolean;
  /** The constant or the stored value (read from disk), or `undefined` when absent. */
  get(name: string): unknown;
  /** Where each name lives. */
  readonly placement: Readonly<Record<string, Placement>>;
  /**
   * Deletes a stored output so the next run recomputes it. Returns false when none was stored.
   * Constants live in the pipeline's options and are not deleted here.
   */
  delete(name: string): boolean;
  /** Deletes every stored output. */
  clear(): void;
  /** Ends this view; later calls throw. */
  close(): void;
}

const SUFFIX = ".v8";

/**
 * The file name (without suffix) of an output. A leading dot is encoded too: files starting
 * with one are temporary files, never entries.
 */
const encodeName = (name: string): string => encodeURIComponent(name).replace(/^\./, "%2E");

/**
 * The output a file name holds, or undefined when the file is not an entry: not `*.v8`, a
 * temporary file, or a name that is not how {@link encodeName} writes one (`100%.v8`,
 * `my notes.v8`). Such files are ignored, so a stray file never breaks opening the registry.
 */
function entryName(file: string): string | undefined {
  if (!file.endsWith(SUFFIX) || file.startsWith(".")) return undefined;
  const base = file.slice(0, -SUFFIX.length);
  let name: string;
  try {
    name = decodeURIComponent(base);
  } catch {
    return undefined;
  }
  return encodeName(name) === base ? name : undefined;
}

/**
 * Writes `chunks` to `file` whole or not at all: to a temporary name, flushed to disk, then
 * renamed into place. A crash or a concurrent process never leaves a half-written entry, and
 * a power loss does not leave an empty one in place of the old value.
 */
function writeAtomically(
  dir: string,
  file: string,
  name: string,
  chunks: readonly Uint8Array[],
): void {
  const temp = join(dir, `.${encodeName(name)}.${process.pid}.${randomBytes(6).toString("hex")}`);
  try {
    const fd = openSync(temp, "w");
    try {
      for (const bytes of chunks) {
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * How an entry file starts: then the record's length (uint32, little-endian), the record as
 * JSON, and the v8-serialized value. A file of the previous format is the bare value, which
 * starts with v8's version tag (0xFF), never with these bytes.
 */
const MAGIC = Buffer.from("pipeweave registry 2\n");
const HEAD = MAGIC.length + 4;
/** Bytes read first for a record: most records fit, so one read is enough. */
const FIRST_READ = 4096;

/** Returned by {@link RegistryStore.session}'s `load` for an entry that is gone or rewritten. */
export const GONE: unique symbol = Symbol("pipeweave.registry.gone");

/** The registry of one run: {@link RegistrySession} plus reading values. */
export interface RunSession extends RegistrySession {
  /**
   * The stored value. With `record`, only while the entry still holds that record: another
   * process may have deleted or rewritten it since it was checked.
   *
   * @returns The value, or {@link GONE} when the file is gone or no longer holds `record`.
   * @throws {@link RegistryCorruptError} when the value cannot be read.
   */
  load(name: string, record: EntryRecord | undefined): unknown;
  /** Treats `name` as absent for the rest of the run (its entry vanished or changed). */
  forget(name: string): void;
}

/** The registry behind a pipeline: the listener that stores, and the entries runs restore. */
export interface RegistryStore {
  /** Records what each call reads, and writes each finished node's outputs with it. */
  readonly listener: RunListener;
  /**
   * Lists the stored entries for one run.
   * @throws {@link RegistryConflictError} when a constant's name is also a stored output.
   */
  session(): RunSession;
  /** An inspection view. */
  open(constants: Readonly<Record<string, unknown>>): Registry;
}

/** Whether an fs error says the entry is not there (any more), or not a file. */
const isMissing = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR";
};

/** Whether a parsed record has every field, of the right type. */
function isRecord(value: unknown): value is EntryRecord {
  if (value === null || typeof value !== "object") return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.output === "string" &&
    typeof r.node === "string" &&
    (r.identity === null || typeof r.identity === "string") &&
    typeof r.hash === "string" &&
    r.inputs !== null &&
    typeof r.inputs === "object" &&
    Object.values(r.inputs).every((d) => d === null || typeof d === "string")
  );
}

/** A record, the text it was read from (a later read must find it again), where the value starts. */
interface ReadRecord {
  readonly record: EntryRecord;
  readonly text: string;
  readonly end: number;
}

/**
 * Opens (creating if needed) the registry folder.
 *
 * Each output is one file named after it, holding a record of what produced it (see
 * provenance.ts) and the value, written to a temporary name and renamed into place, so a
 * crash or a concurrent process never leaves a half-written entry: readers see the old entry
 * or the new one. Files that are not entries are ignored. An entry that cannot be read is a
 * {@link RegistryCorruptError} when it is read, never taken as absent: a run does not
 * recompute it and write over what may be the only copy of a result. An entry that another
 * process deletes while a run reads the registry is absent, and recomputed.
 *
 * @param constants - The pipeline's runtime constants: inputs that are one of them are
 *   recorded by name when they have no stable form.
 * @throws {@link RegistryConflictError} when a constant's name is also a stored output.
 */
export function openRegistryStore(
  options: RegistryOptions,
  constants: Readonly<Record<string, unknown>>,
): RegistryStore {
  const dir = options.path;
  mkdirSync(dir, { recursive: true });
  const fileOf = (name: string) => join(dir, encodeName(name) + SUFFIX);
  // A folder named like an entry is not one.
  const isStored = (name: string): boolean =>
    statSync(fileOf(name), { throwIfNoEntry: false })?.isFile() === true;
  /** Names of the files that look like entries: listed only, so none is opened or stat-ed. */
  const listed = (): string[] => {
    const names: string[] = [];
    for (const file of readdirSync(dir)) {
      const name = entryName(file);
      if (name !== undefined) names.push(name);
    }
    return names;
  };
  /** Stored outputs: listed files that are still there and are files (for inspection). */
  const stored = (): string[] => listed().filter(isStored);
  const corrupt = (name: string, reason: string, cause?: unknown) =>
    new RegistryCorruptError(name, fileOf(name), reason, cause);
  const decode = (name: string, bytes: Uint8Array): unknown => {
    try {
      return deserialize(bytes);
    } catch (error) {
      const why = (error as Error).message.replace(/\.$/, "");
      throw corrupt(name, `it is not a whole v8-serialized value (${why})`, error);
    }
  };
  const parseRecord = (name: string, bytes: Buffer, size: number): ReadRecord => {
    const end = HEAD + bytes.readUInt32LE(MAGIC.length);
    if (end > size) throw corrupt(name, "its record is cut short");
    const text = bytes.toString("utf8", HEAD, end);
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (error) {
      throw corrupt(name, "its record is not valid JSON", error);
    }
    if (!isRecord(record)) throw corrupt(name, "its record lacks what produced the value");
    return { record, text, end };
  };
  const hasMagic = (bytes: Uint8Array) =>
    bytes.length >= HEAD && MAGIC.equals(bytes.subarray(0, MAGIC.length));

  /**
   * The record of an entry, reading only its start; undefined when the file is gone, not a
   * file, or of the previous format (a whole v8 value: read once, as the run rewrites it).
   */
  const readRecord = (name: string): ReadRecord | undefined => {
    let fd: number;
    try {
      fd = openSync(fileOf(name), "r");
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) return undefined;
      if (stats.size === 0) throw corrupt(name, "the file is empty");
      let bytes = Buffer.alloc(Math.min(stats.size, FIRST_READ));
      readSync(fd, bytes, 0, bytes.length, 0);
      if (!hasMagic(bytes)) {
        // The previous format if it is a whole v8 value, else garbage: never written over.
        decode(name, readFileSync(fd));
        return undefined;
      }
      const end = HEAD + bytes.readUInt32LE(MAGIC.length);
      if (end > bytes.length && end <= stats.size) {
        bytes = Buffer.alloc(end);
        readSync(fd, bytes, 0, end, 0);
      }
      return parseRecord(name, bytes, stats.size);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    } finally {
      closeSync(fd);
    }
  };

  /**
   * The value of an entry; with `expected`, only while the file holds that record.
   * @returns The value, or {@link GONE}.
   */
  const readValue = (name: string, expected: string | undefined): unknown => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(fileOf(name));
    } catch (error) {
      if (isMissing(error)) return GONE;
      throw error;
    }
    if (bytes.length === 0) throw corrupt(name, "the file is empty");
    if (!hasMagic(bytes)) return expected === undefined ? decode(name, bytes) : GONE;
    const { text, end } = parseRecord(name, bytes, bytes.length);
    if (expected !== undefined && text !== expected) return GONE;
    return decode(name, bytes.subarray(end));
  };

  const checkConflicts = (names: readonly string[]) => {
    const clash = names.filter((n) => Object.hasOwn(constants, n) && isStored(n));
    if (clash.length > 0) throw new RegistryConflictError(clash, dir);
  };
  checkConflicts(listed());

  const write = (call: NodeCall, name: string, value: unknown, inputs: EntryRecord["inputs"]) => {
    const node = call.node.name;
    const reason = unstorable(value, name);
    let bytes: Buffer;
    try {
      if (reason) throw new Error(reason);
      bytes = serialize(value);
    } catch (error) {
      throw new RegistryValueError(node, name, (error as Error).message);
    }
    const record: EntryRecord = {
      output: name,
      node,
      identity: storedIdentity(call.node),
      inputs,
      // The same digest a reader takes of this value (provenance.ts valueDigest), from the
      // bytes already made when the value has no stable form.
      hash: stableHash(value) ?? `v8:${bytesDigest(bytes)}`,
    };
    const text = Buffer.from(JSON.stringify(record));
    const head = Buffer.alloc(HEAD);
    MAGIC.copy(head);
    head.writeUInt32LE(text.length, MAGIC.length);
    writeAtomically(dir, fileOf(name), name, [head, text, bytes]);
  };

  // Digests of what each call read, taken as it starts: a function that mutates its
  // arguments must not record what it made of them.
  const reads = new WeakMap<NodeCall, EntryRecord["inputs"]>();

  return {
    listener: {
      onNodeStart: (call) => {
        if (call.node.outputs.length > 0) {
          reads.set(call, inputDigests(call.node, call.inputs, constants));
        }
      },
      onNodeEnd: (call) => {
        const inputs = reads.get(call) ?? {};
        for (const [name, value] of Object.entries(call.outputs ?? {})) {
          write(call, name, value, inputs);
        }
      },
    },
    session() {
      const names = new Set(listed());
      checkConflicts([...names]);
      const records = new Map<string, ReadRecord | undefined>();
      const recordOf = (name: string): ReadRecord | undefined => {
        if (!names.has(name)) return undefined;
        if (!records.has(name)) records.set(name, readRecord(name));
        return records.get(name);
      };
      return {
        names,
        record: (name) => recordOf(name)?.record,
        load(name, record) {
          if (record === undefined) return names.has(name) ? readValue(name, undefined) : GONE;
          const read = recordOf(name);
          return read?.record === record ? readValue(name, read.text) : GONE;
        },
        forget(name) {
          names.delete(name);
          records.delete(name);
        },
      };
    },
    open(current) {
      let closed = false;
      const live = () => {
        if (closed) {
          throw new PipeweaveError(
            "E_REGISTRY_CLOSED",
            `The registry view of "${dir}" is closed. Call pipeline.openRegistry() again.`,
          );
        }
      };
      const get = (name: string): unknown => {
        const value = readValue(name, undefined);
        return value === GONE ? undefined : value;
      };
      return {
        keys() {
          live();
          return [...Object.keys(current), ...stored()];
        },
        has(name) {
          live();
          return Object.hasOwn(current, name) || isStored(name);
        },
        get(name) {
          live();
          if (Object.hasOwn(current, name)) return current[name];
          return isStored(name) ? get(name) : undefined;
        },
        get placement() {
          live();
          const out: Record<string, Placement> = {};
          for (const k of Object.keys(current)) setOwn(out, k, "memory");
          for (const k of stored()) setOwn(out, k, "disk");
          return out;
        },
        delete(name) {
          live();
          if (!isStored(name)) return false;
          rmSync(fileOf(name), { force: true });
          return true;
        },
        clear() {
          live();
          for (const name of stored()) rmSync(fileOf(name), { force: true });
        },
        close() {
          closed = true;
        },
      };
    },
  };
}
