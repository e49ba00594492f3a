import type { ProgressListener } from "../map/events.ts";
import { formatDuration } from "./format.ts";

/**
 * What `map` prints where progress bars cannot draw (a pipe, a log file, CI): one line per
 * function as it ends, `name  done/total done  failed failed  duration`, names aligned.
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
    { total: number; done: number; failed: number; started: number }
  >();
  return {
    onNodeStart(node, total, done) {
      counts.set(node, { total, done, failed: 0, started: performance.now() });
    },
    onProgress(node, done, failed) {
      const c = counts.get(node);
      if (!c) return;
      // `done` counts every settled element; the failed ones are counted apart.
      c.done += done - failed;
      c.failed += failed;
    },
    onNodeEnd(node) {
      const c = counts.get(node);
      if (!c) return;
      const ratio = `${c.done}/${c.total} done`;
      write(
        `${node.padEnd(width)}  ${ratio.padStart(String(c.total).length * 2 + 6)}  ` +
          `${c.failed} failed  ${formatDuration(performance.now() - c.started)}`,
      );
    },
  };
}
