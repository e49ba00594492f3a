import { InvalidOptionError } from "../errors.ts";
import { DiskStore } from "./disk.ts";
import { HybridStore } from "./hybrid.ts";
import { LazyRedisStore } from "./lazy-redis.ts";
import { LruStore } from "./lru.ts";
import type { RedisCacheOptions } from "./redis-options.ts";
import type { CacheStore } from "./store.ts";

/**
 * The pipeline's `cache` option: where results of functions with `cache: true` are kept.
 * Without it, such functions use `{ type: "lru" }`.
 */
export type CacheOptions =
  | {
      readonly type: "lru";
      /** Entries kept. @defaultValue 128 */
      readonly maxSize?: number;
    }
  | {
      readonly type: "hybrid";
      /** Entries kept. @defaultValue 128 */
      readonly maxSize?: number;
      /** Weight of how often an entry was used. @defaultValue 0.5 */
      readonly accessWeight?: number;
      /** Weight of how long it took to compute. @defaultValue 0.5 */
      readonly durationWeight?: number;
    }
  | {
      readonly type: "disk";
      /** Folder of the entries; created when missing, shared by threads and processes. */
      readonly folder: string;
    }
  | ({ readonly type: "redis" } & RedisCacheOptions)
  | {
      readonly type: "custom";
      /** A store of your own. */
      readonly store: CacheStore;
    };

const DEFAULTS = Object.freeze({ maxSize: 128, accessWeight: 0.5, durationWeight: 0.5 });

/**
 * Builds the store an options object describes.
 *
 * @throws TypeError naming the option that is wrong.
 * @throws {@link MissingDependencyError} for a redis cache without ioredis installed.
 */
export function createStore(options: CacheOptions): CacheStore {
  const type = (options as { type?: unknown }).type;
  switch (options.type) {
    case "lru":
      return new LruStore(size(options.maxSize));
    case "hybrid": {
      const merged = { ...DEFAULTS, ...options };
      return new HybridStore(size(merged.maxSize), merged.accessWeight, merged.durationWeight);
    }
    case "disk":
      if (typeof options.folder !== "string" || options.folder === "") {
        throw new InvalidOptionError(
          "cache.folder",
          `Expected \`folder\` of the disk cache to be a folder path, got \`${String(options.folder)}\`.`,
        );
      }
      return new DiskStore(options.folder);
    case "redis":
      return new LazyRedisStore(options);
    case "custom":
      return options.store;
  }
  throw new InvalidOptionError(
    "cache.type",
    `Expected the cache \`type\` to be "lru", "hybrid", "disk", "redis" or "custom", got \`${String(type)}\`.`,
  );
}

function size(value: number | undefined): number {
  const v = value ?? DEFAULTS.maxSize;
  if (!Number.isInteger(v) || v < 1) {
    throw new InvalidOptionError(
      "cache.maxSize",
      `Expected \`maxSize\` of the cache to be an integer from 1 up, got \`${String(v)}\` (${typeof v}).`,
    );
  }
  return v;
}
