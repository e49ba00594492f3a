/**
 * What the coordinator and its workers exchange through BullMQ, in one place: a chunk job's
 * data, what a worker returns, how it refuses a job, and the pipeline's definition hash that
 * keeps workers of another version from mixing their results into a run.
 *
 * BullMQ stores job data and return values as JSON; argument values travel inside as V8
 * serialization (what worker threads use, so the same values cross) in base64. Results do not
 * travel in the job's return value, which BullMQ copies into the queue's events stream and
 * keeps there long after the run: a worker stores their V8 bytes under {@link resultKey}, and
 * the coordinator deletes the key as it reads them.
 */

import { createHash } from "node:crypto";
import { UnclonableValueError } from "../errors.ts";
import { describeKind, describeUnclonable, fromBytes, toBytes } from "../executor/clone.ts";
import { serializeError } from "../executor/error-data.ts";
import { type SharedArgument, shareWhole } from "../executor/shared-inputs.ts";
import { decode, encode } from "../executor/transfer.ts";
import type {
  Chunk,
  ChunkItem,
  ItemResult,
  SerializedError,
  WholeArgument,
  WorkerIdentity,
} from "../executor/types.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { describeFunction } from "../map/run-folder.ts";
import type { TraceCarrier } from "../otel/carrier.ts";

/**
 * Version of the job format; a worker refuses a job of another (pipeweave versions differ).
 * 2: results are stored under {@link resultKey}, for `keepMs`.
 * 3: a job carries what its elements need (`needs`), which only a worker that fits runs.
 * 4: an argument every element reads whole travels once per worker (`shared`), stored under
 *    {@link sharedKey}.
 */
export const PROTOCOL = 4;

/** BullMQ's name for every chunk job (the queue may hold other jobs; workers take all). */
export const JOB_NAME = "pipeweave-chunk";

/** The data of one chunk job. */
export interface ChunkJobData {
  readonly protocol: number;
  /** The pipeline's name, so a worker of another pipeline says so. */
  readonly pipeline: string;
  /** The coordinator's {@link definitionHash}. */
  readonly hash: string;
  /** The coordinator's run id: jobs of a run whose coordinator is gone are skipped. */
  readonly run: string;
  readonly node: string;
  /** The function's first output, which names it within the pipeline. */
  readonly output: string;
  readonly validate: boolean;
  readonly shape?: readonly number[];
  /** The items (`{ index, values }[]`, values encoded), V8-serialized, base64. */
  readonly items: string;
  /**
   * How long the worker keeps the results under {@link resultKey} for the coordinator, which
   * deletes them as it reads them; those of a coordinator that went away expire.
   */
  readonly keepMs: number;
  /** What each element needs (the chunk's resources a worker can offer), when anything. */
  readonly needs?: ChunkNeeds;
  /**
   * Arguments every item reads whole, left out of `items`: the worker reads each from
   * {@link sharedKey} the first time it meets its id, and keeps it for the run.
   */
  readonly shared?: readonly WholeArgument[];
  /** The map's trace, which the worker's calls continue, when it is traced. */
  readonly trace?: TraceCarrier;
}

/** The part of a chunk's resources a worker offers: cpus and memory. */
export interface ChunkNeeds {
  readonly cpus?: number;
  readonly memoryMb?: number;
}

/** What a worker offers (its `--cpus` and `--memory`), as its name advertises it. */
export interface WorkerSize {
  readonly cpus: number;
  readonly memoryMb: number;
}

/** The needs a worker checks, from a chunk's resources; undefined when it needs neither. */
export function needsOf(
  resources:
    | { readonly cpus: number | undefined; readonly memoryMb: number | undefined }
    | undefined,
): ChunkNeeds | undefined {
  if (resources?.cpus === undefined && resources?.memoryMb === undefined) return undefined;
  return {
    ...(resources.cpus === undefined ? {} : { cpus: resources.cpus }),
    ...(resources.memoryMb === undefined ? {} : { memoryMb: resources.memoryMb }),
  };
}

/** Whether a worker of `size` can run a chunk with `needs`. */
export function fits(needs: ChunkNeeds, size: WorkerSize): boolean {
  return (needs.cpus ?? 0) <= size.cpus && (needs.memoryMb ?? 0) <= size.memoryMb;
}

/**
 * A worker's name, `<host>:<pid>:<random>+c<cpus>+m<memoryMb>`: BullMQ names the worker's
 * Redis connection after it, so a coordinator listing the queue's clients learns each
 * worker's size, for exactly as long as the worker is connected.
 */
export function workerName(identity: WorkerIdentity, random: string, size: WorkerSize): string {
  return `${identity.host}:${identity.pid}:${random}+c${size.cpus}+m${size.memoryMb}`;
}

/** The size a worker's name advertises; undefined for a name without one. */
export function sizeOfWorker(name: string): WorkerSize | undefined {
  const found = /\+c(\d+)\+m(\d+)$/.exec(name);
  return found ? { cpus: Number(found[1]), memoryMb: Number(found[2]) } : undefined;
}

/** Needs or a size in words: `"4 cpus and 2048 MB of memory"`. */
export function describeNeeds(needs: ChunkNeeds): string {
  const parts: string[] = [];
  if (needs.cpus !== undefined) parts.push(`${needs.cpus} cpu${needs.cpus === 1 ? "" : "s"}`);
  if (needs.memoryMb !== undefined) parts.push(`${needs.memoryMb} MB of memory`);
  return parts.join(" and ");
}

/** What a worker returns for a chunk job. */
export type ChunkJobResult =
  | {
      /** The results are stored under {@link resultKey}: see {@link packResults}. */
      readonly kind: "stored";
      readonly host: string;
      readonly pid: number;
      /** Shared arguments the worker read from Redis for this job (absent: none). */
      readonly loaded?: number;
    }
  | {
      /** The job's run is over (its coordinator closed or stopped beating): nothing ran. */
      readonly kind: "skipped";
      readonly host: string;
      readonly pid: number;
    };

/** Why a worker refused a job. */
export type RefusalReason = "protocol" | "pipeline" | "version" | "function";

/** A worker's refusal of a job, as the job's failure reason (JSON). */
export interface Refusal {
  readonly pipeweave: "refused";
  readonly reason: RefusalReason;
  /** What is wrong and what to do, in words. */
  readonly message: string;
  /** The worker's definition hash. */
  readonly workerHash: string;
  readonly host: string;
  readonly pid: number;
}

/** Reads a job's failure reason back as a {@link Refusal}, if it is one. */
export function parseRefusal(reason: unknown): Refusal | undefined {
  if (typeof reason !== "string" || !reason.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(reason) as Partial<Refusal> | null;
    return value?.pipeweave === "refused" && typeof value.message === "string"
      ? (value as Refusal)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A pipeline's definition hash: of each function's name, inputs, outputs, mapspec and code
 * (source text, bound values, defaults, declared version and captures, the pipeline's
 * `captures` included), as run folders record them. Coordinator and workers compute it alike,
 * so a worker built from other code, or holding other declared values, refuses.
 *
 * `map` refuses a function that reads data it does not declare before queuing anything for
 * workers (see `Executor.isOutOfProcess`), so every value a function reads is covered. The
 * code of the helpers it calls and of the modules it imports is not: that is what `version`
 * is for.
 */
export function definitionHash(pipeline: {
  readonly name: string;
  readonly sortedFunctions: readonly AnyPipeFunc[];
}): string {
  const functions = pipeline.sortedFunctions.map(describeFunction);
  return createHash("sha256")
    .update(JSON.stringify({ name: pipeline.name, functions }))
    .digest("hex")
    .slice(0, 16);
}

/** The key whose presence says run `run` is alive (its coordinator refreshes it). */
export function runKey(toKey: (type: string) => string, run: string): string {
  return toKey(`pipeweave-run:${run}`);
}

/** The key a worker stores a job's results under, until its coordinator reads them. */
export function resultKey(toKey: (type: string) => string, jobId: string): string {
  return toKey(`pipeweave-result:${jobId}`);
}

/** The key a run's shared whole argument `id` is stored under, while the run lives. */
export function sharedKey(toKey: (type: string) => string, run: string, id: string): string {
  return toKey(`pipeweave-shared:${run}:${id}`);
}

/**
 * Packs a chunk's items for a job. Items with an argument that cannot travel (a function, a
 * socket) are not sent: each is an {@link UnclonableValueError} result naming the argument.
 *
 * With `memory` (the whole arguments serialized so far, by id), a large argument every item
 * reads whole is left out of the items and listed in `shared`; those serialized now are in
 * `made`, for the coordinator to store under {@link sharedKey}.
 *
 * @returns The base64 payload (undefined when no item can travel) and the refused items.
 */
export function packItems(
  chunk: Chunk,
  memory?: Map<string, Uint8Array | null>,
): {
  readonly payload: string | undefined;
  readonly refused: ItemResult[];
  readonly shared: readonly WholeArgument[];
  readonly made: readonly SharedArgument[];
} {
  const packed = memory
    ? shareWhole(chunk, memory, false)
    : {
        items: chunk.items.map((item) => ({ index: item.index, values: item.values.map(encode) })),
        shared: [],
        made: [],
      };
  const encoded: ChunkItem[] = packed.items;
  const shared = packed.shared.map(({ position, id }) => ({ position, id }));
  const { made } = packed;
  try {
    return { payload: toBytes(encoded).toString("base64"), refused: [], shared, made };
  } catch {
    // Some argument refuses: sort the items one by one below.
  }
  const refused: ItemResult[] = [];
  const sendable: ChunkItem[] = [];
  encoded.forEach((item, k) => {
    const at = item.values.findIndex((v) => !isSerializable(v));
    if (at < 0) {
      sendable.push(item);
      return;
    }
    const value = chunk.items[k]!.values[at];
    const argument = chunk.func.call.params[at]?.graph ?? `#${at}`;
    const type = describeUnclonable(value) ?? describeKind(value);
    const refusal = new UnclonableValueError(chunk.node, argument, type, "received", "redis");
    refused.push({ index: item.index, ok: false, error: serializeError(refusal) });
  });
  const payload = sendable.length > 0 ? toBytes(sendable).toString("base64") : undefined;
  return { payload, refused, shared, made };
}

/** Reads a job's items back, values decoded. */
export function unpackItems(payload: string): ChunkItem[] {
  const items = fromBytes(Buffer.from(payload, "base64")) as ChunkItem[];
  return items.map((item) => ({ index: item.index, values: item.values.map(decode) }));
}

/** Where a worker runs, attached to the errors it sends back. */
export type { WorkerIdentity };

/**
 * Packs a chunk's results for the trip back: the `ItemResult[]`, values encoded, as V8 bytes.
 * A result that cannot travel fails its own element with an {@link UnclonableValueError}
 * naming the output; every error carries the worker's host and pid (field `worker`) beside
 * its own stack.
 *
 * @param outputOf - The output a refused result belongs to.
 */
export function packResults(
  f: AnyPipeFunc,
  results: readonly ItemResult[],
  worker: WorkerIdentity,
  outputOf: (f: AnyPipeFunc, value: unknown) => string,
): Buffer {
  const encoded = results.map((r) =>
    r.ok ? { ...r, value: encode(r.value) } : { ...r, error: withWorker(r.error, worker) },
  );
  try {
    return toBytes(encoded);
  } catch {
    // Some result refuses: sort them one by one below.
  }
  const plain = encoded.map((r, k): ItemResult => {
    if (isSerializable(r)) return r;
    const original = results[k]!;
    if (original.ok) {
      const type = describeUnclonable(original.value) ?? describeKind(original.value);
      const refusal = new UnclonableValueError(
        f.name,
        outputOf(f, original.value),
        type,
        "returned",
        "redis",
      );
      return {
        index: r.index,
        ok: false,
        error: withWorker(serializeError(refusal), worker),
        durationMs: r.durationMs,
      };
    }
    // serializeError keeps only cloneable parts; a thrown value V8 refuses is a last resort.
    const { name, message, stack, code } = original.error;
    return { ...original, error: withWorker({ name, message, stack, code }, worker) };
  });
  return toBytes(plain);
}

/** Reads a job's results back, values decoded, each marked as run by `worker`. */
export function unpackResults(bytes: Buffer, worker: WorkerIdentity): ItemResult[] {
  const results = fromBytes(bytes) as ItemResult[];
  return results.map((r) => (r.ok ? { ...r, value: decode(r.value), worker } : { ...r, worker }));
}

/** The error with the worker's host and pid as field `worker` (a thrown non-Error has none). */
function withWorker(error: SerializedError, worker: WorkerIdentity): SerializedError {
  if (error.thrown || (error.fields && Object.hasOwn(error.fields, "worker"))) return error;
  // Without fields an error's code is rebuilt from `code`; with them, from the fields.
  const code = error.code !== undefined ? { code: error.code } : {};
  return {
    ...error,
    fields: { ...code, ...error.fields, worker: { host: worker.host, pid: worker.pid } },
  };
}

function isSerializable(value: unknown): boolean {
  try {
    toBytes(value);
    return true;
  } catch {
    return false;
  }
}
