/**
 * Cache costs (issues 5 and 15): what a cache hit costs per node for the `lru` and `disk`
 * stores, beyond running the same node uncached, with small arguments, a 1,000-number array
 * and Float64Arrays of 1,000 and 1,000,000 elements (whose keys hash the bytes directly).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CacheOptions, Pipeline, pipefunc } from "../src/index.ts";
import { type Measurement, measure } from "./harness.ts";

/** One row of results.json. */
export interface CacheResult {
  readonly args: string;
  readonly uncachedUs: number;
  readonly lruHitUs: number;
  readonly diskHitUs: number;
}

const add = ({ a, b }: { a: number; b: number }) => a + b;
const sum = ({ xs }: { xs: readonly number[] }) => xs.reduce((s, x) => s + x, 0);
// Cheap whatever the length, so a hit's cost beyond uncached is the key's and the store's.
const count = ({ xs }: { xs: Float64Array }) => xs.length;

function pipelines(cache: CacheOptions | undefined) {
  const cached = cache !== undefined;
  const options = cache ? { cache } : {};
  return {
    small: new Pipeline([pipefunc({ output: "c", cache: cached }, add)], options),
    array: new Pipeline([pipefunc({ output: "s", cache: cached }, sum)], options),
    typed: new Pipeline([pipefunc({ output: "n", cache: cached }, count)], options),
  };
}

type Pipelines = ReturnType<typeof pipelines>;

/** The uncached, lru and disk cases of one argument set; `p.small` for the small one. */
function cases(
  label: string,
  run: (p: Pipelines) => unknown,
  all: { readonly plain: Pipelines; readonly lru: Pipelines; readonly disk: Pipelines },
) {
  return [
    { name: `uncached ${label}`, op: () => run(all.plain) },
    { name: `lru ${label}`, op: () => run(all.lru) },
    { name: `disk ${label}`, op: () => run(all.disk) },
  ];
}

function row(args: string, [u, l, d]: Measurement[]): CacheResult {
  return {
    args,
    uncachedUs: u!.nsPerOp / 1000,
    lruHitUs: l!.nsPerOp / 1000,
    diskHitUs: d!.nsPerOp / 1000,
  };
}

/** Measures hit costs; takes about 40 s. */
export async function benchCache(): Promise<CacheResult[]> {
  const folder = mkdtempSync(join(tmpdir(), "pipeweave-cache-bench-"));
  try {
    const all = {
      plain: pipelines(undefined),
      lru: pipelines({ type: "lru" }),
      disk: pipelines({ type: "disk", folder }),
    };
    const small = { a: 1, b: 2 };
    const array = { xs: Array.from({ length: 1000 }, (_, i) => i) };
    // Not integers, so every byte of the elements varies.
    const f64 = { xs: Float64Array.from({ length: 1000 }, (_, i) => i * 1.1) };
    const f64M = { xs: Float64Array.from({ length: 1_000_000 }, (_, i) => i * 1.1) };
    // Fill the caches, so every measured call is a hit.
    for (const p of [all.lru, all.disk]) {
      p.small.runSync("c", small);
      p.array.runSync("s", array);
      p.typed.runSync("n", f64);
      p.typed.runSync("n", f64M);
    }
    const fast = await measure(
      [
        ...cases("small", (p) => p.small.runSync("c", small), all),
        ...cases("array", (p) => p.array.runSync("s", array), all),
        ...cases("f64", (p) => p.typed.runSync("n", f64), all),
      ],
      { batch: 100, rounds: 3 },
    );
    // Milliseconds a call: one call a sample, else the 64 samples a round take minutes.
    const slow = await measure(
      cases("f64M", (p) => p.typed.runSync("n", f64M), all),
      { batch: 1, rounds: 3 },
    );
    const misses = [all.lru.small, all.lru.array, all.lru.typed, all.disk.typed].map(
      async (p) => (await p.cacheStats()).misses,
    );
    // One miss per argument set (filling), then only hits.
    if (String(await Promise.all(misses)) !== "1,1,2,2") {
      throw new Error("the cache bench was not all hits");
    }
    return [
      row("{ a: 1, b: 2 }", fast.slice(0, 3)),
      row("{ xs: 1,000 numbers }", fast.slice(3, 6)),
      row("{ xs: Float64Array(1,000) }", fast.slice(6, 9)),
      row("{ xs: Float64Array(1,000,000) }", slow),
    ];
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
