import type { NodeLayout } from "./layout.ts";
import type { SweepRun } from "./sweep-run.ts";

/**
 * Runs every function of a sweep as soon as the functions it reads from have finished, so
 * functions that do not depend on each other run at the same time (their elements share the
 * thread pool, or interleave on this thread). The first failure stops the functions still
 * running, none that depend on it starts, and it is what the map throws once all have settled.
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
  let first: { readonly error: unknown } | undefined;
  for (const node of planned) {
    const after = new Set<Promise<void>>();
    for (const name of node.func.inputs) {
      const from = producer.get(name);
      const done = from && from !== node ? finished.get(from) : undefined;
      if (done) after.add(done);
    }
    const start = after.size === 0 ? Promise.resolve() : Promise.all(after);
    const done = start.then(() => run.runNode(node, errors));
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
