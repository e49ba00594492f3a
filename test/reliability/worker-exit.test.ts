import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExecutorError, NodeExecutionError, ThreadExecutor } from "../../src/index.ts";
import { redis } from "../../src/redis/index.ts";
import { exiting as exitingOnRedis } from "../redis/fixtures/pipelines.mjs";
import { calls, testBed } from "../redis/workers.ts";
import { redisAvailable, redisUrl } from "../redis-available.ts";
import { exiting } from "./fixtures/exiting.ts";

const x = [0, 1, 2, 3, 4, 5, 6, 7];

describe("threads executor: an element that calls process.exit", () => {
  it("fails that element alone, naming the node and its index; the other elements of its chunk still run", async () => {
    const executor = new ThreadExecutor({ threads: 2, pool: "own" });
    try {
      const error = await exiting.map({ x }, { executor, chunkSize: 4 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(NodeExecutionError);
      const e = error as NodeExecutionError;
      expect(e.code).toBe("E_NODE_FAILED");
      expect(e.node).toBe("y");
      expect(e.index).toEqual([5]);
      expect(e.message).toMatch(
        /Function "y" at index \[5\] failed: .*thread running "y" on this element exited with code 3.*process\.exit\(\)/,
      );

      const kept = await exiting.map({ x }, { executor, chunkSize: 4, errors: "continue" });
      expect(kept.errors.map((f) => f.index)).toEqual([[5]]);
      // values() leaves the failed element out.
      expect(kept.y!.array.values()).toEqual(x.filter((v) => v !== 5).map((v) => v * 2));
    } finally {
      await executor.close();
    }
  });
});

const available = await redisAvailable("the Redis worker-exit tests");

describe.runIf(available)("redis executor: an element that ends its worker process", () => {
  const bed = testBed("exit");

  afterAll(() => bed.cleanUp(), 30_000);

  /** Maps `exiting` (element 5 exits) in chunks of 4; resolves with what the map threw. */
  async function mapExiting(queue: string, log: string): Promise<ExecutorError> {
    const executor = redis({ connection: redisUrl, queue, chunkSize: 4, timeoutMs: 1000 });
    try {
      const error = await exitingOnRedis.map({ x, log }, { executor, progress: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ExecutorError);
      return error as ExecutorError;
    } finally {
      await executor.close();
    }
  }

  it("fails the map with an ExecutorError naming the node and the elements of the chunk that killed its workers", async () => {
    const queue = bed.queue("stalls");
    const log = join(bed.folder(), "calls.log");
    // maxStalledCount 0: the first worker that dies running the chunk fails it.
    await Promise.all([
      bed.worker("exiting", queue, "1000", "1000", "", "0"),
      bed.worker("exiting", queue, "1000", "1000", "", "0"),
    ]);
    const error = await mapExiting(queue, log);
    expect(error.code).toBe("E_EXECUTOR");
    expect(error.node).toBe("y");
    expect(error.elements).toEqual([[4], [5], [6], [7]]);
    expect(error.message).toMatch(
      /lost the workers that ran elements \[4\], \[5\], \[6\], \[7\] of "y" more times than their maxStalledCount allows.*exits the process/,
    );
  });

  it("names the elements the last worker died running when no worker is left", async () => {
    const queue = bed.queue("last");
    const log = join(bed.folder(), "calls.log");
    const worker = await bed.worker("exiting", queue, "1000", "1000");
    const error = await mapExiting(queue, log);
    await worker.exited;
    expect(calls(log).map(([, v]) => v)).toContain(5);
    expect(error.message).toMatch(
      new RegExp(
        `no worker was connected to the queue \\(worker .* pid ${worker.pid} died running elements \\[4\\], \\[5\\], \\[6\\], \\[7\\] of "y"\\)`,
      ),
    );
  });
});
