import { callElement, isThenable } from "../graph/engine.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { unravelIndex } from "../map/ndarray.ts";
import type { TraceCarrier } from "../otel/carrier.ts";
import { callChunkTraced } from "../otel/worker-chunk.ts";
import { invokerOf } from "./invoke.ts";
import { type ChunkItem, type ItemResult, serializeError } from "./types.ts";

/**
 * Calls `func` for each item in turn, capturing errors per item and timing each call.
 * Shared by every executor.
 *
 * @param validate - Check the function's declared schemas on each item's arguments and result.
 * @param shape - The function's output shape, to name an element's index in a ValidationError.
 * @param trace - The map's trace, when it is traced: the calls continue it.
 */
export async function callChunk(
  func: AnyPipeFunc,
  items: readonly ChunkItem[],
  validate = false,
  shape?: readonly number[],
  trace?: TraceCarrier,
): Promise<ItemResult[]> {
  const invoke: (values: readonly unknown[], index: number) => unknown = validate
    ? (values: readonly unknown[], index: number) =>
        callElement(func, values, [], true, shape ? unravelIndex(shape, index) : [])
    : invokerOf(func);
  if (trace) return callChunkTraced(func, items, invoke, shape, trace);
  const out: ItemResult[] = [];
  for (const item of items) {
    const start = performance.now();
    try {
      let value = invoke(item.values, item.index);
      if (isThenable(value)) value = await value;
      out.push({ index: item.index, ok: true, value, durationMs: performance.now() - start });
    } catch (error) {
      out.push({
        index: item.index,
        ok: false,
        error: serializeError(error),
        durationMs: performance.now() - start,
      });
    }
  }
  return out;
}
