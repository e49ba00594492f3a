/**
 * A run's tracing, resolved from its `tracing` option, and the few span operations every
 * traced run shares: start a span under a parent, end it as failed with the error's code.
 */
import { InvalidOptionError } from "../errors.ts";
import { type OtelApi, type OtelContext, requireOtelApi, STATUS_ERROR } from "./api.ts";
import { ATTRIBUTES } from "./names.ts";
import type {
  TraceAttributeValue,
  TraceDetail,
  TracingOption,
  TracingSpan,
  TracingTracer,
} from "./types.ts";

/** The name and version spans are recorded under (the instrumentation scope). */
export const TRACER_NAME = "pipeweave";

/** The tracing a run resolved from its option. */
export interface Tracing {
  readonly api: OtelApi;
  readonly tracer: TracingTracer;
  readonly detail: TraceDetail;
}

const DETAILS: readonly TraceDetail[] = ["function", "chunk", "element"];

/**
 * The run's tracing, or undefined when it is off.
 *
 * @param option - The run's `tracing`, else the pipeline's.
 * @throws {@link InvalidOptionError} for a value that is neither a boolean, a tracer nor options.
 * @throws {@link MissingDependencyError} when tracing is on and `@opentelemetry/api` is missing.
 */
export function resolveTracing(option: TracingOption | undefined): Tracing | undefined {
  if (option === undefined || option === false) return undefined;
  if (option !== true && (option === null || typeof option !== "object")) {
    throw new InvalidOptionError(
      "tracing",
      `Expected \`tracing\` to be true, an OpenTelemetry Tracer or { tracer?, detail? }, got ${String(option)} (${typeof option}).`,
    );
  }
  const api = requireOtelApi();
  if (option === true) return { api, tracer: api.trace.getTracer(TRACER_NAME), detail: "element" };
  if (isTracer(option)) return { api, tracer: option, detail: "element" };
  const detail = option.detail ?? "element";
  if (!DETAILS.includes(detail)) {
    throw new InvalidOptionError(
      "tracing.detail",
      `Expected \`tracing.detail\` to be one of ${DETAILS.map((d) => `"${d}"`).join(", ")}, got ${JSON.stringify(detail)}.`,
    );
  }
  return { api, tracer: option.tracer ?? api.trace.getTracer(TRACER_NAME), detail };
}

function isTracer(option: object): option is TracingTracer {
  return typeof (option as { startSpan?: unknown }).startSpan === "function";
}

/** Starts a span under `parent` (a context), with `attributes`. */
export function startSpan(
  tracing: Tracing,
  name: string,
  parent: OtelContext,
  attributes: Record<string, TraceAttributeValue>,
  startTime?: number,
): TracingSpan {
  return tracing.tracer.startSpan(
    name,
    startTime === undefined ? { attributes } : { attributes, startTime },
    parent,
  );
}

/** The active context with `span` as its current span: what `span`'s children go under. */
export function contextOf(tracing: Tracing, span: TracingSpan): OtelContext {
  return tracing.api.trace.setSpan(tracing.api.context.active(), span);
}

/**
 * Marks `span` failed with `error`: its status, the exception event, and the typed error's
 * `code` (what a query filters on without parsing messages).
 */
export function recordError(span: TracingSpan, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  span.setStatus({ code: STATUS_ERROR, message });
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") span.setAttribute(ATTRIBUTES.errorCode, code);
  span.recordException(error instanceof Error ? error : message);
}
