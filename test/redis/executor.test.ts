import { hostname } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ExecutorError,
  InvalidOptionError,
  NodeExecutionError,
  UnclonableValueError,
} from "../../src/index.ts";
import { redis } from "../../src/redis/index.ts";
import { redisAvailable, redisUrl } from "../redis-available.ts";
import { failing, solvers, sweep } from "./fixtures/pipelines.mjs";
import { type Child, events, testBed } from "./workers.ts";

const available = await redisAvailable("the redis executor tests");

describe.runIf(available)("redis executor", () => {
  const bed = testBed("executor");
  const main = bed.queue("main");
  const failures = bed.queue("failing");
  const mainEvents = join(bed.folder(), "events.log");
  let mainWorkers: Child[] = [];
  let failingWorker: Child;

  beforeAll(async () => {
    [failingWorker, ...mainWorkers] = await Promise.all([
      bed.worker("failing", failures),
      bed.worker("sweep", main, "", "", mainEvents),
      bed.worker("sweep", main, "", "", mainEvents),
    ]);
  }, 30_000);

  afterAll(() => bed.cleanUp(), 30_000);

  it("serves a map of any variant from a worker started with the variant pipeline", async () => {
    const queue = bed.queue("solvers");
    await bed.worker("solvers", queue);
    const executor = redis({ connection: redisUrl, queue });
    try {
      for (const [solver, expected] of [
        ["exact", [3, 5, 7]],
        ["fast", [2, 4, 6]],
      ] as const) {
        const results = await solvers.map(
          { x: [1, 2, 3] },
          { executor, progress: false, variant: { solver } },
        );
        expect(results.y!.array.data).toEqual(expected);
      }
    } finally {
      await executor.close();
    }
  });

  it("gives what inline gives, over two worker processes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: -5, max: 5 }),
        async (x, chunkSize, factor) => {
          const executor = redis({ connection: redisUrl, queue: main, chunkSize });
          try {
            const inline = await sweep.map({ x, factor }, { progress: false });
            const remote = await sweep.map({ x, factor }, { executor, progress: false });
            expect(remote.y!.array.toNested()).toEqual(inline.y!.array.toNested());
            expect(remote.total!.output).toBe(inline.total!.output);
            expect(remote.errors).toEqual([]);
          } finally {
            await executor.close();
          }
        },
      ),
      { numRuns: 6 },
    );
    // Both workers took part.
    const took = events<{ type: string; pid: number }>(mainEvents).filter((e) => e.type === "done");
    expect(new Set(took.map((e) => e.pid))).toEqual(new Set(mainWorkers.map((w) => w.pid)));
  });

  it("reports an element that throws on a worker as a NodeExecutionError with its index, the worker's host and pid, and the original stack", async () => {
    const executor = redis({ connection: redisUrl, queue: failures, chunkSize: 2 });
    try {
      const error = await failing.map({ x: [0, 1, 2, 3, 4] }, { executor, progress: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(NodeExecutionError);
      const e = error as NodeExecutionError;
      expect(e.code).toBe("E_NODE_FAILED");
      expect(e.node).toBe("check");
      expect(e.index).toEqual([3]);
      expect(e.message).toMatch(/Function "check" at index \[3\] failed: RangeError: three is bad/);
      const cause = e.cause as RangeError & { worker?: { host: string; pid: number } };
      expect(cause).toBeInstanceOf(RangeError);
      expect(cause.worker).toEqual({ host: hostname(), pid: failingWorker.pid });
      // The stack is the worker's: it runs through the function in the fixture module.
      expect(cause.stack).toMatch(/three is bad[\s\S]*at check \(.*pipelines\.mjs/);
    } finally {
      await executor.close();
    }
  });

  it('records failed elements with errors: "continue", a result that cannot travel as an UnclonableValueError naming the output', async () => {
    const executor = redis({ connection: redisUrl, queue: failures });
    try {
      const results = await failing.map(
        { x: [0, 1, 2, 3, 4, 5, 6] },
        { executor, errors: "continue", progress: false },
      );
      const errors = [...results.errors].sort((a, b) => a.index[0]! - b.index[0]!);
      expect(errors.map((e) => e.index)).toEqual([[3], [5]]);
      expect(errors[0]!.error).toBeInstanceOf(RangeError);
      expect(errors[1]!.error).toBeInstanceOf(UnclonableValueError);
      const refused = errors[1]!.error as UnclonableValueError;
      expect(refused.output).toBe("y");
      expect(refused.message).toMatch(
        /"check" returned an object \(its \.f is a function\) as "y"/,
      );
      expect(refused.message).toMatch(/Redis/);
      expect(results.y!.array.values().filter((v) => typeof v === "number")).toEqual([
        0, 10, 20, 40, 60,
      ]);
    } finally {
      await executor.close();
    }
  });

  it("fails an element whose argument cannot travel with an UnclonableValueError naming the argument", async () => {
    const executor = redis({ connection: redisUrl, queue: main });
    try {
      const error = await sweep
        .map({ x: [1, 2], factor: () => 2 }, { executor, progress: false })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(NodeExecutionError);
      const cause = (error as NodeExecutionError).cause as UnclonableValueError;
      expect(cause).toBeInstanceOf(UnclonableValueError);
      expect(cause.output).toBe("factor");
      expect(cause.message).toMatch(/received a function as "factor"/);
    } finally {
      await executor.close();
    }
  });

  it("refuses a worker of another version with an ExecutorError naming both hashes, whatever errors says; the run folder stays resumable", async () => {
    const skewQueue = bed.queue("skew");
    await bed.worker("skewed", skewQueue);
    const runFolder = bed.folder();
    const x = Array.from({ length: 6 }, (_, i) => i);
    for (const errors of ["raise", "continue"] as const) {
      const executor = redis({ connection: redisUrl, queue: skewQueue, timeoutMs: 10_000 });
      try {
        const error = await sweep
          .map({ x, factor: 2 }, { executor, errors, runFolder, overwrite: true, progress: false })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(error).toBeInstanceOf(ExecutorError);
        const e = error as ExecutorError;
        expect(e.code).toBe("E_EXECUTOR");
        expect(e.executor).toBe("redis");
        expect(e.queue).toBe(skewQueue);
        expect(e.hashes).toBeDefined();
        expect(e.hashes!.coordinator).not.toBe(e.hashes!.worker);
        expect(e.message).toContain(e.hashes!.coordinator);
        expect(e.message).toContain(e.hashes!.worker);
        expect(e.message).toContain(skewQueue);
        expect(e.message).toMatch(/same version/);
      } finally {
        await executor.close();
      }
    }
    // Nothing of the refused run was stored: a resume on the right workers computes it all.
    const executor = redis({ connection: redisUrl, queue: main });
    try {
      const resumed = await sweep.map(
        { x, factor: 2 },
        { executor, runFolder, resume: true, errors: "continue", progress: false },
      );
      expect(resumed.y!.array.values().map((v) => (v as { v: number }).v)).toEqual(
        x.map((v) => v * 2),
      );
    } finally {
      await executor.close();
    }
  });

  it("fails with an ExecutorError within a bounded time when Redis is unreachable, and closes at once", async () => {
    const executor = redis({
      connection: "redis://127.0.0.1:1",
      queue: "nowhere",
      timeoutMs: 1000,
    });
    const started = Date.now();
    const error = await sweep.map({ x: [1, 2, 3], factor: 1 }, { executor, progress: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ExecutorError);
    const e = error as ExecutorError;
    expect(e.queue).toBe("nowhere");
    expect(e.message).toMatch(/redis:\/\/127\.0\.0\.1:1/);
    expect(e.message).toMatch(/unreachable/);
    expect(Date.now() - started).toBeLessThan(10_000);
    const closing = Date.now();
    await executor.close();
    expect(Date.now() - closing).toBeLessThan(5_000);
  });

  it("fails with an ExecutorError when no worker takes the queue's jobs for timeoutMs", async () => {
    const queue = bed.queue("nobody");
    const executor = redis({ connection: redisUrl, queue, timeoutMs: 1000 });
    const started = Date.now();
    try {
      const error = await sweep.map({ x: [1, 2], factor: 1 }, { executor, progress: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ExecutorError);
      expect((error as ExecutorError).message).toMatch(
        new RegExp(`queue "${queue}".*no worker was connected to the queue.*--queue ${queue}`),
      );
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await executor.close();
    }
  });

  it.each([
    [{ queue: "a:b" }, "queue", /Expected `queue` to be a non-empty name without ":"/],
    [{ chunkSize: 0 }, "chunkSize", /Expected `chunkSize` to be an integer from 1 and up, got `0`/],
    [{ capacity: 1.5 }, "capacity", /Expected `capacity` to be an integer from 1 and up/],
    [{ timeoutMs: -1 }, "timeoutMs", /Expected `timeoutMs` to be a number of milliseconds above 0/],
  ] as const)(
    "rejects the option %j with an InvalidOptionError naming it",
    (options, name, message) => {
      let error: unknown;
      try {
        redis(options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).code).toBe("E_INVALID_OPTION");
      expect((error as InvalidOptionError).option).toBe(name);
      expect((error as Error).message).toMatch(message);
    },
  );
});
