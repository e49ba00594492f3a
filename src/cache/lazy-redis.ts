import { assertInstalled, importOptional } from "../_internal/optional-dependency.ts";
import { checkRedisOptions, type RedisCacheOptions } from "./redis-options.ts";
import type { CacheStore } from "./store.ts";

const IOREDIS = {
  name: "ioredis",
  feature: "The redis cache",
  alternative: 'use a cache of type "lru", "hybrid" or "disk"',
} as const;

/**
 * The core's side of `cache: { type: "redis" }`: the Redis store and ioredis live in
 * `pipeweave/redis` and are imported on the first cache operation, so `import "pipeweave"`
 * never loads them. Every operation answers asynchronously, as the Redis store does (so
 * `runSync` refuses a redis cache whether or not it has been loaded yet).
 */
export class LazyRedisStore implements CacheStore {
  readonly type = "redis";
  readonly serializes = true;
  readonly #options: RedisCacheOptions;
  #opening: Promise<CacheStore> | undefined;
  /** The store once loaded, so later calls skip a promise hop. */
  #store: CacheStore | undefined;

  /**
   * @param options - The redis cache's options.
   * @throws {@link InvalidOptionError} for an option that cannot work.
   * @throws {@link MissingDependencyError} when ioredis is not installed.
   */
  constructor(options: RedisCacheOptions) {
    checkRedisOptions(options);
    // Resolving (not loading) ioredis now makes a missing one fail where the pipeline is made.
    assertInstalled(IOREDIS);
    this.#options = options;
  }

  #open(): Promise<CacheStore> {
    this.#opening ??= importOptional(IOREDIS, () => import("../redis/cache-store.ts")).then(
      ({ createRedisStore }) => {
        this.#store = createRedisStore(this.#options);
        return this.#store;
      },
    );
    return this.#opening;
  }

  get(key: string): unknown {
    return this.#store ? this.#store.get(key) : this.#open().then((s) => s.get(key));
  }

  set(key: string, value: unknown, computeMs: number): void | Promise<void> {
    return this.#store
      ? this.#store.set(key, value, computeMs)
      : this.#open().then((s) => s.set(key, value, computeMs));
  }

  size(): number | Promise<number> {
    return this.#store ? this.#store.size() : this.#open().then((s) => s.size());
  }

  clear(): void | Promise<void> {
    return this.#store ? this.#store.clear() : this.#open().then((s) => s.clear());
  }

  async close(): Promise<void> {
    const opening = this.#opening;
    this.#opening = undefined;
    this.#store = undefined;
    // A store that never loaded opened no connection.
    const store = await opening?.catch(() => undefined);
    await store?.close?.();
  }
}
