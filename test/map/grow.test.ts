import { cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serialize } from "node:v8";
import { describe, expect, it } from "vitest";
import { loadOutputs, type NdArray, RunFolderMismatchError } from "../../src/index.ts";
import { growStores } from "../../src/map/grow.ts";
import { tempFolders } from "../temp-folders.ts";
import { partial } from "./fixtures/partial-pipeline.ts";

const folder = tempFolders("pipeweave-grow-");
const range = (n: number, scale = 1) => Array.from({ length: n }, (_, k) => k * scale);

/** Counts computed elements per function by listening to the map's progress. */
function counting() {
  const computed: Record<string, number> = {};
  return {
    computed,
    progress: {
      onProgress(node: string, done: number, failed: number, skipped: number) {
        computed[node] = (computed[node] ?? 0) + done - failed - skipped;
      },
    },
  };
}

type Storage = "file" | "zarr" | "memory";

async function fresh(inputs: { a: number[]; b: number[] }) {
  return partial.map(inputs, { progress: false });
}

describe('resume: "extend"', () => {
  it.each(["file", "zarr"] as const)(
    "grows 10 x 10 to 10 x 15 computing only the 50 new elements, and reruns the reduction (%s)",
    async (storage: Storage) => {
      const runFolder = folder();
      const a = range(10, 100);
      await partial.map({ a, b: range(10) }, { runFolder, storage, progress: false });
      const { computed, progress } = counting();
      const grown = { a, b: range(15) };
      const results = await partial.map(grown, {
        runFolder,
        storage,
        resume: "extend",
        progress,
      });
      // c: only the new columns; d reduces over the grown axis j, so all of it runs again;
      // e: the 5 new b's; total reads d whole.
      expect(computed).toEqual({ c: 50, d: 10, e: 5, total: 1 });
      const expected = await fresh(grown);
      expect(results.c.array.shape).toEqual([10, 15]);
      expect(results.c.array.data).toEqual(expected.c.array.data);
      expect(results.d.array.data).toEqual(expected.d.array.data);
      expect(results.total.output).toEqual(expected.total.output);
      // What is on disk reads back as the fresh run, and run.json has the new axes.
      const c = (await loadOutputs("c", { runFolder })) as NdArray<number>;
      expect(c.data).toEqual(expected.c.array.data);
      expect(await loadOutputs("total", { runFolder })).toBe(expected.total.output);
      const record = JSON.parse(readFileSync(join(runFolder, "run.json"), "utf8"));
      expect(record.axes).toEqual({ i: 10, j: 15 });
      // A second resume of the grown folder computes nothing.
      const again = counting();
      await partial.map(grown, { runFolder, storage, resume: true, progress: again.progress });
      expect(Object.values(again.computed).every((n) => n === 0)).toBe(true);
    },
  );

  it("grows the first axis keeping every stored row; d is element-wise along i", async () => {
    const runFolder = folder();
    const b = range(4);
    await partial.map({ a: range(3, 10), b }, { runFolder, storage: "zarr", progress: false });
    const { computed, progress } = counting();
    const grown = { a: range(5, 10), b };
    const results = await partial.map(grown, {
      runFolder,
      storage: "zarr",
      resume: "extend",
      progress,
    });
    // e reads b only: nothing of it is computed again.
    expect(computed).toEqual({ c: 8, d: 2, total: 1 });
    expect(results.c.array.data).toEqual((await fresh(grown)).c.array.data);
  });

  it("rewrites the zarr coordinates for the new shape", async () => {
    const runFolder = folder();
    await partial.map({ a: [1, 2], b: [3] }, { runFolder, storage: "zarr", progress: false });
    await partial.map(
      { a: [1, 2], b: [3, 4, 5] },
      { runFolder, storage: "zarr", resume: "extend", progress: false },
    );
    const meta = JSON.parse(readFileSync(join(runFolder, "outputs", "b", "zarr.json"), "utf8"));
    expect(meta.shape).toEqual([3]);
    const bytes = readFileSync(join(runFolder, "outputs", "b", "c", "0"));
    expect([...new Float64Array(bytes.buffer, bytes.byteOffset, 3)]).toEqual([3, 4, 5]);
  });

  it("with memory storage nothing was stored, so every element runs and values are right", async () => {
    const runFolder = folder();
    await partial.map({ a: [1, 2], b: [3] }, { runFolder, storage: "memory", progress: false });
    const { computed, progress } = counting();
    const grown = { a: [1, 2], b: [3, 4] };
    const results = await partial.map(grown, {
      runFolder,
      storage: "memory",
      resume: "extend",
      progress,
    });
    expect(computed.c).toBe(4);
    expect(results.c.array.data).toEqual((await fresh(grown)).c.array.data);
  });

  it("plain resume: true still refuses a grown input", async () => {
    const runFolder = folder();
    await partial.map({ a: [1, 2], b: [3] }, { runFolder, progress: false });
    const error = await partial
      .map({ a: [1, 2], b: [3, 4] }, { runFolder, resume: true, progress: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFolderMismatchError);
    expect((error as RunFolderMismatchError).differences).toEqual([
      'input "b" has a different value: it was only extended, which resume: "extend" grows the run by',
    ]);
  });

  describe("refuses what is no extension, naming the input and the first differing index", () => {
    const mismatch = async (
      before: { a: number[]; b: number[] },
      after: { a: number[]; b: number[] },
    ) => {
      const runFolder = folder();
      await partial.map(before, { runFolder, progress: false });
      const error = await partial
        .map(after, { runFolder, resume: "extend", progress: false })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RunFolderMismatchError);
      return (error as RunFolderMismatchError).differences;
    };

    it("an edited value", async () => {
      const differences = await mismatch({ a: [1, 2, 3], b: [0] }, { a: [1, 7, 3, 4], b: [0] });
      expect(differences).toEqual([expect.stringContaining('input "a" changed at index [1]')]);
    });

    it("a removed value", async () => {
      const differences = await mismatch({ a: [1, 2, 3], b: [0] }, { a: [1, 2], b: [0] });
      expect(differences).toEqual([
        expect.stringContaining('input "a" lost values along axis "i"'),
      ]);
      expect(differences[0]).toContain("index [2] was removed");
    });

    it("a changed mapspec", async () => {
      const runFolder = folder();
      await partial.map({ a: [1], b: [0] }, { runFolder, progress: false });
      const { Pipeline, pipefunc } = await import("../../src/index.ts");
      const other = new Pipeline([
        pipefunc(
          { output: "c", mapspec: "a[j], b[i] -> c[j, i]" },
          ({ a, b }: { a: number; b: number }) => a + b,
        ),
      ]);
      const error = await other
        .map({ a: [1, 2], b: [0] }, { runFolder, resume: "extend", progress: false })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RunFolderMismatchError);
      expect((error as RunFolderMismatchError).differences.join("\n")).toContain(
        'function "c" has mapspec',
      );
    });
  });
});

describe('resume: "extend" after a growth was interrupted', () => {
  const before = { a: range(4, 100), b: range(3) };
  const after = { a: range(4, 100), b: range(5) };
  const grownLengths = new Map([
    ["i", 4],
    ["j", 5],
  ]);
  const record = (runFolder: string) =>
    JSON.parse(readFileSync(join(runFolder, "run.json"), "utf8")) as { id: string };

  /** Resumes with "extend" and checks the result is a fresh run's, computing only new c's. */
  async function resumes(runFolder: string, storage: Storage, newC: number) {
    const { computed, progress } = counting();
    const results = await partial.map(after, { runFolder, storage, resume: "extend", progress });
    expect(computed.c ?? 0).toBe(newC);
    const expected = await fresh(after);
    expect(results.c.array.data).toEqual(expected.c.array.data);
    expect(results.d.array.data).toEqual(expected.d.array.data);
    expect(results.total.output).toBe(expected.total.output);
  }

  it.each(["file", "zarr"] as const)(
    "with a half-written copy of a store left beside it (%s)",
    async (storage) => {
      const runFolder = folder();
      await partial.map(before, { runFolder, storage, progress: false });
      const partialCopy = join(runFolder, "outputs", ".c.growing");
      mkdirSync(partialCopy, { recursive: true });
      writeFileSync(join(partialCopy, "meta.json"), "{ half");
      await resumes(runFolder, storage, 8);
    },
  );

  it.each(["file", "zarr"] as const)(
    "with the stores grown but the inputs and run.json not yet rewritten (%s)",
    async (storage) => {
      const runFolder = folder();
      await partial.map(before, { runFolder, storage, progress: false });
      await growStores(
        runFolder,
        record(runFolder).id,
        ["c", "d", "e", "total"],
        grownLengths,
        new Set(["d", "total"]),
      );
      await resumes(runFolder, storage, 8);
    },
  );

  it("with the stores grown and the inputs rewritten, but not run.json", async () => {
    const runFolder = folder();
    await partial.map(before, { runFolder, storage: "file", progress: false });
    await growStores(
      runFolder,
      record(runFolder).id,
      ["c", "d", "e", "total"],
      grownLengths,
      new Set(["d", "total"]),
    );
    writeFileSync(join(runFolder, "inputs", "b.v8"), serialize(after.b));
    await resumes(runFolder, "file", 8);
  });

  it.each(["file", "zarr"] as const)(
    "between the two renames of a store's swap (%s)",
    async (storage) => {
      const runFolder = folder();
      await partial.map(before, { runFolder, storage, progress: false });
      // The grown copy, made in a copy of the folder, stands complete beside the old store,
      // which was moved aside: the state between the swap's two renames.
      const copy = folder();
      cpSync(runFolder, copy, { recursive: true });
      await growStores(copy, record(copy).id, ["c"], grownLengths, new Set());
      const outputs = join(runFolder, "outputs");
      renameSync(join(outputs, "c"), join(outputs, ".c.old"));
      cpSync(join(copy, "outputs", "c"), join(outputs, ".c.grown"), { recursive: true });
      await resumes(runFolder, storage, 8);
    },
  );
});
