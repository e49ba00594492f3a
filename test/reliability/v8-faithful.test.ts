/**
 * What pipeweave stores with `v8.serialize` (disk and Redis caches, file storage of run
 * folders) comes back changed when it holds a class instance (v8 gives a plain object), so a
 * disk hit or a resumed run would hand over another kind of value than the call that stored
 * it. Caches refuse such values, naming where they sit; file storage marks them as data only:
 * loading gives the data, resuming computes them again.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CacheOptions, loadOutputs, Pipeline, pipefunc } from "../../src/index.ts";
import { redisAvailable, redisNames, redisUrl } from "../redis-available.ts";

class Fit {
  constructor(readonly slope: number) {}
  at(x: number): number {
    return this.slope * x;
  }
}

const redisUp = await redisAvailable("the Redis cache's v8 check");
const scratch = mkdtempSync(join(tmpdir(), "pipeweave-v8-faithful-"));
const names = redisNames("v8-faithful");
afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  if (redisUp) await names.cleanUp();
});

const trainer = () =>
  pipefunc({ output: "fit", cache: true, name: "train", version: 1 }, ({ x }: { x: number }) => ({
    x,
    model: new Fit(x),
  }));

/** Warnings with `code`, raised while `during` runs. */
async function warningsDuring(code: string, during: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (w: Error & { code?: string }) => {
    if (w.code === code) seen.push(w.message);
  };
  process.on("warning", listener);
  try {
    await during();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", listener);
  }
  return seen;
}

describe("stores that serialize never give back a changed value", () => {
  const cases: [string, () => CacheOptions | undefined][] = [
    ["disk", () => ({ type: "disk", folder: join(scratch, `disk-${Math.random()}`) })],
    [
      "redis",
      () =>
        redisUp
          ? {
              type: "redis",
              connection: redisUrl,
              prefix: names.prefix(`v8-${Math.random()}`),
            }
          : undefined,
    ],
  ];

  it.each(cases)(
    "%s cache: a result holding a class instance is not cached, with one warning naming the function and where it sits",
    async (type, options) => {
      const cache = options();
      if (cache === undefined) return; // no Redis here: redisAvailable said so
      const p = new Pipeline([trainer()], { cache });
      try {
        const warnings = await warningsDuring("PIPEWEAVE_CACHE_SKIPPED", async () => {
          for (let i = 0; i < 3; i++) {
            const r = await p.run("fit", { x: 2 });
            expect(r.model).toBeInstanceOf(Fit);
            expect(r.model.at(3)).toBe(6);
          }
        });
        expect(await p.cacheStats()).toMatchObject({ hits: 0, misses: 3, size: 0 });
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(
          new RegExp(
            `Results of "train" are not kept in the ${type} cache: \`result\\.model\` is a Fit instance, which would come back as a plain object`,
          ),
        );
      } finally {
        await p.closeCache();
      }
    },
  );

  it("file storage: an element holding a class instance loads as its data, and a resume computes it again instead of handing on a plain object", async () => {
    let calls = 0;
    const f = pipefunc({ output: "fit", mapspec: "x[i] -> fit[i]" }, ({ x }: { x: number }) => {
      calls++;
      return x === 2 ? new Fit(x) : { slope: x };
    });
    const g = pipefunc(
      { output: "y", mapspec: "fit[i] -> y[i]" },
      ({ fit }: { fit: Fit | { slope: number } }) => (fit instanceof Fit ? fit.at(10) : -1),
    );
    const runFolder = join(scratch, "run");
    const pipeline = new Pipeline([f, g]);
    const first = await pipeline.map({ x: [1, 2, 3] }, { runFolder, progress: false });
    expect(first.y!.array.values()).toEqual([-1, 20, -1]);
    expect(calls).toBe(3);
    expect(await loadOutputs("fit", { runFolder })).toMatchObject({
      data: [{ slope: 1 }, { slope: 2 }, { slope: 3 }],
    });
    // Lose y[1], so the resume hands fit[1] on again: it must be a Fit, as in the first run.
    rmSync(join(runFolder, "outputs", "y", "1.v8"));
    const resumed = await pipeline.map(
      { x: [1, 2, 3] },
      { runFolder, resume: true, progress: false },
    );
    expect(resumed.y!.array.values()).toEqual([-1, 20, -1]);
    expect(calls).toBe(4);
  });

  it("keeps storing plain data, typed arrays and built-ins in the disk cache and file storage", async () => {
    const plain = (x: number) => ({
      x,
      a: [1, "b"],
      t: new Float64Array([x, 2]),
      m: new Map([[1, new Set([x])]]),
    });
    const f = pipefunc({ output: "v", cache: true, version: 1 }, ({ x }: { x: number }) =>
      plain(x),
    );
    const p = new Pipeline([f], { cache: { type: "disk", folder: join(scratch, "plain") } });
    await p.run("v", { x: 1 });
    expect(await p.run("v", { x: 1 })).toEqual(plain(1));
    expect(await p.cacheStats()).toMatchObject({ hits: 1 });
    const g = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) =>
      plain(x),
    );
    const r = await new Pipeline([g]).map(
      { x: [1, 2] },
      { runFolder: join(scratch, "plain-run"), progress: false },
    );
    expect(r.y!.array.values()).toEqual([plain(1), plain(2)]);
  });
});
