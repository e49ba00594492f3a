import { formatBytes, formatCount, formatDuration } from "../_internal/human.ts";
import type { ProfileStats } from "../profile/profiler.ts";

/**
 * A function's profiling figures as the HTML view's details list them: times in the unit that
 * reads best (`0.02 ms`, not `0.022633000000041648`), memory in binary units, counts with
 * thousands separators, and `n/a` for what was not measured in this process.
 */
export function profileFigures(stats: ProfileStats): Record<string, string> {
  const cpu = stats.cpuUserMs + stats.cpuSystemMs;
  const bytes = (n: number) => (Number.isNaN(n) ? "n/a" : formatBytes(n));
  const remote = stats.remoteCalls > 0 ? ` (${formatCount(stats.remoteCalls)} elsewhere)` : "";
  return {
    calls: `${formatCount(stats.calls)}${remote}`,
    errors: formatCount(stats.errors),
    "total time": formatDuration(stats.totalMs),
    "mean time": formatDuration(stats.meanMs),
    "max time": formatDuration(stats.maxMs),
    "cpu time": Number.isNaN(cpu) ? "n/a" : formatDuration(cpu),
    ΔMem: bytes(stats.memoryDeltaBytes),
    "peak mem": bytes(stats.peakMemoryBytes),
    Δrss: bytes(stats.rssDeltaBytes),
    "peak rss": bytes(stats.peakRssBytes),
  };
}
