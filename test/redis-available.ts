import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/** The tests' Redis when `REDIS_URL` is not set: database 15 of the local server. */
export const TEST_REDIS_URL = "redis://127.0.0.1:6379/15";

/**
 * The Redis the tests use: `REDIS_URL`, else {@link TEST_REDIS_URL}, so that a test run never
 * writes where a developer's own data lives (database 0). The global setup (redis-setup.ts)
 * sets `REDIS_URL` to this for the whole run, so the processes the tests start, and library
 * code left to its default connection, use it too.
 */
export const redisUrl = process.env.REDIS_URL ?? TEST_REDIS_URL;

/** What every test run's Redis names start with (see {@link redisRunPrefix}). */
export const REDIS_TEST_NAMES = "pw-test-";

/**
 * The start of every Redis name this test run writes: cache prefixes and queue names (whose
 * keys are `bull:<queue>:…`). Unique to the run (the global setup sets it once for every test
 * file), so runs sharing a Redis never meet, and each deletes only what it wrote.
 */
export const redisRunPrefix =
  process.env.PIPEWEAVE_TEST_REDIS_PREFIX ?? `${REDIS_TEST_NAMES}${process.pid}-${hex()}-`;

function hex(): string {
  return randomBytes(3).toString("hex");
}

/** The key patterns a name prefix covers: its own keys and those of queues named with it. */
export function keyPatterns(namePrefix: string): string[] {
  return [`${namePrefix}*`, `bull:${namePrefix}*`];
}

/** The keys matching `patterns`, by SCAN (never KEYS, which blocks a shared server). */
export async function scanKeys(client: Redis, patterns: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of patterns) {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      for (const key of keys) found.add(key);
      cursor = next;
    } while (cursor !== "0");
  }
  return [...found].sort();
}

/** Deletes the keys matching `patterns`, and returns them. */
export async function deleteKeys(client: Redis, patterns: readonly string[]): Promise<string[]> {
  const keys = await scanKeys(client, patterns);
  for (let k = 0; k < keys.length; k += 500) await client.unlink(...keys.slice(k, k + 500));
  return keys;
}

/**
 * Redis names for one test file, all under {@link redisRunPrefix}, and the deletion of every
 * key under them (call `cleanUp` in `afterAll`, once the file's clients and workers are gone).
 *
 * @param label - Names the file in its keys (`"executor"`), to tell whose keys a leftover is.
 */
export function redisNames(label: string) {
  const base = `${redisRunPrefix}${label}-${hex()}-`;
  return {
    /** A BullMQ queue name; its keys are `bull:<name>:…`. */
    queue: (what: string): string => `${base}${what}`,
    /** A key prefix for a Redis cache (or a key of the test's own: `prefix("x") + "k"`). */
    prefix: (what: string): string => `${base}${what}:`,
    /** Deletes every key this file wrote: its queues' and its caches'. */
    cleanUp: async (): Promise<void> => {
      const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      try {
        await deleteKeys(client, keyPatterns(base));
      } finally {
        client.disconnect();
      }
    },
  };
}

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
