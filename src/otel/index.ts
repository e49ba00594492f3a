export { type TraceCarrier, toTraceparent } from "./carrier.ts";
export { ATTRIBUTES, SPAN_NAMES } from "./names.ts";
export { TRACER_NAME } from "./tracing.ts";
export type {
  TraceAttributeValue,
  TraceDetail,
  TracingOption,
  TracingOptions,
  TracingSpan,
  TracingSpanContext,
  TracingSpanOptions,
  TracingTracer,
} from "./types.ts";
