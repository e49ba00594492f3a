import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { threadId } from "node:worker_threads";
import { packEntry, unpackEntry } from "./entry.ts";
import { CACHE_CORRUPT_WARNING, CACHE_MISS, type CacheStore } from "./store.ts";

const EXT = ".v8";
const TEMP = ".tmp";
/**
 * A corrupt entry (truncated, empty, garbage, or not an entry at all) is a miss, not an error:
 * the result is recomputed and rewritten whole. The warning names the file, with a code users
 * can filter on; the file is removed so a failing recompute does not warn again on every run.
 */
function corrupt(file: string, reason: string): typeof CACHE_MISS {
  process.emitWarning(
    `The disk cache entry "${file}" is corrupt: ${reason}. It is treated as a miss: the ` +
      "result is recomputed and the entry rewritten.",
    { type: "PipeweaveWarning", code: CACHE_CORRUPT_WARNING },
  );
  rmSync(file, { force: true });
  return CACHE_MISS;
}

/**
 * One file per result under a folder, so results survive the process and are shared by every
 * thread and process that uses the folder. Entries are written with `v8.serialize` to a
 * temporary name and renamed into place: a reader sees a whole entry or none, and concurrent
 * writers of one key each leave a whole entry. An entry that cannot be read back as written
 * is a miss with a `PIPEWEAVE_CACHE_CORRUPT` warning, then recomputed and rewritten.
 */
export class DiskStore implements CacheStore {
  readonly type = "disk";
  readonly serializes = true;
  readonly #folder: string;

  /** @param folder - Created when missing. */
  constructor(folder: string) {
    this.#folder = folder;
    mkdirSync(folder, { recursive: true });
  }

  #path(key: string): { readonly dir: string; readonly file: string } {
    const name = createHash("sha256").update(key).digest("hex");
    const dir = join(this.#folder, name.slice(0, 2));
    return { dir, file: join(dir, `${name}${EXT}`) };
  }

  get(key: string): unknown {
    const { file } = this.#path(key);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return CACHE_MISS;
      throw error;
    }
    const entry = unpackEntry(bytes, key);
    return "corrupt" in entry ? corrupt(file, entry.corrupt) : entry.value;
  }

  set(key: string, value: unknown): void {
    const bytes = packEntry(key, value);
    const { dir, file } = this.#path(key);
    mkdirSync(dir, { recursive: true });
    const temp = `${file}.${process.pid}.${threadId}.${randomBytes(4).toString("hex")}${TEMP}`;
    // No fsync: a crash can at worst leave a torn entry, which get() reads as a miss.
    writeFileSync(temp, bytes);
    try {
      renameSync(temp, file);
    } catch (error) {
      // clear() in another process removed the temporary file: the entry is cleared with it.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }

  size(): number {
    let n = 0;
    for (const dir of this.#shards()) {
      for (const f of readdirSync(join(this.#folder, dir))) if (f.endsWith(EXT)) n++;
    }
    return n;
  }

  /**
   * Removes the cache's own files only (entries, and temporary files a killed writer left);
   * anything else in the folder is left alone.
   */
  clear(): void {
    for (const dir of this.#shards()) {
      const path = join(this.#folder, dir);
      for (const f of readdirSync(path)) {
        if (f.endsWith(EXT) || f.endsWith(TEMP)) rmSync(join(path, f), { force: true });
      }
    }
  }

  #shards(): string[] {
    return readdirSync(this.#folder, { withFileTypes: true })
      .filter((d) => d.isDirectory() && /^[0-9a-f]{2}$/.test(d.name))
      .map((d) => d.name);
  }
}
