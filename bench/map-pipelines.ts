/**
 * Pipelines of the sweep benchmark, in their own module so worker threads can import them.
 */
import { definePipeline, type NdArray, Pipeline, pipefunc } from "../src/index.ts";

/** The element function of the outer product. */
export const add = ({ a, b }: { a: number; b: number }) => a + b;

/** The row reduction. */
export const rowSum = ({ c }: { c: NdArray<number> }) => {
  let sum = 0;
  for (const v of c.values()) sum += v;
  return sum;
};

/** `a[i], b[j] -> c[i, j]`, then `c[i, :] -> rowSum[i]`. */
export const grid = definePipeline(
  import.meta.url,
  "bench-grid",
  () =>
    new Pipeline([
      pipefunc({ output: "c", mapspec: "a[i], b[j] -> c[i, j]" }, add),
      pipefunc({ output: "rowSum", mapspec: "c[i, :] -> rowSum[i]" }, rowSum),
    ]),
);

/** `work` steps of a logistic map from a seed: pure CPU, no allocation. */
function spin({ seed, work }: { seed: number; work: number }): number {
  let x = 0.1 + (seed % 97) / 200;
  for (let k = 0; k < work; k++) x = 3.9 * x * (1 - x);
  return x;
}

/** A CPU-bound element function over `seed[i]`. */
export const busy = definePipeline(
  import.meta.url,
  "bench-busy",
  () => new Pipeline([pipefunc({ output: "y", mapspec: "seed[i] -> y[i]" }, spin)]),
);

/** The number of `spin` steps that takes about `ms` milliseconds on this thread. */
export function busyWork(ms: number): number {
  const probe = 1_000_000;
  spin({ seed: 1, work: probe });
  const started = performance.now();
  spin({ seed: 1, work: probe });
  const elapsed = performance.now() - started;
  return Math.max(1, Math.round((probe * ms) / elapsed));
}

/** Two independent CPU-bound functions over `seed[i]`, then one reading both: `y`, `z` → `w`. */
export const fork = definePipeline(
  import.meta.url,
  "bench-fork",
  () =>
    new Pipeline([
      pipefunc({ output: "y", mapspec: "seed[i] -> y[i]" }, spin),
      pipefunc(
        { output: "z", mapspec: "seed[i] -> z[i]" },
        ({ seed, work }: { seed: number; work: number }) => spin({ seed: seed + 1, work }),
      ),
      pipefunc(
        { output: "w", mapspec: "y[i], z[i] -> w[i]" },
        ({ y, z }: { y: number; z: number }) => y + z,
      ),
    ]),
);

/** A chain of three CPU-bound functions, each element reading one of the one before. */
export const chain = definePipeline(
  import.meta.url,
  "bench-chain",
  () =>
    new Pipeline([
      pipefunc({ output: "y", mapspec: "seed[i] -> y[i]" }, spin),
      pipefunc(
        { output: "z", mapspec: "y[i] -> z[i]" },
        ({ y, work }: { y: number; work: number }) => spin({ seed: Math.round(y * 1000), work }),
      ),
      pipefunc(
        { output: "v", mapspec: "z[i] -> v[i]" },
        ({ z, work }: { z: number; work: number }) => spin({ seed: Math.round(z * 1000), work }),
      ),
    ]),
);
