import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { clip } from "../_internal/bounded-text.ts";
import { thrownMessage } from "../_internal/thrown-message.ts";
import type { ProgressListener } from "../map/events.ts";
import type { NodeLayout } from "../map/layout.ts";
import { isDiskFull, rewriteInPlace } from "../map/run-folder-files.ts";
import { writeFileAtomicSync } from "../map/storage/file.ts";
import {
  type ElementErrorStatus,
  type FunctionStatus,
  LATEST_ERRORS,
  type RunStatus,
  type WorkerStatus,
} from "./types.ts";

/** The run status file's name inside a run folder. */
export const STATUS_FILE = "status.json";

/** While a run goes, its status file is rewritten at least this often, changed or not. */
export const HEARTBEAT_MS = 2000;

/** How often the heartbeat timer wakes up to look for changes. */
const TICK_MS = 1000;

/** Characters of an error's message kept in the status file. */
const ERROR_CHARS = 4000;

/** Characters of a failed element's message kept. */
const ELEMENT_ERROR_CHARS = 1000;

/** A function about to run in a sweep, as the status writer lists it before it starts. */
export interface PlannedFunction {
  readonly name: string;
  readonly outputs: readonly string[];
  /** Its element count, or undefined while an axis it runs along has no length yet. */
  readonly total: number | undefined;
}

/**
 * The functions a sweep will run, in order, with the element counts known before it starts:
 * a function called once counts 1 (a generator too), a mapped one the product of its axes'
 * lengths when every one is known (an axis a generator makes is not, until it has run).
 */
export function plannedFunctions(
  nodes: readonly NodeLayout[],
  axisLengths: ReadonlyMap<string, number>,
): PlannedFunction[] {
  return nodes.map((node) => {
    let total: number | undefined = 1;
    if (node.spec && !node.spec.generates) {
      for (const d of node.elementDims) {
        const length = axisLengths.get(d);
        total = total === undefined || length === undefined ? undefined : total * length;
      }
    }
    return { name: node.func.name, outputs: node.func.outputs, total };
  });
}

/** How a run ended. */
export type EndState = "done" | "failed" | "aborted";

/** A {@link ProgressListener} that keeps a run folder's `status.json` up to date. */
export interface StatusWriter extends ProgressListener {
  /** Writes the final status and stops the heartbeat; the run is over. */
  finish(state: EndState, error?: unknown): void;
  /** The status now, as the file would hold it. */
  snapshot(): RunStatus;
}

/** What {@link createStatusWriter} needs. */
export interface StatusWriterOptions {
  /** The run folder; without one nothing is written and only {@link StatusWriter.snapshot} tells. */
  readonly runFolder?: string | undefined;
  /** The pipeline's name. */
  readonly pipeline: string;
  /** The functions the sweep runs, in order. */
  readonly functions: readonly PlannedFunction[];
}

interface Entry {
  readonly name: string;
  readonly outputs: readonly string[];
  state: FunctionStatus["state"];
  done: number;
  failed: number;
  skipped: number;
  total: number;
  isTotalKnown: boolean;
  startedAt: number;
  endedAt: number;
  /** Elements this process computed for it (the pace of its ETA). */
  computed: number;
}

/**
 * Starts the run status of a sweep: writes `<runFolder>/status.json` now (every function
 * pending), whenever a function starts or ends, on a heartbeat at least every
 * {@link HEARTBEAT_MS} while the run goes (so its `updatedAt` tells a live run from one whose
 * process is gone), and once more when {@link StatusWriter.finish} is called. Every write
 * goes to a temporary file renamed into place, so a reader never sees half a file.
 *
 * A write that fails (disk full, folder removed) does not fail the run: the results matter
 * more than their status. It is reported once as a `PIPEWEAVE_STATUS_WRITE` warning. On a
 * full disk the final status is written over the file in place (it fits in compact form).
 */
export function createStatusWriter(options: StatusWriterOptions): StatusWriter {
  const runFolder = options.runFolder === undefined ? "" : resolve(options.runFolder);
  const path = runFolder === "" ? undefined : join(runFolder, STATUS_FILE);
  const host = hostname();
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const entries = options.functions.map(
    (f): Entry => ({
      name: f.name,
      outputs: f.outputs,
      state: "pending",
      done: 0,
      failed: 0,
      skipped: 0,
      total: f.total ?? 0,
      isTotalKnown: f.total !== undefined,
      startedAt: 0,
      endedAt: 0,
      computed: 0,
    }),
  );
  const byName = new Map(entries.map((e) => [e.name, e]));
  // The worker processes that ran elements, by "host:pid", in the order they first answered.
  const workers = new Map<string, { -readonly [K in keyof WorkerStatus]: WorkerStatus[K] }>();
  let state: EndState | "running" = "running";
  let error: string | undefined;
  const latestErrors: ElementErrorStatus[] = [];
  let failedElements = 0;
  let skippedElements = 0;
  // Elements this process computed (not those a resumed run found stored): the rate for the ETA.
  let computed = 0;
  let lastWrite = 0;
  let isDirty = false;
  let hasWarned = false;

  // A running function's own pace: elements it computed over the time since it started.
  const functionEta = (e: Entry, now: number): number | null => {
    if (state !== "running" || e.state !== "running" || e.computed === 0) return null;
    const remaining = Math.max(0, e.total - settled(e));
    return Math.round((remaining * Math.max(1, now - e.startedAt)) / e.computed);
  };

  // Functions running side by side end together at the latest one's own pace; those still
  // pending follow, at the run's pace so far.
  const eta = (now: number): number | null => {
    if (state !== "running" || computed === 0) return null;
    let running = 0;
    let pending = 0;
    for (const e of entries) {
      if (e.state === "done" || e.state === "failed") continue;
      if (!e.isTotalKnown) return null;
      const own = functionEta(e, now);
      const remaining = Math.max(0, e.total - settled(e));
      if (own !== null) running = Math.max(running, own);
      else pending += (remaining * Math.max(1, now - started)) / computed;
    }
    return Math.round(running + pending);
  };

  const snapshot = (now: number): RunStatus => ({
    format: 1,
    runFolder,
    pipeline: options.pipeline,
    state,
    pid: process.pid,
    host,
    startedAt,
    updatedAt: new Date(now).toISOString(),
    elapsedMs: now - started,
    etaMs: eta(now),
    functions: entries.map((e) => ({
      name: e.name,
      outputs: e.outputs,
      state: e.state,
      done: e.done,
      failed: e.failed,
      skipped: e.skipped,
      total: e.total,
      elapsedMs: e.state === "pending" ? 0 : (e.endedAt || now) - e.startedAt,
      etaMs: functionEta(e, now),
    })),
    ...(workers.size === 0 ? {} : { workers: [...workers.values()].map((w) => ({ ...w })) }),
    ...(error === undefined ? {} : { error }),
    ...(failedElements === 0 ? {} : { failedElements, errors: latestErrors.slice() }),
    ...(skippedElements === 0 ? {} : { skippedElements }),
  });

  const write = (isFinal = false) => {
    if (path === undefined) return;
    const now = Date.now();
    lastWrite = now;
    isDirty = false;
    const status = snapshot(now);
    try {
      writeFileAtomicSync(path, `${JSON.stringify(status, null, 2)}\n`);
    } catch (cause) {
      // A run stopped by a full disk still records how it ended: in place, compact.
      if (isFinal && isDiskFull(cause) && rewriteInPlace(path, JSON.stringify(status))) return;
      if (hasWarned) return;
      hasWarned = true;
      process.emitWarning(
        `Could not write the run status "${path}" (${String(cause)}); the run goes on, but ` +
          "`pipeweave status` will not show its progress.",
        { code: "PIPEWEAVE_STATUS_WRITE" },
      );
    }
  };

  // The heartbeat: a quiet run is rewritten anyway, so a reader can tell it is alive.
  const timer =
    path === undefined
      ? undefined
      : setInterval(() => {
          if (isDirty || Date.now() - lastWrite >= HEARTBEAT_MS - TICK_MS / 2) write();
        }, TICK_MS);
  timer?.unref();
  write();

  return {
    onNodeStart(node, total, done) {
      const e = byName.get(node);
      if (!e) return;
      e.state = "running";
      e.total = total;
      e.isTotalKnown = true;
      e.done = done;
      e.failed = 0;
      e.skipped = 0;
      e.startedAt = Date.now();
      write();
    },
    onProgress(node, done, failed, skipped) {
      const e = byName.get(node);
      if (!e) return;
      e.done += done - failed - skipped;
      e.failed += failed;
      e.skipped += skipped;
      skippedElements += skipped;
      computed += done;
      e.computed += done;
      isDirty = true;
      // An event loop kept busy between events still gets its heartbeat.
      if (Date.now() - lastWrite >= HEARTBEAT_MS) write();
    },
    onRemote(_node, worker, elements) {
      const key = `${worker.host}:${worker.pid}`;
      const w = workers.get(key);
      if (w) w.elements += elements;
      else workers.set(key, { host: worker.host, pid: worker.pid, elements });
      isDirty = true;
    },
    onError(node, index, reason) {
      failedElements++;
      if (latestErrors.length === LATEST_ERRORS) latestErrors.shift();
      latestErrors.push({
        name: node,
        index: index.slice(),
        message: clip(thrownMessage(reason), ELEMENT_ERROR_CHARS),
        at: new Date().toISOString(),
      });
      isDirty = true;
    },
    onNodeEnd(node) {
      const e = byName.get(node);
      if (!e) return;
      e.state = "done";
      e.endedAt = Date.now();
      write();
    },
    snapshot: () => snapshot(Date.now()),
    finish(end, reason) {
      clearInterval(timer);
      if (state !== "running") return;
      if (end !== "done") {
        // The function that was running, that the error names, or that stopped short of its
        // total (the failure or abort came as it ended) did not finish.
        const culprit = nodeOf(reason);
        const now = Date.now();
        for (const e of entries) {
          const isShort = e.state === "done" && settled(e) < e.total;
          if (e.state === "running" || isShort || (e.name === culprit && e.state === "done")) {
            e.state = "failed";
            e.endedAt ||= now;
          }
        }
        error = clip(thrownMessage(reason), ERROR_CHARS);
      }
      state = end;
      write(true);
    },
  };
}

/** Elements of a function that are settled: computed, failed or skipped. */
function settled(e: Entry): number {
  return e.done + e.failed + e.skipped;
}

/** The function an error names (pipeweave errors carry it as `node`). */
function nodeOf(error: unknown): string | undefined {
  const node = (error as { node?: unknown } | null | undefined)?.node;
  return typeof node === "string" ? node : undefined;
}
