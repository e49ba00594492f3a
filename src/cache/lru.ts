import { LRUCache } from "lru-cache";
import { CACHE_MISS, type CacheStore } from "./store.ts";

/**
 * Keeps the `maxSize` most recently used results in memory (through `lru-cache`). Values are
 * kept by reference: mutating a returned result changes the cached one.
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
    return box === undefined ? CACHE_MISS : box.value;
  }

  set(key: string, value: unknown): void {
    this.#cache.set(key, { value });
  }

  size(): number {
    return this.#cache.size;
  }

  clear(): void {
    this.#cache.clear();
  }
}
