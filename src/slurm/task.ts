/**
 * What the coordinator keeps of each array task it follows, of each submission it gathers,
 * and how it reads the result files tasks write.
 */

import { readFileSync } from "node:fs";
import { fromBytes } from "../executor/clone.ts";
import type { ResolvedResources } from "../executor/resources.ts";
import { decode } from "../executor/transfer.ts";
import type { ChunkItem, ItemResult, WorkerIdentity } from "../executor/types.ts";
import type { PipelineReference } from "../map/define.ts";
import type { TraceCarrier } from "../otel/carrier.ts";
import type { JobDescription } from "./job-folder.ts";

/** One array task the coordinator follows. */
export interface Task {
  readonly dir: string;
  readonly task: number;
  readonly output: string;
  readonly node: string;
  readonly shape: readonly number[] | undefined;
  readonly elements: readonly number[];
  readonly resources: ResolvedResources | undefined;
  readonly job: JobDescription;
  readonly ref: PipelineReference;
  jobId: string | undefined;
  readonly received: Set<number>;
  readonly readParts: Set<string>;
  /** The last state squeue gave, and its reason. */
  state: string;
  reason: string;
  /** When SLURM first said it completed while its end marker was missing. */
  completedSince?: number;
  /** Polls in a row in which squeue did not list it. */
  unlisted: number;
}

/** Chunks gathered for one submission: same function, same resources. */
export interface Outgoing {
  readonly output: string;
  readonly node: string;
  readonly shape: readonly number[] | undefined;
  readonly validate: boolean;
  readonly resources: ResolvedResources | undefined;
  readonly ref: PipelineReference;
  readonly hash: string;
  readonly pipeline: string;
  readonly attempt: number;
  readonly tasks: ChunkItem[][];
  /** Each task's trace (its chunk's), when the map is traced. */
  readonly traces: (TraceCarrier | undefined)[];
}

/**
 * The results a task's result file holds, and the worker they name; undefined for a file
 * that cannot be read (written whole then linked: unreadable only if damaged, so its
 * elements count as missing). Values are still encoded: see {@link decodeResult}.
 */
export function readResultFile(
  file: string,
): { readonly results: ItemResult[]; readonly worker: WorkerIdentity | undefined } | undefined {
  let results: ItemResult[];
  try {
    results = fromBytes(readFileSync(file)) as ItemResult[];
  } catch {
    return undefined;
  }
  return { results, worker: workerOf(results) };
}

/** A result as the map takes it: its value decoded, with the worker that ran it. */
export function decodeResult(r: ItemResult, worker: WorkerIdentity | undefined): ItemResult {
  const base = r.ok ? { ...r, value: decode(r.value) } : r;
  return worker ? { ...base, worker } : base;
}

/** Orders `<task>.<part>.v8` files by part. */
export function byPart(a: string, b: string): number {
  return partOf(a) - partOf(b);
}

function partOf(file: string): number {
  return Number(/\.(\d+)\.v8$/.exec(file)?.[1] ?? 0);
}

/** The worker a packed result names (its errors carry it; values do not): see packResults. */
function workerOf(results: readonly ItemResult[]): WorkerIdentity | undefined {
  for (const r of results) {
    if (r.ok) continue;
    const w = r.error.fields?.worker as WorkerIdentity | undefined;
    if (w) return w;
  }
  return undefined;
}
