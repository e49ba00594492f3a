/**
 * Pipelines of the distributed sweep benchmark, loaded by the coordinator (`npm run bench`)
 * and by its worker processes (redis-worker.ts). Plain JavaScript, so both print the element
 * functions' source (what the definition hash covers) the same way whatever loads them.
 */
import { definePipeline, Pipeline, pipefunc } from "../src/index.ts";

/** A trivial element function: what is left is the executor's cost. */
export const trivial = definePipeline(
  import.meta.url,
  "trivial",
  () =>
    new Pipeline([pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }) => x + 1)], {
      name: "bench-redis-trivial",
    }),
);

/**
 * A CPU-bound element function: `work` steps of a logistic map from a seed (the loop of
 * map-pipelines.ts's `busy`, so its `busyWork` calibrates it).
 */
export const cpu = definePipeline(
  import.meta.url,
  "cpu",
  () =>
    new Pipeline(
      [
        pipefunc({ output: "y", mapspec: "seed[i] -> y[i]" }, function spin({ seed, work }) {
          let x = 0.1 + (seed % 97) / 200;
          for (let k = 0; k < work; k++) x = 3.9 * x * (1 - x);
          return x;
        }),
      ],
      { name: "bench-redis-cpu" },
    ),
);

/** Every element reads `table` whole: bytes per job with and without sharing it. */
export const lookup = definePipeline(
  import.meta.url,
  "lookup",
  () =>
    new Pipeline(
      [
        pipefunc(
          { output: "y", mapspec: "x[i] -> y[i]" },
          ({ x, table }) => table[x] + table.length,
        ),
      ],
      { name: "bench-redis-lookup" },
    ),
);
