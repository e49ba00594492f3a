/**
 * A run folder on a full or read-only disk: the map rejects once with RunFolderWriteError,
 * leaves no temporary file, records that it failed, and resumes once there is space.
 *
 * Real conditions where this machine allows them (we run as root, in CI too): a small tmpfs
 * mounted for the test, grown to free space, or remounted read-only. The same checks also run
 * with a fault injected into `fs.writeFileSync` and `fs.openSync` (every new file of a run
 * folder goes through one of them), which stands for the disk filling up after N files, so
 * the code path is tested where mounting is refused.
 */
import { execFileSync } from "node:child_process";
import fs, { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type NdArray,
  Pipeline,
  pipefunc,
  RunFolderWriteError,
  runStatus,
} from "../../src/index.ts";

let dir = "";
const mounts: string[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pipeweave-disk-"));
});
afterEach(() => {
  for (const mount of mounts.splice(0)) execFileSync("umount", ["-l", mount]);
  rmSync(dir, { recursive: true, force: true });
});

/** Mounts a tmpfs of `size` (e.g. "256k") at a new folder under `dir`; undefined if refused. */
function mountTmpfs(size: string): string | undefined {
  const at = join(dir, "disk");
  mkdirSync(at, { recursive: true });
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", at], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  mounts.push(at);
  return at;
}

const remount = (at: string, options: string) =>
  execFileSync("mount", ["-o", `remount,${options}`, at], { stdio: "ignore" });

const CAN_MOUNT = (() => {
  const probe = mkdtempSync(join(tmpdir(), "pipeweave-mount-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { stdio: "ignore" });
    execFileSync("umount", [probe]);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

/**
 * Makes new files under `folder` fail with `code` after `after` of them were written, as a
 * disk filling up does: the file is created, empty, then the write fails (an error naming no
 * file, as write(2) gives it). Files are written by `fs.writeFileSync`, or opened for writing
 * with `fs.openSync` (parts written with writev); a file opened to be rewritten in place
 * (`r+`) needs no new space and is let through. Returns the undo.
 */
function injectWriteFailure(folder: string, code: string, after: number): () => void {
  const { writeFileSync, openSync } = fs;
  let writes = 0;
  const full = (file: unknown) =>
    typeof file === "string" && file.startsWith(folder) && ++writes > after;
  const failure = () =>
    Object.assign(new Error(`${code}: injected, write`), { code, syscall: "write" });
  fs.writeFileSync = ((file: fs.PathOrFileDescriptor, data: never, options?: never) => {
    if (!full(file)) return writeFileSync(file, data, options);
    writeFileSync(file, "");
    throw failure();
  }) as typeof fs.writeFileSync;
  fs.openSync = ((file: fs.PathLike, flags: fs.OpenMode = "r", mode?: fs.Mode) => {
    if (flags !== "w" || !full(file)) return openSync(file, flags, mode);
    fs.closeSync(openSync(file, "w"));
    throw failure();
  }) as typeof fs.openSync;
  syncBuiltinESMExports();
  return () => {
    fs.writeFileSync = writeFileSync;
    fs.openSync = openSync;
    syncBuiltinESMExports();
  };
}

/** Counts unhandled rejections while `work` runs (and a turn after). */
async function unhandledDuring(work: () => Promise<void>): Promise<number> {
  let count = 0;
  const listener = () => {
    count++;
  };
  process.on("unhandledRejection", listener);
  try {
    await work();
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    process.off("unhandledRejection", listener);
  }
  return count;
}

/** Every file under `folder` (relative paths). */
function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(folder.length + 1));
}

/**
 * Lengths of the sweep's two axes per storage: 2 MB of float64 in zarr, 1,600 files. The zarr
 * sweep must outlast the element loop's first time slices (20 ms): a fast machine computed all
 * of a 200 x 200 one before its chunk writes met the full disk, so "the map stopped early"
 * depended on the machine's speed.
 */
const SIDE = { zarr: 500, file: 40 } as const;
type Storage = keyof typeof SIDE;

/** A SIDE × SIDE sweep `z[i, j] = x[i] * 1000 + y[j]`, counting its calls. */
function sweep(storage: Storage, calls: { n: number }) {
  const axis = Array.from({ length: SIDE[storage] }, (_, i) => i);
  const pipeline = new Pipeline(
    [
      pipefunc(
        { output: "z", mapspec: "x[i], y[j] -> z[i, j]", version: 1 },
        ({ x, y }: { x: number; y: number }) => {
          calls.n++;
          return x * 1000 + y;
        },
      ),
    ],
    { name: "grid" },
  );
  return {
    map: (options: { readonly runFolder: string; readonly resume?: boolean }) =>
      pipeline.map({ x: axis, y: axis }, { ...options, storage, progress: false }),
    expected: axis.flatMap((x) => axis.map((y) => x * 1000 + y)),
    size: axis.length ** 2,
  };
}

/** Runs the sweep into `folder` on a disk that fills up, and checks how it ends. */
async function fillsUp(folder: string, storage: Storage) {
  const calls = { n: 0 };
  const run = sweep(storage, calls);
  let failure: unknown;
  const unhandled = await unhandledDuring(async () => {
    failure = await run.map({ runFolder: folder }).then(
      () => undefined,
      (error: unknown) => error,
    );
  });
  expect(unhandled).toBe(0);
  expect(failure).toBeInstanceOf(RunFolderWriteError);
  const error = failure as RunFolderWriteError;
  expect(error.code).toBe("E_RUN_FOLDER_WRITE");
  expect(error.reason).toBe("ENOSPC");
  expect(error.runFolder).toBe(folder);
  expect(error.file.startsWith(folder)).toBe(true);
  expect(error.message).toContain(`"${folder}"`);
  expect(error.message).toContain("disk is full (ENOSPC)");
  expect(error.message).toContain("{ resume: true }");
  // Not every element was computed: the map stopped at the full disk.
  expect(calls.n).toBeLessThan(run.size);
  expect(filesUnder(folder).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  const record = JSON.parse(readFileSync(join(folder, "run.json"), "utf8")) as { status: string };
  expect(record.status).toBe("failed");
  const status = JSON.parse(readFileSync(join(folder, "status.json"), "utf8")) as {
    state: string;
    error: string;
  };
  expect(status.state).toBe("failed");
  expect(status.error).toContain("ENOSPC");
  expect(runStatus(folder).state).toBe("failed");
}

/** Resumes the sweep once space is back: it computes only what is missing, all correct. */
async function resumes(folder: string, storage: Storage) {
  const calls = { n: 0 };
  const run = sweep(storage, calls);
  const results = await run.map({ runFolder: folder, resume: true });
  expect((results.z.output as NdArray<number>).data).toEqual(run.expected);
  expect(calls.n).toBeGreaterThan(0);
  expect(calls.n).toBeLessThan(run.size);
  expect(runStatus(folder).state).toBe("done");
}

describe.skipIf(!CAN_MOUNT)("on a real full disk (a small tmpfs)", () => {
  it("a zarr map rejects once with RunFolderWriteError, cleans up, says failed, and resumes", async () => {
    const disk = mountTmpfs("256k")!;
    const folder = join(disk, "run");
    await fillsUp(folder, "zarr");
    remount(disk, "size=16m");
    await resumes(folder, "zarr");
  });

  it("a file-storage map does the same", async () => {
    // Each element file takes a 4 kB page: 512 kB hold about a hundred of the 1,600.
    const disk = mountTmpfs("512k")!;
    const folder = join(disk, "run");
    await fillsUp(folder, "file");
    remount(disk, "size=16m");
    await resumes(folder, "file");
  });

  it("a read-only disk is a RunFolderWriteError (EROFS) naming the folder, for a new and an existing folder", async () => {
    const disk = mountTmpfs("64k")!;
    mkdirSync(join(disk, "existing"));
    remount(disk, "ro");
    for (const name of ["existing", "new"]) {
      const folder = join(disk, name);
      const failure = await sweep("file", { n: 0 })
        .map({ runFolder: folder })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failure).toBeInstanceOf(RunFolderWriteError);
      const error = failure as RunFolderWriteError;
      expect(error.code).toBe("E_RUN_FOLDER_WRITE");
      expect(error.reason).toBe("EROFS");
      expect(error.runFolder).toBe(folder);
      expect(error.message).toContain("read-only (EROFS)");
      expect(error.message).toContain(`"${folder}"`);
    }
  });
});

describe("with the full disk injected into fs (after N new files)", () => {
  it("a zarr map rejects once with RunFolderWriteError, cleans up, says failed, and resumes", async () => {
    const folder = join(dir, "run");
    // run.json, status.json, the lock's owner, inputs, the coordinate arrays and their group
    // (5 files), meta.json, zarr.json, then chunks.
    const undo = injectWriteFailure(folder, "ENOSPC", 25);
    try {
      await fillsUp(folder, "zarr");
    } finally {
      undo();
    }
    await resumes(folder, "zarr");
  });

  it("a file-storage map does the same", async () => {
    const folder = join(dir, "run");
    const undo = injectWriteFailure(folder, "ENOSPC", 300);
    try {
      await fillsUp(folder, "file");
    } finally {
      undo();
    }
    await resumes(folder, "file");
  });
});
