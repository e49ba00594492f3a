/**
 * Entry of each worker thread of the threads executor: imports the module that declared the
 * pipeline, finds the function by its first output (names may repeat; outputs do not) and
 * calls it for every item of the chunk. Threads live across maps (the shared pool), so what a
 * thread imported stays cached for the next map of the same pipeline.
 */

import { pointFunction } from "../adaptive/point-function.ts";
import { UnclonableValueError } from "../errors.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import type { PipelineReference } from "../map/define.ts";
import { resolveReference } from "../map/define.ts";
import type { TraceCarrier } from "../otel/carrier.ts";
import { callChunk } from "./call-chunk.ts";
import { describeUnclonable, findUnclonable } from "./clone.ts";
import { restoreShared, type SharedArgument } from "./shared-inputs.ts";
import { decode, packResults, type ThreadReply } from "./transfer.ts";
import type { ChunkItem } from "./types.ts";
import { moduleFingerprint, prepareImport } from "./worker-runtime.ts";

/** What the coordinator posts for one chunk. */
export interface ThreadTask {
  readonly pipeline: PipelineReference;
  readonly node: string;
  readonly output: string;
  readonly items: readonly ChunkItem[];
  readonly validate: boolean;
  /** The function's output shape, to name an element's index in a ValidationError. */
  readonly shape: readonly number[] | undefined;
  /**
   * Fingerprint of the pipeline module's file as the coordinator first saw it, when it is a
   * file: a thread that finds another file there does not run it.
   */
  readonly fingerprint?: string | undefined;
  /** Arguments every item reads whole, left out of the items: sent as shared memory. */
  readonly shared?: readonly SharedArgument[];
  /** The map's trace, which the calls continue, when it is traced. */
  readonly trace?: TraceCarrier;
}

/** A thread's answer when the module's file is not the one the coordinator loaded. */
export interface StaleModule {
  readonly stale: {
    readonly module: string;
    readonly coordinator: string;
    readonly worker: string;
  };
}

/** What a thread answers for one chunk. */
export type ThreadAnswer = ThreadReply | StaleModule;

const functions = new Map<string, AnyPipeFunc>();
/** Each module's file fingerprint when this thread first imported it. */
const fingerprints = new Map<string, string | undefined>();

async function functionOf(task: ThreadTask): Promise<AnyPipeFunc | StaleModule> {
  const key = `${task.pipeline.module}#${task.pipeline.name}#${task.output}`;
  let f = functions.get(key);
  if (!f) {
    const { module } = task.pipeline;
    // Read before the import, so it describes what the import loads (cached after that).
    if (!fingerprints.has(module)) fingerprints.set(module, moduleFingerprint(module));
    const found = fingerprints.get(module);
    if (task.fingerprint !== undefined && found !== undefined && found !== task.fingerprint) {
      return { stale: { module, coordinator: task.fingerprint, worker: found } };
    }
    await prepareImport(module);
    const pipeline = await resolveReference(task.pipeline);
    f =
      pipeline.sortedFunctions.find((fn) => fn.outputs[0] === task.output) ??
      pointFunction(pipeline, task.output);
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
export default async function runTask(task: ThreadTask): Promise<ThreadAnswer> {
  const f = await functionOf(task);
  if ("stale" in f) return f;
  const decoded = task.items.map((item) => ({
    index: item.index,
    values: item.values.map(decode),
  }));
  const { items, loaded } = restoreShared(decoded, task.shared);
  const results = await callChunk(f, items, task.validate, task.shape, task.trace);
  return packResults(
    results,
    (value) =>
      new UnclonableValueError(
        f.name,
        outputOf(f, value),
        describeUnclonable(value) ?? "a value",
        "returned",
      ),
    loaded,
  );
}

/**
 * The output a refused result belongs to: the function's only output, or, for a function with
 * several, the one whose part of the result (by key or position) holds what refused.
 */
export function outputOf(f: AnyPipeFunc, value: unknown): string {
  if (f.outputs.length === 1) return f.outputs[0]!;
  const first = findUnclonable(value)?.path[0];
  if (typeof first === "string" && f.outputs.includes(first)) return first;
  if (typeof first === "number" && first < f.outputs.length) return f.outputs[first]!;
  return f.outputs.join(", ");
}
