/**
 * `@opentelemetry/api`, an optional peer, loaded synchronously the first time a run asks for
 * tracing (a `runSync` may): `import "pipeweave"` never loads it. The API keeps its state
 * (the registered provider, context manager) on `globalThis`, so this copy and the one a
 * program imports see the same provider whichever module format each was loaded as.
 */
import { createRequire } from "node:module";
import { MissingDependencyError } from "../errors.ts";
import type { TracingSpan, TracingSpanContext, TracingTracer } from "./types.ts";

/** An OpenTelemetry `Context`: opaque here. */
export type OtelContext = object & { readonly __otelContext?: never };

/** The part of `@opentelemetry/api` pipeweave calls. */
export interface OtelApi {
  readonly trace: {
    getTracer(name: string, version?: string): TracingTracer;
    setSpan(context: OtelContext, span: TracingSpan): OtelContext;
    setSpanContext(
      context: OtelContext,
      spanContext: TracingSpanContext & { isRemote?: boolean },
    ): OtelContext;
    getSpanContext(context: OtelContext): TracingSpanContext | undefined;
  };
  readonly context: {
    active(): OtelContext;
    with<T>(context: OtelContext, fn: () => T): T;
  };
  readonly ROOT_CONTEXT: OtelContext;
}

/** OpenTelemetry's `SpanStatusCode.ERROR` (a stable value of the specification). */
export const STATUS_ERROR = 2;

let loaded: OtelApi | null | undefined;

/** The API, or undefined where it is not installed (a worker that only continues a trace). */
export function findOtelApi(): OtelApi | undefined {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)("@opentelemetry/api") as OtelApi;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/**
 * The API for a run that asked for tracing.
 *
 * @throws {@link MissingDependencyError} when `@opentelemetry/api` is not installed.
 */
export function requireOtelApi(): OtelApi {
  const api = findOtelApi();
  if (!api) {
    throw new MissingDependencyError(
      "@opentelemetry/api",
      "Tracing (the `tracing` option)",
      "leave `tracing` unset",
    );
  }
  return api;
}
