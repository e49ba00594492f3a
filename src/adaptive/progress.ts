import { createRequire } from "node:module";
import type * as CliProgress from "cli-progress";
import type { AdaptiveProgress } from "./goal.ts";

/** cli-progress, loaded for the first bar, so importing pipeweave does not pay for it. */
let cliProgress: typeof CliProgress | undefined;

/** Shows an adaptive sweep's progress. */
export interface ProgressView {
  update(progress: AdaptiveProgress): void;
  stop(): void;
}

/**
 * A progress bar on stderr: points, in flight, failures and the loss against the goal. The
 * bar fills with the points toward a points goal, and otherwise with how far the loss has
 * come down toward a loss goal (on a log scale); for time and predicate goals it counts.
 */
export function progressBar(goal: string): ProgressView {
  cliProgress ??= createRequire(import.meta.url)("cli-progress") as typeof CliProgress;
  const bar = new cliProgress.SingleBar(
    {
      format: "adaptive |{bar}| {points} points · {inFlight} in flight · loss {loss} → goal {goal}",
      hideCursor: true,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const points = /^(\d+) points$/.exec(goal);
  const target = /^loss (.+)$/.exec(goal);
  bar.start(100, 0, { points: 0, inFlight: 0, loss: "∞", goal });
  let first: number | undefined;
  return {
    update(p) {
      let fraction = 0;
      if (points) fraction = p.points / Number(points[1]);
      else if (target && Number.isFinite(p.loss) && p.loss > 0) {
        first ??= p.loss;
        const span = Math.log(first) - Math.log(Number(target[1]));
        fraction = span > 0 ? (Math.log(first) - Math.log(p.loss)) / span : 1;
      }
      bar.update(Math.round(100 * Math.min(1, Math.max(0, fraction))), {
        points: p.points,
        inFlight: p.inFlight,
        loss: Number.isFinite(p.loss) ? p.loss.toPrecision(3) : "∞",
        goal,
      });
    },
    stop() {
      bar.stop();
    },
  };
}
