import { readRunRecord } from "../map/run-folder.ts";
import { runStatus } from "../status/read.ts";
import type { RunStatus } from "../status/types.ts";
import { modelOfRecords } from "../viz/html-model.ts";
import { dashboardPage } from "./page.ts";
import { type Dashboard, type DashboardOptions, startDashboard } from "./server.ts";

/**
 * Serves the dashboard of the sweep in `runFolder` (what `pipeweave dashboard <runFolder>`
 * runs): its graph as run.json records it, with each function's progress read from the
 * folder's `status.json` (see {@link runStatus}) and sent to the page as it changes. It
 * follows a run in another process as it goes, shows one that ended in its final state, and
 * one whose process is gone as `stale`. It serves until `close()`.
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
  const record = readRunRecord(runFolder);
  const page = dashboardPage(
    modelOfRecords(record.pipeline.name, record.pipeline.functions),
    "map",
  );
  return startDashboard(
    {
      page,
      snapshot() {
        let status: RunStatus;
        try {
          status = runStatus(runFolder);
        } catch (error) {
          // A folder removed or damaged while shown: the page says so and keeps listening.
          return { kind: "map", status: null, problem: String((error as Error).message ?? error) };
        }
        return { kind: "map", status };
      },
    },
    options,
  );
}
