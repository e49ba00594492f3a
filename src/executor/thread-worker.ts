/**
 * Entry of each worker thread of the threads executor: imports the module that declared the
 * pipeline, finds the function by its first output (names may repeat; outputs do not) and
 * calls it for every item of the chunk.
 */
import type { AnyPipeFunc } from "../graph/types.ts";
import type { PipelineReference } from "../map/define.ts";
import { resolveReference } from "../map/define.ts";
import { callChunk } from "./call-chunk.ts";
import { decode, encode } from "./transfer.ts";
import type { ChunkItem, ItemResult } from "./types.ts";
import { prepareImport } from "./worker-runtime.ts";

/** What the coordinator posts for one chunk. */
export interface ThreadTask {
  readonly pipeline: PipelineReference;
  readonly node: string;
  readonly output: string;
  readonly items: readonly ChunkItem[];
  readonly validate: boolean;
}

const functions = new Map<string, AnyPipeFunc>();

async function functionOf(task: ThreadTask): Promise<AnyPipeFunc> {
  const key = `${task.pipeline.module}#${task.pipeline.name}#${task.output}`;
  let f = functions.get(key);
  if (!f) {
    await prepareImport(task.pipeline.module);
    const pipeline = await resolveReference(task.pipeline);
    f = pipeline.functions.find((fn) => fn.outputs[0] === task.output);
    if (!f) {
      throw new TypeError(
        `Pipeline "${task.pipeline.name}" in ${task.pipeline.module} has no function "${task.node}" ` +
          `with output "${task.output}": the module builds another pipeline in this thread. ` +
          "Build it the same way in every thread (no randomness or environment in the factory).",
      );
    }
    functions.set(key, f);
  }
  return f;
}

/** Runs one chunk. */
export default async function runTask(task: ThreadTask): Promise<ItemResult[]> {
  const f = await functionOf(task);
  const items = task.items.map((item) => ({ index: item.index, values: item.values.map(decode) }));
  const results = await callChunk(f, items, task.validate);
  return results.map((r) => (r.ok ? { ...r, value: encode(r.value) } : r));
}
