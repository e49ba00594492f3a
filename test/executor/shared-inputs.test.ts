import { describe, expect, it } from "vitest";
import { ThreadExecutor } from "../../src/index.ts";
import { lookup } from "./fixtures/whole-pipelines.ts";

const size = 200_000; // 1.6 MB: well above the 64 KiB from which a whole argument is shared
const table = Float64Array.from({ length: size }, (_, k) => k * 0.5);
const x = Array.from({ length: 300 }, (_, k) => (k * 7919) % size);
const expected = x.map((k) => table[k]! + size);

describe("an argument every element reads whole, on threads", () => {
  it("is read by each thread once, not copied into every chunk; results are the same", async () => {
    const executor = new ThreadExecutor({ threads: 2, pool: "own", measureBytes: true });
    try {
      const results = await lookup.map({ x, table }, { executor, chunkSize: 10, progress: false });
      expect(results.y.array.data).toEqual(expected);
      const stats = executor.stats();
      expect(stats.chunks).toBe(30);
      expect(stats.sharedValues).toBe(1);
      expect(stats.sharedBytes).toBeGreaterThan(size * 8);
      // Each of the 2 threads read it at most once, however many chunks it ran.
      expect(stats.sharedLoads).toBeGreaterThanOrEqual(1);
      expect(stats.sharedLoads).toBeLessThanOrEqual(2);
      // A chunk holds ten indices and the table's id, not the table.
      expect(stats.bytesSent / stats.chunks).toBeLessThan(2_000);
    } finally {
      await executor.close();
    }
  });

  it("is copied into every chunk with shareWholeInputs: false (and results are the same)", async () => {
    const executor = new ThreadExecutor({
      threads: 2,
      pool: "own",
      measureBytes: true,
      shareWholeInputs: false,
    });
    try {
      const results = await lookup.map({ x, table }, { executor, chunkSize: 10, progress: false });
      expect(results.y.array.data).toEqual(expected);
      const stats = executor.stats();
      expect(stats.sharedLoads).toBe(0);
      expect(stats.bytesSent / stats.chunks).toBeGreaterThan(size * 8);
    } finally {
      await executor.close();
    }
  });

  it("a small whole argument travels in the chunk as before", async () => {
    const executor = new ThreadExecutor({ threads: 1, pool: "own" });
    try {
      const small = Float64Array.from([1, 2, 3]);
      const results = await lookup.map({ x: [0, 2], table: small }, { executor, progress: false });
      expect(results.y.array.data).toEqual([4, 6]);
      expect(executor.stats().sharedValues).toBe(0);
    } finally {
      await executor.close();
    }
  });
});
