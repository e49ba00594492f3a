import { join } from "node:path";
import { threadId } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defineHandler,
  fork,
  isErr,
  mix,
  pool,
  StageTimeoutError,
  stream,
  ThreadExecutor,
  UnclonableValueError,
  UndeclaredHandlerError,
} from "../../src/index.ts";
import { caught } from "../caught.ts";
import { type Where, where } from "../executor/fixtures/shared-pipelines.ts";
import { runScript } from "../script.ts";
import {
  declareLate,
  flaky,
  hop,
  picky,
  square,
  tally,
  unclonable,
  undeclared,
  wait,
} from "./fixtures/thread-handlers.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The rows of a run of `tally` over `n` items on two threads; an Err fails the test. */
async function tallied(n: number) {
  const out = await stream(range(n))
    .pipe(pool({ workers: 2, threads: true }, tally))
    .toArray();
  return out.map((o) => {
    if (isErr(o)) throw o.error;
    return o;
  });
}

/** Each worker's counts of the items it had seen, in order. */
function seenByWorker(rows: readonly { worker: number; seen: number }[]): Map<number, number[]> {
  const byWorker = new Map<number, number[]>();
  for (const { worker, seen } of rows)
    byWorker.set(worker, [...(byWorker.get(worker) ?? []), seen]);
  for (const seen of byWorker.values()) seen.sort((a, b) => a - b);
  return byWorker;
}

// Every stage here asks for at most two threads at once, so the shared pool keeps the two
// it started: a larger request would replace them with a larger pool.
afterAll(() => ThreadExecutor.closeShared());

describe("stream: threads", () => {
  it("runs the handler on worker threads with the same results as inline", async () => {
    const out = await stream(range(40))
      .pipe(pool({ workers: 2, buffer: 4, threads: true, ordered: true }, square))
      .toArray();
    expect(out.map((o) => (isErr(o) ? o : o.square))).toEqual(range(40).map((n) => n * n));
    const threads = new Set(out.map((o) => (isErr(o) ? 0 : o.thread)));
    expect(threads.has(threadId)).toBe(false);
    expect([...new Set(out.map((o) => (isErr(o) ? -1 : o.worker)))].sort()).toEqual(
      threads.size === 2 ? [0, 1] : [0],
    );
  }, 30_000);

  it("keeps one WorkerState per thread for the whole run, named after the stage", async () => {
    const rows = await tallied(30);
    for (const row of rows) expect(row.stage).toBe("tally");
    const byWorker = seenByWorker(rows);
    // Each thread counts 1, 2, 3, … over the items it saw; together they saw all 30.
    for (const seen of byWorker.values()) {
      expect(seen).toEqual(range(seen.length).map((i) => i + 1));
    }
    expect([...byWorker.values()].reduce((sum, s) => sum + s.length, 0)).toBe(30);
  }, 30_000);

  it("retries thrown errors, keeps SKIP and Err, and records failures with the item", async () => {
    const retried = await stream(range(6))
      .pipe(pool({ workers: 2, retries: 2, threads: true, ordered: true }, flaky))
      .toArray();
    expect(retried).toEqual(range(6).map((n) => ({ n, attempt: n % 2 === 1 ? 2 : 1 })));

    const once = await stream([1, 2])
      .pipe(pool({ threads: true }, flaky))
      .run();
    expect(once.ok).toBe(false);
    const [failure] = once.ok ? [] : once.errors;
    expect(failure).toMatchObject({ item: 1, stage: "flaky", attempts: 1 });
    expect(failure?.error).toBeInstanceOf(RangeError);
    expect(failure?.error).toHaveProperty("message", "odd 1");

    const picked = await stream([-1, 2, 13, -4, 5])
      .pipe(pool({ threads: true, retries: 3 }, picky))
      .toArray();
    expect(picked.filter((p) => !isErr(p))).toEqual([2, 5]);
    const err = picked.find(isErr);
    expect(err).toMatchObject({ item: 13, stage: "picky", attempts: 1 });
    expect(err?.error).toHaveProperty("message", "unlucky");
  }, 30_000);

  it("times out an attempt by ending its thread, then carries on with a fresh one", async () => {
    const summary = await stream([500, 1, 2])
      .pipe(pool({ threads: true, timeoutMs: 100, ordered: true }, wait))
      .run();
    expect(summary.count).toBe(3);
    expect(summary.ok).toBe(false);
    const errors = summary.ok ? [] : summary.errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]?.error).toBeInstanceOf(StageTimeoutError);
    expect(errors[0]?.item).toBe(500);
  }, 30_000);

  it("runs mix and fork stages on threads", async () => {
    const mixed = await stream(range(10))
      .pipe(mix({ threads: true }, [square, tally]))
      .toArray();
    expect(mixed.map((m) => (isErr(m) ? -1 : m.n)).sort((a, b) => a - b)).toEqual(range(10));

    const forked = await stream(range(5))
      .pipe(fork(([sq, t]) => sq.square + t.n, [square, tally], { threads: true }))
      .toArray();
    expect([...forked].sort((a, b) => Number(a) - Number(b))).toEqual(
      range(5).map((n) => n * n + n),
    );
  }, 30_000);

  it("fails an item whose result cannot cross threads, naming what could not be cloned", async () => {
    const summary = await stream([1])
      .pipe(pool({ threads: true }, unclonable))
      .run();
    expect(summary.ok).toBe(false);
    const failure = summary.ok ? undefined : summary.errors[0];
    // Not retried: the same handler would return the same kind of value.
    expect(failure?.attempts).toBe(1);
    const error = failure?.error as UnclonableValueError;
    expect(error).toBeInstanceOf(UnclonableValueError);
    expect([error.node, error.output, error.type]).toEqual([
      "unclonable",
      "result",
      "an object (its .f is a function)",
    ]);
    expect(error.message).toMatch(/"unclonable" returned .*cannot cross a thread.*plain data/);
  }, 30_000);

  it("stops its threads when the stream is cancelled", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("enough")), 300);
    const started = Date.now();
    const run = stream(range(100))
      .pipe(pool({ workers: 2, threads: true }, wait))
      .run({ signal: controller.signal });
    await expect(run).rejects.toThrow(/aborted/);
    // The handler would take ~2.5 s per thread in all; cancelling ends it promptly.
    expect(Date.now() - started).toBeLessThan(2_000);
  }, 30_000);

  it("runs the next run on the threads the last one started, each run with fresh state", async () => {
    const first = await tallied(20);
    const second = await tallied(20);
    // Thread ids are never reused: a thread of the second run that the first did not have
    // would be a new one.
    const firstThreads = new Set(first.map((o) => o.thread));
    for (const o of second) expect(firstThreads.has(o.thread)).toBe(true);
    // Each thread's count starts again at 1 in the second run, and its worker numbers too.
    for (const [worker, seen] of seenByWorker(second)) {
      expect(seen).toEqual(range(seen.length).map((i) => i + 1));
      expect(worker).toBeLessThan(new Set(second.map((o) => o.thread)).size);
    }
  }, 30_000);

  it("keeps the states of runs at the same time apart, on the same threads", async () => {
    const [a, b] = await Promise.all([tallied(16), tallied(16)]);
    // Each run counts from 1 on every thread it used: one run's items never reach the
    // other's states, although the two share the pool's two threads.
    for (const rows of [a, b]) {
      for (const seen of seenByWorker(rows).values()) {
        expect(seen).toEqual(range(seen.length).map((i) => i + 1));
      }
    }
    expect(new Set([...a, ...b].map((o) => o.thread)).size).toBeLessThanOrEqual(2);
  }, 30_000);

  it("gives every threaded stage of a run its own threads at once", async () => {
    const items = range(6).map(() => ({ ms: 40, threads: [] as number[] }));
    const out = await stream(items)
      .pipe(
        pool({ threads: true, name: "first" }, hop),
        pool({ threads: true, name: "second" }, hop),
      )
      .toArray();
    const used = new Set(
      out.flatMap((o) => {
        if (isErr(o)) throw o.error;
        return o.threads;
      }),
    );
    // One worker each, side by side: a pool sized for one stage would run both on one thread.
    expect(used.size).toBe(2);
  }, 30_000);

  it("runs on the threads a map on threads started", async () => {
    const swept = await where.map(
      { x: range(4), ms: 1 },
      { executor: "threads", threads: 2, progress: false },
    );
    const mapThreads = new Set((swept.out.array.data as Where[]).map((row) => row.thread));
    const out = await stream(range(8))
      .pipe(pool({ workers: 2, threads: true }, square))
      .toArray();
    for (const o of out) {
      if (isErr(o)) throw o.error;
      expect(mapThreads.has(o.thread)).toBe(true);
    }
  }, 30_000);

  it("refuses an undeclared handler when the stage is made, saying how to declare it", () => {
    const error = caught(
      () => pool({ threads: true }, undeclared),
      UndeclaredHandlerError,
      "E_UNDECLARED_HANDLER",
    );
    expect(error.stage).toBe("undeclared");
    expect(error.message).toMatch(/defineHandler\(import\.meta\.url, "undeclared"/);
    expect(() => mix({ threads: true }, [square, undeclared])).toThrow(UndeclaredHandlerError);
    expect(() => defineHandler(import.meta.url, "x", 3 as never)).toThrow(/to be a function/);
  });

  it("fails the run when a thread cannot find the handler in its module", async () => {
    const late = declareLate("late");
    await expect(
      stream([1])
        .pipe(pool({ threads: true }, late))
        .run(),
    ).rejects.toThrow(/does not declare a handler named "late"/);
  }, 30_000);
});

describe("stream: threads in a script of its own", () => {
  interface Report {
    readonly squares: number[];
    readonly threads: number[];
    readonly finishedAt: number;
  }
  let report: Report;
  let exitedAt = 0;
  beforeAll(async () => {
    const child = await runScript(join(import.meta.dirname, "fixtures", "exit-child.ts"));
    exitedAt = child.exitedAt;
    report = JSON.parse(child.stdout.trim()) as Report;
  }, 60_000);

  it("ends after its last run without closing anything", () => {
    expect(report.squares).toEqual([1, 4, 9, 16, 25, 36, 1, 4, 9, 16, 25, 36]);
    // Idle threads last 30 s; the process ends well before.
    expect(exitedAt - report.finishedAt).toBeLessThan(5_000);
  });

  it("runs the map and both stream runs on the same two threads", () => {
    expect(report.threads.length).toBeLessThanOrEqual(2);
  });
});
