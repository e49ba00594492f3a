import { callChunk } from "./call-chunk.ts";
import type { Chunk, Executor, ItemResult } from "./types.ts";

/**
 * Runs chunks in the calling thread. `map` does not go through it for its own `"inline"`
 * path (which calls functions directly, without chunks); it is here so a per-node executor map
 * can name it and as the reference other executors are compared with.
 */
export class InlineExecutor implements Executor {
  readonly name = "inline";
  readonly remote = false;

  submit(chunk: Chunk): Promise<ItemResult[]> {
    return callChunk(chunk.func, chunk.items, chunk.validate, chunk.shape, chunk.trace);
  }

  async close(): Promise<void> {}
}
