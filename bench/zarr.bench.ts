/**
 * Zarr run folders (issue 15): how many elements a second a 300x300 sweep of a trivial
 * function writes into a zarr run folder, against the same sweep in memory, and how many
 * files the output's array takes on disk.
 */
import { type Dirent, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pipeline, pipefunc } from "../src/index.ts";

/** The zarr sweep figures. */
export interface ZarrResult {
  /** Elements of the sweep (300 x 300). */
  readonly elements: number;
  /** Elements stored a second into the zarr run folder (median run). */
  readonly elementsPerSecond: number;
  /** The same sweep with memory storage, for scale. */
  readonly memoryElementsPerSecond: number;
  /** Median wall time of the zarr run, ms. */
  readonly zarrMs: number;
  /** Files under the output's folder (`outputs/c`): chunks, their records, zarr.json, meta.json. */
  readonly files: number;
  /** Files in the whole run folder. */
  readonly runFolderFiles: number;
}

/** Options of {@link benchZarr}. */
export interface ZarrBenchOptions {
  /**
   * Timed zarr runs, each into a new folder; the median is reported.
   * @defaultValue 3
   */
  readonly runs?: number;
  /**
   * Length of each axis of the sweep.
   * @defaultValue 300
   */
  readonly n?: number;
}

const quiet = { progress: false } as const;

const range = (n: number) => Array.from({ length: n }, (_, k) => k);

/** Counts the files under `dir`, recursively. */
function countFiles(dir: string): number {
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[];
  return entries.filter((entry) => entry.isFile()).length;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Measures a 300x300 sweep of `a + b` into a zarr run folder; a few seconds with chunked
 * storage (a minute or more with one file per element).
 *
 * @param options - Runs and sweep size.
 * @returns Elements a second (zarr and memory) and the files the output took.
 */
export async function benchZarr(options: ZarrBenchOptions = {}): Promise<ZarrResult> {
  const { runs = 3, n = 300 } = options;
  const pipeline = new Pipeline([
    pipefunc(
      { output: "c", mapspec: "a[i], b[j] -> c[i, j]" },
      ({ a, b }: { a: number; b: number }) => a + b,
    ),
  ]);
  const inputs = { a: range(n), b: range(n) };
  const elements = n * n;
  const expected = n - 1 + (n - 1);

  const memory: number[] = [];
  await pipeline.map(inputs, quiet);
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    await pipeline.map(inputs, quiet);
    memory.push(performance.now() - started);
  }

  const root = mkdtempSync(join(tmpdir(), "pipeweave-zarr-bench-"));
  try {
    const zarr: number[] = [];
    let files = 0;
    let runFolderFiles = 0;
    for (let r = 0; r < runs; r++) {
      // A new folder per run, so no run pays for deleting the last one's files.
      const runFolder = join(root, `run${r}`);
      const started = performance.now();
      const result = await pipeline.map(inputs, { ...quiet, runFolder, storage: "zarr" });
      zarr.push(performance.now() - started);
      if (result.c.array.get(n - 1, n - 1) !== expected) {
        throw new Error("the zarr sweep gave a wrong last element");
      }
      files = countFiles(join(runFolder, "outputs", "c"));
      runFolderFiles = countFiles(runFolder);
    }
    const zarrMs = median(zarr);
    return {
      elements,
      elementsPerSecond: (elements * 1000) / zarrMs,
      memoryElementsPerSecond: (elements * 1000) / median(memory),
      zarrMs,
      files,
      runFolderFiles,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// `tsx bench/zarr.bench.ts` runs it alone and prints the figures.
if (import.meta.url === `file://${process.argv[1]}`) {
  const runs = Number(process.env.ZARR_BENCH_RUNS ?? 3);
  console.log(JSON.stringify(await benchZarr({ runs }), null, 2));
}
