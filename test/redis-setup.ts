/**
 * Global setup of a test run (vitest.config.ts): gives the run its Redis namespace, shared by
 * every test file and the processes they start through the environment: `REDIS_URL` (database
 * 15 unless set) and a key prefix of the run's own. At the end it checks that the run left no
 * key under its prefix, wrote none of its names to database 0, and, in a database kept for
 * tests, wrote nothing outside the prefixes of test runs; it fails the run if it did.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import {
  deleteKeys,
  keyPatterns,
  REDIS_TEST_NAMES,
  scanKeys,
  TEST_REDIS_URL,
} from "./redis-available.ts";

/** Whether `key` is named by some test run (this one or another sharing the server). */
const isTestKey = (key: string) =>
  key.startsWith(REDIS_TEST_NAMES) || key.startsWith(`bull:${REDIS_TEST_NAMES}`);

/** Lists at most 20 keys for a message. */
const list = (keys: readonly string[]) =>
  keys.slice(0, 20).join(", ") + (keys.length > 20 ? `, … (${keys.length} in all)` : "");

/** A connection to `url`, or undefined when no Redis answers there (tests skip or fail). */
async function connect(url: string): Promise<Redis | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return client;
  } catch {
    client.disconnect();
    return undefined;
  }
}

export default async function setup(): Promise<() => Promise<void>> {
  process.env.REDIS_URL ??= TEST_REDIS_URL;
  const url = process.env.REDIS_URL;
  const prefix = `${REDIS_TEST_NAMES}${process.pid}-${randomBytes(3).toString("hex")}-`;
  process.env.PIPEWEAVE_TEST_REDIS_PREFIX = prefix;

  const client = await connect(url);
  if (client === undefined) return async () => {};
  const db = client.options.db ?? 0;
  // Database 0 is shared with everything else on the server; another one is the tests' own,
  // where a key not named by a test run must have come from a test that forgot its prefix.
  const before = db === 0 ? undefined : new Set(await scanKeys(client, ["*"]));
  client.disconnect();

  return async () => {
    const problems: string[] = [];
    const redis = await connect(url);
    if (redis === undefined) return;
    try {
      const left = await deleteKeys(redis, keyPatterns(prefix));
      if (left.length > 0) {
        problems.push(`the tests left ${left.length} keys in ${url} (now deleted): ${list(left)}`);
      }
      if (db !== 0) {
        await redis.select(0);
        const strayed = await deleteKeys(redis, keyPatterns(prefix));
        await redis.select(db);
        if (strayed.length > 0) {
          problems.push(
            `the tests wrote ${strayed.length} keys to database 0 instead of ${url} (now deleted): ${list(strayed)}`,
          );
        }
      }
      if (before !== undefined) {
        const outside = (await scanKeys(redis, ["*"])).filter(
          (key) => !before.has(key) && !isTestKey(key),
        );
        if (outside.length > 0) {
          problems.push(
            `keys without a test run's prefix (${REDIS_TEST_NAMES}…) appeared in ${url} during the run: ${list(outside)}; name them with redisNames() from test/redis-available.ts`,
          );
        }
      }
    } finally {
      redis.disconnect();
    }
    if (problems.length > 0) {
      // vitest prints an error thrown here but exits 0 for it: fail the run ourselves.
      process.exitCode = 1;
      throw new Error(`Redis after the tests: ${problems.join("; ")}`);
    }
  };
}
