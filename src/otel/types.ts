/**
 * The parts of OpenTelemetry's API that pipeweave's public options name, written out so that
 * `import "pipeweave"` type-checks without `@opentelemetry/api` installed: any `Tracer` of
 * `@opentelemetry/api` is a {@link TracingTracer} (test/types/otel.test-d.ts checks it).
 */

/** A value OpenTelemetry takes as a span attribute (its `AttributeValue`). */
export type TraceAttributeValue =
  | string
  | number
  | boolean
  | (string | null | undefined)[]
  | (number | null | undefined)[]
  | (boolean | null | undefined)[];

/** The identity of a span: what travels with a chunk to continue a trace elsewhere. */
export interface TracingSpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

/** The part of an OpenTelemetry `Span` pipeweave uses. */
export interface TracingSpan {
  spanContext(): TracingSpanContext;
  setAttribute(key: string, value: TraceAttributeValue): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error | string, time?: number): void;
  end(endTime?: number): void;
}

/** Options pipeweave gives `startSpan`. */
export interface TracingSpanOptions {
  readonly attributes?: Record<string, TraceAttributeValue | undefined>;
  /** Milliseconds since the epoch. */
  readonly startTime?: number;
}

/** An OpenTelemetry `Tracer` (from `trace.getTracer(...)` or a provider's `getTracer`). */
export interface TracingTracer {
  startSpan(name: string, options?: TracingSpanOptions, context?: unknown): TracingSpan;
}

/**
 * How finely `map` is traced: a span per function only, also one per chunk sent to an
 * executor, or also one per element.
 */
export type TraceDetail = "function" | "chunk" | "element";

/** Tracing with a chosen tracer or detail; see {@link TracingOption}. */
export interface TracingOptions {
  /**
   * Where spans go.
   * @defaultValue `trace.getTracer("pipeweave")` of `@opentelemetry/api`: the globally
   *   registered provider's
   */
  readonly tracer?: TracingTracer;
  /**
   * Spans `map` makes below each function's: `"chunk"` adds one per chunk sent to an executor,
   * `"element"` one per element as well (inline elements under their function's span, an
   * executor's under their chunk's). A stream makes its handler calls' spans unless
   * `"function"` (then only the run's and the stages'); a graph run is not affected.
   * @defaultValue "element"
   */
  readonly detail?: TraceDetail;
}

/**
 * `tracing` of `run`, `map`, `stream.run` and `new Pipeline(…, { tracing })`: `true` traces with
 * the globally registered OpenTelemetry provider, a `Tracer` with that tracer, an object sets
 * the tracer and how finely `map` is traced. Off (`false` or absent) costs nothing.
 */
export type TracingOption = boolean | TracingTracer | TracingOptions;
