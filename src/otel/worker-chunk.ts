/**
 * Where a traced chunk runs (a thread, a Redis worker, a SLURM task): its elements continue
 * the coordinator's trace. Each call runs with the chunk's context active, so spans the
 * function makes join the trace. Where an OpenTelemetry SDK is registered, each element gets
 * its span here, with the function's own spans as its children; elsewhere the results carry
 * when and where each element ran, and the coordinator makes the spans from them.
 */
import { hostname } from "node:os";
import { isMainThread, threadId } from "node:worker_threads";
import { serializeError } from "../executor/error-data.ts";
import type { ChunkItem, ItemResult } from "../executor/types.ts";
import { isThenable } from "../graph/engine.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { unravelIndex } from "../map/ndarray.ts";
import { findOtelApi, type OtelApi, type OtelContext } from "./api.ts";
import { fromTraceparent, type TraceCarrier } from "./carrier.ts";
import { ATTRIBUTES, SPAN_NAMES } from "./names.ts";
import { recordError, TRACER_NAME } from "./tracing.ts";
import type { TracingSpan } from "./types.ts";

/** Whether this process showed it has no SDK: its tracer makes no spans of its own. */
let noSdk = false;

/**
 * Calls each item like `callChunk`, inside the chunk's trace.
 *
 * @param invoke - Calls the function for one item.
 */
export async function callChunkTraced(
  func: AnyPipeFunc,
  items: readonly ChunkItem[],
  invoke: (values: readonly unknown[], index: number) => unknown,
  shape: readonly number[] | undefined,
  carrier: TraceCarrier,
): Promise<ItemResult[]> {
  const api = findOtelApi();
  const parent = api ? fromTraceparent(api, carrier.traceparent) : undefined;
  const thread = isMainThread ? undefined : threadId;
  const out: ItemResult[] = [];
  for (const item of items) {
    const startedAt = Date.now();
    const start = performance.now();
    const span =
      api && parent && carrier.elements ? elementSpan(api, parent, func, item, shape) : undefined;
    const where = {
      startedAt,
      ...(thread === undefined ? {} : { thread }),
      ...(span ? { traced: true } : {}),
    };
    try {
      const call = () => invoke(item.values, item.index);
      let value =
        api && parent
          ? api.context.with(span ? api.trace.setSpan(parent, span) : parent, call)
          : call();
      if (isThenable(value)) value = await value;
      span?.end();
      out.push({
        index: item.index,
        ok: true,
        value,
        durationMs: performance.now() - start,
        ...where,
      });
    } catch (error) {
      if (span) {
        recordError(span, error);
        span.end();
      }
      out.push({
        index: item.index,
        ok: false,
        error: serializeError(error),
        durationMs: performance.now() - start,
        ...where,
      });
    }
  }
  return out;
}

/** The element's span, or undefined where no SDK would record it. */
function elementSpan(
  api: OtelApi,
  parent: OtelContext,
  func: AnyPipeFunc,
  item: ChunkItem,
  shape: readonly number[] | undefined,
): TracingSpan | undefined {
  if (noSdk) return undefined;
  const span = api.trace.getTracer(TRACER_NAME).startSpan(
    SPAN_NAMES.element(func.name),
    {
      attributes: {
        [ATTRIBUTES.function]: func.name,
        [ATTRIBUTES.outputs]: [...func.outputs],
        [ATTRIBUTES.index]: shape ? [...unravelIndex(shape, item.index)] : [item.index],
        [ATTRIBUTES.worker]: `${hostname()}:${process.pid}`,
        ...(isMainThread ? {} : { [ATTRIBUTES.thread]: threadId }),
      },
    },
    parent,
  );
  // Without an SDK the API answers with the parent's own span: nothing would be recorded.
  if (span.spanContext().spanId === parentSpanId(api, parent)) {
    noSdk = true;
    return undefined;
  }
  return span;
}

function parentSpanId(api: OtelApi, parent: OtelContext): string | undefined {
  return api.trace.getSpanContext(parent)?.spanId;
}
