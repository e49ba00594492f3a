import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type Chunk,
  type Executor,
  InlineExecutor,
  InvalidOptionError,
  type ItemResult,
  isMissing,
  loadAll,
  loadDataset,
  loadOutputs,
  type NdArray,
  OutputNotStoredError,
  Pipeline,
  pipefunc,
} from "../../src/index.ts";
import { tempFolders } from "../temp-folders.ts";

const quiet = { progress: false } as const;
const folder = tempFolders("pipeweave-per-output-");
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Runs chunks inline, recording each chunk's size per function. */
function recorder() {
  const sizes: Record<string, number[]> = {};
  const inline = new InlineExecutor();
  const executor: Executor = {
    name: "recorder",
    remote: false,
    submit(chunk: Chunk): Promise<ItemResult[]> {
      sizes[chunk.node] = [...(sizes[chunk.node] ?? []), chunk.items.length];
      return inline.submit(chunk);
    },
    close: async () => {},
  };
  return { executor, sizes };
}

function counted() {
  const calls = { y: 0, z: 0, total: 0 };
  const pipeline = new Pipeline([
    pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
      calls.y++;
      return x + 1;
    }),
    pipefunc({ output: "z", mapspec: "y[i] -> z[i]" }, ({ y }: { y: number }) => {
      calls.z++;
      return 2 * y;
    }),
    pipefunc({ output: "total" }, ({ z }: { z: NdArray<number> }) => {
      calls.total++;
      return z.values().reduce((s, v) => s + v, 0);
    }),
  ]);
  return { calls, pipeline };
}

describe("storage per output", () => {
  it("records each output's kind in run.json, and the loaders honour it", async () => {
    const dir = folder();
    const { pipeline } = counted();
    const results = await pipeline.map(
      { x: range(4) },
      { ...quiet, runFolder: dir, storage: { y: "zarr", total: "memory" } },
    );
    expect(results.total.output).toBe(20);
    const record = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as {
      outputs: Record<string, { storage: string }>;
    };
    // z is not listed: the default with a run folder.
    expect(
      Object.fromEntries(Object.entries(record.outputs).map(([k, v]) => [k, v.storage])),
    ).toEqual({ y: "zarr", z: "file", total: "memory" });
    expect(((await loadOutputs("y", { runFolder: dir })) as NdArray<number>).data).toEqual([
      1, 2, 3, 4,
    ]);
    expect(((await loadOutputs("z", { runFolder: dir })) as NdArray<number>).data).toEqual([
      2, 4, 6, 8,
    ]);
    const error = await loadOutputs("total", { runFolder: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputNotStoredError);
    expect((error as Error).message).toContain('storage "memory"');
    const all = await loadAll({ runFolder: dir });
    expect(isMissing(all.total)).toBe(true);
    const dataset = await loadDataset({ runFolder: dir });
    expect(dataset.dataVars.y?.data).toEqual([1, 2, 3, 4]);
    expect(Object.keys(dataset.dataVars)).not.toContain("total");
  });

  it("a resume computes again only what memory storage did not keep", async () => {
    const dir = folder();
    const first = counted();
    const storage = { z: "memory" } as const;
    await first.pipeline.map({ x: range(3) }, { ...quiet, runFolder: dir, storage });
    const again = counted();
    const results = await again.pipeline.map(
      { x: range(3) },
      { ...quiet, runFolder: dir, storage, resume: true },
    );
    expect(results.total.output).toBe(12);
    expect(again.calls).toEqual({ y: 0, z: 3, total: 0 });
  });

  it("refuses an unknown output, an unknown kind, and a folder kind without a run folder", async () => {
    const { pipeline } = counted();
    const unknown = await pipeline
      .map({ x: [1] }, { ...quiet, storage: { yy: "memory" } as never })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(InvalidOptionError);
    expect((unknown as Error).message).toContain('did you mean "y"');
    const kind = await pipeline
      .map({ x: [1] }, { ...quiet, storage: { y: "disk" } as never })
      .catch((e: unknown) => e);
    expect((kind as Error).message).toContain("storage.y");
    const noFolder = await pipeline
      .map({ x: [1] }, { ...quiet, storage: { y: "file" } })
      .catch((e: unknown) => e);
    expect((noFolder as Error).message).toContain("no `runFolder`");
  });
});

describe("chunkSize per output", () => {
  it("sizes each function's chunks by its own entry, a number or a function of its elements", async () => {
    const { pipeline } = counted();
    const { executor, sizes } = recorder();
    const seen: number[] = [];
    await pipeline.map(
      { x: range(10) },
      {
        ...quiet,
        executor,
        chunkSize: {
          y: 3,
          z: (elements) => {
            seen.push(elements);
            return Math.ceil(elements / 2);
          },
        },
      },
    );
    expect(sizes.y).toEqual([3, 3, 3, 1]);
    expect(sizes.z).toEqual([5, 5]);
    expect(seen).toEqual([10]);
  });

  it("keeps one size for every function", async () => {
    const { pipeline } = counted();
    const { executor, sizes } = recorder();
    await pipeline.map({ x: range(4) }, { ...quiet, executor, chunkSize: 4 });
    expect(sizes).toEqual({ y: [4], z: [4] });
  });

  it("refuses a bad size, an unknown output, and a function that returns no size", async () => {
    const { pipeline } = counted();
    const { executor } = recorder();
    for (const chunkSize of [0, { y: 1.5 }, { w: 2 }]) {
      const error = await pipeline
        .map({ x: [1] }, { ...quiet, executor, chunkSize: chunkSize as never })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
    }
    const returned = await pipeline
      .map({ x: [1, 2] }, { ...quiet, executor, chunkSize: { y: () => 0 } })
      .catch((e: unknown) => e);
    expect(returned).toBeInstanceOf(InvalidOptionError);
    expect((returned as Error).message).toContain("returned for 2 elements");
  });
});
