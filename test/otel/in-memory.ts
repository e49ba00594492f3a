/**
 * An OpenTelemetry SDK recording into memory, for checking the spans a run makes: their
 * names, parents, attributes and status.
 */
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";

export interface Recorder {
  readonly tracer: ReturnType<BasicTracerProvider["getTracer"]>;
  readonly provider: BasicTracerProvider;
  spans(): ReadableSpan[];
  /** The span named `name` (exactly one). */
  one(name: string): ReadableSpan;
  /** Spans whose parent is `span`. */
  childrenOf(span: ReadableSpan): ReadableSpan[];
  reset(): void;
}

/** A provider recording in memory; `global` also registers it and a context manager. */
export function recordSpans(options: { global?: boolean } = {}): Recorder {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  if (options.global) {
    trace.disable();
    context.disable();
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
  }
  const spans = () => exporter.getFinishedSpans();
  return {
    tracer: provider.getTracer("test"),
    provider,
    spans,
    one(name) {
      const found = spans().filter((s) => s.name === name);
      if (found.length !== 1) {
        throw new Error(
          `expected one span "${name}", found ${found.length} among ${spans()
            .map((s) => s.name)
            .join(", ")}`,
        );
      }
      return found[0]!;
    },
    childrenOf(span) {
      const id = span.spanContext().spanId;
      return spans().filter((s) => s.parentSpanContext?.spanId === id);
    },
    reset: () => exporter.reset(),
  };
}

/** Unregisters what {@link recordSpans} with `global` registered. */
export function unregister(): void {
  trace.disable();
  context.disable();
}
