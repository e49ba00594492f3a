import { type ChildProcess, execFile, spawn } from "node:child_process";
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { serialize } from "node:v8";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { Pipeline, pipefunc } from "../../src/index.ts";

const run = promisify(execFile);
const folders: string[] = [];
const tempFolder = () => {
  const f = mkdtempSync(join(tmpdir(), "pipeweave-corrupt-cache-"));
  folders.push(f);
  return f;
};
afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

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
const corruptWarnings = () => warnings.filter((w) => w.code === "PIPEWEAVE_CACHE_CORRUPT");

/** Every entry file of a disk cache folder. */
const entries = (folder: string): string[] =>
  readdirSync(folder, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".v8"))
    .map((f) => join(folder, f));

/**
 * A cached function that counts its calls, and a pipeline factory on one disk folder. The
 * counter is no input of the result, so a `version` vouches for what the function captures.
 */
function counted(folder: string) {
  const calls = { n: 0 };
  const f = pipefunc(
    { output: "y", cache: true, name: "grow", version: 1 },
    ({ x }: { x: number }) => {
      calls.n++;
      return { x, squares: Array.from({ length: 50 }, (_, i) => i * i * x) };
    },
  );
  const pipeline = () => new Pipeline([f], { cache: { type: "disk", folder } });
  return { calls, f, pipeline };
}
const expected = (x: number) => ({ x, squares: Array.from({ length: 50 }, (_, i) => i * i * x) });

const corruptions: [string, (file: string) => void][] = [
  ["a truncated file", (file) => truncateSync(file, Math.floor(statSync(file).size / 2))],
  ["a zero-byte file", (file) => writeFileSync(file, "")],
  ["garbage bytes", (file) => writeFileSync(file, Buffer.from("not a v8 value \u0000\u00ff"))],
  [
    "a v8 header and nothing more",
    (file) => writeFileSync(file, readFileSync(file).subarray(0, 2)),
  ],
  ["a valid v8 value that is not an entry", (file) => writeFileSync(file, serialize(42))],
  [
    "a valid v8 object of the wrong shape",
    (file) => writeFileSync(file, serialize({ x: 1, squares: [] })),
  ],
  [
    "an entry written for another key",
    (file) =>
      writeFileSync(file, serialize({ format: "pipeweave-cache/1", key: "other", value: 1 })),
  ],
];

describe("disk cache: a corrupt entry is a miss", () => {
  it.each(corruptions)(
    "%s is recomputed with a warning naming the file, and rewritten whole",
    async (_label, corrupt) => {
      const folder = tempFolder();
      const { calls, pipeline } = counted(folder);
      expect(await pipeline().run("y", { x: 3 })).toEqual(expected(3));
      const [file] = entries(folder);
      expect(file).toBeDefined();
      corrupt(file!);

      const p = pipeline();
      expect(await p.run("y", { x: 3 })).toEqual(expected(3));
      expect(calls.n).toBe(2);
      expect(await p.cacheStats()).toMatchObject({ hits: 0, misses: 1, size: 1 });
      await settled();
      const seen = corruptWarnings();
      expect(seen).toHaveLength(1);
      expect(seen[0]!.message).toContain(file!);
      expect(seen[0]!.message).toMatch(/treated as a miss/);

      // Rewritten: a fresh pipeline reads it back without calling the function or warning.
      const again = pipeline();
      expect(await again.run("y", { x: 3 })).toEqual(expected(3));
      expect(calls.n).toBe(2);
      expect(await again.cacheStats()).toMatchObject({ hits: 1, misses: 0 });
      await settled();
      expect(corruptWarnings()).toHaveLength(1);
    },
  );

  it("recovers a corrupt entry met by map, element by element", async () => {
    const folder = tempFolder();
    const { calls, f } = counted(folder);
    const p = () =>
      new Pipeline([f.with({ mapspec: "x[i] -> y[i]" })], { cache: { type: "disk", folder } });
    await p().map({ x: [1, 2, 3] }, { progress: false });
    expect(calls.n).toBe(3);
    const files = entries(folder);
    expect(files).toHaveLength(3);
    writeFileSync(files[1]!, "garbage");

    const r = await p().map({ x: [1, 2, 3] }, { progress: false });
    expect(r.y!.array.values()).toEqual([expected(1), expected(2), expected(3)]);
    expect(calls.n).toBe(4);
    await settled();
    expect(corruptWarnings().map((w) => w.message.includes(files[1]!))).toEqual([true]);

    await p().map({ x: [1, 2, 3] }, { progress: false });
    expect(calls.n).toBe(4);
  });

  it("ignores what a killed writer leaves behind, and clear() removes it", async () => {
    const folder = tempFolder();
    const child = join(import.meta.dirname, "fixtures", "disk-cache-writer.ts");
    const writer: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", child, "write", folder],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const exited = new Promise((resolve) => writer.once("exit", resolve));
    // Killed once it has written a few entries, very likely in the middle of another.
    await new Promise<void>((resolve, reject) => {
      let written = 0;
      writer.stdout!.on("data", (chunk: Buffer) => {
        written += chunk.toString().split("\n").length - 1;
        if (written >= 3) {
          writer.kill("SIGKILL");
          resolve();
        }
      });
      writer.once("exit", () => resolve());
      writer.once("error", reject);
    });
    await exited;
    // As if the kill fell in the middle of a write: a temporary file beside a whole entry.
    const [some] = entries(folder);
    writeFileSync(`${some}.12345.0.deadbeef.tmp`, "half");

    const { stdout } = await run(process.execPath, ["--import", "tsx", child, "read", folder]);
    const read = JSON.parse(stdout) as Record<string, unknown>;
    // Every entry the writer renamed into place was whole: each was a hit, none a corrupt miss.
    expect(read).toMatchObject({ whole: 50, corrupt: [], misses: 50 - (read.before as number) });
    expect(read.hits).toBe(read.before);
    expect(read.before).toBeGreaterThanOrEqual(3);

    await new Pipeline([pipefunc({ output: "z", cache: true }, () => 1)], {
      cache: { type: "disk", folder },
    }).clearCache();
    expect(readdirSync(folder, { recursive: true }).filter((f) => String(f).includes("."))).toEqual(
      [],
    );
  }, 60_000);
});
