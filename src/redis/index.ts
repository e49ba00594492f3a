export type {
  RedisAddress,
  RedisCacheClient,
  RedisCacheOptions,
  RedisConnectionOptions,
} from "../cache/redis-options.ts";
export type { RedisConnection } from "./address.ts";
export { createRedisStore } from "./cache-store.ts";
export { redis } from "./executor.ts";
export type {
  RedisExecutor,
  RedisExecutorOptions,
  RedisExecutorStats,
} from "./executor-options.ts";
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
