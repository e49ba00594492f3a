import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { Pipeline, pipefunc } from "../../src/index.ts";
import { ATTRIBUTES } from "../../src/otel/names.ts";
import { grid } from "./fixtures/traced-pipelines.mjs";
import { type Recorder, recordSpans, unregister } from "./in-memory.ts";

const quiet = { progress: false } as const;
afterEach(unregister);

const parentOf = (rec: Recorder, span: ReadableSpan) =>
  rec.spans().find((s) => s.spanContext().spanId === span.parentSpanContext?.spanId);
const named = (rec: Recorder, name: string) => rec.spans().filter((s) => s.name === name);

describe("tracing map", () => {
  it("inline: a span for the map, per function, and per element under its function", async () => {
    const rec = recordSpans();
    const results = await grid.map(
      { x: [1, 2], y: [10, 20, 30] },
      { ...quiet, tracing: rec.tracer },
    );
    expect(results.total!.output).toBe(180);
    const map = rec.one("map grid");
    expect(map.attributes[ATTRIBUTES.pipeline]).toBe("grid");
    const times = rec.one("function times");
    expect(parentOf(rec, times)).toBe(map);
    expect(times.attributes[ATTRIBUTES.elements]).toBe(6);
    const elements = named(rec, "element times");
    expect(elements).toHaveLength(6);
    for (const e of elements) expect(parentOf(rec, e)).toBe(times);
    expect(elements.map((e) => e.attributes[ATTRIBUTES.index]).sort()).toEqual(
      [
        [0, 0],
        [0, 1],
        [0, 2],
        [1, 0],
        [1, 1],
        [1, 2],
      ].sort(),
    );
    expect(parentOf(rec, rec.one("function sum"))).toBe(map);
    const all = rec.spans();
    expect(new Set(all.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it("records failed elements with the error, and counts them on the function's span", async () => {
    const rec = recordSpans();
    await grid.map({ x: [1, 3], y: [10] }, { ...quiet, errors: "continue", tracing: rec.tracer });
    const failed = named(rec, "element times").filter((s) => s.status.code === 2);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.attributes[ATTRIBUTES.index]).toEqual([1, 0]);
    expect(failed[0]!.status.message).toBe("x = 3 is refused");
    const times = rec.one("function times");
    expect(times.attributes[ATTRIBUTES.failed]).toBe(1);
    expect(times.status.code).toBe(2);
  });

  it("a map that fails ends its span failed with the typed error's code", async () => {
    const rec = recordSpans();
    await expect(grid.map({ x: [3], y: [1] }, { ...quiet, tracing: rec.tracer })).rejects.toThrow(
      /refused/,
    );
    const map = rec.one("map grid");
    expect(map.status.code).toBe(2);
    expect(map.attributes[ATTRIBUTES.errorCode]).toBe("E_NODE_FAILED");
  });

  it("detail 'function' makes no chunk or element spans", async () => {
    const rec = recordSpans();
    await grid.map(
      { x: [1, 2], y: [1, 2] },
      { ...quiet, executor: "threads", tracing: { tracer: rec.tracer, detail: "function" } },
    );
    expect(
      rec
        .spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(["function sum", "function times", "map grid"]);
  });

  it("threads: chunk spans under the function, element spans under their chunk, from where they ran", async () => {
    const rec = recordSpans();
    const results = await grid.map(
      { x: [1, 2, 4], y: [1, 2, 3, 4] },
      { ...quiet, executor: "threads", chunkSize: 4, tracing: rec.tracer },
    );
    expect(results.total!.output).toBe(70);
    const times = rec.one("function times");
    const chunks = named(rec, "chunk times");
    expect(chunks).toHaveLength(3);
    for (const c of chunks) {
      expect(parentOf(rec, c)).toBe(times);
      expect(c.attributes[ATTRIBUTES.executor]).toBe("threads");
      expect(c.attributes[ATTRIBUTES.elements]).toBe(4);
      expect(typeof c.attributes[ATTRIBUTES.thread]).toBe("number");
    }
    const elements = named(rec, "element times");
    expect(elements).toHaveLength(12);
    const ms = (t: [number, number]) => t[0] * 1e3 + t[1] / 1e6;
    for (const e of elements) {
      const chunk = parentOf(rec, e)!;
      expect(chunk.name).toBe("chunk times");
      expect(e.attributes[ATTRIBUTES.thread]).toBe(chunk.attributes[ATTRIBUTES.thread]);
      // Timed where it ran: inside its chunk's span (1 ms for clocks read in two threads).
      expect(ms(e.startTime)).toBeGreaterThanOrEqual(ms(chunk.startTime) - 1);
      expect(ms(e.endTime)).toBeLessThanOrEqual(ms(chunk.endTime) + 1);
    }
  });

  it("tracing: true with a registered provider, and a pipeline-wide option a map can turn off", async () => {
    const rec = recordSpans({ global: true });
    await grid.map({ x: [1], y: [1] }, { ...quiet, tracing: true });
    expect(named(rec, "map grid")).toHaveLength(1);
    // The function's own span is a child of its element's (inline, a context manager registered).
    const element = rec.one("element times");
    expect(rec.one("user work").parentSpanContext?.spanId).toBe(element.spanContext().spanId);
    rec.reset();
    await grid.map({ x: [1], y: [1] }, quiet);
    expect(named(rec, "map grid")).toHaveLength(0);
  });

  it("marks elements whose value came from the cache", async () => {
    const rec = recordSpans();
    let calls = 0;
    const square = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]", name: "square", cache: true },
      ({ x }: { x: number }) => {
        calls++;
        return x * x;
      },
    );
    const p = new Pipeline([square], { name: "cached" });
    await p.map({ x: [1, 2] }, { ...quiet, tracing: rec.tracer });
    await p.map({ x: [1, 2, 3] }, { ...quiet, tracing: rec.tracer });
    expect(calls).toBe(3);
    const hits = named(rec, "element square").filter((s) => s.attributes[ATTRIBUTES.cacheHit]);
    expect(hits.map((s) => s.attributes[ATTRIBUTES.index]).sort()).toEqual([[0], [1]]);
    expect(named(rec, "element square")).toHaveLength(5);
  });
});
