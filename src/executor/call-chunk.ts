import { isThenable } from "../graph/engine.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { invokerOf } from "./invoke.ts";
import { type ChunkItem, type ItemResult, serializeError } from "./types.ts";

/** Calls `func` for each item in turn, capturing errors per item. Shared by every executor. */
export async function callChunk(
  func: AnyPipeFunc,
  items: readonly ChunkItem[],
): Promise<ItemResult[]> {
  const invoke = invokerOf(func);
  const out: ItemResult[] = [];
  for (const item of items) {
    try {
      let value = invoke(item.values);
      if (isThenable(value)) value = await value;
      out.push({ index: item.index, ok: true, value });
    } catch (error) {
      out.push({ index: item.index, ok: false, error: serializeError(error) });
    }
  }
  return out;
}
