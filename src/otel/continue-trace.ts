/**
 * Carrying a trace to where a call runs and picking it up there, for calls that do not travel
 * as a map's chunks (a stream stage's attempts on threads and Redis workers): the attempt's
 * span is held in an AsyncLocalStorage of pipeweave's own while its handler runs, so the
 * remote handler finds it without a context manager registered, and the far side runs the
 * handler inside it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { findOtelApi } from "./api.ts";
import { fromTraceparent, type TraceCarrier, toTraceparent } from "./carrier.ts";
import type { TracingSpan } from "./types.ts";

const current = new AsyncLocalStorage<TraceCarrier>();

/** Runs `body` with `span` as the trace a remote call it makes continues. */
export function carryingTrace<T>(span: TracingSpan, body: () => T): T {
  return current.run({ traceparent: toTraceparent(span), elements: false }, body);
}

/** The trace a remote call made now continues, if a traced attempt is running. */
export function carriedTrace(): TraceCarrier | undefined {
  return current.getStore();
}

/**
 * Runs `body` continuing `carrier`'s trace (the active context is its span's), where the API
 * is installed; else, or without a carrier, just runs it.
 */
export function continueTrace<T>(carrier: TraceCarrier | undefined, body: () => T): T {
  if (!carrier) return body();
  const api = findOtelApi();
  const context = api && fromTraceparent(api, carrier.traceparent);
  return context ? api.context.with(context, body) : body();
}
