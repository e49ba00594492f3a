/**
 * Issue 21, point 2: a function sent to other processes reads its captured data there, where
 * the module may hold other values. Undeclared data on such an executor is refused before any
 * work (even without cache or run folder); declared values, on the function or the pipeline,
 * enter the definition hash, so a worker holding another value is refused as a worker of
 * edited code is. Worker threads share the process and are exempt.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type Chunk,
  type Executor,
  ExecutorError,
  type ItemResult,
  Pipeline,
  UndeclaredCaptureError,
} from "../../src/index.ts";
import { redis } from "../../src/redis/index.ts";
import { definitionHash } from "../../src/redis/protocol.ts";
import { redisAvailable, redisNames, redisUrl } from "../redis-available.ts";
import { declared, loadedK, pipelineLevel, undeclared } from "./fixtures/capture-skew.mjs";

const quiet = { progress: false } as const;

/** An executor of other processes that runs nothing: the check must stop the map first. */
function outOfProcess(): Executor & { submit: ReturnType<typeof vi.fn> } {
  return {
    name: "elsewhere",
    remote: true,
    isOutOfProcess: true,
    submit: vi.fn(async (chunk: Chunk) =>
      chunk.items.map((item): ItemResult => ({ index: item.index, ok: true, value: 0 })),
    ),
    close: async () => {},
  };
}

async function rejection(run: Promise<unknown>): Promise<unknown> {
  return run.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe("captures on executors that run functions in other processes", () => {
  it("refuses undeclared data before any chunk is submitted, naming node, names and executor", async () => {
    expect(loadedK).toBe(2);
    const executor = outOfProcess();
    for (const choice of [executor, { y: executor }]) {
      const error = await rejection(undeclared.map({ x: [1, 2] }, { ...quiet, executor: choice }));
      expect(error).toBeInstanceOf(UndeclaredCaptureError);
      expect(error).toMatchObject({ code: "E_UNDECLARED_CAPTURE", node: "y", names: ["K"] });
      expect((error as Error).message).toMatch(
        /Node "y" reads "K" from outside the function, and it runs in other processes \(executor "elsewhere"\)/,
      );
      expect((error as Error).message).toMatch(/mix their results/);
      expect((error as Error).message).toMatch(/captures: \{ K \}/);
    }
    expect(executor.submit).not.toHaveBeenCalled();
  });

  it("sends a function whose data is declared, on the function or on the pipeline", async () => {
    for (const pipeline of [declared, pipelineLevel]) {
      const executor = outOfProcess();
      await pipeline.map({ x: [1, 2] }, { ...quiet, executor });
      expect(executor.submit).toHaveBeenCalled();
    }
  });

  it("exempts worker threads (same process, same file) and the inline executor", async () => {
    for (const executor of ["threads", "inline"] as const) {
      const r = await undeclared.map({ x: [1, 2, 3] }, { ...quiet, executor, threads: 1 });
      expect(r.y!.array.toNested()).toEqual([2, 4, 6]);
    }
  });

  it("puts the pipeline's declared values in the definition hash the coordinator and workers compare", () => {
    // The function as written, without the value the pipeline gave it.
    const bare = pipelineLevel.get("y").with({ captures: undefined });
    const options = { name: pipelineLevel.name };
    const withK = (K: number) =>
      definitionHash(new Pipeline([bare], { ...options, captures: { K } }));
    expect(withK(2)).toBe(definitionHash(pipelineLevel));
    expect(withK(3)).not.toBe(withK(2));
  });
});

const available = await redisAvailable("the Redis capture-skew tests");

/** Starts a worker process of capture-worker.ts; resolves once it takes jobs. */
async function startWorker(
  pipeline: string,
  queue: string,
  k: number,
  children: ChildProcess[],
): Promise<{ readonly out: () => string }> {
  const worker = join(import.meta.dirname, "fixtures", "capture-worker.ts");
  const child = spawn(process.execPath, ["--import", "tsx", worker, pipeline, queue, String(k)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, REDIS_URL: redisUrl },
  });
  children.push(child);
  let out = "";
  child.stderr!.on("data", (d: Buffer) => {
    out += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (/^ready /m.test(out)) resolve();
    });
    child.on("exit", (code) => reject(new Error(`worker exited (${code}):\n${out}`)));
  });
  return { out: () => out };
}

describe.runIf(available)("captures across Redis worker processes of another K", () => {
  const names = redisNames("captures");
  const queues = {
    undeclared: names.queue("undeclared"),
    declared: names.queue("declared"),
    skewed: names.queue("skewed"),
    same: names.queue("same"),
  };
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    await Promise.all([
      startWorker("undeclared", queues.undeclared, 3, children),
      startWorker("declared", queues.declared, 3, children),
      startWorker("pipelineLevel", queues.skewed, 3, children),
      startWorker("pipelineLevel", queues.same, 2, children),
    ]);
  }, 30_000);

  afterAll(async () => {
    const exited = children.map((c) => new Promise((resolve) => c.once("exit", resolve)));
    for (const c of children) c.kill("SIGTERM");
    await Promise.all(exited);
    await names.cleanUp();
  }, 30_000);

  it("refuses undeclared data before any job is queued, without cache or run folder", async () => {
    const executor = redis({ connection: redisUrl, queue: queues.undeclared, timeoutMs: 10_000 });
    try {
      const error = await rejection(undeclared.map({ x: [1, 2, 3, 4] }, { ...quiet, executor }));
      // Before: the worker's K = 3 answered, [3, 6, 9, 12], for a coordinator whose K is 2.
      expect(error).toBeInstanceOf(UndeclaredCaptureError);
      expect(error).toMatchObject({ node: "y", names: ["K"] });
      expect((error as Error).message).toMatch(/executor "redis"/);
    } finally {
      await executor.close();
    }
    const queue = new Queue(queues.undeclared, { connection: { url: redisUrl } });
    try {
      const counts = await queue.getJobCounts();
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    } finally {
      await queue.close();
    }
  });

  it.each([
    ["on the function", "declared", declared],
    ["on the pipeline", "skewed", pipelineLevel],
  ] as const)(
    "refuses a worker whose declared value differs (%s), naming both hashes",
    async (_where, queue, pipeline) => {
      const executor = redis({ connection: redisUrl, queue: queues[queue], timeoutMs: 10_000 });
      try {
        const error = await rejection(pipeline.map({ x: [1, 2, 3, 4] }, { ...quiet, executor }));
        expect(error).toBeInstanceOf(ExecutorError);
        const e = error as ExecutorError;
        expect(e.code).toBe("E_EXECUTOR");
        expect(e.hashes?.coordinator).toBe(definitionHash(pipeline));
        expect(e.hashes?.worker).toBeDefined();
        expect(e.hashes!.worker).not.toBe(e.hashes!.coordinator);
        expect(e.message).toContain(e.hashes!.coordinator);
        expect(e.message).toContain(e.hashes!.worker);
      } finally {
        await executor.close();
      }
    },
  );

  it("runs on a worker that declares the same value", async () => {
    const executor = redis({ connection: redisUrl, queue: queues.same, timeoutMs: 10_000 });
    try {
      const r = await pipelineLevel.map({ x: [1, 2, 3, 4] }, { ...quiet, executor });
      expect(r.y!.array.toNested()).toEqual([2, 4, 6, 8]);
    } finally {
      await executor.close();
    }
  });
});
