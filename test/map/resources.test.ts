/**
 * How `map` hands each function's resources to the executor: on every chunk, the function's
 * own over the pipeline's, evaluated once per map or per element (grouping elements that need
 * the same), checked against the executor before any work.
 */
import { describe, expect, it } from "vitest";
import {
  type Chunk,
  type Executor,
  InlineExecutor,
  InvalidOptionError,
  type ItemResult,
  NodeExecutionError,
  Pipeline,
  pipefunc,
  type ResolvedResources,
  ThreadExecutor,
} from "../../src/index.ts";
import { caught } from "../caught.ts";

/** Runs chunks inline, recording each one's resources and elements. */
function recorder() {
  const chunks: { readonly resources: ResolvedResources | undefined; readonly items: number[] }[] =
    [];
  const inline = new InlineExecutor();
  const executor: Executor = {
    name: "recorder",
    remote: false,
    submit(chunk: Chunk): Promise<ItemResult[]> {
      chunks.push({ resources: chunk.resources, items: chunk.items.map((i) => i.index) });
      return inline.submit(chunk);
    },
    close: async () => {},
  };
  return { executor, chunks };
}

const quiet = { progress: false } as const;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("map and resources", () => {
  it("puts the function's fixed resources over the pipeline's on every chunk", async () => {
    const f = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]", resources: { cpus: 2, extra: ["--b"] } },
      ({ x }: { x: number }) => x + 1,
    );
    const g = pipefunc({ output: "z", mapspec: "y[i] -> z[i]" }, ({ y }: { y: number }) => y * 2);
    const p = new Pipeline([f, g], { resources: { memory: "1GB", extra: ["--a"] } });
    const { executor, chunks } = recorder();
    const r = await p.map({ x: range(6) }, { ...quiet, executor, chunkSize: 2 });
    expect(r.z!.array.toNested()).toEqual(range(6).map((x) => (x + 1) * 2));
    expect(chunks).toHaveLength(6);
    const ofF = chunks.filter((c) => c.resources?.cpus === 2);
    expect(ofF).toHaveLength(3);
    for (const c of ofF)
      expect(c.resources).toMatchObject({ memoryMb: 1024, extra: ["--a", "--b"] });
    // g has none of its own: the pipeline's.
    for (const c of chunks.filter((c) => c.resources?.cpus !== 2)) {
      expect(c.resources).toEqual(p.resources);
    }
  });

  it('evaluates a resources function once per map ("map") with the arguments that are not mapped', async () => {
    const seen: Record<string, unknown>[] = [];
    const f = pipefunc(
      {
        output: "y",
        mapspec: "x[i] -> y[i]",
        bound: { scale: 3 },
        resources: (args) => {
          seen.push({ ...args });
          return { cpus: args.n };
        },
      },
      ({ x, n, scale, offset = 1 }: { x: number; n: number; scale: number; offset?: number }) =>
        x * n * scale + offset,
    );
    const { executor, chunks } = recorder();
    await new Pipeline([f]).map({ x: range(5), n: 2 }, { ...quiet, executor, chunkSize: 2 });
    // x is mapped (absent); offset is left to the function's own default (absent).
    expect(seen).toEqual([{ n: 2, scale: 3 }]);
    expect(chunks.map((c) => c.resources?.cpus)).toEqual([2, 2, 2]);
  });

  it('evaluates it per element ("element") and sends elements needing the same together', async () => {
    const calls: number[] = [];
    const f = pipefunc(
      {
        output: "y",
        mapspec: "x[i] -> y[i]",
        resources: ({ x }) => {
          calls.push(x!);
          return { cpus: x! % 2 === 0 ? 1 : 2 };
        },
        resourcesScope: "element",
      },
      ({ x }: { x: number }) => x * 10,
    );
    const { executor, chunks } = recorder();
    const r = await new Pipeline([f]).map({ x: range(7) }, { ...quiet, executor, chunkSize: 3 });
    expect(r.y!.array.toNested()).toEqual(range(7).map((x) => x * 10));
    expect(calls).toEqual(range(7));
    const byCpus = (cpus: number) =>
      chunks.filter((c) => c.resources?.cpus === cpus).flatMap((c) => c.items);
    expect(byCpus(1)).toEqual([0, 2, 4, 6]);
    expect(byCpus(2)).toEqual([1, 3, 5]);
    // Full chunks as soon as a group has chunkSize elements, the rest at the end.
    expect(chunks.map((c) => c.items)).toEqual([[0, 2, 4], [1, 3, 5], [6]]);
  });

  it("never evaluates resources for a map that runs inline", async () => {
    let calls = 0;
    const f = pipefunc(
      {
        output: "y",
        mapspec: "x[i] -> y[i]",
        resources: () => {
          calls++;
          return { cpus: 1 };
        },
        resourcesScope: "element",
      },
      ({ x }: { x: number }) => x,
    );
    await new Pipeline([f]).map({ x: range(4) }, quiet);
    expect(calls).toBe(0);
  });

  it("does not evaluate resources for a function whose elements are all masked (an input failed)", async () => {
    let calls = 0;
    const size = pipefunc({ output: "n" }, ({ m }: { m: number }): number => {
      throw new RangeError(`no size for ${m}`);
    });
    const f = pipefunc(
      {
        output: "y",
        mapspec: "x[i] -> y[i]",
        resources: ({ n }) => {
          calls++;
          return { cpus: n };
        },
      },
      ({ x, n }: { x: number; n: number }) => x * n,
    );
    const { executor, chunks } = recorder();
    const r = await new Pipeline([size, f]).map(
      { x: range(3), m: 1 },
      { ...quiet, executor, errors: "continue" },
    );
    expect(r.errors.map((e) => e.node)).toEqual(["n"]);
    expect(calls).toBe(0);
    expect(chunks).toEqual([]);
  });

  it("stops the map when an element's resources fail, naming the function and the element, whatever errors says", async () => {
    const f = pipefunc(
      {
        output: "y",
        name: "fit",
        mapspec: "x[i] -> y[i]",
        resources: ({ x }) => {
          if (x === 2) throw new RangeError("no size for 2");
          return { cpus: 1 };
        },
        resourcesScope: "element",
      },
      ({ x }: { x: number }) => x,
    );
    const { executor } = recorder();
    const error = await new Pipeline([f])
      .map({ x: range(4) }, { ...quiet, executor, errors: "continue" })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).not.toBeInstanceOf(NodeExecutionError);
    const e = caught(
      () => {
        throw error;
      },
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(e.message).toContain(
      'The resources function of function "fit" at index [2] threw: no size for 2.',
    );
    expect(e.cause).toBeInstanceOf(RangeError);
  });

  it("refuses, before any work, a function needing more cpus than the thread pool has", async () => {
    let ran = 0;
    const prepare = pipefunc({ output: "n" }, ({ m }: { m: number }) => {
      ran++;
      return m;
    });
    const wide = pipefunc(
      { output: "y", name: "wide", mapspec: "x[i] -> y[i]" },
      ({ x, n }: { x: number; n: number }) => x * n,
    );
    const p = new Pipeline([prepare, wide], { resources: { cpus: 3 } });
    const executor = new ThreadExecutor({ threads: 2 });
    try {
      const error = await p.map({ x: [1, 2], m: 1 }, { ...quiet, executor }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const e = caught(
        () => {
          throw error;
        },
        InvalidOptionError,
        "E_INVALID_OPTION",
      );
      expect(e.option).toBe("resources.cpus");
      expect(e.message).toContain(
        'Function "wide" needs 3 cpus per element, but the thread executor has 2 threads',
      );
      expect(e.message).toContain("threads: 3");
      expect(ran).toBe(0);
    } finally {
      await executor.close();
    }
  });
});
