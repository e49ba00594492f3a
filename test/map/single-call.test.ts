/**
 * A function without mapspec runs in the map's process, unless its executor takes such calls
 * (`runsUnmapped`, as slurm() does) and the function declares resources of its own: then the
 * call goes to the executor as a chunk of one element (see test/slurm for the real cluster).
 */
import { describe, expect, it } from "vitest";
import {
  type Chunk,
  type Executor,
  ExecutorError,
  InlineExecutor,
  type ItemResult,
  type NdArray,
  NodeExecutionError,
  Pipeline,
  pipefunc,
} from "../../src/index.ts";

/** Runs chunks inline, recording each one; `fail` makes submit reject as a dead backend would. */
function recorder(options: { runsUnmapped?: boolean; fail?: boolean } = {}) {
  const chunks: Chunk[] = [];
  const inline = new InlineExecutor();
  const executor: Executor = {
    name: "recorder",
    remote: false,
    ...(options.runsUnmapped === undefined ? {} : { runsUnmapped: options.runsUnmapped }),
    submit(chunk: Chunk): Promise<ItemResult[]> {
      chunks.push(chunk);
      if (options.fail) return Promise.reject(new ExecutorError("recorder", "backend is gone"));
      return inline.submit(chunk);
    },
    close: async () => {},
  };
  return { executor, chunks };
}

const quiet = { progress: false } as const;

function pipeline() {
  const y = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x * 2);
  const total = pipefunc(
    { output: "total", mapspec: "y[:] -> total" },
    ({ y }: { y: NdArray<number> }) => y.values().reduce((s, v) => s + v, 0),
  );
  // Asks for cpus from its argument: evaluated with the call's arguments.
  const scaled = pipefunc(
    { output: "scaled", resources: ({ total }) => ({ cpus: (total as number) > 10 ? 2 : 1 }) },
    ({ total, factor }: { total: number; factor: number }) => total * factor,
  );
  const count = pipefunc({ output: "count" }, ({ y }: { y: NdArray<number> }) => y.size);
  return new Pipeline([y, total, scaled, count], { resources: { memory: "1GB" } });
}

describe("map: functions without mapspec", () => {
  it("sends the one that declares resources to an executor taking such calls, as a chunk of one element", async () => {
    const { executor, chunks } = recorder({ runsUnmapped: true });
    const r = await pipeline().map({ x: [1, 2, 3], factor: 10 }, { ...quiet, executor });
    expect(r.scaled!.output).toBe(120);
    expect(r.count!.output).toBe(3);
    const once = chunks.filter((c) => c.node === "scaled");
    expect(once).toHaveLength(1);
    expect(once[0]!.shape).toEqual([]);
    expect(once[0]!.items).toEqual([{ index: 0, values: [12, 10] }]);
    // Its own resources over the pipeline's.
    expect(once[0]!.resources).toMatchObject({ cpus: 2, memoryMb: 1024 });
    // count declares none: the pipeline's defaults alone keep it here.
    expect(chunks.some((c) => c.node === "count")).toBe(false);
  });

  it("runs every one here on an executor that does not take such calls", async () => {
    const { executor, chunks } = recorder();
    const r = await pipeline().map({ x: [1, 2, 3], factor: 10 }, { ...quiet, executor });
    expect(r.scaled!.output).toBe(120);
    expect(chunks.map((c) => c.node).filter((n) => n === "scaled" || n === "count")).toEqual([]);
  });

  it("stops the map with the executor's own error whatever errors says, and wraps the function's", async () => {
    const failing = recorder({ runsUnmapped: true, fail: true });
    const only = new Pipeline([
      pipefunc({ output: "z", resources: { cpus: 1 } }, ({ a }: { a: number }) => {
        if (a < 0) throw new RangeError("negative");
        return a;
      }),
    ]);
    const stopped = await only
      .map({ a: 1 }, { ...quiet, executor: failing.executor, errors: "continue" })
      .catch((e: unknown) => e);
    expect(stopped).toBeInstanceOf(ExecutorError);
    expect((stopped as Error).message).toContain("backend is gone");

    const { executor } = recorder({ runsUnmapped: true });
    const thrown = await only.map({ a: -1 }, { ...quiet, executor }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(NodeExecutionError);
    expect((thrown as Error).cause).toBeInstanceOf(RangeError);
    const kept = await only.map({ a: -1 }, { ...quiet, executor, errors: "continue" });
    expect(kept.errors).toHaveLength(1);
  });
});
