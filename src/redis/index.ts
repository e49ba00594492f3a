export type {
  RedisAddress,
  RedisCacheClient,
  RedisCacheOptions,
  RedisConnectionOptions,
} from "../cache/redis-options.ts";
export type { RedisConnection } from "./address.ts";
export { createRedisStore } from "./cache-store.ts";
export { type RedisExecutor, type RedisExecutorOptions, redis } from "./executor.ts";
export {
  runStageWorker,
  type StageWorkerEvent,
  type StageWorkerOptions,
} from "./stage-worker.ts";
export {
  runWorker,
  type WorkerEvent,
  type WorkerOptions,
  type WorkerPipeline,
  type WorkerSummary,
} from "./worker.ts";
