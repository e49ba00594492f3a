import { copyValue } from "./copy.ts";
import { CACHE_MISS, type CacheStore } from "./store.ts";

interface Entry {
  value: unknown;
  accesses: number;
  readonly computeMs: number;
}

/**
 * pipefunc's hybrid policy: when full, evicts the entry with the lowest score, where the score
 * weighs how often an entry was used against how long it took to compute (each normalised by
 * the largest in the cache). Cheap, rarely used results go first; costly or popular ones stay.
 * Like the lru store, it keeps a copy of each result and returns a new copy on each hit.
 */
export class HybridStore implements CacheStore {
  readonly type = "hybrid";
  readonly #entries = new Map<string, Entry>();
  readonly #maxSize: number;
  readonly #accessWeight: number;
  readonly #durationWeight: number;

  /**
   * @param maxSize - Entries kept.
   * @param accessWeight - Weight of the access count in the score.
   * @param durationWeight - Weight of the compute time in the score.
   */
  constructor(maxSize: number, accessWeight: number, durationWeight: number) {
    this.#maxSize = maxSize;
    this.#accessWeight = accessWeight;
    this.#durationWeight = durationWeight;
  }

  get(key: string): unknown {
    const entry = this.#entries.get(key);
    if (!entry) return CACHE_MISS;
    entry.accesses++;
    return copyValue(entry.value);
  }

  /** @throws UncopyableValue for a result that holds a class instance. */
  set(key: string, value: unknown, computeMs: number): void {
    const copy = copyValue(value);
    if (!this.#entries.has(key) && this.#entries.size >= this.#maxSize) this.#evict();
    this.#entries.set(key, { value: copy, accesses: 1, computeMs });
  }

  /** Removes the lowest-scoring entry; a linear scan, as eviction happens once per miss. */
  #evict(): void {
    let maxAccesses = 0;
    let maxMs = 0;
    for (const e of this.#entries.values()) {
      if (e.accesses > maxAccesses) maxAccesses = e.accesses;
      if (e.computeMs > maxMs) maxMs = e.computeMs;
    }
    let worst: string | undefined;
    let worstScore = Number.POSITIVE_INFINITY;
    for (const [key, e] of this.#entries) {
      const score =
        this.#accessWeight * (maxAccesses > 0 ? e.accesses / maxAccesses : 0) +
        this.#durationWeight * (maxMs > 0 ? e.computeMs / maxMs : 0);
      if (score < worstScore) {
        worstScore = score;
        worst = key;
      }
    }
    if (worst !== undefined) this.#entries.delete(worst);
  }

  size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
