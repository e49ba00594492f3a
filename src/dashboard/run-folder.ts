import { isAdaptiveFolder, serveAdaptiveDashboard } from "../adaptive/dashboard.ts";
import { readRunRecord } from "../map/run-folder.ts";
import { runStatus } from "../status/read.ts";
import type { RunStatus } from "../status/types.ts";
import { modelOfRecords } from "../viz/html-model.ts";
import type { PlotMessage } from "../viz/plot.ts";
import { dashboardPage } from "./page.ts";
import { folderPlots } from "./plots.ts";
import { type Dashboard, type DashboardOptions, startDashboard } from "./server.ts";

/**
 * Serves the dashboard of the sweep in `runFolder` (what `pipeweave dashboard <runFolder>`
 * runs): its graph as run.json records it, with each function's progress read from the
 * folder's `status.json` (see {@link runStatus}) and sent to the page as it changes, and
 * its numeric outputs with one or two axes plotted from their stores as elements settle. It
 * follows a run in another process as it goes, shows one that ended in its final state, and
 * one whose process is gone as `stale`. It serves until `close()`. A folder an adaptive sweep
 * writes (`pipeline.adaptive({ runFolder })`) shows its curve or triangulation and its loss,
 * redrawn as points are stored.
 *
 * @param runFolder - The run folder.
 * @param options - Where to listen; by default 127.0.0.1 on a free port, the URL printed on stderr.
 * @returns The dashboard, listening.
 * @throws {@link RunFolderNotFoundError} when the folder holds no run;
 *   {@link RunFolderCorruptError} when its run.json cannot be read; {@link DashboardError} when the address cannot be bound.
 * @example
 * ```ts
 * const dashboard = await serveDashboard("runs/grid", { onReady: (d) => console.log(d.url) });
 * // … later
 * await dashboard.close();
 * ```
 */
export async function serveDashboard(
  runFolder: string,
  options: DashboardOptions = {},
): Promise<Dashboard> {
  // An adaptive sweep's folder has its own drawing (src/adaptive/dashboard.ts).
  if (isAdaptiveFolder(runFolder)) return serveAdaptiveDashboard(runFolder, options);
  const record = readRunRecord(runFolder);
  const page = dashboardPage(
    modelOfRecords(record.pipeline.name, record.pipeline.functions),
    "map",
  );
  const plots = folderPlots(runFolder, record);
  const state = (plotsOf: (status: RunStatus | null) => PlotMessage[]) => {
    let status: RunStatus;
    try {
      status = runStatus(runFolder);
    } catch (error) {
      // A folder removed or damaged while shown: the page says so and keeps listening.
      const problem = String((error as Error).message ?? error);
      return { kind: "map", status: null, problem, plots: plotsOf(null) };
    }
    return { kind: "map", status, plots: plotsOf(status) };
  };
  return startDashboard(
    {
      page,
      snapshot: () => state((s) => plots.all(s)),
      changes: () => state((s) => plots.changes(s)),
    },
    options,
  );
}
