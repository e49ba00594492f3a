/**
 * Sweeps in one page: an outer product and its reductions, a run folder that resumes, loading
 * results without the pipeline, errors kept as values, sweep() combinations and long rows.
 * Run with `npx tsx examples/map.ts`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMissing, loadOutputs, type NdArray, Pipeline, pipefunc, sweep } from "../src/index.ts";

let calls = 0;
const add = pipefunc(
  { output: "c", mapspec: "a[i], b[j] -> c[i, j]" },
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

rmSync(join(runFolder, ".."), { recursive: true, force: true });
