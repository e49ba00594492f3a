import type { StreamMonitor } from "../stream/monitor.ts";
import type { AnyStage } from "../stream/stage.ts";
import type { GraphFunction, GraphModel } from "../viz/html-model.ts";
import { dashboardPage } from "./page.ts";
import { type DashboardOptions, type ServedDashboard, startDashboard } from "./server.ts";

/**
 * The dashboard of a stream running in this process (`stream.run({ dashboard: true })`): its
 * stages in a line, each with items in, out and failed and its buffer's fill, from `monitor`.
 */
export function startStreamDashboard(
  stages: readonly AnyStage[],
  monitor: StreamMonitor,
  options: DashboardOptions,
): Promise<ServedDashboard> {
  return startDashboard(
    {
      page: dashboardPage(streamModel(stages), "stream"),
      snapshot: () => ({ kind: "stream", stats: monitor.stats() }),
    },
    options,
  );
}

/**
 * A stream drawn as a graph: the source, then each stage reading the one before, the last
 * giving the results. Stage names as errors give them; a name used twice is told apart by its
 * position, so every stage is its own node.
 */
export function streamModel(stages: readonly AnyStage[]): GraphModel {
  const names = stages.map((s, k) => s.options.name ?? `stage ${k + 1}`);
  const seen = new Map<string, number>();
  for (const n of names) seen.set(n, (seen.get(n) ?? 0) + 1);
  const unique = names.map((n, k) => ((seen.get(n) ?? 0) > 1 ? `${n} (#${k + 1})` : n));
  const functions = stages.map((stage, k): GraphFunction => {
    const { workers, buffer, retries, timeoutMs, ordered, threads, backoff, rate, breaker } =
      stage.options;
    return {
      name: unique[k]!,
      inputs: [k === 0 ? "source" : unique[k - 1]!],
      outputs: [k === stages.length - 1 ? "results" : unique[k]!],
      mapspec: null,
      details: {
        kind: "stage",
        stage: stage.work.kind,
        workers,
        buffer,
        retries,
        timeoutMs: timeoutMs ?? null,
        ordered,
        threads,
        ...(stage.options.batched ? { batched: true } : {}),
        ...(stage.work.kind === "batch" ? { size: stage.work.size } : {}),
        ...(backoff
          ? {
              backoff: `${backoff.initialMs} ms × ${backoff.factor} ≤ ${backoff.maxMs} ms, jitter ${backoff.jitter}`,
            }
          : {}),
        ...(rate ? { rate: `${rate.perSecond}/s, burst ${rate.burst}` } : {}),
        ...(breaker
          ? {
              breaker: `${breaker.failures} failures in ${breaker.windowMs} ms, cooldown ${breaker.cooldownMs} ms`,
            }
          : {}),
      },
    };
  });
  return { name: "stream", functions };
}
