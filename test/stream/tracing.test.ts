import { trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import {
  batch,
  Err,
  fork,
  isErr,
  mix,
  pool,
  SKIP,
  StreamMonitor,
  stream,
  unbatch,
} from "../../src/index.ts";
import { ATTRIBUTES } from "../../src/otel/names.ts";
import { recordSpans, unregister } from "../otel/in-memory.ts";
import { flaky, picky } from "./fixtures/thread-handlers.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

afterEach(unregister);

/** The span's parent's id, or undefined for a root. */
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;

/** The spans of `stage`'s handler calls, in the order they ended. */
function items(spans: readonly ReadableSpan[], stage: string): ReadableSpan[] {
  return spans.filter((s) => s.name === `item ${stage}`);
}

describe("tracing streams", () => {
  it("makes a span for the run, one per stage under it and one per handler call under its stage", async () => {
    const rec = recordSpans();
    const summary = await stream(range(4))
      .pipe(
        pool({ name: "double", workers: 2 }, async (n: number) => n * 2),
        pool({ name: "keep", buffer: 2 }, (n: number) => (n === 2 ? SKIP : n)),
      )
      .run({ tracing: rec.tracer, name: "doubler" });
    expect(summary).toEqual({ ok: true, count: 3 });

    const run = rec.one("stream doubler");
    expect(parentOf(run)).toBeUndefined();
    expect(run.attributes[ATTRIBUTES.stream]).toBe("doubler");
    expect(run.attributes[ATTRIBUTES.itemsOut]).toBe(3);
    expect(run.status.code).toBe(0);

    expect(
      rec
        .childrenOf(run)
        .map((s) => s.name)
        .sort(),
    ).toEqual(["stage double", "stage keep"]);
    const double = rec.one("stage double");
    expect(double.attributes).toMatchObject({
      [ATTRIBUTES.stage]: "double",
      [ATTRIBUTES.workers]: 2,
      [ATTRIBUTES.itemsIn]: 4,
      [ATTRIBUTES.itemsOut]: 4,
      [ATTRIBUTES.itemsFailed]: 0,
      [ATTRIBUTES.itemsSkipped]: 0,
      [ATTRIBUTES.retried]: 0,
    });
    const keep = rec.one("stage keep");
    expect(keep.attributes).toMatchObject({
      [ATTRIBUTES.workers]: 1,
      [ATTRIBUTES.itemsIn]: 4,
      [ATTRIBUTES.itemsOut]: 3,
      [ATTRIBUTES.itemsSkipped]: 1,
    });

    const calls = items(rec.spans(), "double");
    expect(calls).toHaveLength(4);
    for (const call of calls) {
      expect(parentOf(call)).toBe(idOf(double));
      expect(call.spanContext().traceId).toBe(run.spanContext().traceId);
      expect(call.attributes[ATTRIBUTES.stage]).toBe("double");
      expect(call.attributes[ATTRIBUTES.attempt]).toBe(1);
      expect(call.attributes[ATTRIBUTES.items]).toBeUndefined();
      expect(call.status.code).toBe(0);
    }
    // Both workers took items, each named by its index.
    expect(new Set(calls.map((c) => c.attributes[ATTRIBUTES.workerIndex]))).toEqual(
      new Set([0, 1]),
    );
    expect(rec.childrenOf(keep)).toHaveLength(4);
    // Every call ended before its stage, and every stage before the run: the recorder has
    // the spans in the order they ended.
    const ended = rec.spans();
    for (const stage of [double, keep]) {
      for (const call of rec.childrenOf(stage)) {
        expect(ended.indexOf(call)).toBeLessThan(ended.indexOf(stage));
      }
      expect(ended.indexOf(stage)).toBeLessThan(ended.indexOf(run));
    }
  });

  it("gives each retry its own span, attempt 1..n, with the failing attempts' errors", async () => {
    const rec = recordSpans();
    const summary = await stream([7])
      .pipe(
        pool({ name: "flaky", retries: 3 }, (n: number, _s, { attempt }) => {
          if (attempt < 3) throw new RangeError(`try ${attempt} of ${n}`);
          return n;
        }),
      )
      .run({ tracing: rec.tracer });
    expect(summary).toEqual({ ok: true, count: 1 });
    const calls = items(rec.spans(), "flaky");
    expect(calls.map((c) => c.attributes[ATTRIBUTES.attempt])).toEqual([1, 2, 3]);
    expect(calls.map((c) => c.status)).toEqual([
      { code: 2, message: "try 1 of 7" },
      { code: 2, message: "try 2 of 7" },
      { code: 0 },
    ]);
    expect(calls.map((c) => c.events.map((e) => e.name))).toEqual([
      ["exception"],
      ["exception"],
      [],
    ]);
    const stage = rec.one("stage flaky");
    for (const call of calls) expect(parentOf(call)).toBe(idOf(stage));
    expect(stage.attributes[ATTRIBUTES.retried]).toBe(2);
    expect(stage.status.code).toBe(0);
  });

  it("records the error of an item that fails: every attempt thrown, or an Err returned", async () => {
    const rec = recordSpans();
    const summary = await stream([1, 2])
      .pipe(
        pool({ name: "strict", retries: 2 }, (n: number) => {
          if (n === 1) throw new TypeError("one is odd");
          return Err(new RangeError("two is even"));
        }),
      )
      .run({ tracing: rec.tracer });
    expect(summary.ok).toBe(false);
    const calls = items(rec.spans(), "strict");
    const messages = calls.map((c) => [c.attributes[ATTRIBUTES.attempt], c.status.message]);
    // An Err is not retried: one attempt at 2, two at 1.
    expect(messages.sort()).toEqual([
      [1, "one is odd"],
      [1, "two is even"],
      [2, "one is odd"],
    ]);
    for (const call of calls) expect(call.status.code).toBe(2);
    const exception = calls.find((c) => c.status.message === "two is even")!.events[0]!;
    expect(exception.attributes?.["exception.type"]).toBe("RangeError");
    expect(rec.one("stage strict").attributes).toMatchObject({
      [ATTRIBUTES.itemsIn]: 2,
      [ATTRIBUTES.itemsOut]: 0,
      [ATTRIBUTES.itemsFailed]: 2,
      [ATTRIBUTES.retried]: 1,
    });
    // Items that failed are values: the run itself succeeded.
    expect(rec.one("stream").status.code).toBe(0);
  });

  it("records a timed-out attempt and an open circuit's refusal with their codes", async () => {
    const rec = recordSpans();
    const never = new Promise<never>(() => {});
    const breaker = { failures: 1, cooldownMs: 60_000 };
    const hang = pool({ name: "hang", timeoutMs: 5, breaker }, () => never);
    const out = await stream([1, 2, 3]).pipe(hang).toArray({ tracing: rec.tracer });
    expect(out.every(isErr)).toBe(true);
    const calls = items(rec.spans(), "hang");
    expect(calls.map((c) => c.attributes[ATTRIBUTES.errorCode])).toEqual([
      "E_STAGE_TIMEOUT",
      "E_CIRCUIT_OPEN",
      "E_CIRCUIT_OPEN",
    ]);
    for (const call of calls) {
      expect(call.status.code).toBe(2);
      expect(call.attributes[ATTRIBUTES.attempt]).toBe(1);
    }
  });

  it("makes one span per batch with batched pools, with the batch's length", async () => {
    const rec = recordSpans();
    const out = await stream(range(5))
      .pipe(
        batch({ size: 2 }),
        pool({ name: "sum", batched: true }, (xs: number[]) =>
          xs.map((x) => (x === 3 ? Err(new Error("three")) : x * 10)),
        ),
        unbatch(),
      )
      .toArray({ tracing: rec.tracer });
    expect(out.filter((x) => !isErr(x))).toEqual([0, 10, 20, 40]);
    const calls = items(rec.spans(), "sum");
    expect(calls.map((c) => c.attributes[ATTRIBUTES.items])).toEqual([2, 2, 1]);
    // The batch's call succeeded; the item it failed is counted on the stage.
    for (const call of calls) expect(call.status.code).toBe(0);
    expect(rec.one("stage sum").attributes[ATTRIBUTES.itemsFailed]).toBe(1);
    // batch() and unbatch() are stages too, without handler calls.
    const run = rec.one("stream");
    expect(
      rec
        .childrenOf(run)
        .map((s) => s.name)
        .sort(),
    ).toEqual(["stage batch", "stage sum", "stage unbatch"]);
    expect(rec.childrenOf(rec.one("stage batch"))).toEqual([]);
    expect(rec.one("stage batch").attributes[ATTRIBUTES.itemsIn]).toBe(5);
  });

  it("names each handler of mix and fork stages by its worker index", async () => {
    const rec = recordSpans();
    const gate = deferred();
    let started = 0;
    // Both handlers hold their first item until the other has one: each worker takes one.
    const held = async (n: number) => {
      if (++started === 2) gate.resolve();
      await gate.promise;
      return n;
    };
    await stream([1, 2])
      .pipe(
        mix({ name: "either" }, [held, held]),
        fork(([a, b]: [number, number]) => a + b, [(n: number) => n, async (n: number) => n * 2], {
          name: "both",
        }),
      )
      .run({ tracing: rec.tracer });
    const workers = (stage: string) =>
      items(rec.spans(), stage)
        .map((c) => c.attributes[ATTRIBUTES.workerIndex])
        .sort();
    expect(workers("either")).toEqual([0, 1]);
    expect(workers("both")).toEqual([0, 0, 1, 1]);
  });

  it("fails the run's span when the run rejects", async () => {
    const rec = recordSpans();
    async function* source() {
      yield 1;
      throw new Error("source broke");
    }
    await expect(
      stream(source())
        .pipe(pool({ name: "pass" }, (n: number) => n))
        .run({ tracing: rec.tracer }),
    ).rejects.toThrow("source broke");
    const run = rec.one("stream");
    expect(run.status).toEqual({ code: 2, message: "source broke" });
    expect(run.events.map((e) => e.name)).toEqual(["exception"]);

    rec.reset();
    const controller = new AbortController();
    const gate = deferred();
    const running = stream(range(3))
      .pipe(
        pool({ name: "slow" }, async (n: number) => {
          gate.resolve();
          await new Promise(() => {});
          return n;
        }),
      )
      .run({ tracing: rec.tracer, signal: controller.signal });
    await gate.promise;
    controller.abort(new Error("stop"));
    await expect(running).rejects.toMatchObject({ code: "E_ABORTED" });
    const aborted = rec.one("stream");
    expect(aborted.status.code).toBe(2);
    expect(aborted.attributes[ATTRIBUTES.errorCode]).toBe("E_ABORTED");
  });

  it("ends the run's span well when the consumer stops early", async () => {
    const rec = recordSpans();
    for await (const n of stream(range(100))
      .pipe(pool({ name: "id" }, (n: number) => n))
      .iterate({ tracing: rec.tracer })) {
      if (n === 2) break;
    }
    const run = rec.one("stream");
    expect(run.status.code).toBe(0);
    expect(run.attributes[ATTRIBUTES.itemsOut]).toBe(3);
  });

  it("with tracing: true uses the registered provider, under the caller's span, and nests the handler's own spans", async () => {
    const rec = recordSpans({ global: true });
    const user = trace.getTracer("user");
    await user.startActiveSpan("caller", async (span) => {
      await stream([1, 2])
        .pipe(
          pool({ name: "work", workers: 2 }, async (n: number) => {
            await new Promise((r) => setTimeout(r, 1));
            user.startSpan(`user ${n}`).end();
            return n;
          }),
        )
        .run({ tracing: true });
      span.end();
    });
    const caller = rec.one("caller");
    const run = rec.one("stream");
    expect(parentOf(run)).toBe(idOf(caller));
    for (const n of [1, 2]) {
      const own = rec.one(`user ${n}`);
      const call = rec.spans().find((s) => s.spanContext().spanId === parentOf(own))!;
      expect(call.name).toBe("item work");
      expect(parentOf(call)).toBe(idOf(rec.one("stage work")));
    }
  });

  it("makes no span when tracing is off, even with a provider registered", async () => {
    const rec = recordSpans({ global: true });
    await stream(range(3))
      .pipe(pool({ name: "id", retries: 2 }, (n: number) => n))
      .run();
    await stream(range(3))
      .pipe(pool({ name: "id" }, (n: number) => n))
      .run({ tracing: false, monitor: new StreamMonitor() });
    expect(rec.spans()).toEqual([]);
  });

  it("traces and monitors one run together, the monitor counting as without tracing", async () => {
    const rec = recordSpans();
    const monitor = new StreamMonitor();
    await stream(range(4))
      .pipe(pool({ name: "half" }, (n: number) => (n % 2 ? SKIP : n)))
      .run({ tracing: rec.tracer, monitor });
    const stats = monitor.stats();
    expect(stats.state).toBe("done");
    expect(stats.stages[0]).toMatchObject({ in: 4, out: 2, skipped: 2 });
    expect(rec.one("stage half").attributes).toMatchObject({
      [ATTRIBUTES.itemsIn]: 4,
      [ATTRIBUTES.itemsOut]: 2,
      [ATTRIBUTES.itemsSkipped]: 2,
    });
    expect(items(rec.spans(), "half")).toHaveLength(4);
  });

  it("makes a threaded stage's call spans here, around each attempt sent to a thread", async () => {
    const rec = recordSpans();
    const out = await stream([1, 2, 13])
      .pipe(
        pool({ name: "picky", threads: true }, picky),
        pool({ name: "odd-once", threads: true, retries: 2 }, flaky),
      )
      .toArray({ tracing: rec.tracer });
    expect(out.filter(isErr).map((e) => e.stage)).toEqual(["picky"]);
    // picky returns an Err for 13 on its thread; it comes back recorded on 13's call.
    expect(
      items(rec.spans(), "picky")
        .map((c) => c.status.message ?? "")
        .sort(),
    ).toEqual(["", "", "unlucky"]);
    // 1 fails its first attempt on the thread and succeeds on its second; 2 on its first.
    expect(
      items(rec.spans(), "odd-once")
        .map((c) => [c.attributes[ATTRIBUTES.attempt], c.status.message ?? ""])
        .sort(),
    ).toEqual([
      [1, ""],
      [1, "odd 1"],
      [2, ""],
    ]);
    const stage = rec.one("stage odd-once");
    for (const call of rec.childrenOf(stage)) expect(call.name).toBe("item odd-once");
    expect(rec.childrenOf(stage)).toHaveLength(3);
  });

  it("refuses a tracing value that is not one, before the run starts", () => {
    let pulled = false;
    const source = {
      *[Symbol.iterator]() {
        pulled = true;
        yield 1;
      },
    };
    expect(() =>
      stream(source)
        .pipe(pool({}, (n: number) => n))
        .iterate({ tracing: 3 as never }),
    ).toThrow(expect.objectContaining({ code: "E_INVALID_OPTION", option: "tracing" }));
    expect(pulled).toBe(false);
  });
});

/** A promise with its resolve, to hold a handler until the test lets it go. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("tracing streams with detail 'function'", () => {
  it("makes the run's and the stages' spans, none per handler call", async () => {
    const rec = recordSpans();
    await stream(range(5))
      .pipe(pool({ name: "double" }, (n: number) => n * 2))
      .run({ tracing: { tracer: rec.tracer, detail: "function" } });
    expect(
      rec
        .spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(["stage double", "stream"]);
    expect(rec.one("stage double").attributes[ATTRIBUTES.itemsOut]).toBe(5);
  });
});
