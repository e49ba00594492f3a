import type { AnyPipeFunc } from "../graph/types.ts";
import type { ProgressListener } from "../map/events.ts";
import { withJobs } from "../status/read.ts";
import type { StatusWriter } from "../status/writer.ts";
import { modelOfPipeline } from "../viz/html-model.ts";
import { dashboardPage } from "./page.ts";
import { type SweepPlotSource, sweepPlots } from "./plots.ts";
import { type DashboardOptions, type ServedDashboard, startDashboard } from "./server.ts";

/**
 * The dashboard of a sweep running in this process (`map(..., { dashboard: true })`): the
 * pipeline's graph with every detail, the run status its status writer keeps, and the plots of
 * its numeric outputs with one or two axes, filled as their elements settle, and each
 * function's SLURM jobs with their task states (read from the run folder, as runStatus does).
 *
 * @returns The dashboard, and the listener that feeds its plots: add it to the sweep's events.
 */
export async function startMapDashboard(
  pipeline: { readonly name: string; readonly sortedFunctions: readonly AnyPipeFunc[] },
  status: StatusWriter,
  sweep: SweepPlotSource,
  options: DashboardOptions,
): Promise<{ readonly dashboard: ServedDashboard; readonly listener: ProgressListener }> {
  const model = modelOfPipeline({
    name: pipeline.name,
    sortedFunctions: pipeline.sortedFunctions,
    profilingStats: () => ({}),
  });
  const plots = sweepPlots(sweep);
  const dashboard = await startDashboard(
    {
      page: dashboardPage(model, "map"),
      snapshot() {
        const now = withJobs(status.snapshot());
        return { kind: "map", status: now, plots: plots.feed.all(now) };
      },
      changes() {
        const now = withJobs(status.snapshot());
        return { kind: "map", status: now, plots: plots.feed.changes(now) };
      },
    },
    options,
  );
  return { dashboard, listener: plots.listener };
}
