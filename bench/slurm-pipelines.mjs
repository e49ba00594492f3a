/**
 * The pipeline of the SLURM benchmark, from the built package (dist/), as users run it: each
 * array task then starts plain Node on compiled JavaScript, not tsx on the TypeScript source.
 * slurm.bench.ts builds dist/ before it loads this module.
 */
import { definePipeline, Pipeline, pipefunc } from "../dist/index.js";

/** A trivial element function: what is left is the executor's cost. */
export const trivial = definePipeline(
  import.meta.url,
  "trivial",
  () =>
    new Pipeline([pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }) => x + 1)], {
      name: "bench-slurm-trivial",
    }),
);
