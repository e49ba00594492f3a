/**
 * Issue 21, point 3: a stored element that was not written there for this run is never read
 * as a value. A zarr chunk with its presence record copied from another position, output or
 * run, a presence bit set for a failed element, garbage bytes in a small output's chunk, a
 * file element copied from another output, index or run: `loadOutputs` and `loadAll`
 * report a RunFolderCorruptError naming the file, and `resume` computes those elements again
 * with a warning, failed ones retried as `errors` says.
 */
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import FileSystemStore from "@zarrita/storage/fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import {
  isMissing,
  loadAll,
  loadOutputs,
  type NdArray,
  Pipeline,
  pipefunc,
  RunFolderCorruptError,
} from "../../src/index.ts";
import { tempFolders } from "../temp-folders.ts";

const tempFolder = tempFolders("pipeweave-stored-elements-");
const quiet = { progress: false } as const;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

// Every warning process.emitWarning raises while a test runs.
let warnings: (Error & { code?: string })[] = [];
const onWarning = (warning: Error) => warnings.push(warning);
beforeEach(() => {
  warnings = [];
  process.on("warning", onWarning);
});
afterEach(() => {
  process.off("warning", onWarning);
});
/** emitWarning emits on the next tick. */
const settled = () => new Promise((resolve) => setImmediate(resolve));
const untrustedWarnings = () => warnings.filter((w) => w.code === "PIPEWEAVE_STORE_UNTRUSTED");

/**
 * `x[i] -> y[i]` with y = x + offset, then `y[i] -> z[i]` with z = 2y, and `total` = sum of y
 * (one value); calls to y recorded, x in `fails` throws.
 */
function pipeline(
  offset: number,
  options: { calls?: number[]; fails?: (x: number) => boolean } = {},
) {
  const { calls = [], fails = () => false } = options;
  return new Pipeline([
    pipefunc({ output: "y", mapspec: "x[i] -> y[i]", version: 1 }, ({ x }: { x: number }) => {
      calls.push(x);
      if (fails(x)) throw new Error(`element ${x} fails`);
      return x + offset;
    }),
    pipefunc({ output: "z", mapspec: "y[i] -> z[i]", version: 1 }, ({ y }: { y: number }) => 2 * y),
  ]);
}

/** The error `work` rejects with; fails the test when it resolves. */
async function rejection(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

/** Both readers report `file` as a RunFolderCorruptError naming it, never a value. */
async function expectLoadsRefuse(runFolder: string, file: string): Promise<void> {
  for (const attempt of [() => loadOutputs("y", { runFolder }), () => loadAll({ runFolder })]) {
    const error = await rejection(attempt());
    expect(error).toBeInstanceOf(RunFolderCorruptError);
    expect(error).toMatchObject({ code: "E_RUN_FOLDER_CORRUPT", runFolder, file });
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain('output "y"');
  }
}

/** Warned once about output `y` and the file. */
async function expectWarned(file: string): Promise<void> {
  await settled();
  expect(untrustedWarnings()).toHaveLength(1);
  expect(untrustedWarnings()[0]!.message).toContain('output "y"');
  expect(untrustedWarnings()[0]!.message).toContain(file);
}

const yOf = async (runFolder: string) =>
  ((await loadOutputs("y", { runFolder })) as NdArray<number>).data;

describe("zarr chunks vouched for by their records", () => {
  // 3000 elements in chunks of 1024: c/0, c/1, c/2, each with .present/<k>.
  const n = 3000;
  const chunk1 = range(1024).map((k) => 1024 + k);

  it.each([
    [
      "another position of the same output",
      (run: string) => {
        const y = join(run, "outputs", "y");
        return [join(y, "c", "0"), join(y, ".present", "0")] as const;
      },
    ],
    [
      "the same position of another output",
      (run: string) => {
        const z = join(run, "outputs", "z");
        return [join(z, "c", "1"), join(z, ".present", "1")] as const;
      },
    ],
    [
      "the same position of the same output of another run",
      (_run: string, other: string) => {
        const y = join(other, "outputs", "y");
        return [join(y, "c", "1"), join(y, ".present", "1")] as const;
      },
    ],
  ])(
    "a chunk and its record copied from %s are refused by load, recomputed by resume",
    async (_, source) => {
      const run = join(tempFolder(), "run");
      const other = join(tempFolder(), "other");
      const options = { ...quiet, storage: "zarr" } as const;
      await pipeline(0).map({ x: range(n) }, { ...options, runFolder: run });
      await pipeline(7).map({ x: range(n) }, { ...options, runFolder: other });
      const y = join(run, "outputs", "y");
      const [chunk, record] = source(run, other);
      copyFileSync(chunk, join(y, "c", "1"));
      copyFileSync(record, join(y, ".present", "1"));

      await expectLoadsRefuse(run, join(y, "c", "1"));
      const calls: number[] = [];
      const resumed = await pipeline(0, { calls }).map(
        { x: range(n) },
        { ...options, runFolder: run, resume: true },
      );
      await expectWarned(join(y, "c", "1"));
      expect(calls).toEqual(chunk1);
      expect(resumed.y.array.data).toEqual(range(n));
      expect(await yOf(run)).toEqual(range(n));
    },
  );

  it.each([
    ["is retried and stored when it succeeds now", () => false],
    ["stays failed when it fails again", (x: number) => x === 1500],
  ])(
    "a presence bit set for a failed element: load refuses; on resume the element %s",
    async (_, failsNow) => {
      const run = join(tempFolder(), "run");
      const options = { ...quiet, storage: "zarr", errors: "continue", runFolder: run } as const;
      const first = await pipeline(0, { fails: (x) => x === 1500 }).map({ x: range(n) }, options);
      expect(first.errors.map((e) => e.index)).toEqual([[1500]]);
      // Element 1500 is offset 476 of chunk 1; the record ends with the chunk's presence bits.
      const record = join(run, "outputs", "y", ".present", "1");
      const bytes = readFileSync(record);
      const bits = bytes.length - 1024 / 8;
      expect(bytes[bits + (476 >> 3)]! & (1 << (476 & 7))).toBe(0);
      bytes[bits + (476 >> 3)]! |= 1 << (476 & 7);
      writeFileSync(record, bytes);

      await expectLoadsRefuse(run, join(run, "outputs", "y", "c", "1"));
      const calls: number[] = [];
      const resumed = await pipeline(0, { calls, fails: failsNow }).map(
        { x: range(n) },
        { ...options, resume: true },
      );
      await expectWarned(join(run, "outputs", "y", "c", "1"));
      expect(calls).toContain(1500);
      const expected = range(n).map((x) => (failsNow(x) ? "missing" : x));
      const shown = (data: readonly unknown[]) => data.map((v) => (isMissing(v) ? "missing" : v));
      expect(shown(resumed.y.array.data)).toEqual(expected);
      expect(shown(await yOf(run))).toEqual(expected);
      expect(resumed.errors.map((e) => e.index)).toEqual(failsNow(1500) ? [[1500]] : []);
    },
  );

  // 8 bytes that read as 8.37e-148.
  const garbage = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  it.each([
    [
      "written over element 3 in place",
      (chunk: string, offset: number) => {
        const bytes = readFileSync(chunk);
        bytes.set(garbage, offset);
        writeFileSync(chunk, bytes);
      },
    ],
    [
      "set as element 3 by another zarr writer",
      async (_chunk: string, _offset: number, y: string) => {
        const value = new DataView(garbage.buffer).getFloat64(0, true);
        const array = await zarr.open.v3(new FileSystemStore(y), { kind: "array" });
        await zarr.set(array as zarr.Array<"float64", FileSystemStore>, [zarr.slice(3, 4)], value);
      },
    ],
  ])(
    "a small output's chunk with 8 garbage bytes %s is refused by load, recomputed by resume",
    async (_, tamper) => {
      const run = join(tempFolder(), "run");
      const options = { ...quiet, storage: "zarr", runFolder: run } as const;
      await pipeline(0).map({ x: range(6) }, options);
      const y = join(run, "outputs", "y");
      // The chunk holding element 3: c/0 when the output is one chunk, c/3 one element per chunk.
      const single = readdirSync(join(y, "c")).includes("3");
      const chunk = join(y, "c", single ? "3" : "0");
      await tamper(chunk, single ? 0 : 3 * 8, y);

      await expectLoadsRefuse(run, chunk);
      const calls: number[] = [];
      const resumed = await pipeline(0, { calls }).map(
        { x: range(6) },
        { ...options, resume: true },
      );
      await expectWarned(chunk);
      expect(calls).toContain(3);
      expect(resumed.y.array.data).toEqual(range(6));
      expect(await yOf(run)).toEqual(range(6));
    },
  );
});

describe("file elements bound to their output, index and run", () => {
  it.each([
    [
      "another output's valid value at the same index",
      (run: string) => join(run, "outputs", "z", "2.v8"),
      2,
    ],
    ["another index of the same output", (run: string) => join(run, "outputs", "y", "1.v8"), 4],
    [
      "the same index of another run",
      (_run: string, other: string) => join(other, "outputs", "y", "2.v8"),
      2,
    ],
  ])(
    "an element replaced by %s is refused by load, recomputed by resume",
    async (_, source, index) => {
      const run = join(tempFolder(), "run");
      const other = join(tempFolder(), "other");
      const options = { ...quiet, storage: "file" } as const;
      await pipeline(0).map({ x: range(6) }, { ...options, runFolder: run });
      await pipeline(7).map({ x: range(6) }, { ...options, runFolder: other });
      const target = join(run, "outputs", "y", `${index}.v8`);
      copyFileSync(source(run, other), target);

      await expectLoadsRefuse(run, target);
      const calls: number[] = [];
      const resumed = await pipeline(0, { calls }).map(
        { x: range(6) },
        { ...options, runFolder: run, resume: true },
      );
      await expectWarned(target);
      expect(calls).toEqual([index]);
      expect(resumed.y.array.data).toEqual(range(6));
      expect(await yOf(run)).toEqual(range(6));
    },
  );

  it("a single value copied from another run is recomputed, never read", async () => {
    const run = join(tempFolder(), "run");
    const other = join(tempFolder(), "other");
    let calls = 0;
    const single = (offset: number) =>
      new Pipeline([
        pipefunc({ output: "y", version: 1 }, ({ x }: { x: number }) => {
          calls++;
          return x + offset;
        }),
      ]);
    await single(0).map({ x: 5 }, { ...quiet, runFolder: run });
    await single(7).map({ x: 5 }, { ...quiet, runFolder: other });
    const target = join(run, "outputs", "y", "0.v8");
    copyFileSync(join(other, "outputs", "y", "0.v8"), target);

    await expectLoadsRefuse(run, target);
    calls = 0;
    const resumed = await single(0).map({ x: 5 }, { ...quiet, runFolder: run, resume: true });
    await expectWarned(target);
    expect(calls).toBe(1);
    expect(resumed.y.output).toBe(5);
    expect(await loadOutputs("y", { runFolder: run })).toBe(5);
  });
});

describe("a distrusted element that fails again on resume", () => {
  it.each([
    [
      "file",
      (run: string, other: string) =>
        copyFileSync(join(other, "outputs", "y", "2.v8"), join(run, "outputs", "y", "2.v8")),
      (x: number) => x === 2,
    ],
    [
      "zarr",
      async (run: string) => {
        const y = join(run, "outputs", "y");
        const array = await zarr.open.v3(new FileSystemStore(y), { kind: "array" });
        await zarr.set(array as zarr.Array<"float64", FileSystemStore>, [zarr.slice(2, 3)], 1e300);
      },
      // Every element of the one chunk fails: the chunk holds nothing, and goes.
      () => true,
    ],
  ] as const)(
    "leaves %s storage reading it as missing, not as an error",
    async (storage, tamper, failsNow) => {
      const run = join(tempFolder(), "run");
      const other = join(tempFolder(), "other");
      const options = { ...quiet, storage, errors: "continue" } as const;
      await pipeline(0).map({ x: range(6) }, { ...options, runFolder: run });
      await pipeline(7).map({ x: range(6) }, { ...options, runFolder: other });
      await tamper(run, other);

      await pipeline(0, { fails: failsNow }).map(
        { x: range(6) },
        { ...options, runFolder: run, resume: true },
      );
      await expectWarned(join(run, "outputs", "y"));
      const shown = (await yOf(run)).map((v) => (isMissing(v) ? "missing" : v));
      expect(shown).toEqual(range(6).map((x) => (failsNow(x) ? "missing" : x)));
    },
  );
});
