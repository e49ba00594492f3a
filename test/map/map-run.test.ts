import { describe, expect, it } from "vitest";
import {
  AbortError,
  type MapRun,
  type MapRunEvent,
  type NdArray,
  NodeExecutionError,
  Pipeline,
  pipefunc,
  runStatus,
} from "../../src/index.ts";
import { tempFolders } from "../temp-folders.ts";

const quiet = { progress: false } as const;
const folder = tempFolders("pipeweave-maprun-");

function doubling(onCall: (x: number) => void = () => undefined) {
  return new Pipeline([
    pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
      onCall(x);
      return 2 * x;
    }),
    pipefunc({ output: "total" }, ({ y }: { y: NdArray<number> }) =>
      y.values().reduce((s, v) => s + v, 0),
    ),
  ]);
}

async function collect(run: MapRun<unknown>): Promise<MapRunEvent[]> {
  const events: MapRunEvent[] = [];
  for await (const event of run.events()) events.push(event);
  return events;
}

describe("mapAsync", () => {
  it("resolves with what map resolves with", async () => {
    const p = doubling();
    const run = p.mapAsync({ x: [1, 2, 3] }, quiet);
    const results = await run.result();
    const direct = await p.map({ x: [1, 2, 3] }, quiet);
    expect(results.y.array.data).toEqual(direct.y.array.data);
    expect(results.total.output).toBe(12);
    await expect(run.done).resolves.toEqual({ state: "done" });
    expect(run.state).toBe("done");
  });

  it("tells functions started, elements done and functions ended in order, then the end", async () => {
    const run = doubling().mapAsync({ x: [1, 2, 3] }, quiet);
    const events = await collect(run);
    const summary = events.map((e) =>
      e.type === "run-ended"
        ? `${e.type}:${e.state}`
        : e.type === "elements-done"
          ? `${e.type}:${e.function}:${e.done}`
          : `${e.type}:${"function" in e ? e.function : ""}`,
    );
    expect(summary).toEqual([
      "function-started:y",
      "elements-done:y:3",
      "function-ended:y",
      "function-started:total",
      "elements-done:total:1",
      "function-ended:total",
      "run-ended:done",
    ]);
  });

  it("tells each failed element before the counts, and the run's failure last", async () => {
    const p = new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
        if (x === 2) throw new Error("two");
        return x;
      }),
    ]);
    const run = p.mapAsync({ x: [1, 2, 3] }, { ...quiet, errors: "continue" });
    const events = await collect(run);
    const failed = events.findIndex((e) => e.type === "element-failed");
    const counted = events.findIndex((e) => e.type === "elements-done" && e.failed === 1);
    expect(failed).toBeGreaterThanOrEqual(0);
    expect(events[failed]).toMatchObject({ function: "y", index: [1] });
    expect(counted).toBeGreaterThan(failed);

    const raising = p.mapAsync({ x: [1, 2, 3] }, quiet);
    const ends = await collect(raising);
    expect(ends.at(-1)).toMatchObject({ type: "run-ended", state: "failed" });
    expect((ends.at(-1) as { error: unknown }).error).toBeInstanceOf(NodeExecutionError);
  });

  it("never rejects done, and a failure nobody awaits is no unhandled rejection", async () => {
    const p = new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }): number => {
        throw new Error(`always (${x})`);
      }),
    ]);
    const end = await p.mapAsync({ x: [1] }, quiet).done;
    expect(end.state).toBe("failed");
    expect(end.error).toBeInstanceOf(NodeExecutionError);
  });

  it("gives the run's status as runStatus reads it, with or without a run folder", async () => {
    const dir = folder();
    const run = doubling().mapAsync({ x: [1, 2, 3] }, { ...quiet, runFolder: dir });
    await run.result();
    const own = run.status();
    const read = runStatus(dir);
    expect(own.state).toBe("done");
    expect(own.functions).toEqual(read.functions);
    expect(own.runFolder).toBe(read.runFolder);

    const memory = doubling().mapAsync({ x: [1, 2] }, quiet);
    await memory.done;
    expect(memory.status()).toMatchObject({ state: "done", runFolder: "" });
    expect(memory.status().functions.map((f) => [f.name, f.done, f.total])).toEqual([
      ["y", 2, 2],
      ["total", 1, 1],
    ]);
  });

  it("a run made with start: false waits, queued, until start()", async () => {
    let calls = 0;
    const run = doubling(() => calls++).mapAsync({ x: [1, 2] }, { ...quiet, start: false });
    await Promise.resolve();
    expect(run.state).toBe("queued");
    expect(run.status().state).toBe("queued");
    expect(calls).toBe(0);
    const results = await run.start().result();
    expect(results.total.output).toBe(6);
    expect(calls).toBe(2);
  });

  it("cancel stops the run and leaves a run folder that a resume completes", async () => {
    const dir = folder();
    const x = [0, 1, 2, 3, 4, 5, 6, 7];
    const seen: number[] = [];
    // The run cancels itself from its fourth element: no timing involved.
    let run: MapRun<unknown> | undefined;
    const p = doubling((v) => {
      seen.push(v);
      if (v === 3) void run?.cancel("enough");
    });
    run = p.mapAsync({ x }, { ...quiet, runFolder: dir, concurrency: 1 });
    const error = await run.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect((error as AbortError).cause).toBe("enough");
    expect(run.state).toBe("aborted");
    expect(runStatus(dir).state).toBe("aborted");
    expect(seen.length).toBeLessThan(x.length);

    const again: number[] = [];
    const resumed = await doubling((v) => again.push(v)).map(
      { x },
      { ...quiet, runFolder: dir, resume: true },
    );
    expect(resumed.total.output).toBe(56);
    // Only the elements the cancelled run did not store are computed again.
    expect(again.length).toBeLessThanOrEqual(x.length - 3);
    expect(again).not.toContain(0);
  });

  it("cancelling a queued run settles it aborted without running it", async () => {
    let calls = 0;
    const run = doubling(() => calls++).mapAsync({ x: [1] }, { ...quiet, start: false });
    await run.cancel();
    expect(run.state).toBe("aborted");
    await expect(run.result()).rejects.toBeInstanceOf(AbortError);
    expect(calls).toBe(0);
    run.start();
    expect(run.state).toBe("aborted");
  });

  it("events() opened after the end gives the end only", async () => {
    const run = doubling().mapAsync({ x: [1] }, quiet);
    await run.done;
    expect(await collect(run)).toEqual([{ type: "run-ended", state: "done" }]);
  });

  it("a consumer that lags gets the counts summed, one waiting event per function", async () => {
    const run = doubling().mapAsync({ x: Array.from({ length: 3000 }, (_, i) => i) }, quiet);
    const events = run.events();
    await run.done;
    const all: MapRunEvent[] = [];
    for await (const e of events) all.push(e);
    const done = all.filter((e) => e.type === "elements-done" && e.function === "y");
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ done: 3000 });
    expect(all.at(-1)).toMatchObject({ type: "run-ended", state: "done" });
  });

  it("breaking out of the events stops the queue, not the run", async () => {
    const run = doubling().mapAsync({ x: [1, 2] }, quiet);
    for await (const event of run.events()) {
      expect(event.type).toBe("function-started");
      break;
    }
    await expect(run.result()).resolves.toMatchObject({ total: { output: 6 } });
  });
});
