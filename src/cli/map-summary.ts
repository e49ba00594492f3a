import type { ProgressListener } from "../map/events.ts";
import { formatCount, formatDuration } from "./format.ts";

/**
 * What `map` prints where progress bars cannot draw (a pipe, a log file, CI): one line per
 * function as it ends, `name  done/total done  failed failed  duration`, names aligned, with
 * `skipped skipped` before the duration when elements were not computed because an input failed.
 *
 * @param names - Every function's name, to align the lines before the first one is printed.
 * @param write - Receives each line.
 */
export function summaryLines(
  names: readonly string[],
  write: (line: string) => void,
): ProgressListener {
  const width = Math.max(0, ...names.map((n) => n.length));
  const counts = new Map<
    string,
    { total: number; done: number; failed: number; skipped: number; started: number }
  >();
  return {
    onNodeStart(node, total, done) {
      counts.set(node, { total, done, failed: 0, skipped: 0, started: performance.now() });
    },
    onProgress(node, done, failed, skipped) {
      const c = counts.get(node);
      if (!c) return;
      // `done` counts every settled element; the failed and skipped ones are counted apart.
      c.done += done - failed - skipped;
      c.failed += failed;
      c.skipped += skipped;
    },
    onNodeEnd(node) {
      const c = counts.get(node);
      if (!c) return;
      const total = formatCount(c.total);
      const ratio = `${formatCount(c.done)}/${total} done`;
      const skipped = c.skipped > 0 ? `${formatCount(c.skipped)} skipped  ` : "";
      write(
        `${node.padEnd(width)}  ${ratio.padStart(total.length * 2 + 6)}  ` +
          `${formatCount(c.failed)} failed  ${skipped}${formatDuration(performance.now() - c.started)}`,
      );
    },
  };
}
