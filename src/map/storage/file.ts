import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
  writevSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { unstorable } from "../../_internal/storable.ts";
import { RunFolderMismatchError, StorageValueError } from "../../errors.ts";
import { corruptStoreError, UntrustedFiles } from "./integrity.ts";
import { MemoryStore } from "./memory.ts";
import type { OutputStore, StoreOptions } from "./types.ts";

/** Name of the file describing a persisted store, inside its folder. */
export const META_FILE = "meta.json";

/** Content of a persisted store's `meta.json`: enough to open it without the pipeline. */
export interface StoreMeta {
  /** The backend that wrote the folder. */
  readonly kind: "file" | "zarr";
  /** Shape of the output; `[]` for a single value. */
  readonly shape: readonly number[];
  /** Axis names, one per shape entry. */
  readonly dims: readonly string[];
  /** The output's name (absent from folders written without it: the folder's name is used). */
  readonly output?: string;
}

const ELEMENT = /^(\d+)\.v8$/;

/** An element file starts with these bytes, "PWEL" and the format version. */
const ELEMENT_MAGIC = Buffer.from([0x50, 0x57, 0x45, 0x4c, 1, 0, 0, 0]);
/**
 * The same, flagged: the value holds what v8 gives back changed (a class instance comes back
 * as a plain object), so the file holds its data only.
 */
const DATA_ONLY_MAGIC = Buffer.from([0x50, 0x57, 0x45, 0x4c, 1, 1, 0, 0]);

/** Bytes before the serialized value: the magic and a SHA-256. */
const ELEMENT_HEADER = ELEMENT_MAGIC.length + 32;

/** What reading an element file gives when its run did not write it there. */
const UNTRUSTED = Symbol("untrusted");
/** What reading a data-only element file gives when the store is resumed. */
const DATA_ONLY = Symbol("data only");

/** A store persisting each element as `<index>.v8`; see {@link openFileStore}. */
class FileStore extends MemoryStore {
  override readonly kind = "file";
  readonly #folder: string;
  /** What every element's checksum starts with: this store's run and output. */
  readonly #identity: string;
  /**
   * Elements whose file this run did not write, or wrote as data only: removed if the element
   * fails again.
   */
  readonly #untrusted = new Set<number>();
  /** Opened for a run (not to read results): data-only elements are computed again. */
  readonly #resuming: boolean;

  constructor(options: StoreOptions & { readonly folder: string }) {
    super(options);
    this.#folder = options.folder;
    this.#identity = JSON.stringify(["PWEL", options.run ?? "", options.output]);
    mkdirSync(this.#folder, { recursive: true });
    openStoreMeta(this.#folder, "file", options);
    const policy = options.untrusted ?? "recompute";
    this.#resuming = policy === "recompute";
    const untrusted = new UntrustedFiles(this.#folder, this.output, policy);
    for (const name of readdirSync(this.#folder)) {
      // Dot-files are temporaries of a write that never reached its rename: ignore them.
      const match = ELEMENT.exec(name);
      if (!match) continue;
      const index = Number(match[1]);
      if (index >= this.size) continue;
      const value = this.#read(join(this.#folder, name), index, untrusted);
      if (value === UNTRUSTED || value === DATA_ONLY) this.#untrusted.add(index);
      else super.set(index, value);
    }
    untrusted.warn();
  }

  override set(index: number, value: unknown): void {
    this.checkIndex(index);
    let bytes: Buffer;
    try {
      bytes = serialize(value);
    } catch (cause) {
      throw new StorageValueError(
        this.output,
        "file",
        `element ${index} cannot be serialized (${describeError(cause)}). Return plain data ` +
          "(numbers, strings, booleans, arrays, plain objects, Maps, Sets, Dates, typed " +
          "arrays) instead of functions, symbols or objects holding them.",
      );
    }
    // v8 gives a class instance back as a plain object: such an element is marked as its
    // data only, which load returns as such and resume computes again (see #read).
    const magic = unstorable(value, this.output) === undefined ? ELEMENT_MAGIC : DATA_ONLY_MAGIC;
    const hash = this.#checksum(index, bytes, magic);
    writeFileAtomicSync(join(this.#folder, `${index}.v8`), [magic, hash, bytes]);
    this.#untrusted.delete(index);
    super.set(index, value);
  }

  /**
   * Masks an element in memory; a file of it that this run did not write is removed, so the
   * folder reads as this run left it.
   */
  override setMissing(index: number): void {
    super.setMissing(index);
    if (this.#untrusted.delete(index)) rmSync(join(this.#folder, `${index}.v8`), { force: true });
  }

  /** SHA-256 of the element's place (run, output, index), its flag and its serialized value. */
  #checksum(index: number, bytes: Uint8Array, magic: Buffer): Buffer {
    const hash = createHash("sha256").update(this.#identity).update(`${index}\n`);
    if (magic === DATA_ONLY_MAGIC) hash.update("data only\n");
    return hash.update(bytes).digest();
  }

  /**
   * The value an element file holds, or UNTRUSTED (reported to `untrusted`) when its
   * checksum is not that of this element of this output and run.
   *
   * @throws {@link RunFolderCorruptError} when the file is not a whole element file.
   */
  #read(path: string, index: number, untrusted: UntrustedFiles): unknown {
    const file = readFileSync(path);
    const corrupt = (reason: string, cause?: unknown) =>
      corruptStoreError(
        this.#folder,
        path,
        `element file of output "${this.output}" ${reason}`,
        cause,
      );
    const head = file.subarray(0, 8);
    const magic = DATA_ONLY_MAGIC.equals(head) ? DATA_ONLY_MAGIC : ELEMENT_MAGIC;
    if (file.length < ELEMENT_HEADER || !magic.equals(head)) {
      throw corrupt(
        `is not a pipeweave element file (${file.length} bytes, expected a header of ` +
          `${ELEMENT_HEADER} starting with "PWEL" and its format version 1)`,
      );
    }
    const bytes = file.subarray(ELEMENT_HEADER);
    if (!this.#checksum(index, bytes, magic).equals(file.subarray(8, ELEMENT_HEADER))) {
      untrusted.add(
        path,
        "element file",
        `was not written for element ${index} of this output and run: it was copied from ` +
          "another element, output or run, or its bytes changed since",
      );
      return UNTRUSTED;
    }
    // Its data is what load gives; a resume, which hands values on to functions, computes it
    // again rather than give them a plain object where the run gave a class instance.
    if (magic === DATA_ONLY_MAGIC && this.#resuming) return DATA_ONLY;
    try {
      return deserialize(bytes);
    } catch (cause) {
      throw corrupt(`cannot be read (${describeError(cause)})`, cause);
    }
  }
}

/**
 * Opens (creating it when missing) a store that writes each element of an output to its own
 * file `<folder>/<linearIndex>.v8`, and describes itself in `<folder>/meta.json` as
 * `{ kind: "file", shape, dims, output }`. An element file holds `"PWEL"`, the format version
 * (1) and three zero bytes, a SHA-256 of the element's place (the run's id, the output's name
 * and the index) and value, then `v8.serialize(value)`: a file copied from another element,
 * output or run, or changed since, is never read as the element (see `options.untrusted`).
 *
 * Every write goes to a dot-prefixed temporary file in the same folder and is renamed into
 * place, so a crash (even SIGKILL) never leaves a half-written element. Writes are
 * synchronous: when `set` returns, the element is on disk. Opening an existing folder loads
 * its elements, so `has()` tells a resumed run which ones are done.
 *
 * @param options - The output's name, shape, dims, the store's `folder`, the run's id and what
 *   to do with an element file not written for its place.
 * @returns The store, holding every element already in the folder.
 * @throws TypeError when the shape or dims are invalid.
 * @throws RunFolderMismatchError when the folder holds a store of another kind, shape or dims.
 * @throws RunFolderCorruptError when an element file is not whole, or (`untrusted: "refuse"`)
 *   was not written for its place.
 * @throws StorageValueError (from `set`) when a value cannot be serialized (functions,
 *   symbols).
 * @example
 * ```ts
 * const store = openFileStore({ output: "c", shape: [3], dims: ["i"], folder: "runs/demo/c" });
 * store.set(0, { loss: 0.1 }); // runs/demo/c/0.v8
 * ```
 */
export function openFileStore(options: StoreOptions & { readonly folder: string }): OutputStore {
  return new FileStore(options);
}

/**
 * Writes a file so that readers see either its old content or the whole new one: the bytes go
 * to a dot-prefixed temporary file beside it (named with the pid and a random suffix, so
 * concurrent writers never share one), which is then renamed over the target.
 *
 * @param path - The file to write.
 * @param data - Its new content, or its parts in order (written without joining them).
 * @throws The file system's error, its `path` set to `path` when it names no file; the
 *   temporary file is removed first.
 */
export function writeFileAtomicSync(
  path: string,
  data: string | Uint8Array | readonly Uint8Array[],
): void {
  const temporary = temporaryPath(path);
  try {
    if (typeof data === "string" || data instanceof Uint8Array) writeFileSync(temporary, data);
    else writeParts(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    // A failed write (ENOSPC) names no file: name the one being written.
    if (error instanceof Error && !("path" in error)) Object.assign(error, { path });
    throw error;
  }
}

/** Writes `parts` to a new file at `path` in one system call (more after a short write). */
function writeParts(path: string, parts: readonly Uint8Array[]): void {
  const fd = openSync(path, "w");
  try {
    let written = writevSync(fd, parts);
    for (const part of parts) {
      const done = Math.min(written, part.length);
      written -= done;
      for (let at = done; at < part.length; ) at += writeSync(fd, part, at);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Names a temporary file beside `path`: `.<name>.<pid>.<random>.tmp` in the same folder, so
 * the rename stays on one file system and stores skip it (it starts with a dot).
 *
 * @param path - The file the temporary will replace.
 * @returns The temporary file's path.
 */
export function temporaryPath(path: string): string {
  const suffix = `${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  return join(dirname(path), `.${basename(path)}.${suffix}`);
}

/**
 * Reads and checks a store's `meta.json`.
 *
 * @param folder - The store's folder.
 * @returns The meta, or undefined when the folder has no `meta.json`.
 * @throws {@link RunFolderCorruptError} when `meta.json` exists but is not a pipeweave store
 *   description.
 */
export function readStoreMeta(folder: string): StoreMeta | undefined {
  const path = join(folder, META_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (cause) {
    throw corruptStoreError(folder, path, "the store's description is not valid JSON", cause);
  }
  if (!isStoreMeta(meta)) {
    throw corruptStoreError(
      folder,
      path,
      'it does not describe a pipeweave store (expected { kind: "file" | "zarr", shape: ' +
        `number[], dims: string[] }, got ${JSON.stringify(text.slice(0, 120))})`,
    );
  }
  return meta;
}

/**
 * Writes a new store's `meta.json`, or checks an existing one against the store being opened.
 *
 * @param folder - The store's folder (it must exist).
 * @param kind - The backend opening it.
 * @param options - The output's name, shape and dims.
 * @throws RunFolderMismatchError when the existing meta names another kind, shape or dims.
 */
export function openStoreMeta(folder: string, kind: StoreMeta["kind"], options: StoreOptions) {
  const existing = readStoreMeta(folder);
  if (existing === undefined) {
    const meta: StoreMeta = {
      kind,
      shape: options.shape,
      dims: options.dims,
      output: options.output,
    };
    writeFileAtomicSync(join(folder, META_FILE), `${JSON.stringify(meta)}\n`);
    return;
  }
  const differences: string[] = [];
  const list = (xs: readonly unknown[]) => `[${xs.map((x) => JSON.stringify(x)).join(", ")}]`;
  if (existing.kind !== kind) {
    differences.push(
      `output "${options.output}" is stored with storage "${existing.kind}", this run uses "${kind}"`,
    );
  }
  if (list(existing.shape) !== list(options.shape)) {
    differences.push(
      `output "${options.output}" is stored with shape ${list(existing.shape)}, this run has ` +
        list(options.shape),
    );
  }
  if (list(existing.dims) !== list(options.dims)) {
    differences.push(
      `output "${options.output}" is stored with dims ${list(existing.dims)}, this run has ` +
        list(options.dims),
    );
  }
  if (differences.length > 0) throw new RunFolderMismatchError(folder, differences);
}

/**
 * True when `error` is a file system "no such file or directory" error.
 *
 * @param error - Anything thrown.
 * @returns Whether its `code` is `ENOENT`.
 */
export function isNotFound(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "ENOENT";
}

function isStoreMeta(value: unknown): value is StoreMeta {
  if (typeof value !== "object" || value === null) return false;
  const meta = value as Record<string, unknown>;
  return (
    (meta.kind === "file" || meta.kind === "zarr") &&
    Array.isArray(meta.shape) &&
    meta.shape.every((n) => Number.isInteger(n) && n >= 0) &&
    Array.isArray(meta.dims) &&
    meta.dims.length === meta.shape.length &&
    meta.dims.every((d) => typeof d === "string") &&
    (meta.output === undefined || typeof meta.output === "string")
  );
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
