import { Redis } from "ioredis";

/** The Redis the tests use: `REDIS_URL`, or the default local server. */
export const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** Whether a Redis server answers at {@link redisUrl}. */
async function redisAnswers(): Promise<boolean> {
  const probe = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on("error", () => {});
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * Whether the tests that need a real Redis can run. Without one they are skipped with a
 * visible notice; under `CI=true` a missing Redis is an error, since CI must run them.
 *
 * @param what - The tests, as the notice names them ("the Redis cache tests").
 */
export async function redisAvailable(what: string): Promise<boolean> {
  const available = await redisAnswers();
  if (!available) {
    if (process.env.CI === "true") {
      throw new Error(`CI=true but no Redis answers at ${redisUrl}; ${what} must run in CI.`);
    }
    console.warn(
      `[pipeweave] No Redis at ${redisUrl}: skipping ${what}. Set REDIS_URL to run them.`,
    );
  }
  return available;
}
