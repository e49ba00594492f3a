/**
 * The pipelines the adaptive bench runs on threads: one whose function spins the CPU, and one
 * whose function holds its thread without using a core (a blocking wait), the "20 ms
 * function" measured apart from how many free cores the machine has.
 */
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

/**
 * Holds its thread for `ms` milliseconds with a blocking wait (Atomics.wait, as synchronous
 * I/O or a native call would), then `sin(x)`: scales with threads even on a busy machine,
 * where a CPU spin can only scale with the cores left free.
 */
export const blocking = definePipeline(
  import.meta.url,
  "blocking",
  () =>
    new Pipeline([
      pipefunc({ output: "y" }, ({ x, ms }: { x: number; ms: number }) => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
        return Math.sin(x);
      }),
    ]),
);
