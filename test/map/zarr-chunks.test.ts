import { type ChildProcess, execFile, spawn } from "node:child_process";
import { type Dirent, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import FileSystemStore from "@zarrita/storage/fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import {
  isMissing,
  loadAll,
  loadOutputs,
  MISSING,
  type NdArray,
  Pipeline,
  pipefunc,
  RunFolderCorruptError,
} from "../../src/index.ts";
import { openZarrStore } from "../../src/map/storage/zarr.ts";
import { chooseChunkShape } from "../../src/map/storage/zarr-chunks.ts";
import { tempFolders } from "../temp-folders.ts";

const execFileAsync = promisify(execFile);
/** The SIGKILL child of the run folder reliability tests: `x[i] -> y[i]`, y = x + offset. */
const child = join(import.meta.dirname, "..", "reliability", "fixtures", "run-folder-child.ts");

const tempFolder = tempFolders("pipeweave-zarr-chunks-");

const quiet = { progress: false } as const;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

/** `a[i], b[j] -> c[i, j]` with c = a * 1000 + b, recording each call. */
function gridPipeline(calls: number[] = []) {
  return new Pipeline([
    pipefunc(
      { output: "c", mapspec: "a[i], b[j] -> c[i, j]", version: 1 },
      ({ a, b }: { a: number; b: number }) => {
        const value = a * 1000 + b;
        calls.push(value);
        return value;
      },
    ),
  ]);
}

/**
 * `x[i] -> y[i]`: y = x / 2, NaN (a value, not a failure) when x % 5 is 0, and a failure when
 * `fails(x)`; every call recorded.
 */
function failingPipeline(fails: (x: number) => boolean, calls: number[] = []) {
  return new Pipeline([
    pipefunc({ output: "y", mapspec: "x[i] -> y[i]", version: 1 }, ({ x }: { x: number }) => {
      calls.push(x);
      if (fails(x)) throw new Error(`element ${x} fails`);
      return x % 5 === 0 ? Number.NaN : x / 2;
    }),
  ]);
}

const expectedY = (x: number) => (x % 5 === 0 ? Number.NaN : x / 2);

/** Runs `work`; returns its result and the PIPEWEAVE_STORE_UNTRUSTED warnings it raised. */
async function warningsDuring<T>(work: () => Promise<T>): Promise<[T, Error[]]> {
  const warnings: Error[] = [];
  const onWarning = (warning: Error & { code?: string }) => {
    if (warning.code === "PIPEWEAVE_STORE_UNTRUSTED") warnings.push(warning);
  };
  process.on("warning", onWarning);
  try {
    const result = await work();
    // emitWarning emits on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    return [result, warnings];
  } finally {
    process.off("warning", onWarning);
  }
}

describe("zarr chunk shape", () => {
  it.each([
    [[], []],
    [
      [2, 3],
      [2, 3],
    ],
    [[255], [255]],
    [[256], [256]],
    [[3000], [1024]],
    [
      [300, 300],
      [4, 300],
    ],
    [
      [40, 40],
      [26, 40],
    ],
    [
      [5, 1000, 3],
      [1, 342, 3],
    ],
    [
      [2, 2, 2, 2, 2, 2, 2, 2, 2],
      [2, 2, 2, 2, 2, 2, 2, 2, 2],
    ],
    [
      [3, 2, 2, 2, 2, 2, 2, 2, 2, 2],
      [2, 2, 2, 2, 2, 2, 2, 2, 2, 2],
    ],
    [
      [0, 5000],
      [1, 5000],
    ],
  ])("gives shape %j chunks %j", (shape, chunks) => {
    expect(chooseChunkShape(shape)).toEqual(chunks);
  });
});

describe("zarr run folders in chunks", () => {
  it("writes a 300 x 300 sweep in at most one file per 256 elements, as a Zarr v3 array with its dims", async () => {
    const folder = join(tempFolder(), "run");
    const n = 300;
    await gridPipeline().map(
      { a: range(n), b: range(n) },
      { ...quiet, runFolder: folder, storage: "zarr" },
    );
    const output = join(folder, "outputs", "c");
    const files = listFiles(output);
    expect(files.length).toBeLessThanOrEqual(90000 / 256 + 4);
    // 75 chunks of [4, 300], each with its presence record, zarr.json and meta.json.
    expect(files.filter((f) => f.startsWith("c/"))).toHaveLength(75);
    expect(files.filter((f) => f.startsWith(".present/"))).toHaveLength(75);
    expect(files.filter((f) => !/^(c|\.present)\//.test(f))).toEqual(["meta.json", "zarr.json"]);
    expect(files.some((f) => f.split("/").some((p) => p.endsWith(".tmp")))).toBe(false);

    expect(JSON.parse(readFileSync(join(output, "zarr.json"), "utf8"))).toEqual({
      zarr_format: 3,
      node_type: "array",
      shape: [300, 300],
      data_type: "float64",
      chunk_grid: { name: "regular", configuration: { chunk_shape: [4, 300] } },
      chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
      codecs: [{ name: "bytes", configuration: { endian: "little" } }],
      fill_value: "NaN",
      dimension_names: ["i", "j"],
      attributes: {},
    });
    const array = await zarr.open.v3(new FileSystemStore(output), { kind: "array" });
    expect(array.dimensionNames).toEqual(["i", "j"]);
    const all = await zarr.get(array);
    const data = all.data as Float64Array;
    expect(data).toHaveLength(90000);
    expect(data[0]).toBe(0);
    expect(data[301]).toBe(1001);
    expect(data[89999]).toBe(299299);
    expect(Array.from(data).every((v, k) => v === Math.floor(k / n) * 1000 + (k % n))).toBe(true);
  });

  it("edge chunks overhang the array and read back through zarrita and loadOutputs", async () => {
    const folder = join(tempFolder(), "run");
    // 3000 elements in chunks of 1024: the last chunk holds 952 and the fill value after them.
    const calls: number[] = [];
    await failingPipeline(() => false, calls).map(
      { x: range(3000) },
      { ...quiet, runFolder: folder, storage: "zarr" },
    );
    const output = join(folder, "outputs", "y");
    expect(listFiles(join(output, "c"))).toEqual(["0", "1", "2"]);
    expect(readFileSync(join(output, "c", "2"))).toHaveLength(1024 * 8);
    const array = await zarr.open.v3(new FileSystemStore(output), { kind: "array" });
    const data = Array.from((await zarr.get(array)).data as Float64Array);
    expect(data).toEqual(range(3000).map(expectedY));
    const loaded = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
    expect(loaded.data).toEqual(range(3000).map(expectedY));
  });

  it("recomputes on resume the failed elements that share a chunk with stored ones, and no NaN value", async () => {
    const folder = join(tempFolder(), "run");
    const failing = (x: number) => x % 7 === 3;
    const first = await failingPipeline(failing).map(
      { x: range(600) },
      { ...quiet, runFolder: folder, storage: "zarr", errors: "continue" },
    );
    const failed = range(600).filter(failing);
    expect(first.errors.map((e) => e.index[0])).toEqual(failed);
    // One chunk of 600: stored values, NaN values and failed elements side by side.
    expect(listFiles(join(folder, "outputs", "y", "c"))).toEqual(["0"]);
    const before = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
    expect(before.data.map((v) => (isMissing(v) ? "missing" : v))).toEqual(
      range(600).map((x) => (failing(x) ? "missing" : expectedY(x))),
    );

    const calls: number[] = [];
    const resumed = await failingPipeline(() => false, calls).map(
      { x: range(600) },
      { ...quiet, runFolder: folder, storage: "zarr", errors: "continue", resume: true },
    );
    expect(calls).toEqual(failed);
    expect(resumed.y.array.data).toEqual(range(600).map(expectedY));
    const after = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
    expect(after.data).toEqual(range(600).map(expectedY));
  });

  it.each([
    ["has no presence record", (record: string, _chunk: string) => rmSync(record)],
    [
      "has bytes its record was not written for",
      (_record: string, chunk: string) => {
        // Same length, other bytes: no crash leaves this, as the record is renamed first.
        const bytes = readFileSync(chunk);
        bytes[0] = bytes[0]! ^ 0xff;
        writeFileSync(chunk, bytes);
      },
    ],
  ])(
    "refuses to load a chunk that %s; resume recomputes it, and only it, with a warning",
    async (_, damage) => {
      const folder = join(tempFolder(), "run");
      const inputs = { a: range(40), b: range(40) };
      await gridPipeline().map(inputs, { ...quiet, runFolder: folder, storage: "zarr" });
      const output = join(folder, "outputs", "c");
      // Chunks of [26, 40]: rows 0-25 in c/0/0, rows 26-39 in c/1/0 (overhanging by 12 rows).
      expect(listFiles(output).filter((f) => f !== "meta.json" && f !== "zarr.json")).toEqual([
        ".present/0.0",
        ".present/1.0",
        "c/0/0",
        "c/1/0",
      ]);
      const chunk = join(output, "c", "1", "0");
      damage(join(output, ".present", "1.0"), chunk);

      const error = await loadOutputs("c", { runFolder: folder }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RunFolderCorruptError);
      expect(error).toMatchObject({ code: "E_RUN_FOLDER_CORRUPT", file: chunk });
      const calls: number[] = [];
      const [resumed, warnings] = await warningsDuring(() =>
        gridPipeline(calls).map(inputs, {
          ...quiet,
          runFolder: folder,
          storage: "zarr",
          resume: true,
        }),
      );
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toContain(chunk);
      expect(calls).toEqual(range(14 * 40).map((k) => (26 + Math.floor(k / 40)) * 1000 + (k % 40)));
      expect(resumed.c.array.data).toEqual(
        range(1600).map((k) => Math.floor(k / 40) * 1000 + (k % 40)),
      );
      const all = await loadAll({ runFolder: folder });
      expect((all.c as NdArray<number>).data).toEqual(resumed.c.array.data);
    },
  );

  it.each([
    ["a truncated chunk", (output: string) => join(output, "c", "0")],
    ["a garbage presence record", (output: string) => join(output, ".present", "0")],
  ])(
    "reports %s as a RunFolderCorruptError naming it; deleting it recomputes its chunk",
    async (_, fileOf) => {
      const folder = join(tempFolder(), "run");
      await failingPipeline(() => false).map(
        { x: range(600) },
        { ...quiet, runFolder: folder, storage: "zarr" },
      );
      const file = fileOf(join(folder, "outputs", "y"));
      writeFileSync(file, Buffer.from([1, 2, 3]));
      for (const attempt of [
        () => loadOutputs("y", { runFolder: folder }),
        () => loadAll({ runFolder: folder }),
        () =>
          failingPipeline(() => false).map(
            { x: range(600) },
            { ...quiet, runFolder: folder, storage: "zarr", resume: true },
          ),
      ]) {
        const error = await attempt().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RunFolderCorruptError);
        expect(error).toMatchObject({ code: "E_RUN_FOLDER_CORRUPT", file });
        expect((error as Error).message).toContain(file);
      }
      rmSync(file);
      const calls: number[] = [];
      const resumed = await failingPipeline(() => false, calls).map(
        { x: range(600) },
        { ...quiet, runFolder: folder, storage: "zarr", resume: true },
      );
      expect(calls).toEqual(range(600));
      expect(resumed.y.array.data).toEqual(range(600).map(expectedY));
    },
  );

  it("resumes a folder written one element per chunk without records, computing it again in that layout", async () => {
    const folder = join(tempFolder(), "run");
    const inputs = { a: range(20), b: range(20) };
    await gridPipeline().map(inputs, { ...quiet, runFolder: folder, storage: "zarr" });
    // Rewrite the output as pipeweave wrote every zarr output before chunking: zarrita's
    // array of [1, 1] chunks, one file per element, no presence records. Nothing vouches for
    // those chunks, so none is read.
    const output = join(folder, "outputs", "c");
    rmSync(join(output, "c"), { recursive: true });
    rmSync(join(output, ".present"), { recursive: true });
    rmSync(join(output, "zarr.json"));
    const legacy = await zarr.create(new FileSystemStore(output), {
      shape: [20, 20],
      chunkShape: [1, 1],
      dtype: "float64",
      codecs: [{ name: "bytes", configuration: { endian: "little" } }],
      fillValue: Number.NaN,
      dimensionNames: ["i", "j"],
      attributes: {},
    });
    const kept = range(400).filter((k) => k % 9 !== 4);
    for (const k of kept) {
      const [i, j] = [Math.floor(k / 20), k % 20];
      await zarr.set(legacy, [zarr.slice(i, i + 1), zarr.slice(j, j + 1)], i * 1000 + j);
    }
    expect(listFiles(join(output, "c"))).toHaveLength(kept.length);

    const error = await loadAll({ runFolder: folder }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFolderCorruptError);
    expect((error as Error).message).toContain("has no presence record");

    const calls: number[] = [];
    const [resumed, warnings] = await warningsDuring(() =>
      gridPipeline(calls).map(inputs, {
        ...quiet,
        runFolder: folder,
        storage: "zarr",
        resume: true,
      }),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain(`has ${kept.length} stored files`);
    const value = (k: number) => Math.floor(k / 20) * 1000 + (k % 20);
    expect(calls).toEqual(range(400).map(value));
    expect(resumed.c.array.data).toEqual(range(400).map(value));
    // Still one element per chunk, each with its record now, and read back.
    expect(JSON.parse(readFileSync(join(output, "zarr.json"), "utf8")).chunk_grid).toEqual({
      name: "regular",
      configuration: { chunk_shape: [1, 1] },
    });
    expect(listFiles(join(output, "c"))).toHaveLength(400);
    expect(listFiles(join(output, ".present"))).toHaveLength(400);
    const loaded = (await loadOutputs("c", { runFolder: folder })) as NdArray<number>;
    expect(loaded.data).toEqual(range(400).map(value));
  });
});

describe("zarr chunks across a SIGKILL", () => {
  interface ChildArgs {
    readonly mode: "fresh" | "resume";
    readonly n: number;
    readonly ms: number;
    readonly readyAfter: number;
  }
  const argv = (folder: string, a: ChildArgs) => [
    "--import",
    "tsx",
    child,
    folder,
    a.mode,
    "zarr",
    String(a.n),
    String(a.ms),
    "0",
    String(a.readyAfter),
  ];
  const exited = (proc: ChildProcess) =>
    proc.exitCode !== null || proc.signalCode !== null
      ? Promise.resolve()
      : new Promise((resolve) => proc.once("exit", resolve));

  it("keeps every complete chunk, resumes computing exactly what was not stored, and gets every value right", async () => {
    const folder = join(tempFolder(), "run");
    const n = 3000;
    // 0.5 ms per element, killed after 1,500: chunk 0 (elements 0-1023) is complete by then.
    const proc = spawn(
      process.execPath,
      argv(folder, { mode: "fresh", n, ms: 0.5, readyAfter: 1500 }),
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    await new Promise<void>((resolve, reject) => {
      let out = "";
      proc.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("ready")) resolve();
      });
      proc.once("exit", (code) => reject(new Error(`child exited (${code}) before ready: ${out}`)));
    });
    proc.kill("SIGKILL");
    await exited(proc);

    const y = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
    const stored = y.data.flatMap((v, x) => (isMissing(v) ? [] : [x]));
    expect(stored.length).toBeGreaterThanOrEqual(1024);
    expect(stored.length).toBeLessThan(n);
    // Whatever reached the disk is right (the child stores y = x).
    expect(stored.every((x) => y.data[x] === x)).toBe(true);
    expect(range(1024).every((x) => !isMissing(y.data[x]))).toBe(true);

    const result = await execFileAsync(
      process.execPath,
      argv(folder, { mode: "resume", n, ms: 0, readyAfter: 0 }),
    );
    expect(result.stdout.trim().split("\n").at(-1)).toBe(`done ${n - stored.length}`);
    const after = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
    expect(after.data).toEqual(range(n));
  }, 60_000);
});

describe("zarr store in chunks", () => {
  it("never restores a wrong value, and restores every element of a written chunk (property)", async () => {
    const root = tempFolder();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 3 }),
        fc.infiniteStream(fc.constantFrom("set", "nan", "missing", "skip", "flush")),
        async (shape, actions) => {
          const folder = join(root, `s${run++}`);
          const dims = shape.map((_, k) => `d${k}`);
          const store = await openZarrStore({ output: "v", shape, dims, folder });
          const model = new Array<unknown>(store.size).fill(MISSING);
          const order = range(store.size).sort((a, b) => ((a * 7919) % 13) - ((b * 7919) % 13));
          let flushed = new Array<unknown>(store.size).fill(MISSING);
          const iterator = actions[Symbol.iterator]();
          for (const index of order) {
            const action = iterator.next().value!;
            if (action === "flush") {
              await store.flush();
              flushed = model.slice();
            } else if (action === "missing") {
              store.setMissing(index);
              model[index] = MISSING;
            } else if (action !== "skip") {
              const value = action === "nan" ? Number.NaN : index + 0.5;
              await store.set(index, value);
              model[index] = value;
            }
          }
          // Reopened without a final flush: every restored element holds its value, and every
          // element flushed earlier is there.
          const crashed = await openZarrStore({ output: "v", shape, dims, folder });
          for (let index = 0; index < store.size; index++) {
            if (crashed.has(index)) expect(crashed.get(index)).toEqual(model[index]);
            if (flushed[index] !== MISSING && model[index] !== MISSING) {
              expect(crashed.get(index)).toEqual(model[index]);
            }
          }
          // After a flush, the folder holds exactly what memory holds.
          await store.flush();
          const reopened = await openZarrStore({ output: "v", shape, dims, folder });
          expect(reopened.values()).toEqual(model);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("reads a chunk's previous version when a crash came between its record's rename and its own, and no older one", async () => {
    const folder = join(tempFolder(), "v");
    const options = { output: "v", shape: [600], dims: ["i"], folder, run: "r" };
    const chunk = join(folder, "c", "0");
    const store = await openZarrStore(options);
    const write = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await store.set(i, i + 0.5);
      await store.flush();
      return readFileSync(chunk);
    };
    const first = await write(0, 10);
    const second = await write(10, 20);
    await write(20, 30);
    const stored = (n: number) => range(600).map((i) => (i < n ? i + 0.5 : MISSING));

    // The third version's record is in place, the second version's chunk still on disk.
    writeFileSync(chunk, second);
    const [reopened, warnings] = await warningsDuring(() =>
      openZarrStore({ ...options, untrusted: "refuse" }),
    );
    expect(warnings).toEqual([]);
    expect(reopened.values()).toEqual(stored(20));
    // Written again from there, the new record names the version on disk as its previous.
    for (let i = 20; i < 40; i++) await reopened.set(i, i + 0.5);
    await reopened.flush();
    expect((await openZarrStore({ ...options, untrusted: "refuse" })).values()).toEqual(stored(40));

    // A version older than the record's previous was not left by a crash.
    writeFileSync(chunk, first);
    const error = await openZarrStore({ ...options, untrusted: "refuse" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFolderCorruptError);
    expect(error).toMatchObject({ file: chunk });
    expect((error as Error).message).toContain(
      'chunk of output "v" is not the chunk its presence record',
    );
  });

  it("loads what a sweep with failures stored exactly as a memory run holds it (property)", async () => {
    const root = tempFolder();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.func(fc.boolean()),
        async (ni, nj, failsOf) => {
          const fails = (a: number, b: number) => failsOf(a, b) && (a + b) % 3 === 0;
          const p = new Pipeline([
            pipefunc(
              { output: "c", mapspec: "a[i], b[j] -> c[i, j]", version: 1 },
              ({ a, b }: { a: number; b: number }) => {
                if (fails(a, b)) throw new Error("fails");
                return (a + b) % 4 === 0 ? Number.NaN : a - b / 8;
              },
            ),
          ]);
          const inputs = { a: range(ni), b: range(nj) };
          const memory = await p.map(inputs, { ...quiet, errors: "continue" });
          const runFolder = join(root, `r${run++}`);
          await p.map(inputs, { ...quiet, errors: "continue", runFolder, storage: "zarr" });
          const loaded = (await loadOutputs("c", { runFolder })) as NdArray<number>;
          expect(loaded.shape).toEqual([ni, nj]);
          expect(loaded.data).toEqual(memory.c.array.data);
          const all = await loadAll({ runFolder });
          expect((all.c as NdArray<number>).data).toEqual(memory.c.array.data);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("writes chunked bool and int64 arrays that zarrita reads", async () => {
    const root = tempFolder();
    const flags = await openZarrStore({
      output: "ok",
      shape: [600],
      dims: ["k"],
      folder: join(root, "ok"),
    });
    const counts = await openZarrStore({
      output: "n",
      shape: [3, 100],
      dims: ["i", "j"],
      folder: join(root, "n"),
    });
    for (let k = 0; k < 600; k++) {
      if (k % 3 === 0) flags.setMissing(k);
      else await flags.set(k, k % 2 === 0);
    }
    for (let k = 0; k < 300; k++) await counts.set(k, BigInt(k) * 2n ** 40n);
    await Promise.all([flags.flush(), counts.flush()]);

    const bools = await zarr.open.v3(new FileSystemStore(join(root, "ok")), { kind: "array" });
    expect(bools.chunks).toEqual([600]);
    expect(Array.from((await zarr.get(bools)).data as zarr.BoolArray)).toEqual(
      range(600).map((k) => k % 3 !== 0 && k % 2 === 0),
    );
    const ints = await zarr.open.v3(new FileSystemStore(join(root, "n")), { kind: "array" });
    expect(ints.dtype).toBe("int64");
    expect(ints.chunks).toEqual([3, 100]);
    expect(Array.from((await zarr.get(ints)).data as BigInt64Array)).toEqual(
      range(300).map((k) => BigInt(k) * 2n ** 40n),
    );
    const again = await openZarrStore({
      output: "ok",
      shape: [600],
      dims: ["k"],
      folder: join(root, "ok"),
    });
    expect(again.values()).toEqual(range(600).map((k) => (k % 3 === 0 ? MISSING : k % 2 === 0)));
  });
});
