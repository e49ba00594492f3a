/**
 * A traced map on Redis workers is one trace: the chunk's context travels in the job. A worker
 * without an SDK leaves the element spans to the coordinator (from the times its results
 * carry); a worker with one makes them itself, exported by OTLP/HTTP to a receiver here, as
 * children of the coordinator's chunk spans, with the function's own spans under them.
 */
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, describe, expect, it } from "vitest";
import { pool, stream } from "../../src/index.ts";
import { ATTRIBUTES } from "../../src/otel/names.ts";
import { redis } from "../../src/redis/index.ts";
import { testBed, until } from "../redis/workers.ts";
import { redisAvailable, redisUrl } from "../redis-available.ts";
import { plusOne } from "./fixtures/traced-handlers.ts";
import { grid } from "./fixtures/traced-pipelines.mjs";
import { recordSpans, unregister } from "./in-memory.ts";
import { startOtlpReceiver } from "./otlp-receiver.ts";

const available = await redisAvailable("the redis tracing tests");
const inputs = { x: [1, 2, 4], y: [1, 2] };

describe.runIf(available)("tracing a map on Redis workers", () => {
  const bed = testBed("otel");
  afterAll(async () => {
    unregister();
    await bed.cleanUp();
  }, 30_000);

  const traced = async (queue: string) => {
    const rec = recordSpans();
    const executor = redis({ connection: redisUrl, queue, chunkSize: 2 });
    try {
      const results = await grid.map(inputs, { progress: false, executor, tracing: rec.tracer });
      expect(results.total!.output).toBe(21);
    } finally {
      await executor.close();
    }
    return rec;
  };
  const idOf = (s: ReadableSpan) => s.spanContext().spanId;

  it("without an SDK in the worker: element spans from the coordinator, under their chunks, naming the worker", async () => {
    const queue = bed.queue("plain");
    const worker = bed.start("../../otel/fixtures/redis-worker.ts", [queue]);
    await worker.line(/^ready /);
    const rec = await traced(queue);
    const chunks = rec.spans().filter((s) => s.name === "chunk times");
    expect(chunks).toHaveLength(3);
    const elements = rec.spans().filter((s) => s.name === "element times");
    expect(elements).toHaveLength(6);
    const chunkIds = new Set(chunks.map(idOf));
    for (const e of elements) {
      expect(chunkIds.has(e.parentSpanContext!.spanId)).toBe(true);
      expect(e.attributes[ATTRIBUTES.worker]).toMatch(new RegExp(`:${worker.pid}$`));
    }
    for (const c of chunks) expect(c.attributes[ATTRIBUTES.executor]).toBe("redis");
  }, 60_000);

  it("with an SDK in the worker (OTLP/HTTP): the worker's element spans continue the coordinator's chunks", async () => {
    const receiver = await startOtlpReceiver();
    try {
      const queue = bed.queue("sdk");
      process.env.OTLP_URL = receiver.url;
      const worker = bed.start("../../otel/fixtures/redis-worker.ts", [queue]);
      delete process.env.OTLP_URL;
      await worker.line(/^ready /);
      const rec = await traced(queue);
      // The coordinator made no element span: the worker did.
      expect(rec.spans().filter((s) => s.name === "element times")).toEqual([]);
      await until(
        () =>
          receiver.spans.filter((s) => s.name === "element times").length === 6 &&
          receiver.spans.filter((s) => s.name === "user work").length === 6,
      );
      const chunks = rec.spans().filter((s) => s.name === "chunk times");
      const chunkIds = new Set(chunks.map(idOf));
      const traceId = rec.one("map grid").spanContext().traceId;
      const elements = receiver.spans.filter((s) => s.name === "element times");
      for (const e of elements) {
        expect(e.service).toBe("worker");
        expect(e.traceId).toBe(traceId);
        expect(chunkIds.has(e.parentSpanId!)).toBe(true);
        expect(e.attributes[ATTRIBUTES.function]).toBe("times");
        expect(e.attributes[ATTRIBUTES.worker]).toMatch(new RegExp(`:${worker.pid}$`));
      }
      expect(elements.map((e) => e.attributes[ATTRIBUTES.index]).sort()).toEqual(
        [
          [0, 0],
          [0, 1],
          [1, 0],
          [1, 1],
          [2, 0],
          [2, 1],
        ].sort(),
      );
      // The function's own spans nest under the worker's element spans.
      const elementIds = new Set(elements.map((e) => e.spanId));
      for (const u of receiver.spans.filter((s) => s.name === "user work")) {
        expect(elementIds.has(u.parentSpanId!)).toBe(true);
      }
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it("a stream stage on Redis: the handler's own spans continue the coordinator's item spans", async () => {
    const receiver = await startOtlpReceiver();
    try {
      const queue = bed.queue("stage");
      process.env.OTLP_URL = receiver.url;
      const worker = bed.start("../../otel/fixtures/stage-worker.ts", [queue]);
      delete process.env.OTLP_URL;
      await worker.line(/^ready /);
      const rec = recordSpans();
      const out = await stream([1, 2, 3])
        .pipe(pool({ name: "add", redis: { connection: redisUrl, queue } }, plusOne))
        .toArray({ tracing: rec.tracer });
      expect(out).toEqual([2, 3, 4]);
      await until(() => receiver.spans.filter((s) => s.name === "handler work").length === 3);
      const items = rec.spans().filter((s) => s.name === "item add");
      expect(items).toHaveLength(3);
      const itemIds = new Set(items.map(idOf));
      const traceId = rec.one("stream").spanContext().traceId;
      for (const h of receiver.spans.filter((s) => s.name === "handler work")) {
        expect(h.service).toBe("stage-worker");
        expect(h.traceId).toBe(traceId);
        expect(itemIds.has(h.parentSpanId!)).toBe(true);
      }
    } finally {
      await receiver.close();
    }
  }, 60_000);
});
