import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { setOwn } from "../_internal/own.ts";
import {
  PipeweaveError,
  RegistryConflictError,
  RegistryCorruptError,
  RegistryValueError,
} from "../errors.ts";
import type { RunListener } from "../graph/events.ts";
import { unstorable } from "./storable.ts";

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
 * Writes `bytes` to `file` whole or not at all: to a temporary name, flushed to disk, then
 * renamed into place. A crash or a concurrent process never leaves a half-written entry, and
 * a power loss does not leave an empty one in place of the old value.
 */
function writeAtomically(dir: string, file: string, name: string, bytes: Uint8Array): void {
  const temp = join(dir, `.${encodeName(name)}.${process.pid}.${randomBytes(6).toString("hex")}`);
  try {
    const fd = openSync(temp, "w");
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
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

/** The registry behind a pipeline: the listener that stores, and the values runs restore. */
export interface RegistryStore {
  /** Writes each finished node's outputs. */
  readonly listener: RunListener;
  /** Constants plus stored outputs (read lazily), for one run. */
  values(constants: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>>;
  /** An inspection view. */
  open(constants: Readonly<Record<string, unknown>>): Registry;
}

/**
 * Opens (creating if needed) the registry folder.
 *
 * Each output is one file named after it, written to a temporary name and renamed into
 * place, so a crash or a concurrent process never leaves a half-written entry: readers see
 * the old value or the new one. Files that are not entries are ignored. An entry that cannot
 * be read is a {@link RegistryCorruptError} when it is read, never taken as absent: a run does
 * not recompute it and write over what may be the only copy of a result.
 *
 * @throws {@link RegistryConflictError} when a constant's name is also a stored output.
 */
export function openRegistryStore(
  options: RegistryOptions,
  constants: Readonly<Record<string, unknown>>,
): RegistryStore {
  const dir = options.path;
  mkdirSync(dir, { recursive: true });
  const fileOf = (name: string) => join(dir, encodeName(name) + SUFFIX);
  const stored = (): string[] => {
    const names: string[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const name = entry.isDirectory() ? undefined : entryName(entry.name);
      if (name !== undefined) names.push(name);
    }
    return names;
  };
  // A stored value that cannot be read is an error, never a miss: recomputing would overwrite
  // it, and it may hold what no run can recompute (or a newer Node.js can still read).
  const read = (name: string): unknown => {
    const file = fileOf(name);
    const bytes = readFileSync(file);
    if (bytes.length === 0) throw new RegistryCorruptError(name, file, "the file is empty");
    try {
      return deserialize(bytes);
    } catch (error) {
      throw new RegistryCorruptError(
        name,
        file,
        `it is not a whole v8-serialized value (${(error as Error).message.replace(/\.$/, "")})`,
        error,
      );
    }
  };
  // A folder named like an entry is not one, as in stored().
  const isStored = (name: string): boolean =>
    statSync(fileOf(name), { throwIfNoEntry: false })?.isDirectory() === false;
  const checkConflicts = (names: readonly string[]) => {
    const clash = names.filter((n) => Object.hasOwn(constants, n));
    if (clash.length > 0) throw new RegistryConflictError(clash, dir);
  };
  checkConflicts(stored());

  const write = (node: string, name: string, value: unknown) => {
    const reason = unstorable(value, name);
    let bytes: Buffer;
    try {
      if (reason) throw new Error(reason);
      bytes = serialize(value);
    } catch (error) {
      throw new RegistryValueError(node, name, (error as Error).message);
    }
    writeAtomically(dir, fileOf(name), name, bytes);
  };

  return {
    listener: {
      onNodeEnd: (call) => {
        for (const [name, value] of Object.entries(call.outputs ?? {})) {
          write(call.node.name, name, value);
        }
      },
    },
    values(current) {
      const names = stored();
      if (names.length === 0) return current;
      checkConflicts(names);
      const out: Record<string, unknown> = { ...current };
      for (const name of names) {
        Object.defineProperty(out, name, {
          enumerable: true,
          configurable: true,
          get() {
            const value = read(name);
            Object.defineProperty(out, name, { value, enumerable: true });
            return value;
          },
        });
      }
      return out;
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
          return isStored(name) ? read(name) : undefined;
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
          rmSync(fileOf(name));
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
