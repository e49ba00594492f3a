import type { AnyPipeFunc } from "../graph/types.ts";
import type { StatusWriter } from "../status/writer.ts";
import { modelOfPipeline } from "../viz/html-model.ts";
import { dashboardPage } from "./page.ts";
import { type DashboardOptions, type ServedDashboard, startDashboard } from "./server.ts";

/**
 * The dashboard of a sweep running in this process (`map(..., { dashboard: true })`): the
 * pipeline's graph with every detail, and the run status its status writer keeps.
 */
export function startMapDashboard(
  pipeline: { readonly name: string; readonly sortedFunctions: readonly AnyPipeFunc[] },
  status: StatusWriter,
  options: DashboardOptions,
): Promise<ServedDashboard> {
  const model = modelOfPipeline({
    name: pipeline.name,
    sortedFunctions: pipeline.sortedFunctions,
    profilingStats: () => ({}),
  });
  return startDashboard(
    {
      page: dashboardPage(model, "map"),
      snapshot: () => ({ kind: "map", status: status.snapshot() }),
    },
    options,
  );
}
