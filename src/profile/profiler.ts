import { memoryUsage, resourceUsage } from "node:process";
import { setOwn } from "../_internal/own.ts";
import type { NodeCall, RunListener } from "../graph/events.ts";
import { GcPeaks } from "./gc-peaks.ts";

/**
 * Profiling figures of one function, accumulated over its calls.
 *
 * Memory figures are the largest over the calls, each taken on its own (so one call's
 * `heapDeltaBytes` and another's `arrayBufferDeltaBytes` may make up the maxima). A delta is
 * the use at a call's end minus at its start, negative when a collection during the call freed
 * more than it kept; a peak is the highest use during the call minus the use at its start. All
 * of them are read from the whole process: calls that overlap (async functions running
 * concurrently, sweep elements in flight together) each see the others' allocations, and a
 * collection during a call may free what earlier calls left behind. V8 releases the
 * ArrayBuffers a collection freed in a background sweep shortly after it, so they may still
 * count at the end of the call that dropped them.
 */
export interface ProfileStats {
  /** Completed calls (successful and failed). */
  readonly calls: number;
  /**
   * Calls that ran on another thread or machine (a `map` executor). They count in `calls`,
   * `errors` and the wall times (measured where they ran) but not in CPU time or memory, which
   * are read in this process; when every call ran elsewhere those figures are NaN.
   */
  readonly remoteCalls: number;
  /** Wall time of all calls, milliseconds. */
  readonly totalMs: number;
  /** Mean wall time per call, milliseconds. */
  readonly meanMs: number;
  /** Longest call, milliseconds. */
  readonly maxMs: number;
  /** User CPU time of all calls, milliseconds (process-wide while the call ran). */
  readonly cpuUserMs: number;
  /** System CPU time of all calls, milliseconds (process-wide while the call ran). */
  readonly cpuSystemMs: number;
  /**
   * Largest growth of the V8 heap (`memoryUsage().heapUsed`) over one call, bytes. Leaves out
   * ArrayBuffer and Buffer contents, which live outside the heap: see `memoryDeltaBytes`.
   */
  readonly heapDeltaBytes: number;
  /**
   * Largest rise of the V8 heap above its use at a call's start during one call, bytes,
   * including garbage a collection freed before the call returned.
   */
  readonly peakHeapBytes: number;
  /**
   * Largest growth of ArrayBuffer and SharedArrayBuffer contents, typed arrays and Buffers
   * included (`memoryUsage().arrayBuffers`), over one call, bytes.
   */
  readonly arrayBufferDeltaBytes: number;
  /**
   * Largest growth over one call of the memory JavaScript holds: the V8 heap plus external
   * memory (`heapUsed + external`; `external` counts ArrayBuffer contents and other native
   * memory tied to JavaScript objects), bytes. A function returning a new
   * `Float64Array(10_000_000)` shows about 76 MiB. The `ΔMem` of the printed memory line.
   */
  readonly memoryDeltaBytes: number;
  /**
   * Largest rise during one call of the V8 heap plus external memory above its level at the
   * call's start, bytes: the `Peak` of the printed memory line. Exact for memory that only a
   * collection frees (objects, ArrayBuffers), read just before each collection during the
   * call; native memory freed explicitly between collections (a closed zlib stream) is missed.
   */
  readonly peakMemoryBytes: number;
  /**
   * Largest growth of the process's resident set size (`memoryUsage().rss`) over one call,
   * bytes. Counts memory pages the call touched, wherever they were allocated (heap, buffers,
   * native code), but only once they are written: a new, untouched `Float64Array` may add
   * nothing. Memory freed during the call may stay resident, or may shrink RSS below its start.
   */
  readonly rssDeltaBytes: number;
  /**
   * Largest rise of the process's resident set size above its level at a call's start during
   * one call, bytes, read from the kernel's high-water mark (`resourceUsage().maxRSS`). Exact
   * when the call took the process to a new high; when the high was set before the call, only
   * its start and end are known, and the figure uses the larger of the two (a lower bound).
   */
  readonly peakRssBytes: number;
  /** Calls that threw. */
  readonly errors: number;
}

interface Running {
  readonly userMicros: number;
  readonly systemMicros: number;
  readonly heap: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly rss: number;
  readonly maxRss: number;
  readonly gcMark: number;
}

/** The figures of a function whose every call ran elsewhere. */
const NOT_MEASURED = {
  cpuUserMs: Number.NaN,
  cpuSystemMs: Number.NaN,
  heapDeltaBytes: Number.NaN,
  peakHeapBytes: Number.NaN,
  arrayBufferDeltaBytes: Number.NaN,
  memoryDeltaBytes: Number.NaN,
  peakMemoryBytes: Number.NaN,
  rssDeltaBytes: Number.NaN,
  peakRssBytes: Number.NaN,
} as const;

interface Totals {
  calls: number;
  remoteCalls: number;
  totalMs: number;
  maxMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  heapDeltaBytes: number;
  peakHeapBytes: number;
  arrayBufferDeltaBytes: number;
  memoryDeltaBytes: number;
  peakMemoryBytes: number;
  rssDeltaBytes: number;
  peakRssBytes: number;
  errors: number;
}

/**
 * Records wall time, CPU time and memory per function: the V8 heap, ArrayBuffers and other
 * external memory, and resident memory. Peaks include what a garbage collection during the
 * call freed: V8's GC profiler reports memory use before each collection, which plain
 * before/after sampling would miss. Each call costs one `memoryUsage()` and one
 * `resourceUsage()` (CPU time and the RSS high-water mark) at its start and end, and a read of
 * the GC profiler (see {@link GcPeaks}). Calls that ran elsewhere (`NodeCall.remote`) are
 * counted, but nothing is sampled for them.
 */
export class Profiler {
  readonly #totals = new Map<string, Totals>();
  /** The key of each function's figures: its name, made unique when two functions share one. */
  readonly #labels = new Map<NodeCall["node"], string>();
  readonly #running = new WeakMap<NodeCall, Running>();
  readonly #gc = new GcPeaks();

  /** @param all - Profile every function; else only those declared with `profile: true`. */
  constructor(all: boolean) {
    this.listener = {
      filter: all ? undefined : (node) => node.profile,
      onNodeStart: (call) => {
        // A call that ran elsewhere is reported once it is over: nothing here to sample.
        if (call.remote === true) return;
        const gcMark = this.#gc.begin();
        const memory = memoryUsage();
        // Last, so that the measuring above is not counted as the call's CPU time.
        const usage = resourceUsage();
        this.#running.set(call, {
          userMicros: usage.userCPUTime,
          systemMicros: usage.systemCPUTime,
          heap: memory.heapUsed,
          external: memory.external,
          arrayBuffers: memory.arrayBuffers,
          rss: memory.rss,
          maxRss: usage.maxRSS * 1024,
          gcMark,
        });
      },
      onNodeEnd: (call) => this.#finish(call, false),
      onNodeError: (call) => this.#finish(call, true),
    };
  }

  /** The listener to attach to the engine. */
  readonly listener: RunListener;

  #finish(call: NodeCall, failed: boolean): void {
    if (call.remote === true) {
      const t = this.#count(call, failed);
      t.remoteCalls++;
      return;
    }
    const running = this.#running.get(call);
    if (!running) return;
    this.#running.delete(call);
    const usage = resourceUsage();
    const memory = memoryUsage();
    const gc = this.#gc.end(running.gcMark);

    const totalStart = running.heap + running.external;
    const totalEnd = memory.heapUsed + memory.external;
    // A high-water mark that rose during the call was set by it; else only the ends are known.
    const maxRss = usage.maxRSS * 1024;
    const rssHigh = Math.max(maxRss > running.maxRss ? maxRss : 0, memory.rss, running.rss);

    const t = this.#count(call, failed);
    t.cpuUserMs += (usage.userCPUTime - running.userMicros) / 1000;
    t.cpuSystemMs += (usage.systemCPUTime - running.systemMicros) / 1000;
    t.heapDeltaBytes = Math.max(t.heapDeltaBytes, memory.heapUsed - running.heap);
    t.peakHeapBytes = Math.max(
      t.peakHeapBytes,
      Math.max(memory.heapUsed, running.heap, gc.heap) - running.heap,
    );
    t.arrayBufferDeltaBytes = Math.max(
      t.arrayBufferDeltaBytes,
      memory.arrayBuffers - running.arrayBuffers,
    );
    t.memoryDeltaBytes = Math.max(t.memoryDeltaBytes, totalEnd - totalStart);
    t.peakMemoryBytes = Math.max(
      t.peakMemoryBytes,
      Math.max(totalEnd, totalStart, gc.total) - totalStart,
    );
    t.rssDeltaBytes = Math.max(t.rssDeltaBytes, memory.rss - running.rss);
    t.peakRssBytes = Math.max(t.peakRssBytes, rssHigh - running.rss);
  }

  /** Counts a settled call and its wall time; returns its function's totals. */
  #count(call: NodeCall, failed: boolean): Totals {
    const label = this.#label(call.node);
    let t = this.#totals.get(label);
    if (!t) {
      t = {
        calls: 0,
        remoteCalls: 0,
        totalMs: 0,
        maxMs: 0,
        cpuUserMs: 0,
        cpuSystemMs: 0,
        heapDeltaBytes: Number.NEGATIVE_INFINITY,
        peakHeapBytes: 0,
        arrayBufferDeltaBytes: Number.NEGATIVE_INFINITY,
        memoryDeltaBytes: Number.NEGATIVE_INFINITY,
        peakMemoryBytes: 0,
        rssDeltaBytes: Number.NEGATIVE_INFINITY,
        peakRssBytes: 0,
        errors: 0,
      };
      this.#totals.set(label, t);
    }
    t.calls++;
    t.totalMs += call.durationMs;
    t.maxMs = Math.max(t.maxMs, call.durationMs);
    if (failed) t.errors++;
    return t;
  }

  /**
   * Two functions may share a name (one function used twice): the second is keyed
   * `name (→ output)`, so their figures never merge.
   */
  #label(node: NodeCall["node"]): string {
    let label = this.#labels.get(node);
    if (label === undefined) {
      const taken = new Set(this.#labels.values());
      label = node.name;
      if (taken.has(label)) label = `${node.name} (→ ${node.outputs.join(", ") || "side effect"})`;
      for (let n = 2; taken.has(label); n++) label = `${node.name} (#${n})`;
      this.#labels.set(node, label);
    }
    return label;
  }

  /** Figures per function name, in the order functions first completed. */
  stats(): Record<string, ProfileStats> {
    const out: Record<string, ProfileStats> = {};
    for (const [name, t] of this.#totals) {
      const stats = { ...t, meanMs: t.totalMs / t.calls };
      setOwn(out, name, t.calls > t.remoteCalls ? stats : { ...stats, ...NOT_MEASURED });
    }
    return out;
  }
}

const MIB = 1024 * 1024;
/** Fixed-point, or "n/a" for a figure not measured in this process. */
const fixed = (value: number, digits: number) =>
  Number.isNaN(value) ? "n/a" : value.toFixed(digits);
const mib = (bytes: number) => fixed(bytes / MIB, 2);

/**
 * Formats profiling figures as a table followed by linepipe's per-node memory lines,
 * `[node] ΔMem: 0.94 MiB | Peak: 0.94 MiB`, where ΔMem is `memoryDeltaBytes` (heap plus
 * ArrayBuffers and other external memory left allocated by a call) and Peak is
 * `peakMemoryBytes`. The table's memory columns are `heapDeltaBytes`, `arrayBufferDeltaBytes`,
 * `rssDeltaBytes` and `peakRssBytes`, in MiB; a figure not measured here reads "n/a".
 */
export function printProfilingStats(stats: Readonly<Record<string, ProfileStats>>): string {
  const names = Object.keys(stats);
  if (names.length === 0) {
    return "No profiling data: pass { profile: true } to the pipeline or to a function, then run it.";
  }
  const header = [
    "node",
    "calls",
    "total ms",
    "mean ms",
    "max ms",
    "cpu ms",
    "errors",
    "Δheap MiB",
    "Δbuffers MiB",
    "Δrss MiB",
    "rss peak MiB",
  ];
  const rows = names.map((name) => {
    const s = stats[name]!;
    return [
      name,
      String(s.calls),
      s.totalMs.toFixed(3),
      s.meanMs.toFixed(3),
      s.maxMs.toFixed(3),
      fixed(s.cpuUserMs + s.cpuSystemMs, 3),
      String(s.errors),
      mib(s.heapDeltaBytes),
      mib(s.arrayBufferDeltaBytes),
      mib(s.rssDeltaBytes),
      mib(s.peakRssBytes),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const memory = names.map((name) => {
    const s = stats[name]!;
    return Number.isNaN(s.memoryDeltaBytes)
      ? `[${name}] ΔMem: n/a | Peak: n/a (every call ran on another thread or machine)`
      : `[${name}] ΔMem: ${mib(s.memoryDeltaBytes)} MiB | Peak: ${mib(s.peakMemoryBytes)} MiB`;
  });
  return [
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    ...memory,
  ].join("\n");
}
