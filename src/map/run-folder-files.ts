/**
 * What pipeweave writes in a run folder, and nothing else: which entries are its own (so a
 * folder holding anything more is not taken for a run folder), how `overwrite` removes exactly
 * those, and how a failed write becomes a {@link RunFolderWriteError}.
 *
 * A run folder holds `run.json`, `status.json`, the lock (`.pipeweave.lock/` and
 * `.pipeweave.lock.json`), `inputs/<name>.v8` per input, and `outputs/<name>/` per output: a
 * store's `meta.json`, then `<index>.v8` files (file storage) or `zarr.json`, chunks under
 * `c/` and presence records under `.present/` (zarr). A run with zarr outputs also writes
 * `outputs/zarr.json` (the Zarr group) and, per mapped input, `outputs/<input>/` holding
 * `zarr.json` and `c/0` (its coordinate array). Every file is written through a temporary
 * `.<file>.<pid>.<random>.tmp` beside it.
 */
import {
  closeSync,
  type Dirent,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  rmdirSync,
  rmSync,
  writeSync,
} from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { RunFolderWriteError } from "../errors.ts";
import { LOCK_DIR, OWNER_FILE } from "./run-folder-lock.ts";
import { META_FILE } from "./storage/file.ts";
import { PRESENCE_FOLDER } from "./storage/zarr-chunks.ts";

/** A temporary file of `writeFileAtomicSync`: `.<file>.<pid>.<random hex>.tmp`. */
const TEMPORARY = /^\..+\.\d+\.[0-9a-f]+\.tmp$/;
/** Temporaries of earlier versions: `run.json.<pid>.tmp` (and `inputs/<name>.v8.tmp`). */
const OLD_RUN_TEMPORARY = /^run\.json\.\d+\.tmp$/;
/** An element of file storage. */
const ELEMENT = /^\d+\.v8$/;
/** A chunk coordinate under zarr's `c/`, and a presence record's name under `.present/`. */
const CHUNK_KEY = /^\d+$/;
const RECORD = /^(c|\d+(\.\d+)*)$/;

/** A temporary of run.json, status.json or the lock's owner file, left by an interrupted write. */
function isRunTemporary(name: string): boolean {
  if (OLD_RUN_TEMPORARY.test(name)) return true;
  if (!TEMPORARY.test(name)) return false;
  return [`.${OWNER_FILE}.`, ".run.json.", ".status.json."].some((p) => name.startsWith(p));
}

/** Entries of a folder that pipeweave may leave before it writes run.json, or the OS adds. */
function isOwnBeforeRun(name: string): boolean {
  return name === LOCK_DIR || name === OWNER_FILE || name === ".DS_Store" || isRunTemporary(name);
}

/**
 * The entries of a folder without run.json that pipeweave did not write there: its lock, the
 * temporaries of run.json, status.json and the lock's owner file, and `.DS_Store`, are not
 * counted (a run killed before it wrote run.json leaves them).
 *
 * @param folder - The folder `map` is about to write.
 * @returns The other entries' names; empty when the folder is empty or missing.
 */
export function foreignEntries(folder: string): string[] {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  return names.filter((name) => !isOwnBeforeRun(name));
}

/**
 * Removes what a run wrote in its folder for these inputs and outputs, and nothing else:
 * `inputs/<name>.v8`, each output's store files (see the module's description) and the
 * temporaries of interrupted writes. A folder left empty is removed, except `inputs/` and
 * `outputs/`; anything else (a user's `outputs/report.txt`, `notes.md`) stays as it is.
 * run.json, status.json and the lock stay too: the next run rewrites them.
 *
 * @param folder - The run folder.
 * @param inputs - Every input name a run recorded (the previous run's and the next one's).
 * @param outputs - Every output name a run recorded.
 */
export function removeRunFiles(
  folder: string,
  inputs: Iterable<string>,
  outputs: Iterable<string>,
): void {
  const inputsFolder = join(folder, "inputs");
  for (const name of new Set(inputs)) {
    const file = `${encodeURIComponent(name)}.v8`;
    rmSync(join(inputsFolder, file), { force: true });
    rmSync(join(inputsFolder, `${file}.tmp`), { force: true });
  }
  removeMatching(inputsFolder, (name) => TEMPORARY.test(name) && name.includes(".v8."));
  const stores = new Set(outputs);
  for (const name of stores) removeStore(outputFolder(folder, name));
  // A zarr run's coordinate arrays (one per input) and their group.
  for (const name of new Set(inputs)) {
    if (!stores.has(name)) removeCoordinateArray(outputFolder(folder, name));
  }
  removeMatching(join(folder, "outputs"), (name) => isOwnFile(name, "zarr.json"));
  removeMatching(folder, isRunTemporary);
}

/** Whether `name` is `file` or a temporary of a write of it. */
function isOwnFile(name: string, file: string): boolean {
  return name === file || (TEMPORARY.test(name) && name.startsWith(`.${file}.`));
}

/**
 * Removes the files of a coordinate array (`zarr.json` and its one chunk `c/0`), then its
 * folders when nothing else is left in them.
 */
function removeCoordinateArray(array: string): void {
  removeMatching(join(array, "c"), (name) => isOwnFile(name, "0"));
  removeIfEmpty(join(array, "c"));
  removeMatching(array, (name) => isOwnFile(name, "zarr.json"));
  removeIfEmpty(array);
}

/**
 * The folder of an output's store: `outputs/<name>`, the name URI-encoded and a leading dot
 * written `%2E`, so no name (`..`, `.`) points outside `outputs/` or at a hidden folder.
 *
 * @param runFolder - The run folder.
 * @param output - The output's name.
 * @returns The store's folder.
 */
export function outputFolder(runFolder: string, output: string): string {
  return join(runFolder, "outputs", encodeURIComponent(output).replace(/^\./, "%2E"));
}

/** Removes a store's own files from its folder, then the folder when nothing else is left. */
function removeStore(store: string): void {
  for (const entry of entriesOf(store)) {
    const path = join(store, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === "c") removeTree(path, CHUNK_KEY);
      else if (entry.name === PRESENCE_FOLDER) removeTree(path, RECORD);
    } else if (
      entry.name === META_FILE ||
      entry.name === "zarr.json" ||
      entry.name === "c" ||
      ELEMENT.test(entry.name) ||
      TEMPORARY.test(entry.name)
    ) {
      rmSync(path, { force: true });
    }
  }
  removeIfEmpty(store);
}

/** Removes the entries named by `pattern` (folders recursively) and temporaries, then `folder` if empty. */
function removeTree(folder: string, pattern: RegExp): void {
  for (const entry of entriesOf(folder)) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (pattern.test(entry.name)) removeTree(path, pattern);
    } else if (pattern.test(entry.name) || TEMPORARY.test(entry.name)) {
      rmSync(path, { force: true });
    }
  }
  removeIfEmpty(folder);
}

/** Removes the files of `folder` (not folders) whose names `match`. */
function removeMatching(folder: string, match: (name: string) => boolean): void {
  for (const entry of entriesOf(folder)) {
    if (!entry.isDirectory() && match(entry.name))
      rmSync(join(folder, entry.name), { force: true });
  }
}

/** A real folder's entries (a symbolic link is not followed); none when it is not one. */
function entriesOf(folder: string): Dirent[] {
  try {
    if (!lstatSync(folder).isDirectory()) return [];
    return readdirSync(folder, { withFileTypes: true });
  } catch {
    return [];
  }
}

function removeIfEmpty(folder: string): void {
  try {
    rmdirSync(folder);
  } catch {
    // Not empty (a file of the user's is in it), or gone.
  }
}

/**
 * The error for a file system error met while writing a run folder: a
 * {@link RunFolderWriteError} naming the file and the system's code when `error` is a file
 * system error of a write (not a read) on a path inside the folder (or the folder itself);
 * `error` itself otherwise.
 *
 * @param error - What was thrown.
 * @param runFolder - The run folder.
 * @returns The error to throw.
 */
export function asRunFolderError(error: unknown, runFolder: string): unknown {
  if (!(error instanceof Error)) return error;
  const { code, path, syscall } = error as NodeJS.ErrnoException;
  if (typeof code !== "string" || typeof path !== "string") return error;
  if (syscall !== undefined && READS.has(syscall)) return error;
  const inside = relative(resolve(runFolder), resolve(path));
  if (inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return error;
  return new RunFolderWriteError(runFolder, path, code, error);
}

/** System calls that only read: their errors are not write failures. */
const READS = new Set(["read", "scandir", "stat", "lstat", "fstat", "readlink", "access"]);

/** Whether `error` says the disk (or the user's quota on it) is full. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

/**
 * Rewrites a small file in place, within the disk space it already has, for when the disk is
 * too full for a temporary copy: the text may grow up to the blocks the file holds (a file
 * of a few hundred bytes has a whole block), and is padded with spaces to the file's length
 * when shorter (JSON allows trailing white space), so nothing is allocated.
 *
 * @param path - The file to rewrite.
 * @param text - Its new content.
 * @returns Whether the file now holds `text`; false when it does not fit, or the file is gone.
 */
export function rewriteInPlace(path: string, text: string): boolean {
  const bytes = Buffer.from(`${text.trimEnd()}\n`, "utf8");
  let fd: number;
  try {
    fd = openSync(path, "r+");
  } catch {
    return false;
  }
  try {
    const { size, blocks } = fstatSync(fd);
    if (bytes.length > Math.max(size, blocks * 512)) return false;
    const whole = Buffer.alloc(Math.max(size, bytes.length), " ");
    bytes.copy(whole, 0, 0, bytes.length - 1);
    whole[whole.length - 1] = 0x0a;
    return writeSync(fd, whole, 0, whole.length, 0) === whole.length;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}
