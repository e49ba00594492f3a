/**
 * Labelled results (issue 23): building the Dataset of a 1000 x 1000 sweep (target < 50 ms),
 * reading it back from a zarr run folder, and the million-row long table as rows, as an
 * Arrow table and as a Parquet file (rows/s), against the baseline of writing the table's
 * columns' raw bytes to a file by hand.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDataset, Pipeline, pipefunc, toArrow, writeParquet } from "../src/index.ts";

/** The figures of {@link benchResults}. */
export interface ResultsBench {
  /** Elements of the sweep (n x n). */
  readonly elements: number;
  /** `results.dataset()` of the sweep, median ms. */
  readonly datasetMs: number;
  /** `loadDataset` of the same sweep from a zarr run folder, median ms. */
  readonly loadDatasetMs: number;
  /** `ds.toRows()`: one object per element, rows/s. */
  readonly toRowsPerSecond: number;
  /** `toArrow(ds)`, rows/s (apache-arrow already loaded). */
  readonly arrowRowsPerSecond: number;
  /** `writeParquet(ds, file)`, rows/s (its modules already loaded). */
  readonly parquetRowsPerSecond: number;
  /** Baseline: the table's columns as raw bytes (Int32, Float64, UTF-8 with offsets) written to a file, rows/s. */
  readonly rawRowsPerSecond: number;
  /** The Parquet file, bytes. */
  readonly parquetBytes: number;
  /** The first `writeParquet` of the process, its modules' loading included, ms. */
  readonly firstParquetMs: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function time(action: () => unknown): Promise<number> {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

/**
 * Measures a sweep `a[i], b[j] -> c[i, j]` of `n` x `n` elements (`a` numbers, `b` strings):
 * its table has columns i, j, a, b, c. About half a minute at n = 1000, most of it the zarr
 * sweep that `loadDataset` reads.
 */
export async function benchResults(n = 1000, rounds = 5): Promise<ResultsBench> {
  const dir = mkdtempSync(join(tmpdir(), "pipeweave-bench-results-"));
  try {
    const add = pipefunc(
      { output: "c", mapspec: "a[i], b[j] -> c[i, j]" },
      ({ a, b }: { a: number; b: string }) => a * b.length,
    );
    const pipeline = new Pipeline([add]);
    const inputs = {
      a: Array.from({ length: n }, (_, k) => k / 10),
      b: Array.from({ length: n }, (_, k) => `label-${k}`),
    };
    const results = await pipeline.map(inputs, { progress: false });
    const runFolder = join(dir, "run");
    await pipeline.map(inputs, { progress: false, runFolder, storage: "zarr" });
    const elements = n * n;
    const file = join(dir, "c.parquet");
    const firstParquetMs = await time(() => writeParquet(results, file));
    const ds = results.dataset();
    const rate = (ms: number) => elements / (ms / 1000);
    const times = {
      dataset: [] as number[],
      load: [] as number[],
      rows: [] as number[],
      arrow: [] as number[],
      parquet: [] as number[],
      raw: [] as number[],
    };
    for (let r = 0; r < rounds; r++) {
      times.dataset.push(await time(() => results.dataset()));
      times.load.push(await time(() => loadDataset({ runFolder })));
      times.rows.push(await time(() => ds.toRows()));
      times.arrow.push(await time(() => toArrow(ds)));
      times.parquet.push(await time(() => writeParquet(ds, file)));
      times.raw.push(await time(() => writeRaw(join(dir, "c.raw"), inputs.a, inputs.b, ds)));
    }
    return {
      elements,
      datasetMs: median(times.dataset),
      loadDatasetMs: median(times.load),
      toRowsPerSecond: rate(median(times.rows)),
      arrowRowsPerSecond: rate(median(times.arrow)),
      parquetRowsPerSecond: rate(median(times.parquet)),
      rawRowsPerSecond: rate(median(times.raw)),
      parquetBytes: statSync(file).size,
      firstParquetMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The floor: the long table's columns built by hand as typed arrays (i, j Int32; a, c
 * Float64; b UTF-8 bytes with offsets) and written to one file, no format around them.
 */
function writeRaw(
  file: string,
  a: readonly number[],
  b: readonly string[],
  ds: { readonly dataVars: Readonly<Record<string, { values(): unknown[] }>> },
): void {
  const rows = a.length * b.length;
  const i = new Int32Array(rows);
  const j = new Int32Array(rows);
  const av = new Float64Array(rows);
  const c = Float64Array.from(ds.dataVars.c!.values() as number[]);
  const encoder = new TextEncoder();
  const labels = b.map((s) => encoder.encode(s));
  const offsets = new Int32Array(rows + 1);
  let total = 0;
  for (let n = 0; n < rows; n++) {
    i[n] = Math.floor(n / b.length);
    j[n] = n % b.length;
    av[n] = a[i[n]!]!;
    total += labels[j[n]!]!.length;
    offsets[n + 1] = total;
  }
  const text = new Uint8Array(total);
  for (let n = 0; n < rows; n++) text.set(labels[j[n]!]!, offsets[n]!);
  writeFileSync(
    file,
    Buffer.concat([i, j, av, c, offsets, text].map((v) => new Uint8Array(v.buffer))),
  );
}
