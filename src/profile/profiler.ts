import { cpuUsage, memoryUsage } from "node:process";
import { GCProfiler } from "node:v8";
import type { NodeCall, RunListener } from "../graph/events.ts";

/** Profiling figures of one function, accumulated over its calls. */
export interface ProfileStats {
  /** Completed calls (successful and failed). */
  readonly calls: number;
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
  /** Largest heap growth of one call (heap used at its end minus at its start), bytes. */
  readonly heapDeltaBytes: number;
  /** Largest heap peak of one call above the heap used at its start, bytes. */
  readonly peakHeapBytes: number;
  /** Calls that threw. */
  readonly errors: number;
}

interface Running {
  readonly heap: number;
  readonly cpu: NodeJS.CpuUsage;
  readonly gc: GCProfiler;
}

interface Totals {
  calls: number;
  totalMs: number;
  maxMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  heapDeltaBytes: number;
  peakHeapBytes: number;
  errors: number;
}

/**
 * Records wall time, CPU time and heap use per function. The heap peak includes what a
 * garbage collection during the call freed: V8's GC profiler reports the heap size before
 * each collection, which plain before/after sampling would miss.
 */
export class Profiler {
  readonly #totals = new Map<string, Totals>();
  readonly #running = new WeakMap<NodeCall, Running>();

  /** @param all - Profile every function; else only those declared with `profile: true`. */
  constructor(all: boolean) {
    this.listener = {
      filter: all ? undefined : (node) => node.profile,
      onNodeStart: (call) => {
        const gc = new GCProfiler();
        gc.start();
        this.#running.set(call, { heap: memoryUsage().heapUsed, cpu: cpuUsage(), gc });
      },
      onNodeEnd: (call) => this.#finish(call, false),
      onNodeError: (call) => this.#finish(call, true),
    };
  }

  /** The listener to attach to the engine. */
  readonly listener: RunListener;

  #finish(call: NodeCall, failed: boolean): void {
    const running = this.#running.get(call);
    if (!running) return;
    this.#running.delete(call);
    const cpu = cpuUsage(running.cpu);
    const heapEnd = memoryUsage().heapUsed;
    let peak = Math.max(heapEnd, running.heap);
    for (const gc of running.gc.stop()?.statistics ?? []) {
      peak = Math.max(peak, gc.beforeGC.heapStatistics.usedHeapSize);
    }
    let t = this.#totals.get(call.node.name);
    if (!t) {
      t = {
        calls: 0,
        totalMs: 0,
        maxMs: 0,
        cpuUserMs: 0,
        cpuSystemMs: 0,
        heapDeltaBytes: Number.NEGATIVE_INFINITY,
        peakHeapBytes: 0,
        errors: 0,
      };
      this.#totals.set(call.node.name, t);
    }
    t.calls++;
    t.totalMs += call.durationMs;
    t.maxMs = Math.max(t.maxMs, call.durationMs);
    t.cpuUserMs += cpu.user / 1000;
    t.cpuSystemMs += cpu.system / 1000;
    t.heapDeltaBytes = Math.max(t.heapDeltaBytes, heapEnd - running.heap);
    t.peakHeapBytes = Math.max(t.peakHeapBytes, peak - running.heap);
    if (failed) t.errors++;
  }

  /** Figures per function name, in the order functions first completed. */
  stats(): Record<string, ProfileStats> {
    const out: Record<string, ProfileStats> = {};
    for (const [name, t] of this.#totals) {
      out[name] = { ...t, meanMs: t.totalMs / t.calls };
    }
    return out;
  }
}

const MIB = 1024 * 1024;

/**
 * Formats profiling figures as a table followed by linepipe's per-node memory lines,
 * `[node] ΔMem: 0.94 MiB | Peak: 0.94 MiB`.
 */
export function printProfilingStats(stats: Readonly<Record<string, ProfileStats>>): string {
  const names = Object.keys(stats);
  if (names.length === 0) {
    return "No profiling data: pass { profile: true } to the pipeline or to a function, then run it.";
  }
  const header = ["node", "calls", "total ms", "mean ms", "max ms", "cpu ms", "errors"];
  const rows = names.map((name) => {
    const s = stats[name]!;
    return [
      name,
      String(s.calls),
      s.totalMs.toFixed(3),
      s.meanMs.toFixed(3),
      s.maxMs.toFixed(3),
      (s.cpuUserMs + s.cpuSystemMs).toFixed(3),
      String(s.errors),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const memory = names.map((name) => {
    const s = stats[name]!;
    return `[${name}] ΔMem: ${(s.heapDeltaBytes / MIB).toFixed(2)} MiB | Peak: ${(s.peakHeapBytes / MIB).toFixed(2)} MiB`;
  });
  return [
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    "",
    ...memory,
  ].join("\n");
}
