import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { redisProxy } from "../redis/proxy.ts";
import { calls, testBed, until } from "../redis/workers.ts";
import { redisAvailable } from "../redis-available.ts";

const available = await redisAvailable("the Redis-lost coordinator tests");

/** The coordinator's timeoutMs: short, so the test is quick; the bound scales with it. */
const TIMEOUT_MS = 2000;
/** Slack for a loaded machine: ticks, scheduling, the child's own start-up. */
const SLACK_MS = 1000;

describe.runIf(available)("redis executor: Redis lost mid-run", () => {
  const bed = testBed("lost");

  afterAll(() => bed.cleanUp(), 30_000);

  it("rejects within timeoutMs of the loss, and the process exits at once after close()", async () => {
    const queue = bed.queue("lost");
    const log = join(bed.folder(), "calls.log");
    await bed.worker("slow", queue);
    const proxy = await redisProxy();
    const coordinator = bed.start("lost-coordinator.ts", [
      proxy.url,
      queue,
      log,
      String(TIMEOUT_MS),
    ]);
    await until(() => calls(log).length > 0);
    proxy.cut();
    const cutAt = Date.now();
    const rejected = await coordinator.line(/^rejected /);
    const rejectedAt = Number(rejected.split(" ")[1]);
    const error = JSON.parse(rejected.split(" ").slice(2).join(" "));
    expect(error).toMatchObject({ name: "ExecutorError", code: "E_EXECUTOR" });
    expect(error.message).toMatch(
      /queue "[^"]+"\) cannot work: Redis at redis:\/\/.* is unreachable/,
    );
    await coordinator.exited;
    const exitedAt = Date.now();
    console.log(
      `lost: rejected ${rejectedAt - cutAt} ms after the cut, exited ${exitedAt - rejectedAt} ms after`,
    );
    expect(rejectedAt - cutAt).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(exitedAt - rejectedAt).toBeLessThan(2000);
  });
});
