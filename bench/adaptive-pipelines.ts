/** The pipeline the adaptive bench runs on threads: a function that keeps its thread busy. */
import { definePipeline, Pipeline, pipefunc } from "../src/index.ts";

/** Busy for `ms` milliseconds (CPU, not a sleep), then `sin(x)`. */
export const busy = definePipeline(
  import.meta.url,
  "busy",
  () =>
    new Pipeline([
      pipefunc({ output: "y" }, ({ x, ms }: { x: number; ms: number }) => {
        const end = performance.now() + ms;
        while (performance.now() < end) {
          // Spinning on purpose: the bench measures parallel CPU work.
        }
        return Math.sin(x);
      }),
    ]),
);
