/**
 * The thread executor counts `resources.cpus` as slots: an element needing 2 cpus holds 2 of
 * the pool's threads while it runs.
 */
import { afterAll, describe, expect, it } from "vitest";
import { type NdArray, ThreadExecutor } from "../../src/index.ts";
import { type Span, spans } from "./fixtures/resource-pipelines.ts";

afterAll(() => ThreadExecutor.closeShared());

/** Whether two spans overlap (each started before the other ended). */
const overlap = (a: Span, b: Span) => a.start < b.end && b.start < a.end;

async function run(cpus: number, waitMs: number): Promise<Span[]> {
  const executor = new ThreadExecutor({ threads: 2 });
  try {
    const board = new SharedArrayBuffer(8);
    const r = await spans.map(
      { x: [0, 1], cpus, board, waitMs },
      { executor, chunkSize: 1, progress: false },
    );
    return (r.span!.array as NdArray<Span>).data as Span[];
  } finally {
    await executor.close();
  }
}

describe("threads: cpus as slots", () => {
  it("runs two 1-cpu elements at once on a 2-slot pool", async () => {
    // Each waits (up to 10 s) for the other to start: they overlap as soon as both run.
    const [a, b] = await run(1, 10_000);
    expect(overlap(a!, b!)).toBe(true);
  }, 30_000);

  it("never runs two 2-cpu elements at once on a 2-slot pool", async () => {
    // Each would wait for the other; the second can only start once the first has ended.
    const [a, b] = await run(2, 300);
    expect(overlap(a!, b!)).toBe(false);
    expect([a!.start, a!.end, b!.start, b!.end].sort((p, q) => p - q)).toEqual([0, 1, 2, 3]);
  }, 30_000);
});
