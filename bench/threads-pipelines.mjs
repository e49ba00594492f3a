/**
 * The pipeline and stream handler of the thread benchmark (threads-core.mjs). Plain
 * JavaScript, so the built package can load it without tsx. It takes pipeweave from the
 * `pipeweave` parameter of its own URL (the sources under tsx, the built package otherwise):
 * worker threads import the same URL, so they load the same copy.
 */
const from = new URL(import.meta.url).searchParams.get("pipeweave") ?? "pipeweave";
const { defineHandler, definePipeline, Pipeline, pipefunc } = await import(from);

/** `work` steps of a logistic map from a seed: pure CPU, no allocation. */
export function spin({ seed, work }) {
  let x = 0.1 + (seed % 97) / 200;
  for (let k = 0; k < work; k++) x = 3.9 * x * (1 - x);
  return x;
}

/** `seed[i] -> y[i]`, each element `work` steps of {@link spin}. */
export const busy = definePipeline(
  import.meta.url,
  "busy",
  () => new Pipeline([pipefunc({ output: "y", mapspec: "seed[i] -> y[i]" }, spin)]),
);

/** `x[i] -> at[i]`: when each element started, ms since the epoch (comparable across threads). */
export const stamp = definePipeline(
  import.meta.url,
  "stamp",
  () =>
    new Pipeline([
      pipefunc(
        { output: "at", mapspec: "x[i] -> at[i]" },
        ({ x }) => performance.timeOrigin + performance.now() + x * 0,
      ),
    ]),
);

/** The stream stage's handler: {@link spin} of one `{ seed, work }` item. */
export const spinItem = defineHandler(import.meta.url, "spinItem", (item) => spin(item));

/** The number of {@link spin} steps that takes about `ms` milliseconds on this thread. */
export function busyWork(ms) {
  const probe = 1_000_000;
  spin({ seed: 1, work: probe });
  const started = performance.now();
  spin({ seed: 1, work: probe });
  const elapsed = performance.now() - started;
  return Math.max(1, Math.round((probe * ms) / elapsed));
}

/**
 * `x[i] -> y[i]`: every element reads `table` whole (the shared-input figures: sent once per
 * thread, not once per chunk).
 */
export const lookup = definePipeline(
  import.meta.url,
  "lookup",
  () =>
    new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x, table }) => table[x] + table.length),
    ]),
);
