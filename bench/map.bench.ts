/**
 * Sweep costs (a performance target): `map` overhead per element on a 300x300 outer product and its row
 * reduction (memory storage, inline) against the same functions called by hand; the extra
 * cost per element of a file run folder; and the speedup of `threads` over `inline` on a
 * CPU-bound element function.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serialize } from "node:v8";
import { type NdArray, ThreadExecutor } from "../src/index.ts";
import { time } from "./harness.ts";
import { add, busy, busyWork, grid, rowSum } from "./map-pipelines.ts";

/** The sweep figures written to results.json. */
export interface MapResult {
  readonly elements: number;
  /** The same functions over the same grid in a hand-written loop, ms. */
  readonly floorMs: number;
  /** `map` with memory storage, inline, ms. */
  readonly mapMs: number;
  /** (map − floor) / elements, µs. */
  readonly overheadUsPerElement: number;
  readonly fileElements: number;
  /** `map` into a file run folder, ms. */
  readonly fileMs: number;
  /** The same grid with memory storage, ms. */
  readonly fileMemoryMs: number;
  /** (file − memory) / elements, µs. */
  readonly fileUsPerElement: number;
  /**
   * Writing the same elements by hand (v8.serialize, temporary file, rename), ms: what the
   * disk itself costs.
   */
  readonly fileFloorMs: number;
  readonly cpuElements: number;
  readonly threads: number;
  readonly cpuInlineMs: number;
  /** On a pool started beforehand. */
  readonly cpuThreadsMs: number;
  /** Including the pool's start (each worker loads the pipeline's module). */
  readonly cpuThreadsColdMs: number;
  readonly speedup: number;
  readonly speedupCold: number;
}

const quiet = { progress: false } as const;

const range = (n: number) => Array.from({ length: n }, (_, k) => k);

/** Outer product then row sums, written as plain loops over the same functions. */
function byHand(a: readonly number[], b: readonly number[], wrap: (row: number[]) => unknown) {
  const rows: unknown[] = [];
  for (const x of a) {
    const row = new Array<number>(b.length);
    for (let j = 0; j < b.length; j++) row[j] = add({ a: x, b: b[j]! });
    rows.push(rowSum({ c: wrap(row) as NdArray<number> }));
  }
  return rows;
}

/** The file store's work for an m x m grid and its row sums, in a plain loop. */
function writeByHand(folder: string, m: number): void {
  for (const [output, count] of [
    ["c", m * m],
    ["rowSum", m],
  ] as const) {
    mkdirSync(join(folder, output), { recursive: true });
    for (let k = 0; k < count; k++) {
      const path = join(folder, output, `${k}.v8`);
      writeFileSync(`${path}.tmp`, serialize(k));
      renameSync(`${path}.tmp`, path);
    }
  }
}

/** Measures the sweep figures; takes about a minute on 2 cores. */
export async function benchMap(): Promise<MapResult> {
  const n = 300;
  const a = range(n);
  const b = range(n);
  const check = await grid.map({ a, b }, quiet);
  const expected = byHand(a, b, (row) => ({ values: () => row }));
  if (JSON.stringify(check.rowSum.array.values()) !== JSON.stringify(expected)) {
    throw new Error("map gave other row sums than the hand-written loop");
  }
  // The by-hand floor also hands rowSum an object with values(), as map does with NdArray.
  const floorMs = await time(() => byHand(a, b, (row) => ({ values: () => row })), 7);
  const mapMs = await time(() => grid.map({ a, b }, quiet), 7);
  const elements = n * n + n;

  const m = 100;
  const root = mkdtempSync(join(tmpdir(), "pipeweave-bench-"));
  let fileMs: number;
  let fileMemoryMs: number;
  let fileFloorMs: number;
  try {
    const small = { a: range(m), b: range(m) };
    fileMemoryMs = await time(() => grid.map(small, quiet), 5);
    // A new folder per call, so no call pays for deleting the last one.
    fileMs = await time((k) => grid.map(small, { ...quiet, runFolder: join(root, `run${k}`) }), 5);
    fileFloorMs = await time((k) => writeByHand(join(root, `hand${k}`), m), 5);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const fileElements = m * m + m;

  // About 10 ms of arithmetic per element, 96 elements: ~1 s inline.
  const cpu = { seed: range(96), work: busyWork(10) };
  const threads = 2;
  const cpuInlineMs = await time(() => busy.map(cpu, quiet), 3);
  const pool = new ThreadExecutor({ threads });
  let cpuThreadsMs: number;
  try {
    cpuThreadsMs = await time(() => busy.map(cpu, { ...quiet, executor: pool }), 3);
  } finally {
    await pool.close();
  }
  // Each run starts from no threads at all: the shared pool is ended first.
  const cpuThreadsColdMs = await time(async () => {
    await ThreadExecutor.closeShared();
    await busy.map(cpu, { ...quiet, executor: "threads", threads });
  }, 3);

  return {
    elements,
    floorMs,
    mapMs,
    overheadUsPerElement: ((mapMs - floorMs) * 1000) / elements,
    fileElements,
    fileMs,
    fileMemoryMs,
    fileUsPerElement: ((fileMs - fileMemoryMs) * 1000) / fileElements,
    fileFloorMs,
    cpuElements: cpu.seed.length,
    threads,
    cpuInlineMs,
    cpuThreadsMs,
    cpuThreadsColdMs,
    speedup: cpuInlineMs / cpuThreadsMs,
    speedupCold: cpuInlineMs / cpuThreadsColdMs,
  };
}
