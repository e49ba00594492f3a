/** Returned by {@link CacheStore.get} when the key is not cached. */
export const CACHE_MISS: unique symbol = Symbol("pipeweave.cacheMiss");

/**
 * Where cached results live. The built-in stores answer synchronously except Redis; a store
 * of your own may do either.
 */
export interface CacheStore {
  /** Name in messages ("lru", "disk" …). */
  readonly type: string;
  /**
   * The store keeps values through `v8.serialize` (disk, Redis), which gives a class instance
   * back as a plain object: a result holding one is not stored (one
   * {@link CACHE_SKIPPED_WARNING} per function), so a hit never returns another kind of value
   * than the call.
   * @defaultValue `false`
   */
  readonly serializes?: boolean;
  /** The value under `key`, or {@link CACHE_MISS}. */
  get(key: string): unknown | Promise<unknown>;
  /**
   * Stores a value.
   *
   * @param computeMs - How long the call took, for stores that evict by cost.
   */
  set(key: string, value: unknown, computeMs: number): void | Promise<void>;
  /** Entries held. */
  size(): number | Promise<number>;
  /** Removes every entry. */
  clear(): void | Promise<void>;
  /** Releases connections; the store is not used after. */
  close?(): void | Promise<void>;
}

/** What {@link Pipeline.cacheStats} reports. */
export interface CacheStats {
  /** Calls answered from the cache since the pipeline was made (or last cleared). */
  readonly hits: number;
  /** Calls computed because the cache did not have them. */
  readonly misses: number;
  /** Entries in the store now. */
  readonly size: number;
}

/**
 * The `code` of the warning (`process.emitWarning`) a store raises when it meets a corrupt
 * entry and treats it as a miss; filter on it with `process.on("warning", …)`.
 */
export const CACHE_CORRUPT_WARNING = "PIPEWEAVE_CACHE_CORRUPT";

/**
 * The `code` of the warning a pipeline raises, once per function, when a result cannot be
 * kept by a store that serializes (it holds a class instance) and is therefore not cached.
 */
export const CACHE_SKIPPED_WARNING = "PIPEWEAVE_CACHE_SKIPPED";
