/** Handlers of the stream stages the benchmarks run on Redis workers (`pipeweave worker`). */
import { defineHandler } from "../src/index.ts";

/** A CPU-bound item: `work` steps of the logistic map from `seed`. */
export const spinItem = defineHandler(
  import.meta.url,
  "spinItem",
  ({ seed, work }: { readonly seed: number; readonly work: number }) => {
    let x = 0.1 + (seed % 97) / 200;
    for (let k = 0; k < work; k++) x = 3.9 * x * (1 - x);
    return x;
  },
);

/** An item that waits `ms` (a remote call's latency) and returns its seed. */
export const waitItem = defineHandler(
  import.meta.url,
  "waitItem",
  async ({ seed, ms }: { readonly seed: number; readonly ms: number }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return seed;
  },
);
