import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import FileSystemStore from "@zarrita/storage/fs";
import { afterEach, describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import {
  PipeweaveError,
  RunFolderCorruptError,
  RunFolderMismatchError,
  StorageValueError,
} from "../../src/errors.ts";
import { MISSING } from "../../src/map/missing.ts";
import { openFileStore } from "../../src/map/storage/file.ts";
import { createMemoryStore } from "../../src/map/storage/memory.ts";
import { createStore, loadStore } from "../../src/map/storage/open.ts";
import type { OutputStore, StorageKind, StoreOptions } from "../../src/map/storage/types.ts";
import { openZarrStore } from "../../src/map/storage/zarr.ts";

const folders: string[] = [];
const tempFolder = () => {
  const dir = mkdtempSync(join(tmpdir(), "pipeweave-storage-"));
  folders.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** What `fn` throws synchronously, or undefined. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

const grid: Omit<StoreOptions, "folder"> = { output: "c", shape: [2, 3], dims: ["i", "j"] };
const scalar: Omit<StoreOptions, "folder"> = { output: "mean", shape: [], dims: [] };

describe.each<StorageKind>(["memory", "file", "zarr"])("%s store", (kind) => {
  const open = async (options: Omit<StoreOptions, "folder">, folder?: string) =>
    createStore(kind, { ...options, folder: folder ?? join(tempFolder(), options.output) });

  it("starts with every element MISSING", async () => {
    const store = await open(grid);
    expect(store.kind).toBe(kind);
    expect(store.size).toBe(6);
    expect(store.shape).toEqual([2, 3]);
    expect(store.dims).toEqual(["i", "j"]);
    for (let index = 0; index < 6; index++) {
      expect(store.has(index)).toBe(false);
      expect(store.get(index)).toBe(MISSING);
    }
    expect(store.values()).toEqual(new Array(6).fill(MISSING));
  });

  it("returns stored values from get, has and values, row-major", async () => {
    const store = await open(grid);
    await store.set(1, 0.5);
    await store.set(5, -2);
    await store.flush();
    expect(store.has(1)).toBe(true);
    expect(store.get(1)).toBe(0.5);
    expect(store.get(5)).toBe(-2);
    expect(store.values()).toEqual([MISSING, 0.5, MISSING, MISSING, MISSING, -2]);
  });

  it("sees a value as soon as set is called, before its write settles", async () => {
    const store = await open(grid);
    const write = store.set(2, 7);
    expect(store.get(2)).toBe(7);
    expect(store.has(2)).toBe(true);
    await write;
  });

  it("masks an element with setMissing so has is false and get returns MISSING", async () => {
    const store = await open(grid);
    await store.set(0, 1);
    store.setMissing(0);
    store.setMissing(3);
    expect(store.has(0)).toBe(false);
    expect(store.get(0)).toBe(MISSING);
    expect(store.has(3)).toBe(false);
    expect(store.values()[3]).toBe(MISSING);
  });

  it("returns a copy from values", async () => {
    const store = await open(grid);
    const values = store.values();
    values[0] = 99;
    expect(store.get(0)).toBe(MISSING);
  });

  it("holds one element for a 0-D shape", async () => {
    const store = await open(scalar);
    expect(store.size).toBe(1);
    expect(store.get(0)).toBe(MISSING);
    await store.set(0, 3.25);
    expect(store.has(0)).toBe(true);
    expect(store.values()).toEqual([3.25]);
  });

  it("holds no element for a shape with an empty axis", async () => {
    const store = await open({ output: "e", shape: [0, 3], dims: ["i", "j"] });
    expect(store.size).toBe(0);
    expect(store.values()).toEqual([]);
    await store.flush();
  });

  it.each([6, -1, 1.5, Number.NaN])(
    "rejects index %s with a RangeError naming the output",
    async (index) => {
      const store = await open(grid);
      expect(() => store.get(index)).toThrow(RangeError);
      expect(() => store.has(index)).toThrow(/from 0 to 5 for output "c"/);
      expect(() => store.set(index, 1)).toThrow(RangeError);
      expect(() => store.setMissing(index)).toThrow(RangeError);
    },
  );

  it("rejects dims that do not name each axis with a TypeError", async () => {
    await expect(async () => open({ output: "c", shape: [2, 3], dims: ["i"] })).rejects.toThrow(
      /one name in `dims` per axis of output "c"/,
    );
    await expect(async () =>
      open({ output: "c", shape: [2, -1], dims: ["i", "j"] }),
    ).rejects.toThrow(TypeError);
  });
});

describe.each<Exclude<StorageKind, "memory">>(["file", "zarr"])("%s store on disk", (kind) => {
  const open = async (options: StoreOptions & { folder: string }) =>
    kind === "file" ? openFileStore(options) : openZarrStore(options);

  it("restores stored elements when its folder is opened again, and not masked ones", async () => {
    const folder = join(tempFolder(), "c");
    const first = await open({ ...grid, folder });
    await first.set(0, 1.5);
    await first.set(4, Number.NaN);
    first.setMissing(2);
    await first.flush();

    const again = await open({ ...grid, folder });
    expect(again.values()).toEqual([1.5, MISSING, MISSING, MISSING, Number.NaN, MISSING]);
    expect(again.has(4)).toBe(true);
    expect(again.has(2)).toBe(false);
  });

  it("restores a 0-D element", async () => {
    const folder = join(tempFolder(), "mean");
    const first = await open({ ...scalar, folder });
    await first.set(0, 42);
    await first.flush();
    expect((await open({ ...scalar, folder })).get(0)).toBe(42);
  });

  it("opens the folder from its meta.json with loadStore", async () => {
    const folder = join(tempFolder(), "c");
    const first = await open({ ...grid, folder });
    await first.set(3, 8);
    await first.flush();
    expect(JSON.parse(readFileSync(join(folder, "meta.json"), "utf8"))).toEqual({
      kind,
      shape: [2, 3],
      dims: ["i", "j"],
      output: "c",
    });

    const loaded = await loadStore(folder, { output: "c", run: undefined });
    expect(loaded.kind).toBe(kind);
    expect(loaded.shape).toEqual([2, 3]);
    expect(loaded.dims).toEqual(["i", "j"]);
    expect(loaded.values()).toEqual([MISSING, MISSING, MISSING, 8, MISSING, MISSING]);
  });

  it("leaves no temporary file behind after its writes", async () => {
    const folder = join(tempFolder(), "c");
    const store = await open({ ...grid, folder });
    await Promise.all([0, 1, 2, 3, 4, 5].map((index) => store.set(index, index)));
    await store.flush();
    // Dot-files other than zarr's presence records are temporaries.
    expect(
      listFiles(folder).filter((name) =>
        name.split("/").some((p) => p.startsWith(".") && p !== ".present"),
      ),
    ).toEqual([]);
  });

  it("throws RunFolderMismatchError naming the output when the folder has another shape", async () => {
    const folder = join(tempFolder(), "c");
    const first = await open({ ...grid, folder });
    await first.set(0, 1);
    await first.flush();
    const error = await Promise.resolve()
      .then(() => open({ ...grid, shape: [3, 3], folder }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFolderMismatchError);
    expect(error).toMatchObject({ code: "E_RUN_FOLDER_MISMATCH", runFolder: folder });
    expect((error as Error).message).toContain(
      'output "c" is stored with shape [2, 3], this run has [3, 3]',
    );
  });

  it("throws RunFolderMismatchError when the folder was written by the other kind", async () => {
    const folder = join(tempFolder(), "c");
    const other = kind === "file" ? openZarrStore : openFileStore;
    await (await other({ ...grid, folder })).flush();
    await expect(Promise.resolve().then(() => open({ ...grid, folder }))).rejects.toThrow(
      RunFolderMismatchError,
    );
  });
});

describe("memory store", () => {
  it("stores synchronously and returns nothing from set", () => {
    const store = createMemoryStore({ ...grid, folder: "/nonexistent/ignored" });
    expect(store.set(0, { any: "value" })).toBeUndefined();
    expect(store.get(0)).toEqual({ any: "value" });
    expect(existsSync("/nonexistent/ignored")).toBe(false);
  });
});

describe("file store", () => {
  it("writes each element as <index>.v8: a header binding it to its place, then v8.serialize(value)", () => {
    const folder = join(tempFolder(), "nested", "rows");
    const store = openFileStore({ output: "rows", shape: [3], dims: ["i"], folder, run: "r1" });
    const value = { label: "b", xs: [1, 2], when: new Date(0) };
    expect(store.set(1, value)).toBeUndefined();
    expect(listFiles(folder)).toEqual(["1.v8", "meta.json"]);
    const file = readFileSync(join(folder, "1.v8"));
    // "PWEL", format version 1, three zero bytes.
    expect([...file.subarray(0, 8)]).toEqual([0x50, 0x57, 0x45, 0x4c, 1, 0, 0, 0]);
    const bytes = serialize(value);
    const place = JSON.stringify(["PWEL", "r1", "rows"]);
    expect(file.subarray(8, 40)).toEqual(
      createHash("sha256").update(place).update("1\n").update(bytes).digest(),
    );
    expect(deserialize(file.subarray(40))).toEqual(value);
  });

  it.each([
    ["another run", { run: "r2" }],
    ["another output", { output: "other" }],
  ])("refuses an element written for %s, or leaves it unset with one warning", async (_, other) => {
    const folder = join(tempFolder(), "rows");
    const options = { output: "rows", shape: [3], dims: ["i"], folder, run: "r1" };
    await openFileStore(options).set(1, "kept");
    // Opened as the other store, it warns about element 1 (on the next tick).
    await openFileStore({ ...options, ...other }).set(2, "foreign");
    await new Promise((resolve) => setImmediate(resolve));
    const file = join(folder, "2.v8");
    const error = thrown(() => openFileStore({ ...options, untrusted: "refuse" }));
    expect(error).toBeInstanceOf(RunFolderCorruptError);
    expect(error).toMatchObject({ code: "E_RUN_FOLDER_CORRUPT", file });
    expect((error as Error).message).toContain(
      'element file of output "rows" was not written for element 2 of this output and run',
    );
    const warnings: (Error & { code?: string })[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const again = openFileStore(options);
      expect(again.values()).toEqual([MISSING, "kept", MISSING]);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.map((w) => w.code)).toEqual(["PIPEWEAVE_STORE_UNTRUSTED"]);
    expect(warnings[0]!.message).toContain(`output "rows" has 1 stored file`);
    expect(warnings[0]!.message).toContain(file);
  });

  it.each([
    ["a plain v8 value (no header)", serialize(1)],
    ["3 bytes", Buffer.from([1, 2, 3])],
  ])(
    "reports an element file holding %s as a RunFolderCorruptError, whatever the policy",
    async (_, bytes) => {
      const folder = join(tempFolder(), "rows");
      const options = { output: "rows", shape: [3], dims: ["i"], folder };
      await openFileStore(options).set(0, 1);
      writeFileSync(join(folder, "0.v8"), bytes);
      for (const untrusted of ["refuse", "recompute"] as const) {
        const error = thrown(() => openFileStore({ ...options, untrusted }));
        expect(error).toBeInstanceOf(RunFolderCorruptError);
        expect((error as Error).message).toContain(
          'element file of output "rows" is not a pipeweave element file',
        );
      }
    },
  );

  it("restores any serializable value, undefined included", () => {
    const folder = join(tempFolder(), "rows");
    const first = openFileStore({ output: "rows", shape: [3], dims: ["i"], folder });
    const values = ["text", new Map([["k", [1n, null]]]), undefined];
    for (const [index, value] of values.entries()) expect(first.set(index, value)).toBeUndefined();
    const again = openFileStore({ output: "rows", shape: [3], dims: ["i"], folder });
    expect(again.values()).toEqual(values);
    expect(again.has(2)).toBe(true);
  });

  it("ignores a temporary file left by a crashed write when opened", () => {
    const folder = join(tempFolder(), "rows");
    expect(
      openFileStore({ output: "rows", shape: [3], dims: ["i"], folder }).set(0, "kept"),
    ).toBeUndefined();
    writeFileSync(join(folder, `.2.v8.${process.pid}.deadbeef.tmp`), Buffer.from([0xff, 0x0d]));
    writeFileSync(join(folder, ".tmp"), "half");

    const again = openFileStore({ output: "rows", shape: [3], dims: ["i"], folder });
    expect(again.has(2)).toBe(false);
    expect(again.values()).toEqual(["kept", MISSING, MISSING]);
  });

  it.each([
    ["a function", () => 1],
    ["a symbol", Symbol("s")],
    ["an object holding a function", { fit: () => 1 }],
  ])("throws StorageValueError for %s and writes nothing", (_, value) => {
    const folder = join(tempFolder(), "model");
    const store = openFileStore({ output: "model", shape: [2], dims: ["i"], folder });
    const error = thrown(() => store.set(1, value));
    expect(error).toBeInstanceOf(StorageValueError);
    expect(error).toBeInstanceOf(PipeweaveError);
    expect(error).toMatchObject({ code: "E_STORAGE_VALUE", output: "model", storage: "file" });
    expect((error as Error).message).toMatch(
      /^Output "model" cannot be stored in file storage: element 1 cannot be serialized .*Return plain data/,
    );
    expect(store.has(1)).toBe(false);
    expect(listFiles(folder)).toEqual(["meta.json"]);
  });
});

describe("zarr store", () => {
  it.each([
    ["a string", "x", /element 0 is a string \("x"\)/],
    ["an object", { a: 1 }, /element 0 is an object \(Object\)/],
    ["an array", [1, 2], /element 0 is an array/],
    ["null", null, /element 0 is null/],
  ])("throws StorageValueError for %s and suggests file storage", async (_, value, detail) => {
    const folder = join(tempFolder(), "label");
    const store = await openZarrStore({ output: "label", shape: [2], dims: ["i"], folder });
    let error: unknown;
    try {
      await store.set(0, value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StorageValueError);
    expect(error).toMatchObject({ code: "E_STORAGE_VALUE", output: "label", storage: "zarr" });
    const message = (error as Error).message;
    expect(message).toMatch(/^Output "label" cannot be stored in zarr storage: /);
    expect(message).toMatch(detail);
    expect(message).toContain("zarr holds numeric or boolean scalars");
    expect(message).toContain('storage: "file"');
    expect(store.has(0)).toBe(false);
    expect(existsSync(join(folder, "zarr.json"))).toBe(false);
  });

  it("throws StorageValueError when an element's type differs from the first one's", async () => {
    const folder = join(tempFolder(), "x");
    const store = await openZarrStore({ output: "x", shape: [2], dims: ["i"], folder });
    await store.set(0, 1.5);
    expect(() => store.set(1, true)).toThrow(StorageValueError);
    expect(() => store.set(1, true)).toThrow(
      /element 1 is a boolean \(true\), but the output's array holds float64/,
    );
    expect(store.has(1)).toBe(false);
  });

  it("stores bigints as int64 and rejects one outside its range", async () => {
    const folder = join(tempFolder(), "n");
    const store = await openZarrStore({ output: "n", shape: [2], dims: ["i"], folder });
    await store.set(0, -(2n ** 62n));
    expect(() => store.set(1, 2n ** 63n)).toThrow(/outside the range of int64/);
    const array = await zarr.open.v3(new FileSystemStore(folder), { kind: "array" });
    expect(array.dtype).toBe("int64");
    const again = await openZarrStore({ output: "n", shape: [2], dims: ["i"], folder });
    expect(again.values()).toEqual([-(2n ** 62n), MISSING]);
  });

  it("ignores a temporary chunk left by a crashed write when opened", async () => {
    const folder = join(tempFolder(), "c");
    const store = await openZarrStore({ ...grid, folder });
    await store.set(0, 1);
    mkdirSync(join(folder, "c", "1"), { recursive: true });
    writeFileSync(join(folder, "c", "1", `.2.${process.pid}.deadbeef.tmp`), Buffer.from([1, 2]));
    const again = await openZarrStore({ ...grid, folder });
    expect(again.values()).toEqual([1, MISSING, MISSING, MISSING, MISSING, MISSING]);
  });

  it("reports a failed write from set and again from flush", async () => {
    const folder = join(tempFolder(), "c");
    const store = await openZarrStore({ ...grid, folder });
    await store.set(0, 1);
    // A folder where the chunk c/0/0 must go makes its rename fail.
    rmSync(join(folder, "c", "0", "0"));
    mkdirSync(join(folder, "c", "0", "0", "x"), { recursive: true });
    await expect(store.set(3, 2)).rejects.toThrow();
    await expect(store.flush()).rejects.toThrow();
    await expect(store.flush()).resolves.toBeUndefined();
  });

  it("writes Zarr v3 arrays that zarrita reads: float64 with NaN fill, bool, one chunk under 256 elements", async () => {
    const root = tempFolder();
    const c = await openZarrStore({ ...grid, folder: join(root, "c") });
    await Promise.all([c.set(0, 1.5), c.set(2, -3), c.set(4, 0.25)]);
    const ok = await openZarrStore({
      output: "ok",
      shape: [4],
      dims: ["k"],
      folder: join(root, "ok"),
    });
    await ok.set(1, true);
    await ok.set(2, false);
    await ok.set(3, true);
    await Promise.all([c.flush(), ok.flush()]);

    expect(listFiles(join(root, "c"))).toEqual([".present/0.0", "c/0/0", "meta.json", "zarr.json"]);
    const floats = await zarr.open.v3(new FileSystemStore(join(root, "c")), { kind: "array" });
    expect(floats.shape).toEqual([2, 3]);
    expect(floats.dtype).toBe("float64");
    expect(floats.chunks).toEqual([2, 3]);
    expect(floats.dimensionNames).toEqual(["i", "j"]);
    expect(floats.fillValue).toBeNaN();
    const grid2d = await zarr.get(floats);
    expect(grid2d.shape).toEqual([2, 3]);
    expect(Array.from(grid2d.data as Float64Array)).toEqual([
      1.5,
      Number.NaN,
      -3,
      Number.NaN,
      0.25,
      Number.NaN,
    ]);
    expect(await zarr.get(floats, [1, 1])).toBe(0.25);

    const metadata = JSON.parse(readFileSync(join(root, "c", "zarr.json"), "utf8"));
    expect(metadata).toMatchObject({
      zarr_format: 3,
      node_type: "array",
      data_type: "float64",
      fill_value: "NaN",
      chunk_grid: { name: "regular", configuration: { chunk_shape: [2, 3] } },
      codecs: [{ name: "bytes", configuration: { endian: "little" } }],
      dimension_names: ["i", "j"],
    });

    const bools = await zarr.open.v3(new FileSystemStore(join(root, "ok")), { kind: "array" });
    expect(bools.shape).toEqual([4]);
    expect(bools.dtype).toBe("bool");
    expect(bools.chunks).toEqual([4]);
    const flags = await zarr.get(bools);
    expect(flags.data).toBeInstanceOf(zarr.BoolArray);
    expect(Array.from(flags.data as zarr.BoolArray)).toEqual([false, true, false, true]);
  });

  it("writes a 0-D array whose single chunk is c, its record .present/c", async () => {
    const folder = join(tempFolder(), "mean");
    const store = await openZarrStore({ ...scalar, folder });
    await store.set(0, 2.5);
    expect(listFiles(folder)).toEqual([".present/c", "c", "meta.json", "zarr.json"]);
    const array = await zarr.open.v3(new FileSystemStore(folder), { kind: "array" });
    expect(array.shape).toEqual([]);
    expect(array.chunks).toEqual([]);
    expect(await zarr.get(array)).toBe(2.5);
  });

  it("writes zarr.json only on the first set", async () => {
    const folder = join(tempFolder(), "c");
    const store = await openZarrStore({ ...grid, folder });
    expect(listFiles(folder)).toEqual(["meta.json"]);
    await store.set(0, 1);
    expect(existsSync(join(folder, "zarr.json"))).toBe(true);
  });
});

describe("createStore", () => {
  it.each<StorageKind>(["file", "zarr"])(
    "throws a TypeError when %s storage has no folder",
    (kind) => {
      expect(() => createStore(kind, grid)).toThrow(TypeError);
      expect(() => createStore(kind, grid)).toThrow(
        `Expected \`folder\` for "${kind}" storage of output "c", got \`undefined\` (undefined). ` +
          'Pass a runFolder, or use storage: "memory".',
      );
    },
  );

  it("throws a TypeError listing the kinds for an unknown kind", () => {
    expect(() => createStore("redis" as StorageKind, grid)).toThrow(
      'Expected `storage` of output "c" to be one of "memory", "file", "zarr", got `redis` (string).',
    );
  });

  it("returns a store synchronously for memory and file, a promise for zarr", () => {
    const root = tempFolder();
    const memory: OutputStore | Promise<OutputStore> = createStore("memory", grid);
    expect(memory).not.toBeInstanceOf(Promise);
    expect(createStore("file", { ...grid, folder: join(root, "f") })).not.toBeInstanceOf(Promise);
    const zarrStore = createStore("zarr", { ...grid, folder: join(root, "z") });
    expect(zarrStore).toBeInstanceOf(Promise);
    return zarrStore;
  });
});

describe("loadStore", () => {
  it("throws an error naming the folder when it has no meta.json", async () => {
    const folder = tempFolder();
    await expect(loadStore(folder, { output: "c", run: undefined })).rejects.toThrow(
      `No output store in "${folder}": it has no meta.json.`,
    );
  });

  it("throws an error naming meta.json when it is not a store description", async () => {
    const folder = tempFolder();
    writeFileSync(join(folder, "meta.json"), '{"kind":"csv"}');
    await expect(loadStore(folder, { output: "c", run: undefined })).rejects.toThrow(
      /corrupt file ".*meta\.json": it does not describe a pipeweave store/,
    );
  });
});
