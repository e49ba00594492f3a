import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  definePipeline,
  ExecutorError,
  InvalidOptionError,
  type NdArray,
  Pipeline,
  PipeweaveError,
  pipefunc,
  ThreadExecutor,
} from "../../src/index.ts";
import { caught } from "../caught.ts";
import { runScript } from "../script.ts";
import { other } from "./fixtures/other-pipelines.ts";
import { grid, lateFailures, moduleUrl, type Where, where } from "./fixtures/shared-pipelines.ts";

const quiet = { progress: false } as const;
const onThreads = { ...quiet, executor: "threads", threads: 2 } as const;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();

/** The elements of a `where` (or `other`) map, in order. */
function elements<T>(result: { readonly out: { readonly array: NdArray<unknown> } }): T[] {
  return result.out.array.data as T[];
}

const threadsOf = (rows: readonly { readonly thread: number }[]) =>
  new Set(rows.map((r) => r.thread));

// Every executor here asks for at most two threads, so the shared pool has at most two: a
// map that used others would have started a pool of its own.
afterAll(() => ThreadExecutor.closeShared());

describe("threads: the shared pool", () => {
  it("runs a second map on the threads the first started, its first element at once", async () => {
    const first = elements<Where>(await where.map({ x: range(8), ms: 5 }, onThreads));
    expect(first.map((o) => o.y)).toEqual(range(8).map((x) => x * 2));

    const startedAt = now();
    const second = elements<Where>(await where.map({ x: range(8), ms: 5 }, onThreads));
    expect(second.map((o) => o.y)).toEqual(range(8).map((x) => x * 2));
    // A pool per map would have started two more threads (thread ids are never reused).
    const used = new Set([...threadsOf(first), ...threadsOf(second)]);
    expect(used.size).toBeLessThanOrEqual(2);
    // Starting a thread and loading the pipeline takes about a second here; a warm pool
    // starts the first element within milliseconds. Loose bound for a busy machine.
    const wait = Math.min(...second.map((o) => o.startedAt)) - startedAt;
    expect(wait).toBeLessThan(500);
  }, 60_000);

  it("shares the pool between executors and keeps each to its own number of threads", async () => {
    const mine = new ThreadExecutor({ threads: 2 });
    const first = elements<Where>(
      await where.map({ x: range(6), ms: 5 }, { ...quiet, executor: mine }),
    );
    await mine.close();
    // Another executor, and map's own, after the first was closed: same threads.
    const again = elements<Where>(
      await where.map(
        { x: range(6), ms: 5 },
        { ...quiet, executor: new ThreadExecutor({ threads: 2 }) },
      ),
    );
    const own = elements<Where>(await where.map({ x: range(6), ms: 5 }, onThreads));
    expect(new Set([...threadsOf(first), ...threadsOf(again), ...threadsOf(own)]).size).toBe(
      Math.max(threadsOf(first).size, 2),
    );

    // One thread asked for: one chunk at a time, although the pool has more threads.
    const single = elements<Where>(
      await where.map(
        { x: range(4), ms: 20 },
        { ...quiet, executor: new ThreadExecutor({ threads: 1 }), chunkSize: 1 },
      ),
    );
    const starts = single.map((o) => o.startedAt).sort((a, b) => a - b);
    for (let k = 1; k < starts.length; k++) {
      expect(starts[k]! - starts[k - 1]!).toBeGreaterThanOrEqual(19);
    }
  }, 60_000);

  it("imports a pipeline of another module on a warm thread", async () => {
    const first = elements<Where>(await where.map({ x: range(4), ms: 1 }, onThreads));
    const second = elements<{ y: number; thread: number }>(
      await other.map({ x: range(4) }, onThreads),
    );
    expect(second.map((o) => o.y)).toEqual(range(4).map((x) => x + 1));
    expect(new Set([...threadsOf(first), ...threadsOf(second)]).size).toBeLessThanOrEqual(2);
  }, 60_000);

  it("ends threads idle for longer than the configured timeout", async () => {
    ThreadExecutor.configureShared({ idleTimeoutMs: 100 });
    try {
      const first = elements<Where>(await where.map({ x: range(4), ms: 1 }, onThreads));
      await sleep(1_500);
      const second = elements<Where>(await where.map({ x: range(4), ms: 1 }, onThreads));
      // Fresh threads: the ones that ran the first map had ended.
      for (const thread of threadsOf(second)) expect(threadsOf(first).has(thread)).toBe(false);
    } finally {
      ThreadExecutor.configureShared({ idleTimeoutMs: 30_000 });
    }
  }, 60_000);

  it("lists failures in the run's order, not in the order threads finish them", async () => {
    const x = [0, 1, 2, 3];
    const r = await lateFailures.map(
      { x, ms: 300 },
      { ...onThreads, chunkSize: 1, errors: "continue" },
    );
    expect(r.errors.map((e) => [e.index, e.message])).toEqual(
      x.map((i) => [[i], `element ${i} fails`]),
    );
  }, 60_000);

  it("gives the same results and failures as inline (property)", async () => {
    const values = fc.array(fc.integer({ min: -3, max: 50 }), { minLength: 1, maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(values, values, async (a, b) => {
        const inline = await grid.map({ a, b }, { ...quiet, errors: "continue" });
        const threads = await grid.map({ a, b }, { ...onThreads, errors: "continue" });
        expect(threads.c.array.toNested()).toEqual(inline.c.array.toNested());
        expect(threads.rowSum.array.toNested()).toEqual(inline.rowSum.array.toNested());
        expect(threads.errors.map((e) => [e.index, (e.error as Error).message])).toEqual(
          inline.errors.map((e) => [e.index, (e.error as Error).message]),
        );
      }),
      { numRuns: 12 },
    );
  }, 90_000);

  it("refuses bad options and a closed executor, naming what to change", async () => {
    expect(
      caught(() => new ThreadExecutor({ threads: 0 }), InvalidOptionError, "E_INVALID_OPTION")
        .option,
    ).toBe("threads");
    const pool = caught(
      () => new ThreadExecutor({ pool: "mine" as never }),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(pool.message).toMatch(/`pool`.*"shared", "own".*`mine`/);
    const idle = caught(
      () => ThreadExecutor.configureShared({ idleTimeoutMs: -1 }),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(idle.option).toBe("idleTimeoutMs");

    const closed = new ThreadExecutor({ threads: 1 });
    await closed.close();
    const error = await where
      .map({ x: [1], ms: 0 }, { ...quiet, executor: closed })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as ExecutorError).message).toMatch(/closed.*Create a new one/);
  }, 60_000);

  it("keeps an own pool apart from the shared one", async () => {
    const shared = elements<Where>(await where.map({ x: range(4), ms: 1 }, onThreads));
    const own = new ThreadExecutor({ threads: 1, pool: "own" });
    try {
      const mine = elements<Where>(
        await where.map({ x: range(4), ms: 1 }, { ...quiet, executor: own }),
      );
      expect(mine.map((o) => o.y)).toEqual(range(4).map((x) => x * 2));
      expect(threadsOf(mine).size).toBe(1);
      for (const thread of threadsOf(mine)) expect(threadsOf(shared).has(thread)).toBe(false);
    } finally {
      await own.close();
    }
  }, 60_000);
});

describe("threads: a pipeline's code changing in a running process", () => {
  let dir = "";
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const index = pathToFileURL(join(import.meta.dirname, "..", "..", "src", "index.ts")).href;
  /** A pipeline module whose element function returns `x * factor`. */
  const source = (factor: number) => `
import { definePipeline, Pipeline, pipefunc } from ${JSON.stringify(index)};
export const scaled = definePipeline(import.meta.url, "scaled", () =>
  new Pipeline([pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }) => x * ${factor})]));
`;
  type Scaled = { readonly scaled: Pipeline<never> };
  const ys = async (module: Scaled) => {
    const result = await module.scaled.map({ x: [1, 2] }, onThreads);
    return (result as unknown as { y: { array: NdArray<number> } }).y.array.toNested();
  };

  it("runs the first definition of a name, as this process does", async () => {
    const again = definePipeline(
      moduleUrl,
      "where",
      () =>
        new Pipeline([
          pipefunc(
            { output: "out", mapspec: "x[i] -> out[i]" },
            ({ x, ms }: { x: number; ms: number }) => x + ms,
          ),
        ]),
    );
    expect(again).toBe(where);
    const out = elements<Where>(await again.map({ x: [3], ms: 0 }, onThreads));
    expect(out.map((o) => o.y)).toEqual([6]);
  }, 60_000);

  it("refuses to run a module file changed on disk since this process sent it to a thread", async () => {
    dir = mkdtempSync(join(tmpdir(), "pipeweave-shared-"));
    const file = join(dir, "edited.mts");
    writeFileSync(file, source(3));
    const loaded = (await import(pathToFileURL(file).href)) as Scaled;
    expect(await ys(loaded)).toEqual([3, 6]);
    writeFileSync(file, source(4));
    // Warm threads keep the code they imported: this process's definition.
    expect(await ys(loaded)).toEqual([3, 6]);
    // A fresh thread would import the edited file: refused.
    await ThreadExecutor.closeShared();
    const error = await ys(loaded).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorError);
    expect(error).toBeInstanceOf(PipeweaveError);
    expect((error as ExecutorError).code).toBe("E_EXECUTOR");
    expect((error as ExecutorError).message).toContain(pathToFileURL(file).href);
    expect((error as ExecutorError).message).toMatch(/changed on disk.*new URL/s);
    const hashes = (error as ExecutorError).hashes;
    expect(hashes?.coordinator).not.toBe(hashes?.worker);
  }, 60_000);
});

describe("threads: in a script of its own", () => {
  type Row = { readonly y: number; readonly thread: number };
  interface Report {
    readonly ys: number[];
    readonly reimport: Record<"before" | "after" | "firstAgain", Row[]>;
    readonly threads: number[];
    readonly finishedAt: number;
  }
  let report: Report;
  let exitedAt = 0;
  let started = 0;
  beforeAll(async () => {
    // Under Node's own module semantics: the test runner's ignores a URL's query.
    started = Date.now();
    const child = await runScript(join(import.meta.dirname, "fixtures", "exit-child.ts"));
    exitedAt = child.exitedAt;
    report = JSON.parse(child.stdout.trim()) as Report;
  }, 60_000);

  it("ends after its last map without closing anything", () => {
    expect(report.ys).toEqual([2, 4, 6, 8, 10, 12]);
    // Idle threads last 30 s; the process ends well before.
    expect(exitedAt - report.finishedAt).toBeLessThan(5_000);
    expect(exitedAt - started).toBeLessThan(25_000);
  });

  it("runs a module imported again under a new URL on the warm threads", () => {
    const ys = (rows: Row[]) => rows.map((r) => r.y);
    expect(ys(report.reimport.before)).toEqual([10, 20]);
    expect(ys(report.reimport.after)).toEqual([100, 200]);
    // The first module still runs its own code.
    expect(ys(report.reimport.firstAgain)).toEqual([10, 20]);
    // Every map of the script ran on the two threads the first started.
    expect(report.threads.length).toBeLessThanOrEqual(2);
  });
});
