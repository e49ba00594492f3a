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
  const bars = new Map<string, CliProgress.SingleBar>();
  const failed = new Map<string, number>();
  let width = 0;
  return {
    onNodeStart(node, total, done) {
      if (total <= 1) return;
      width = Math.max(width, node.length);
      failed.set(node, 0);
      bars.set(node, multi.create(total, done, { node: node.padEnd(width), failed: "" }));
    },
    onProgress(node, done, fails) {
      const bar = bars.get(node);
      if (!bar) return;
      const f = (failed.get(node) ?? 0) + fails;
      failed.set(node, f);
      bar.increment(done, { failed: f > 0 ? `(${f} failed)` : "" });
    },
    onNodeEnd(node) {
      bars.get(node)?.stop();
    },
    stop() {
      multi.stop();
    },
  };
}
