import { LRUCache } from "lru-cache";
import { copyValue } from "./copy.ts";
import { CACHE_MISS, type CacheStore } from "./store.ts";

/**
 * Keeps the `maxSize` most recently used results in memory (through `lru-cache`). It keeps a
 * copy of each result and returns a new copy on each hit ({@link copyValue}), so mutating a
 * result, computed or returned by a hit, never changes what the next hit returns.
 */
export class LruStore implements CacheStore {
  readonly type = "lru";
  // lru-cache refuses undefined values, so every value is boxed.
  readonly #cache: LRUCache<string, { readonly value: unknown }>;

  /** @param maxSize - Entries kept. */
  constructor(maxSize: number) {
    this.#cache = new LRUCache({ max: maxSize });
  }

  get(key: string): unknown {
    const box = this.#cache.get(key);
    return box === undefined ? CACHE_MISS : copyValue(box.value);
  }

  /** @throws UncopyableValue for a result that holds a class instance. */
  set(key: string, value: unknown): void {
    this.#cache.set(key, { value: copyValue(value) });
  }

  size(): number {
    return this.#cache.size;
  }

  clear(): void {
    this.#cache.clear();
  }
}
