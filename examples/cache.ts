/**
 * Caching in one page: an lru cache for repeated runs, a disk cache that a second pipeline
 * (or process) reuses, a sweep answered from the cache, and a changed function that is never
 * given its old results. Run with `npx tsx examples/cache.ts`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pipeline, pipefunc } from "../src/index.ts";

let fits = 0;
const fit = pipefunc(
  // `fits` only counts calls: a version vouches that nothing captured changes the result.
  { output: "slope", cache: true, version: 1 },
  ({ xs, ys }: { xs: number[]; ys: number[] }) => {
    fits++;
    const n = xs.length;
    const mx = xs.reduce((s, x) => s + x, 0) / n;
    const my = ys.reduce((s, y) => s + y, 0) / n;
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      num += (xs[i]! - mx) * (ys[i]! - my);
      den += (xs[i]! - mx) ** 2;
    }
    return num / den;
  },
);

// cache: true alone uses an in-memory lru cache.
const inMemory = new Pipeline([fit]);
const data = { xs: [1, 2, 3, 4], ys: [2, 4, 6, 8] };
await inMemory.run("slope", data);
await inMemory.run("slope", { ys: [2, 4, 6, 8], xs: [1, 2, 3, 4] });
console.log(`lru: slope computed ${fits} time(s);`, await inMemory.cacheStats());

// A disk cache outlives the pipeline: another pipeline on the folder reads it.
const folder = mkdtempSync(join(tmpdir(), "pipeweave-cache-"));
const cache = { type: "disk", folder } as const;
await new Pipeline([fit], { cache }).run("slope", data);
const reader = new Pipeline([fit], { cache });
await reader.run("slope", data);
console.log(`disk: slope computed ${fits} time(s) in all;`, await reader.cacheStats());

// map looks every element up first; only new elements are computed.
const scale = pipefunc(
  { output: "y", mapspec: "x[i] -> y[i]", cache: true, version: 1 },
  ({ x }: { x: number }) => {
    fits++;
    return x * 10;
  },
);
const sweep = new Pipeline([scale], { cache });
await sweep.map({ x: [1, 2, 3] }, { progress: false });
fits = 0;
const r = await sweep.map({ x: [1, 2, 3, 4] }, { progress: false });
console.log(`map: ${r.y.array.values().join(" ")} with ${fits} new call(s)`);

// A changed body is a different function: its results are computed, not read.
const fixedScale = pipefunc(
  { output: "y", mapspec: "x[i] -> y[i]", cache: true },
  ({ x }: { x: number }) => x * 100,
);
const changed = await new Pipeline([fixedScale], { cache }).map({ x: [1, 2] }, { progress: false });
console.log(`changed function: ${changed.y.array.values().join(" ")}`);

// A value the function reads from outside itself is part of its identity once declared:
// the same source with another `factor` is another function, never served the old results.
const scaledBy = (factor: number) =>
  pipefunc(
    { output: "z", name: "scaledBy", cache: true, captures: { factor } },
    ({ x }: { x: number }) => x * factor,
  );
const byTwo = await new Pipeline([scaledBy(2)], { cache }).run("z", { x: 1 });
const byThree = await new Pipeline([scaledBy(3)], { cache }).run("z", { x: 1 });
console.log(`captured factor: ${byTwo} then ${byThree}`);

rmSync(folder, { recursive: true, force: true });
