/**
 * Through a real exporter: a traced map's spans go out with `@opentelemetry/exporter-trace-otlp-http`
 * to a receiver on 127.0.0.1, which decodes them: one trace, parents as in memory.
 */
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { expect, it } from "vitest";
import { ATTRIBUTES } from "../../src/otel/names.ts";
import { grid } from "./fixtures/traced-pipelines.mjs";
import { startOtlpReceiver } from "./otlp-receiver.ts";

it("exports a traced map on threads over OTLP/HTTP as one trace", async () => {
  const receiver = await startOtlpReceiver();
  const provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: receiver.url }))],
  });
  try {
    await grid.map(
      { x: [1, 2], y: [1, 2, 3] },
      {
        progress: false,
        executor: "threads",
        chunkSize: 3,
        tracing: provider.getTracer("test"),
      },
    );
    await provider.forceFlush();
    const spans = receiver.spans;
    const byName = (name: string) => spans.filter((s) => s.name === name);
    expect(byName("map grid")).toHaveLength(1);
    expect(byName("chunk times")).toHaveLength(2);
    expect(byName("element times")).toHaveLength(6);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    const ids = new Map(spans.map((s) => [s.spanId, s]));
    for (const e of byName("element times")) {
      expect(ids.get(e.parentSpanId!)?.name).toBe("chunk times");
      expect(e.attributes[ATTRIBUTES.index]).toHaveLength(2);
    }
    for (const c of byName("chunk times")) {
      expect(ids.get(c.parentSpanId!)?.name).toBe("function times");
      expect(c.attributes[ATTRIBUTES.executor]).toBe("threads");
    }
    expect(ids.get(byName("function times")[0]!.parentSpanId!)?.name).toBe("map grid");
  } finally {
    await provider.shutdown();
    await receiver.close();
  }
});
