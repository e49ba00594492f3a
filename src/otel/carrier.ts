/**
 * The trace context that travels with a chunk to a thread, a Redis worker or a SLURM task, as
 * W3C `traceparent` text: plain data every transport carries, and what any OpenTelemetry
 * propagator reads, without needing one registered on either side.
 */
import type { OtelApi, OtelContext } from "./api.ts";
import type { TracingSpan } from "./types.ts";

/** What a chunk carries when its map is traced. */
export interface TraceCarrier {
  /** The chunk's span (or, without chunk spans, its function's), as W3C `traceparent`. */
  readonly traceparent: string;
  /** Whether the map traces each element (`detail: "element"`). */
  readonly elements: boolean;
}

/** `span`'s context as a W3C `traceparent` header value. */
export function toTraceparent(span: TracingSpan): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, "0")}`;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The context a `traceparent` continues, or undefined for one that does not parse. */
export function fromTraceparent(api: OtelApi, traceparent: string): OtelContext | undefined {
  const m = TRACEPARENT.exec(traceparent);
  if (!m) return undefined;
  return api.trace.setSpanContext(api.ROOT_CONTEXT, {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: Number.parseInt(m[3]!, 16),
    isRemote: true,
  });
}
