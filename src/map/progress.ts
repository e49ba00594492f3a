import { createRequire } from "node:module";
import type * as CliProgress from "cli-progress";
import type { ProgressListener } from "./events.ts";

/** cli-progress, loaded when the first bars are drawn, so importing pipeweave does not pay for it. */
let cliProgress: typeof CliProgress | undefined;

/**
 * One progress bar per mapped function on stderr (cli-progress). Functions with a single
 * call get no bar: they are done before a bar would show anything.
 */
export function progressBars(stream: NodeJS.WriteStream = process.stderr): ProgressListener & {
  stop(): void;
} {
  const board = progressBoard(stream);
  return { ...board.listenerFor(), stop: () => board.stop() };
}

/**
 * One set of progress bars on stderr shared by several sweeps (`launchMaps`): each sweep's
 * listener draws its functions' bars, named with its label, in the same block of lines.
 */
export function progressBoard(stream: NodeJS.WriteStream = process.stderr): {
  listenerFor(label?: string): ProgressListener;
  stop(): void;
} {
  cliProgress ??= createRequire(import.meta.url)("cli-progress") as typeof CliProgress;
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: " {node} |{bar}| {value}/{total} {failed}",
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      noTTYOutput: !stream.isTTY,
      notTTYSchedule: 1000,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let width = 0;
  const listenerFor = (label?: string): ProgressListener => {
    const bars = new Map<string, CliProgress.SingleBar>();
    const failed = new Map<string, { failed: number; skipped: number }>();
    const named = (node: string) => (label === undefined ? node : `${label} ${node}`);
    return {
      onNodeStart(node, total, done) {
        if (total <= 1) return;
        width = Math.max(width, named(node).length);
        failed.set(node, { failed: 0, skipped: 0 });
        bars.set(node, multi.create(total, done, { node: named(node).padEnd(width), failed: "" }));
      },
      onProgress(node, done, fails, skips) {
        const bar = bars.get(node);
        const f = failed.get(node);
        if (!bar || !f) return;
        f.failed += fails;
        f.skipped += skips;
        const parts = [];
        if (f.failed > 0) parts.push(`${f.failed} failed`);
        if (f.skipped > 0) parts.push(`${f.skipped} skipped`);
        bar.increment(done, { failed: parts.length > 0 ? `(${parts.join(", ")})` : "" });
      },
      onNodeEnd(node) {
        bars.get(node)?.stop();
      },
    };
  };
  return {
    listenerFor,
    stop() {
      multi.stop();
    },
  };
}
