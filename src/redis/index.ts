export type {
  RedisAddress,
  RedisCacheClient,
  RedisCacheOptions,
  RedisConnectionOptions,
} from "../cache/redis-options.ts";
export { createRedisStore } from "./cache-store.ts";
