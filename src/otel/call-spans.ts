/**
 * A listener that gives each function call a span: graph runs' function spans and `map`'s
 * element spans in this thread. The span is the active one while the function runs, so the
 * spans a function makes itself (an instrumented HTTP or database client) are its children
 * wherever a context manager is registered.
 */
import type { NodeCall, RunListener } from "../graph/events.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import type { OtelContext } from "./api.ts";
import { ATTRIBUTES } from "./names.ts";
import { recordError, startSpan, type Tracing } from "./tracing.ts";
import type { TraceAttributeValue, TracingSpan } from "./types.ts";

/** How {@link callSpans} names and places a call's span. */
export interface CallSpanShape {
  /** The span's name for a call of `node`. */
  readonly name: (node: AnyPipeFunc) => string;
  /** The context the call's span goes under. */
  readonly parent: (node: AnyPipeFunc) => OtelContext;
  /** Calls that made their spans elsewhere (elements that ran on an executor) are left out. */
  readonly skipRemote?: boolean;
}

/** A listener making one span per call (and one per cache hit), shaped by `shape`. */
export function callSpans(tracing: Tracing, shape: CallSpanShape): RunListener {
  const spans = new WeakMap<NodeCall, TracingSpan>();
  const { api } = tracing;
  const attributes = (node: AnyPipeFunc, index: readonly number[] | undefined) => {
    const out: Record<string, TraceAttributeValue> = {
      [ATTRIBUTES.function]: node.name,
      [ATTRIBUTES.outputs]: [...node.outputs],
    };
    if (index && index.length > 0) out[ATTRIBUTES.index] = [...index];
    return out;
  };
  const end = (call: NodeCall, failed: boolean) => {
    const span = spans.get(call);
    if (!span) return;
    spans.delete(call);
    if (failed) recordError(span, call.error);
    span.end();
  };
  return {
    onNodeStart(call) {
      if (call.remote && shape.skipRemote) return;
      const span = startSpan(
        tracing,
        shape.name(call.node),
        shape.parent(call.node),
        attributes(call.node, call.index),
        call.remote ? call.startedAt : undefined,
      );
      spans.set(call, span);
    },
    onNodeEnd: (call) => end(call, false),
    onNodeError: (call) => end(call, true),
    onCacheHit(node, _inputs, index) {
      const span = startSpan(tracing, shape.name(node), shape.parent(node), {
        ...attributes(node, index),
        [ATTRIBUTES.cacheHit]: true,
      });
      span.end();
    },
    within(call, body) {
      const span = spans.get(call);
      if (!span) return body();
      return api.context.with(api.trace.setSpan(api.context.active(), span), body);
    },
  };
}
