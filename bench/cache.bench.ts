/**
 * Cache costs (issue 5): what a cache hit costs per node for the `lru` and `disk` stores,
 * beyond running the same node uncached, with small arguments and with a 1,000-number array.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CacheOptions, Pipeline, pipefunc } from "../src/index.ts";
import { measure } from "./harness.ts";

/** One row of results.json. */
export interface CacheResult {
  readonly args: string;
  readonly uncachedUs: number;
  readonly lruHitUs: number;
  readonly diskHitUs: number;
}

const add = ({ a, b }: { a: number; b: number }) => a + b;
const sum = ({ xs }: { xs: readonly number[] }) => xs.reduce((s, x) => s + x, 0);

function pipelines(cache: CacheOptions | undefined) {
  const cached = cache !== undefined;
  return {
    small: new Pipeline([pipefunc({ output: "c", cache: cached }, add)], cache ? { cache } : {}),
    array: new Pipeline([pipefunc({ output: "s", cache: cached }, sum)], cache ? { cache } : {}),
  };
}

/** Measures hit costs; takes about 20 s. */
export async function benchCache(): Promise<CacheResult[]> {
  const folder = mkdtempSync(join(tmpdir(), "pipeweave-cache-bench-"));
  try {
    const plain = pipelines(undefined);
    const lru = pipelines({ type: "lru" });
    const disk = pipelines({ type: "disk", folder });
    const small = { a: 1, b: 2 };
    const array = { xs: Array.from({ length: 1000 }, (_, i) => i) };
    // Fill the caches, so every measured call is a hit.
    for (const p of [lru, disk]) {
      p.small.runSync("c", small);
      p.array.runSync("s", array);
    }
    const [u1, l1, d1, u2, l2, d2] = await measure(
      [
        { name: "uncached small", op: () => plain.small.runSync("c", small) },
        { name: "lru small", op: () => lru.small.runSync("c", small) },
        { name: "disk small", op: () => disk.small.runSync("c", small) },
        { name: "uncached array", op: () => plain.array.runSync("s", array) },
        { name: "lru array", op: () => lru.array.runSync("s", array) },
        { name: "disk array", op: () => disk.array.runSync("s", array) },
      ],
      { batch: 100, rounds: 3 },
    );
    const stats = await lru.small.cacheStats();
    if (stats.misses !== 1) throw new Error("the lru bench was not all hits");
    return [
      {
        args: "{ a: 1, b: 2 }",
        uncachedUs: u1!.nsPerOp / 1000,
        lruHitUs: l1!.nsPerOp / 1000,
        diskHitUs: d1!.nsPerOp / 1000,
      },
      {
        args: "{ xs: 1,000 numbers }",
        uncachedUs: u2!.nsPerOp / 1000,
        lruHitUs: l2!.nsPerOp / 1000,
        diskHitUs: d2!.nsPerOp / 1000,
      },
    ];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
