import type { NodeLayout } from "./layout.ts";
import type { SweepRun } from "./sweep-run.ts";

/**
 * Runs every function of a sweep as soon as what it reads is there, so functions that do not
 * depend on each other run at the same time (their elements share the thread pool, or
 * interleave on this thread):
 *
 * - a mapped function that reads another mapped function's output only element by element
 *   (`y[i] -> z[i]`, `a[i], b[j] -> c[i, j]`) starts as soon as that function has started, and
 *   each of its elements waits only for the elements it reads;
 * - any other read (a reduction `y[:]`, a function without mapspec, a generator's or an
 *   internal-axes output) waits until the function it reads has finished.
 *
 * The first failure stops the functions still running, none that depends on it starts, and
 * it is what the map throws once all have settled.
 *
 * @param planned - The functions to run, in an order where producers come first.
 */
export async function runScheduled(
  run: SweepRun,
  planned: readonly NodeLayout[],
  errors: "raise" | "continue",
): Promise<void> {
  const producer = new Map<string, NodeLayout>();
  for (const node of planned) for (const o of node.func.outputs) producer.set(o, node);
  const finished = new Map<NodeLayout, Promise<void>>();
  const started = new Map<NodeLayout, Promise<void>>();
  let first: { readonly error: unknown } | undefined;
  for (const node of planned) {
    const after = new Set<Promise<void>>();
    node.func.call.params.forEach((p, i) => {
      const from = producer.get(p.graph);
      if (!from || from === node) return;
      const streams = isStreamable(from) && readsElementwise(node, i);
      const wait = streams ? started.get(from) : finished.get(from);
      if (wait) after.add(wait);
    });
    let markStarted: () => void = () => {};
    const begun = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const start = after.size === 0 ? Promise.resolve() : Promise.all(after);
    const done = start.then(() => run.runNode(node, errors, markStarted));
    // A function that ends (or fails) without starting its elements lets its readers go on:
    // they then read its published results, or stop with the run.
    started.set(
      node,
      Promise.race([begun, done]).catch(() => undefined),
    );
    // The first function to fail (not one stopped by it, nor a dependant never started).
    done.catch((error: unknown) => {
      if (first) return;
      first = { error };
      run.halt(error);
    });
    finished.set(node, done);
  }
  await Promise.allSettled(finished.values());
  if (first) throw first.error;
}

/** Whether a function's elements can be read as they settle: mapped, one call per element. */
function isStreamable(node: NodeLayout): boolean {
  return node.spec !== undefined && !node.spec.generates && node.internalDims.length === 0;
}

/** Whether `node` reads its parameter `i` one element at a time (every axis of it bound). */
function readsElementwise(node: NodeLayout, i: number): boolean {
  if (!node.spec || node.spec.generates) return false;
  const axes = node.paramAxes[i];
  return axes !== undefined && axes.length > 0 && axes.every((a) => a !== null);
}
