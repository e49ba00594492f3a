import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { threadId } from "node:worker_threads";
import { CACHE_MISS, type CacheStore } from "./store.ts";

const EXT = ".v8";

/**
 * One file per result under a folder, so results survive the process and are shared by every
 * thread and process that uses the folder. Values are written with `v8.serialize` to a
 * temporary name and renamed into place: a reader sees a whole entry or none, and concurrent
 * writers of one key each leave a whole entry.
 */
export class DiskStore implements CacheStore {
  readonly type = "disk";
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
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.#path(key).file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return CACHE_MISS;
      throw error;
    }
    return deserialize(bytes);
  }

  set(key: string, value: unknown): void {
    const bytes = serialize(value);
    const { dir, file } = this.#path(key);
    mkdirSync(dir, { recursive: true });
    const temp = `${file}.${process.pid}.${threadId}.${randomBytes(4).toString("hex")}.tmp`;
    writeFileSync(temp, bytes);
    renameSync(temp, file);
  }

  size(): number {
    let n = 0;
    for (const dir of this.#shards()) {
      for (const f of readdirSync(join(this.#folder, dir))) if (f.endsWith(EXT)) n++;
    }
    return n;
  }

  /** Removes the cache's own files only; anything else in the folder is left alone. */
  clear(): void {
    for (const dir of this.#shards()) {
      const path = join(this.#folder, dir);
      for (const f of readdirSync(path)) {
        if (f.endsWith(EXT)) rmSync(join(path, f), { force: true });
      }
    }
  }

  #shards(): string[] {
    return readdirSync(this.#folder, { withFileTypes: true })
      .filter((d) => d.isDirectory() && /^[0-9a-f]{2}$/.test(d.name))
      .map((d) => d.name);
  }
}
