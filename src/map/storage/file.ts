import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { deserialize, serialize } from "node:v8";
import { RunFolderCorruptError, RunFolderMismatchError, StorageValueError } from "../../errors.ts";
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

/** A store persisting each element as `<index>.v8`; see {@link openFileStore}. */
class FileStore extends MemoryStore {
  override readonly kind = "file";
  readonly #folder: string;

  constructor(options: StoreOptions & { readonly folder: string }) {
    super(options);
    this.#folder = options.folder;
    mkdirSync(this.#folder, { recursive: true });
    openStoreMeta(this.#folder, "file", options);
    for (const name of readdirSync(this.#folder)) {
      // Dot-files are temporaries of a write that never reached its rename: ignore them.
      const match = ELEMENT.exec(name);
      if (!match) continue;
      const index = Number(match[1]);
      if (index >= this.size) continue;
      super.set(index, readElement(join(this.#folder, name), this.output));
    }
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
    writeFileAtomicSync(join(this.#folder, `${index}.v8`), bytes);
    super.set(index, value);
  }
}

/**
 * Opens (creating it when missing) a store that writes each element of an output to its own
 * file `<folder>/<linearIndex>.v8` holding `v8.serialize(value)`, and describes itself in
 * `<folder>/meta.json` as `{ kind: "file", shape, dims, output }`.
 *
 * Every write goes to a dot-prefixed temporary file in the same folder and is renamed into
 * place, so a crash (even SIGKILL) never leaves a half-written element. Writes are
 * synchronous: when `set` returns, the element is on disk. Opening an existing folder loads
 * its elements, so `has()` tells a resumed run which ones are done.
 *
 * @param options - The output's name, shape, dims and the store's `folder`.
 * @returns The store, holding every element already in the folder.
 * @throws TypeError when the shape or dims are invalid.
 * @throws RunFolderMismatchError when the folder holds a store of another kind, shape or dims.
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
 * @param data - Its new content.
 * @throws The file system's error, its `path` set to `path` when it names no file; the
 *   temporary file is removed first.
 */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  const temporary = temporaryPath(path);
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    // A failed write (ENOSPC) names no file: name the one being written.
    if (error instanceof Error && !("path" in error)) Object.assign(error, { path });
    throw error;
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

function readElement(path: string, output: string): unknown {
  try {
    return deserialize(readFileSync(path));
  } catch (cause) {
    throw corruptStoreError(
      dirname(path),
      path,
      `element file of output "${output}" cannot be read (${describeError(cause)})`,
      cause,
    );
  }
}

/**
 * The error for a corrupt file of a store. A store's folder sits at
 * `<runFolder>/outputs/<output>`, so the run folder is two levels up.
 *
 * @param folder - The store's folder.
 * @param path - The corrupt file.
 * @param reason - What is wrong with it.
 * @param cause - The underlying error.
 * @returns A {@link RunFolderCorruptError} naming the run folder and the file.
 */
export function corruptStoreError(
  folder: string,
  path: string,
  reason: string,
  cause?: unknown,
): RunFolderCorruptError {
  return new RunFolderCorruptError(resolve(folder, "..", ".."), path, reason, cause);
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
