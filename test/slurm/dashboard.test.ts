/**
 * The dashboard of a sweep on SLURM: a live map (`dashboard: true`) and a run folder served by
 * `serveDashboard` both send each function's job ids and their tasks' states.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type RunStatus, serveDashboard } from "../../src/index.ts";
import { slurm } from "../../src/slurm/index.ts";
import { events, whenReady } from "../dashboard/http.ts";
import { slurmAvailable } from "../slurm-available.ts";
import { slow } from "./fixtures/pipelines.mjs";
import { folders, jobIds } from "./helpers.ts";

const available = slurmAvailable("the SLURM dashboard tests");

interface MapState {
  readonly kind: "map";
  readonly status: RunStatus;
}

const jobsOf = (state: MapState, name: string) =>
  state.status.functions.find((f) => f.name === name)?.jobs;

describe.runIf(available)("the dashboard of a sweep on SLURM", () => {
  const dirs = folders("dashboard");
  afterAll(() => dirs.cleanUp());

  it("sends each function's jobs and task states while the map runs, and after it from the run folder", async () => {
    const runFolder = dirs.make();
    const log = join(dirs.make(), "calls.log");
    const executor = slurm({ chunkSize: 2, pollMs: 200 });
    const { options, ready } = whenReady();
    try {
      const mapping = slow.map(
        { x: [0, 1, 2, 3], log, ms: 1500 },
        { executor, runFolder, progress: false, dashboard: options },
      );
      const dashboard = await ready;
      try {
        // The page hears of the job while its tasks are still pending or running.
        const states = (await events(
          dashboard.url,
          (s) => (jobsOf(s as MapState, "y") ?? []).length > 0,
        )) as MapState[];
        const [live] = jobsOf(states.at(-1)!, "y")!;
        expect(live!.tasks).toBe(2);
        expect(jobIds(runFolder)).toContain(live!.job);
        await mapping;
      } finally {
        await dashboard.close();
      }
    } finally {
      await executor.close();
    }
    const served = await serveDashboard(runFolder, { onReady: () => {} });
    try {
      const [last] = (await events(served.url, () => true)) as MapState[];
      expect(last!.status.state).toBe("done");
      expect(jobsOf(last!, "y")).toEqual([
        { job: jobIds(runFolder)[0], tasks: 2, states: { COMPLETED: 2 } },
      ]);
    } finally {
      await served.close();
    }
  });
});
