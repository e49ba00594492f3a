import { describe, expect, it, vi } from "vitest";
import {
  AbortError,
  Err,
  fork,
  InvalidOptionError,
  isErr,
  mix,
  pool,
  SKIP,
  type StageStats,
  StreamMonitor,
  stream,
} from "../../src/index.ts";
import { picky } from "./fixtures/thread-handlers.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** A promise with its resolve, to hold a handler until the test lets it go. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The counts of a stage, without the fields that depend on the stage's options. */
const counts = (s: StageStats | undefined) => ({
  in: s?.in,
  out: s?.out,
  skipped: s?.skipped,
  failed: s?.failed,
  passed: s?.passed,
});

describe("StreamMonitor: counts", () => {
  it("counts in, out, skipped, failed and passed per stage, and the latest errors", async () => {
    const monitor = new StreamMonitor();
    const summary = await stream(range(8))
      .pipe(
        pool({ name: "parse", retries: 3, buffer: 2 }, (n: number, _s, { attempt }) => {
          if (n === 3 && attempt < 3) throw new Error("flaky three");
          if (n === 5) throw new RangeError("five");
          return n;
        }),
        pool({ name: "evens", workers: 2 }, (n: number) => (n % 2 === 0 ? n : SKIP)),
        pool({ name: "check", buffer: 4 }, (n: number) => (n === 4 ? Err(new Error("four")) : n)),
      )
      .run({ monitor });
    expect(summary).toMatchObject({ ok: false, count: 5 });

    const stats = monitor.stats();
    expect(stats.state).toBe("done");
    expect(stats.error).toBeUndefined();
    expect(stats.source).toEqual({ items: 8, done: true });
    expect(stats.output).toBe(5);
    expect(stats.stages.map((s) => s.name)).toEqual(["parse", "evens", "check"]);
    expect(stats.stages.map((s) => s.workers)).toEqual([1, 2, 1]);
    expect(stats.stages.map((s) => s.capacity)).toEqual([2, 1, 4]);
    expect(stats.stages.map((s) => [s.buffered, s.busy])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    // 3 succeeds on its third attempt; 5 fails after three.
    expect(counts(stats.stages[0])).toEqual({ in: 8, out: 7, skipped: 0, failed: 1, passed: 0 });
    // 1, 3 and 7 are skipped; the Err of 5 passes through.
    expect(counts(stats.stages[1])).toEqual({ in: 8, out: 4, skipped: 3, failed: 0, passed: 1 });
    expect(counts(stats.stages[2])).toEqual({ in: 5, out: 3, skipped: 0, failed: 1, passed: 1 });

    const errors = [...stats.errors].sort((a, b) => a.stage.localeCompare(b.stage));
    expect(errors).toEqual([
      { stage: "check", message: "four", attempts: 1, at: expect.any(String) },
      { stage: "parse", message: "five", attempts: 3, at: expect.any(String) },
    ]);
    for (const e of errors) expect(new Date(e.at).toISOString()).toBe(e.at);
    expect(new Date(stats.startedAt ?? "").toISOString()).toBe(stats.startedAt);
    expect(stats.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it("keeps the latest 20 errors, newest last, with long messages cut", async () => {
    const monitor = new StreamMonitor();
    await stream(range(25))
      .pipe(
        pool({ name: "fail" }, (n: number) => {
          throw new Error(`item ${n} ${"x".repeat(2_000)}`);
        }),
      )
      .run({ monitor });
    const { errors, stages } = monitor.stats();
    expect(stages[0]?.failed).toBe(25);
    expect(errors).toHaveLength(20);
    expect(errors.map((e) => e.message.split(" ")[1])).toEqual(range(20).map((k) => `${k + 5}`));
    for (const e of errors) {
      expect(e.message.length).toBeLessThanOrEqual(500);
      expect(e.message.length).toBeGreaterThan(400);
      expect(e.message.endsWith("…")).toBe(true);
    }
  });

  it("names errors without a message by their text, or their class", async () => {
    const monitor = new StreamMonitor();
    await stream([1, 2, 3])
      .pipe(
        pool({ name: "odd" }, (n: number) => {
          if (n === 1) throw "plain text";
          if (n === 2) throw new TypeError();
          throw Object.create(null);
        }),
      )
      .run({ monitor });
    expect(monitor.stats().errors.map((e) => e.message)).toEqual([
      "plain text",
      "TypeError",
      "[object Object]",
    ]);
  });

  it("counts each item of a fork stage once, and a failed branch as the stage's failure", async () => {
    const monitor = new StreamMonitor();
    const s = stream(range(6)).pipe(
      fork(
        ([a, b]) => a + b,
        [
          (n: number) => n,
          (n: number) => {
            if (n === 2) throw new Error("branch");
            return n * 10;
          },
        ],
        { name: "both", workers: 2 },
      ),
      mix({ name: "either" }, [(n: number) => n + 1, (n: number) => (n > 40 ? SKIP : n + 1)]),
    );
    await s.run({ monitor });
    const stats = monitor.stats();
    expect(stats.stages.map((st) => [st.name, st.workers])).toEqual([
      ["both", 2],
      ["either", 2],
    ]);
    expect(counts(stats.stages[0])).toEqual({ in: 6, out: 5, skipped: 0, failed: 1, passed: 0 });
    expect(stats.stages[1]?.in).toBe(6);
    expect(stats.stages[1]?.passed).toBe(1);
    // 44 and 55 are skipped only by the second handler, so 3 to 5 values come out.
    const e = stats.stages[1]!;
    expect(e.out + e.skipped).toBe(5);
    expect(e.failed).toBe(0);
    expect(stats.output).toBe(e.out + 1);
    expect(stats.errors).toEqual([
      { stage: "both", message: "branch", attempts: 1, at: expect.any(String) },
    ]);
  });

  it("counts an ordered stage and keeps its order", async () => {
    const monitor = new StreamMonitor();
    const out = await stream(range(12))
      .pipe(
        pool({ name: "pre" }, (n: number) => (n === 10 ? Err(new Error("ten")) : n)),
        pool({ name: "ordered", workers: 3, ordered: true, buffer: 2 }, async (n: number) => {
          await new Promise((resolve) => setTimeout(resolve, (12 - n) % 4));
          if (n % 5 === 0) return SKIP;
          if (n === 7) return Err(new Error("seven"));
          return n;
        }),
        pool({ name: "after" }, (n: number) => n),
      )
      .toArray({ monitor });
    expect(out.map((o) => (isErr(o) ? o.stage : o))).toEqual([
      1,
      2,
      3,
      4,
      6,
      "ordered",
      8,
      9,
      "pre",
      11,
    ]);
    const stats = monitor.stats();
    expect(stats.state).toBe("done");
    expect(counts(stats.stages[1])).toEqual({ in: 12, out: 8, skipped: 2, failed: 1, passed: 1 });
    expect(counts(stats.stages[2])).toEqual({ in: 10, out: 8, skipped: 0, failed: 0, passed: 2 });
    expect(stats.stages.map((s) => s.busy)).toEqual([0, 0, 0]);
    expect(stats.output).toBe(10);
  });

  it("counts a threaded stage", async () => {
    const monitor = new StreamMonitor();
    const out = await stream([-1, 2, 13, -4, 5])
      .pipe(pool({ workers: 2, threads: true }, picky))
      .toArray({ monitor });
    expect(out.filter((o) => !isErr(o)).sort()).toEqual([2, 5]);
    const stats = monitor.stats();
    expect(stats.stages[0]).toMatchObject({ name: "picky", workers: 2, busy: 0 });
    expect(counts(stats.stages[0])).toEqual({ in: 5, out: 2, skipped: 2, failed: 1, passed: 0 });
    expect(stats.errors).toEqual([
      { stage: "picky", message: "unlucky", attempts: 1, at: expect.any(String) },
    ]);
    expect(stats.output).toBe(3);
  }, 30_000);

  it("names unnamed stages as the stream does, nested streams' stages included", async () => {
    const monitor = new StreamMonitor();
    const nested = stream<number>().pipe(
      pool({}, (n: number) => n + 1),
      pool({ name: "inner" }, (n: number) => n),
    );
    await stream([1, 2])
      .pipe(
        nested,
        pool({}, (n: number) => n),
      )
      .run({ monitor });
    expect(monitor.stats().stages.map((s) => [s.name, s.in, s.out])).toEqual([
      ["stage 1", 2, 2],
      ["inner", 2, 2],
      ["stage 3", 2, 2],
    ]);
  });

  it("counts what an async source gives", async () => {
    async function* source() {
      yield 1;
      await Promise.resolve();
      yield 2;
      yield 3;
    }
    const monitor = new StreamMonitor();
    await stream(source())
      .pipe(pool({}, (n: number) => n))
      .run({ monitor });
    expect(monitor.stats().source).toEqual({ items: 3, done: true });
    expect(monitor.stats().output).toBe(3);
  });
});

describe("StreamMonitor: a running stream", () => {
  it("shows a blocked stage's full buffer, busy workers and counts so far", async () => {
    const gate = deferred();
    const monitor = new StreamMonitor();
    expect(monitor.stats()).toEqual({
      state: "idle",
      startedAt: null,
      elapsedMs: 0,
      source: { items: 0, done: false },
      stages: [],
      output: 0,
      errors: [],
    });
    const it = stream(range(20))
      .pipe(
        pool({ name: "first" }, (n: number) => n),
        pool({ name: "slow", workers: 2, buffer: 3 }, async (n: number) => {
          await gate.promise;
          return n;
        }),
      )
      .iterate({ monitor });
    const next = it.next();

    await vi.waitFor(
      () => {
        const stats = monitor.stats();
        expect(stats.stages[1]).toMatchObject({ buffered: 3, busy: 2 });
        expect(stats.stages[0]).toMatchObject({ buffered: 1, busy: 1 });
        expect(stats.source.items).toBe(7);
      },
      { timeout: 10_000 },
    );
    const stats = monitor.stats();
    expect(stats.state).toBe("running");
    expect(stats.output).toBe(0);
    expect(stats.source.done).toBe(false);
    // "slow" holds 2 and has 3 waiting; "first" holds the next, waiting for room; 1 waits for it.
    expect(stats.stages[1]).toEqual({
      name: "slow",
      workers: 2,
      in: 2,
      out: 0,
      skipped: 0,
      failed: 0,
      passed: 0,
      buffered: 3,
      capacity: 3,
      busy: 2,
      retried: 0,
      circuit: null,
      circuitOpened: 0,
    });
    expect(stats.stages[0]).toMatchObject({ in: 6, out: 6, capacity: 1, buffered: 1, busy: 1 });

    gate.resolve();
    expect((await next).done).toBe(false);
    let received = 1;
    for (;;) {
      const step = await it.next();
      if (step.done) break;
      received++;
    }
    expect(received).toBe(20);
    const end = monitor.stats();
    expect(end.state).toBe("done");
    expect(end.output).toBe(20);
    expect(end.source).toEqual({ items: 20, done: true });
    expect(end.stages.map((s) => [s.in, s.out, s.buffered, s.busy])).toEqual([
      [20, 20, 0, 0],
      [20, 20, 0, 0],
    ]);
    // A finished run's figures stand still.
    expect(monitor.stats().elapsedMs).toBe(end.elapsedMs);
  });

  it("ends failed with the source's error", async () => {
    function* broken() {
      yield 1;
      yield 2;
      throw new Error("source broke");
    }
    const monitor = new StreamMonitor();
    await expect(
      stream(broken())
        .pipe(pool({}, (n: number) => n))
        .run({ monitor }),
    ).rejects.toThrow("source broke");
    const stats = monitor.stats();
    expect(stats.state).toBe("failed");
    expect(stats.error).toBe("source broke");
    expect(stats.source).toEqual({ items: 2, done: false });
  });

  it("ends aborted as soon as the signal aborts, with the run's AbortError", async () => {
    const gate = deferred();
    const started = deferred();
    const controller = new AbortController();
    const monitor = new StreamMonitor();
    const run = stream(range(5))
      .pipe(
        pool({ name: "held" }, async (n: number) => {
          started.resolve();
          await gate.promise;
          return n;
        }),
      )
      .run({ monitor, signal: controller.signal });
    await started.promise;
    expect(monitor.stats().state).toBe("running");
    controller.abort(new Error("enough"));
    expect(monitor.stats().state).toBe("aborted");
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    const stats = monitor.stats();
    expect(stats.state).toBe("aborted");
    expect(stats.error).toBe((error as AbortError).message);
    expect(stats.error).toContain("aborted");
    gate.resolve();
  });

  it("ends aborted when the signal was aborted before the start", async () => {
    const monitor = new StreamMonitor();
    await expect(
      stream([1])
        .pipe(pool({}, (n: number) => n))
        .run({ monitor, signal: AbortSignal.abort("before") }),
    ).rejects.toBeInstanceOf(AbortError);
    expect(monitor.stats().state).toBe("aborted");
  });

  it("ends done when the consumer breaks out early, and still ends the source", async () => {
    let closed = false;
    function* endless() {
      try {
        for (let n = 0; ; n++) yield n;
      } finally {
        closed = true;
      }
    }
    const monitor = new StreamMonitor();
    let seen = 0;
    for await (const n of stream(endless())
      .pipe(pool({}, (k: number) => k))
      .iterate({ monitor })) {
      expect(monitor.stats().state).toBe("running");
      if (n === 2) break;
      seen++;
    }
    expect(seen).toBe(2);
    const stats = monitor.stats();
    expect(stats.state).toBe("done");
    expect(stats.output).toBe(3);
    expect(stats.source.done).toBe(false);
    await vi.waitFor(() => expect(closed).toBe(true));
  });
});

describe("StreamMonitor: one run at a time", () => {
  it("may watch another run once the first has ended, starting from zero", async () => {
    const monitor = new StreamMonitor();
    const s = (n: number) => stream(range(n)).pipe(pool({ name: "id" }, (k: number) => k));
    await s(10).run({ monitor });
    const first = monitor.stats();
    expect(first.output).toBe(10);
    await s(3).run({ monitor });
    const second = monitor.stats();
    expect(second.state).toBe("done");
    expect(second.output).toBe(3);
    expect(second.source.items).toBe(3);
    expect(second.stages[0]?.in).toBe(3);
    expect(first.output).toBe(10);

    // A failed run's monitor may be reused too.
    await expect(
      stream(
        (function* () {
          yield 1;
          throw new Error("bad");
        })(),
      ).run({ monitor }),
    ).rejects.toThrow("bad");
    expect(monitor.stats().state).toBe("failed");
    await s(2).run({ monitor });
    expect(monitor.stats()).toMatchObject({ state: "done", output: 2 });
    expect(monitor.stats().error).toBeUndefined();
  });

  it("refuses a second run while the first is running, with an InvalidOptionError that says so", async () => {
    const gate = deferred();
    const monitor = new StreamMonitor();
    const s = stream(range(3)).pipe(
      pool({ name: "held" }, async (n: number) => {
        await gate.promise;
        return n;
      }),
    );
    const first = s.iterate({ monitor });
    const next = first.next();
    expect(() => s.iterate({ monitor })).toThrow(InvalidOptionError);
    expect(() => s.iterate({ monitor })).toThrow(/still running.*one run at a time/);
    await expect(s.run({ monitor })).rejects.toThrow(/StreamMonitor is watching a stream/);
    await expect(s.toArray({ monitor })).rejects.toMatchObject({
      code: "E_INVALID_OPTION",
      option: "monitor",
    });
    // The refused runs did not disturb the first one's figures.
    expect(monitor.stats()).toMatchObject({ state: "running", stages: [{ name: "held" }] });

    gate.resolve();
    expect(await next).toEqual({ done: false, value: 0 });
    await first.return?.();
    expect(monitor.stats().state).toBe("done");
    expect(await s.toArray({ monitor })).toEqual([0, 1, 2]);
  });

  it("refuses a monitor that is not a StreamMonitor", () => {
    const s = stream([1]);
    const fake = { stats: () => new StreamMonitor().stats() } as unknown as StreamMonitor;
    expect(() => s.iterate({ monitor: fake })).toThrow(
      "Expected `monitor` to be a StreamMonitor, got object.",
    );
  });
});
