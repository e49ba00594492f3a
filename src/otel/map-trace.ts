/**
 * Tracing of a `map`: a span for the map; under it one per function, from its first element
 * to its last (a listener of the same events as the progress bars, the status file and the
 * dashboard); under each, one per chunk sent to an executor (`detail` "chunk" or "element"),
 * whose context travels with the chunk; and one per element (`detail` "element"): inline
 * elements' as they run, an executor's from the times its results carry, unless the worker
 * made them itself.
 */

import { deserializeError } from "../executor/error-data.ts";
import type { ItemResult } from "../executor/types.ts";
import type { RunListener } from "../graph/events.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import type { ProgressListener } from "../map/events.ts";
import { unravelIndex } from "../map/ndarray.ts";
import type { OtelContext } from "./api.ts";
import { callSpans } from "./call-spans.ts";
import { type TraceCarrier, toTraceparent } from "./carrier.ts";
import { ATTRIBUTES, SPAN_NAMES } from "./names.ts";
import { contextOf, recordError, startSpan, type Tracing } from "./tracing.ts";
import type { TraceAttributeValue, TracingSpan } from "./types.ts";

interface FunctionSpan {
  readonly span: TracingSpan;
  readonly context: OtelContext;
  failed: number;
}

/** A chunk being traced: what travels with it, and how its span ends. */
export interface ChunkTrace {
  readonly carrier: TraceCarrier;
  /** Ends the chunk's span with its results (their elements' spans made from them). */
  end(results: readonly ItemResult[], shape: readonly number[]): void;
  /** Ends the chunk's span as failed: the executor could not run it. */
  fail(error: unknown): void;
}

/** A traced `map`. */
export class MapTrace {
  readonly #tracing: Tracing;
  readonly #span: TracingSpan;
  readonly #context: OtelContext;
  readonly #functions = new Map<string, FunctionSpan>();
  /** Told the map's function events: starts and ends the functions' spans. */
  readonly listener: ProgressListener;
  /** Told each element that runs in this thread (`detail` "element"), else undefined. */
  readonly elementListener: RunListener | undefined;

  constructor(tracing: Tracing, pipeline: string) {
    this.#tracing = tracing;
    this.#span = startSpan(tracing, SPAN_NAMES.map(pipeline), tracing.api.context.active(), {
      [ATTRIBUTES.pipeline]: pipeline,
    });
    this.#context = contextOf(tracing, this.#span);
    this.listener = {
      onNodeStart: (node, total, done) => {
        this.#functions.get(node)?.span.end();
        const span = startSpan(tracing, SPAN_NAMES.function(node), this.#context, {
          [ATTRIBUTES.function]: node,
          [ATTRIBUTES.elements]: total,
          [ATTRIBUTES.reused]: done,
        });
        this.#functions.set(node, { span, context: contextOf(tracing, span), failed: 0 });
      },
      onError: (node) => {
        const f = this.#functions.get(node);
        if (f) f.failed++;
      },
      onNodeEnd: (node) => {
        const f = this.#functions.get(node);
        if (!f) return;
        this.#functions.delete(node);
        if (f.failed > 0) {
          f.span.setAttribute(ATTRIBUTES.failed, f.failed);
          recordError(f.span, `${f.failed} element${f.failed === 1 ? "" : "s"} failed`);
        }
        f.span.end();
      },
    };
    this.elementListener =
      tracing.detail === "element"
        ? callSpans(tracing, {
            name: (f) => SPAN_NAMES.element(f.name),
            parent: (f) => this.#parentOf(f.name),
            skipRemote: true,
          })
        : undefined;
  }

  /** Starts the span of a chunk of `f` sent to `executor` (none with `detail` "function"). */
  chunk(f: AnyPipeFunc, executor: string, elements: number): ChunkTrace {
    const tracing = this.#tracing;
    const parent = this.#parentOf(f.name);
    const span =
      tracing.detail === "function"
        ? undefined
        : startSpan(tracing, SPAN_NAMES.chunk(f.name), parent, {
            [ATTRIBUTES.function]: f.name,
            [ATTRIBUTES.executor]: executor,
            [ATTRIBUTES.elements]: elements,
          });
    const carrier: TraceCarrier = {
      traceparent: span
        ? toTraceparent(span)
        : toTraceparent(this.#functions.get(f.name)?.span ?? this.#span),
      elements: tracing.detail === "element",
    };
    return {
      carrier,
      end: (results, shape) => {
        if (!span) return;
        if (tracing.detail === "element") this.#elementSpans(f, span, results, shape);
        const worker = results[0]?.worker;
        if (worker) span.setAttribute(ATTRIBUTES.worker, `${worker.host}:${worker.pid}`);
        const thread = results[0]?.thread;
        if (thread !== undefined) span.setAttribute(ATTRIBUTES.thread, thread);
        const failed = results.filter((r) => !r.ok).length;
        if (failed > 0) span.setAttribute(ATTRIBUTES.failed, failed);
        span.end();
      },
      fail: (error) => {
        if (!span) return;
        recordError(span, error);
        span.end();
      },
    };
  }

  /** Ends the map's span: failed when `error` is given. */
  end(error?: unknown): void {
    for (const f of this.#functions.values()) f.span.end();
    this.#functions.clear();
    if (error !== undefined) recordError(this.#span, error);
    this.#span.end();
  }

  #parentOf(node: string): OtelContext {
    return this.#functions.get(node)?.context ?? this.#context;
  }

  /** Element spans of results whose worker had no SDK to make them, from their times. */
  #elementSpans(
    f: AnyPipeFunc,
    chunk: TracingSpan,
    results: readonly ItemResult[],
    shape: readonly number[],
  ): void {
    const tracing = this.#tracing;
    const parent = contextOf(tracing, chunk);
    const now = Date.now();
    for (const r of results) {
      if (r.traced) continue;
      const duration = r.durationMs ?? 0;
      const start = r.startedAt ?? now - duration;
      const attributes: Record<string, TraceAttributeValue> = {
        [ATTRIBUTES.function]: f.name,
        [ATTRIBUTES.outputs]: [...f.outputs],
        [ATTRIBUTES.index]: [...unravelIndex(shape, r.index)],
      };
      if (r.worker) attributes[ATTRIBUTES.worker] = `${r.worker.host}:${r.worker.pid}`;
      if (r.thread !== undefined) attributes[ATTRIBUTES.thread] = r.thread;
      const span = startSpan(tracing, SPAN_NAMES.element(f.name), parent, attributes, start);
      if (!r.ok) recordError(span, deserializeError(r.error));
      span.end(start + duration);
    }
  }
}
