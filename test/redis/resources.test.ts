/**
 * Redis workers advertise what they offer (`--cpus`, `--memory`) and take only the chunks
 * whose function's resources fit; a chunk no connected worker fits fails the map after
 * `timeoutMs`, naming what it needs and what the workers offer.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ExecutorError, InvalidOptionError } from "../../src/index.ts";
import { redis, runWorker } from "../../src/redis/index.ts";
import { caught } from "../caught.ts";
import { redisAvailable, redisUrl } from "../redis-available.ts";
import { held, needy, sized } from "./fixtures/pipelines.mjs";
import { calls, events, testBed, until } from "./workers.ts";

const available = await redisAvailable("the redis resources tests");

describe("runWorker's size", () => {
  it.each([
    [{ cpus: 0 }, "cpus", "Expected `cpus` to be an integer from 1 and up, got `0` (number)"],
    [{ cpus: 1.5 }, "cpus", "got `1.5` (number)"],
    [{ memory: "4 gigs" }, "memory", 'Expected `memory` to be an amount such as "16GB" or "512MB"'],
    [{ memory: 0 }, "memory", "or a number of megabytes, got 0"],
  ])("refuses %j before connecting, naming the option", async (options, option, text) => {
    const error = await runWorker(sized, { ...options, connection: redisUrl }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const e = caught(
      () => {
        throw error;
      },
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(e.option).toBe(option);
    expect(e.message).toContain(text);
  });
});

describe.runIf(available)("redis workers and resources", () => {
  const bed = testBed("resources");
  afterAll(() => bed.cleanUp(), 30_000);

  it("gives a chunk only to a worker that fits it: a small worker declines it, a big one runs it", async () => {
    const queue = bed.queue("fit");
    const folder = bed.folder();
    const log = join(folder, "calls.log");
    const workerEvents = join(folder, "events.log");
    const small = await bed.worker(
      "sized",
      queue,
      "",
      "",
      workerEvents,
      "",
      "--cpus=1",
      "--memory=2GB",
    );
    const executor = redis({ connection: redisUrl, queue, chunkSize: 1, timeoutMs: 20_000 });
    try {
      const x = [0, 1, 2, 3, 4, 5];
      const running = sized.map({ x, log }, { executor, progress: false });
      // The odd elements need 3 cpus: the only worker, with 1, puts them back in the queue.
      await until(() =>
        events<{ type: string; pid: number }>(workerEvents).some(
          (e) => e.type === "declined" && e.pid === small.pid,
        ),
      );
      const big = await bed.worker(
        "sized",
        queue,
        "",
        "",
        workerEvents,
        "",
        "--cpus=4",
        "--memory=8GB",
      );
      const results = await running;
      expect(results.y!.array.toNested()).toEqual(x.map((v) => v * 2));
      const ranBy = new Map(calls(log).map(([pid, v]) => [v, pid]));
      // Each element ran once, every 3-cpu one on the big worker.
      expect(calls(log)).toHaveLength(x.length);
      for (const v of [1, 3, 5]) expect(ranBy.get(v)).toBe(big.pid);
      // The small worker was not idle meanwhile: it ran 1-cpu elements.
      expect([0, 2, 4].some((v) => ranBy.get(v) === small.pid)).toBe(true);
      const declined = events<{ type: string; needs?: unknown; size?: unknown }>(workerEvents).find(
        (e) => e.type === "declined",
      );
      expect(declined).toMatchObject({
        needs: { cpus: 3, memoryMb: 1024 },
        size: { cpus: 1, memoryMb: 2048 },
      });
    } finally {
      await executor.close();
    }
  }, 60_000);

  it("runs chunks at once only while their cpus fit the worker's together (--concurrency)", async () => {
    const queue = bed.queue("held");
    const log = join(bed.folder(), "spans.log");
    await bed.worker("held", queue, "", "", "", "", "--cpus=3", "--concurrency=2");
    const executor = redis({ connection: redisUrl, queue, chunkSize: 1 });
    try {
      await held.map({ x: [0, 1], log, ms: 200 }, { executor, progress: false });
    } finally {
      await executor.close();
    }
    // Two chunks of 2 cpus each on 3: the second starts once the first has ended.
    const lines = readFileSync(log, "utf8").trim().split("\n");
    expect(lines.map((l) => l.split(" ")[0])).toEqual(["start", "end", "start", "end"]);
  }, 30_000);

  it("fails a chunk that no connected worker fits after timeoutMs, naming its needs and the workers' sizes", async () => {
    const queue = bed.queue("unfit");
    const worker = await bed.worker("needy", queue, "", "", "", "", "--cpus=2", "--memory=4GB");
    const executor = redis({ connection: redisUrl, queue, chunkSize: 2, timeoutMs: 1500 });
    try {
      const error = await needy.map({ x: [1, 2] }, { executor, progress: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const e = caught(
        () => {
          throw error;
        },
        ExecutorError,
        "E_EXECUTOR",
      );
      expect(e.node).toBe("y");
      expect(e.elements).toEqual([[0], [1]]);
      expect(e.message).toContain(
        'elements [0], [1] of "y", which need 8 cpus and 65536 MB of memory each',
      );
      expect(e.message).toContain(
        `${hostname()} pid ${worker.pid} offers 2 cpus and 4096 MB of memory`,
      );
      expect(e.message).toContain("--cpus 8 --memory 65536MB");
      expect(e.message).toContain("timeoutMs");
    } finally {
      await executor.close();
    }
  }, 30_000);
});
