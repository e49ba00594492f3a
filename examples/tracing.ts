/**
 * Tracing with OpenTelemetry: a graph run and a sweep on worker threads, recorded by an SDK
 * and printed as the span tree a trace viewer would draw. In a real program, register the SDK
 * of your backend instead (NodeSDK with an OTLP exporter) and pass `tracing: true`.
 * Run with `npx tsx examples/tracing.ts`.
 */
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { definePipeline, Pipeline, pipefunc } from "../src/index.ts";
import { ATTRIBUTES } from "../src/otel/index.ts";

// Declared, so worker threads can load it.
export const physics = definePipeline(
  import.meta.url,
  "physics",
  () =>
    new Pipeline(
      [
        pipefunc(
          { output: "energy", mapspec: "mass[i], speed[j] -> energy[i, j]", name: "kinetic" },
          ({ mass, speed }: { mass: number; speed: number }) => 0.5 * mass * speed ** 2,
        ),
        pipefunc(
          { output: "total", name: "sum" },
          ({ energy }: { energy: { values(): number[] } }) =>
            energy.values().reduce((a, b) => a + b, 0),
        ),
      ],
      { name: "physics" },
    ),
);

/** Prints the spans as a tree: name, then the attributes that say what ran where. */
function printTree(spans: readonly ReadableSpan[]): void {
  const children = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  for (const s of spans) {
    const parent = s.parentSpanContext?.spanId;
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), s]);
  }
  const walk = (parent: string | undefined, depth: number) => {
    const level = (children.get(parent) ?? []).sort(
      (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
    );
    for (const s of level) {
      const a = s.attributes;
      const notes = [
        a[ATTRIBUTES.executor] && `on ${a[ATTRIBUTES.executor]}`,
        a[ATTRIBUTES.index] && `index [${a[ATTRIBUTES.index]}]`,
        a[ATTRIBUTES.thread] !== undefined && `thread ${a[ATTRIBUTES.thread]}`,
        s.status.code === 2 && `failed: ${s.status.message}`,
      ].filter(Boolean);
      console.log(`${"  ".repeat(depth)}${s.name}${notes.length ? ` (${notes.join(", ")})` : ""}`);
      walk(s.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
}

if (process.argv[1] === import.meta.filename) {
  // The SDK: spans kept in memory, a context manager so functions' own spans nest. Set up
  // here, not at the module's top level, which worker threads import too: a thread with an SDK
  // of its own makes its elements' spans itself (right for an OTLP exporter, but this one's
  // memory would be the thread's).
  const exporter = new InMemorySpanExporter();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );

  // A graph run: a span for the run, one per function call.
  const energy = await physics.run("energy", { mass: 2, speed: 3 }, { tracing: true });
  console.log(`energy = ${energy}`);
  printTree(exporter.getFinishedSpans());
  exporter.reset();

  // A sweep on threads: the chunks carry the trace to the threads; elements are timed there.
  const results = await physics.map(
    { mass: [1, 2], speed: [3, 4] },
    { executor: "threads", chunkSize: 2, progress: false, tracing: true },
  );
  console.log(`total = ${results.total!.output}`);
  printTree(exporter.getFinishedSpans());
}
