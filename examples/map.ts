/**
 * Sweeps in one page: an outer product and its reductions, a run folder that resumes, loading
 * results without the pipeline, errors kept as values, sweep() combinations and long rows,
 * an automatic generator with an internal axis, and a nested function that keeps mapping.
 * Run with `npx tsx examples/map.ts`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMissing, loadOutputs, type NdArray, Pipeline, pipefunc, sweep } from "../src/index.ts";

let calls = 0;
const add = pipefunc(
  // `calls` only counts calls: a version vouches that nothing captured changes the result.
  { output: "c", mapspec: "a[i], b[j] -> c[i, j]", version: 1 },
  ({ a, b }: { a: number; b: number }) => {
    calls++;
    return a + b;
  },
);
const rowSum = pipefunc(
  { output: "rowSum", mapspec: "c[i, :] -> rowSum[i]" },
  ({ c }: { c: NdArray<number> }) => c.values().reduce((s, v) => s + v, 0),
);
// No mapspec: it receives all of rowSum as an NdArray.
const total = pipefunc({ output: "total" }, ({ rowSum }: { rowSum: NdArray<number> }) =>
  rowSum.values().reduce((s, v) => s + v, 0),
);
const pipeline = new Pipeline([add, rowSum, total]);

const runFolder = join(mkdtempSync(join(tmpdir(), "pipeweave-map-")), "run");
const r = await pipeline.map({ a: [1, 2, 3], b: [10, 20] }, { runFolder, progress: false });
console.log("c =", JSON.stringify(r.c.array.toNested())); // [[11,21],[12,22],[13,23]]
console.log("rowSum =", r.rowSum.array.values().join(" "), "total =", r.total.output);

// The run folder holds run.json and one file per element; resume reuses every stored element.
await pipeline.map({ a: [1, 2, 3], b: [10, 20] }, { runFolder, resume: true, progress: false });
console.log("calls of add after a resumed run:", calls); // 6, not 12
// Another process can read the results without the pipeline.
console.log("loaded total =", await loadOutputs("total", { runFolder }));

// errors: "continue" records each failure and masks what depends on it.
const inverse = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
  if (x === 0) throw new RangeError("x is 0");
  return 1 / x;
});
const e = await new Pipeline([inverse]).map(
  { x: [4, 0, 2] },
  { errors: "continue", progress: false },
);
const [failure] = e.errors;
const shown = e.y.array.data.map((v) => (isMissing(v) ? "MISSING" : v));
console.log("y =", shown.join(" ")); // 0.25 MISSING 0.5
console.log(`error at ${failure?.node}[${failure?.index}]: ${failure?.message}`);

// sweep() builds combinations; toRows() gives long-format rows for tables and plots.
const grid = sweep({ a: [1, 2], b: [10, 20] }).filter(({ a, b }) => a * 10 !== b);
const zipped = pipefunc(
  { output: "c", mapspec: "a[i], b[i] -> c[i]" },
  ({ a, b }: { a: number; b: number }) => a + b,
);
const rows = (await new Pipeline([zipped]).map(grid, { progress: false })).toRows();
console.log("rows =", JSON.stringify(rows));

// A function without a mapspec whose output is indexed becomes a generator (`... -> f[i]`),
// and `f[i] -> spectrum[i, j]` returns a vector per point: `j` is an internal axis.
const frequencies = pipefunc({ output: "f" }, ({ n }: { n: number }) =>
  Array.from({ length: n }, (_, k) => k + 1),
);
const spectrum = pipefunc(
  { output: "spectrum", mapspec: "f[i] -> spectrum[i, j]" },
  ({ f }: { f: number }) => [f, 2 * f, 3 * f],
);
const peak = pipefunc(
  { output: "peak", mapspec: "spectrum[i, :] -> peak[i]" },
  ({ spectrum }: { spectrum: NdArray<number> }) => Math.max(...spectrum.values()),
);
const s = await new Pipeline([frequencies, spectrum, peak]).map({ n: 2 }, { progress: false });
console.log("spectrum shape =", JSON.stringify(s.spectrum.array.shape)); // [2,3]
console.log("peaks =", s.peak.array.values().join(" ")); // 3 6

// nest() keeps the group's mapspecs: the nested function still maps element by element.
const scale = pipefunc(
  { output: "scaled", mapspec: "x[i] -> scaled[i]" },
  ({ x }: { x: number }) => x * 10,
);
const shift = pipefunc(
  { output: "shifted", mapspec: "scaled[i] -> shifted[i]" },
  ({ scaled }: { scaled: number }) => scaled + 1,
);
const nested = new Pipeline([scale, shift]).nest(["scaled", "shifted"], "scaleShift");
console.log("nested mapspec =", nested.get("shifted").mapspec); // x[i] -> scaled[i], shifted[i]
const n = await nested.map({ x: [1, 2] }, { progress: false });
console.log("shifted =", n.shifted?.array.values().join(" ")); // 11 21

rmSync(join(runFolder, ".."), { recursive: true, force: true });
