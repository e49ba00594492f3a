import { describe, expect, it } from "vitest";
import {
  AbortError,
  gatherMaps,
  InvalidArgumentError,
  InvalidOptionError,
  launchMaps,
  listRuns,
  type MapRun,
  type NdArray,
  Pipeline,
  pipefunc,
} from "../../src/index.ts";
import { raw } from "../dashboard/http.ts";
import { tempFolders } from "../temp-folders.ts";

const quiet = { progress: false } as const;
const folder = tempFolders("pipeweave-launch-");

const pipeline = new Pipeline([
  pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, async ({ x }: { x: number }) => 2 * x),
  pipefunc({ output: "total" }, ({ y }: { y: NdArray<number> }) =>
    y.values().reduce((s, v) => s + v, 0),
  ),
]);

const inputsOf = (k: number) => ({ x: [k, k + 1, k + 2] });

describe("launchMaps", () => {
  it("runs at most `concurrency` at once, and every run", async () => {
    const runs: MapRun<unknown>[] = [];
    const running: number[] = [];
    // Counted when each function starts: how many of the runs are running then.
    const progress = {
      onNodeStart: () => running.push(runs.filter((r) => r.state === "running").length),
    };
    for (let k = 0; k < 5; k++) {
      runs.push(pipeline.mapAsync(inputsOf(k), { progress, start: false }));
    }
    const launched = launchMaps(runs, { concurrency: 2, progress: false });
    expect(launched.status().counts).toMatchObject({ running: 2, queued: 3 });
    const ends = await launched.done;
    expect(ends.map((e) => e.state)).toEqual(["done", "done", "done", "done", "done"]);
    expect(running).toHaveLength(10);
    expect(Math.max(...running)).toBe(2);
    expect(launched.status().counts).toMatchObject({ done: 5, running: 0, queued: 0 });
  });

  it("runs one at a time by default", async () => {
    const runs = [0, 1, 2].map((k) => pipeline.mapAsync(inputsOf(k), { ...quiet, start: false }));
    const launched = launchMaps(runs, { progress: false });
    expect(runs.map((r) => r.state)).toEqual(["running", "queued", "queued"]);
    // A run launchMaps holds waits for its slot, whoever asks it to start.
    runs[2]?.start();
    expect(runs.map((r) => r.state)).toEqual(["running", "queued", "queued"]);
    await launched.done;
  });

  it("gatherMaps gives each run's results, equal to its own map", async () => {
    const launched = launchMaps(
      [0, 1, 2].map((k) => ({ pipeline, inputs: inputsOf(k), options: quiet })),
      { concurrency: 3, progress: false },
    );
    const results = await gatherMaps(launched);
    for (const [k, r] of results.entries()) {
      const alone = await pipeline.map(inputsOf(k), quiet);
      expect(r.y.array.data).toEqual(alone.y.array.data);
      expect(r.total.output).toBe(alone.total.output);
    }
  });

  it("gatherMaps launches runs not started, with its cap", async () => {
    const runs = [
      pipeline.mapAsync(inputsOf(0), { ...quiet, start: false }),
      pipeline.mapAsync(inputsOf(1), { ...quiet, start: false }),
    ] as const;
    const [first, second] = await gatherMaps(runs, { concurrency: 1, progress: false });
    expect(first.total.output).toBe(6);
    expect(second.total.output).toBe(12);
  });

  it("gatherMaps rejects with the first failed run's error once all are over", async () => {
    const failing = new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }): number => {
        throw new Error(`no ${x}`);
      }),
    ]);
    const runs = [
      pipeline.mapAsync(inputsOf(0), { ...quiet, start: false }),
      failing.mapAsync(inputsOf(0), { ...quiet, start: false }),
      pipeline.mapAsync(inputsOf(1), { ...quiet, start: false }),
    ] as const;
    const error = await gatherMaps(runs, { progress: false }).catch((e: unknown) => e);
    expect((error as Error).message).toContain("no 0");
    expect(runs.map((r) => r.state)).toEqual(["done", "failed", "done"]);
  });

  it("cancel stops every run: queued ones never start", async () => {
    let calls = 0;
    const counting = new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
        calls++;
        return x;
      }),
    ]);
    const launched = launchMaps(
      [0, 1, 2].map((k) => ({ pipeline: counting, inputs: inputsOf(k), options: quiet })),
      { progress: false },
    );
    await launched.cancel();
    expect(launched.runs.map((r) => r.state)).toEqual(["aborted", "aborted", "aborted"]);
    await expect(launched.runs.at(-1)?.result()).rejects.toBeInstanceOf(AbortError);
    expect(calls).toBeLessThanOrEqual(3);
  });

  it("refuses a run already started, and a bad cap", () => {
    const started = pipeline.mapAsync(inputsOf(0), quiet);
    expect(() => launchMaps([started])).toThrow(InvalidArgumentError);
    expect(() => launchMaps([], { concurrency: 0 })).toThrow(InvalidOptionError);
  });

  it("runs with run folders each keep their own, which listRuns lists while they go", async () => {
    const dir = folder();
    const arrived = new Set<number>();
    let release!: () => void;
    const barrier = new Promise<void>((r) => {
      release = r;
    });
    let whileRunning: string[] = [];
    // Every run waits in its first element until all three are there: then they all run.
    const waiting = new Pipeline([
      // The closure's values only pace the runs: `version` declares them.
      pipefunc(
        { output: "y", mapspec: "x[i] -> y[i]", version: "1" },
        async ({ x }: { x: number }) => {
          arrived.add(Math.floor(x / 10));
          if (arrived.size === 3) {
            whileRunning = listRuns(dir).map((s) => s.state);
            release();
          }
          await barrier;
          return x;
        },
      ),
    ]);
    const launched = launchMaps(
      [0, 1, 2].map((k) => ({
        pipeline: waiting,
        inputs: { x: [10 * k] },
        options: { ...quiet, runFolder: `${dir}/run-${k}` },
      })),
      { concurrency: 3, progress: false },
    );
    expect((await launched.done).map((e) => e.state)).toEqual(["done", "done", "done"]);
    expect(whileRunning).toEqual(["running", "running", "running"]);
    const listed = listRuns(dir);
    expect(listed.map((s) => s.runFolder.slice(-5)).sort()).toEqual(["run-0", "run-1", "run-2"]);
    expect(listed.every((s) => s.state === "done")).toBe(true);
    expect(launched.status().runs.map((s) => s.state)).toEqual(["done", "done", "done"]);
  });
});

describe("launchMaps with a dashboard", () => {
  it("serves every run's status on one page, and the final states after", async () => {
    const launched = launchMaps(
      [0, 1].map((k) => ({ pipeline, inputs: inputsOf(k), options: quiet })),
      { concurrency: 1, progress: false, dashboard: { onReady: () => undefined } },
    );
    const dashboard = await launched.dashboard;
    if (!dashboard) throw new Error("no dashboard");
    await launched.done;
    const page = await raw(dashboard.url, `/${new URL(dashboard.url).search}`);
    expect(page.body).toContain("pipeweave: 2 sweeps");
    const status = await raw(dashboard.url, `/status${new URL(dashboard.url).search}`);
    const state = JSON.parse(status.body) as { kind: string; runs: { state: string }[] };
    expect(state.kind).toBe("runs");
    expect(state.runs.map((r) => r.state)).toEqual(["done", "done"]);
    await dashboard.close();
  });
});
