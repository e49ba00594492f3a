import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import {
  CacheKeyError,
  type Chunk,
  type Executor,
  InlineExecutor,
  NodeExecutionError,
  Pipeline,
  pipefunc,
} from "../../src/index.ts";
import { squares } from "./fixtures/cached-pipeline.ts";

const folders: string[] = [];
const tempFolder = () => {
  const f = mkdtempSync(join(tmpdir(), "pipeweave-cache-"));
  folders.push(f);
  return f;
};
afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

/**
 * A chain whose first function counts its calls. The counter is no input of the result, so a
 * `version` vouches for what the function captures.
 */
function counted(options: { cache?: boolean } = { cache: true }) {
  const calls = { c: 0, d: 0 };
  const fC = pipefunc(
    { output: "c", version: 1, ...options },
    ({ a, b }: { a: number; b: number }) => {
      calls.c++;
      return a + b;
    },
  );
  const fD = pipefunc({ output: "d" }, ({ c }: { c: number }) => {
    calls.d++;
    return c * 2;
  });
  return { calls, fC, fD };
}

describe("cache: lru (the default)", () => {
  it("answers a repeated call from the cache, for run, runSync and runAll", async () => {
    const { calls, fC, fD } = counted();
    const p = new Pipeline([fC, fD]);
    expect(await p.run("d", { a: 1, b: 2 })).toBe(6);
    expect(p.runSync("d", { a: 1, b: 2 })).toBe(6);
    expect(await p.runAll({ a: 1, b: 2 })).toEqual({ a: 1, b: 2, c: 3, d: 6 });
    expect(calls).toEqual({ c: 1, d: 3 }); // only c is cached
    expect(await p.cacheStats()).toEqual({ hits: 2, misses: 1, size: 1 });
    expect(await p.run("d", { a: 2, b: 2 })).toBe(8);
    expect(calls.c).toBe(2);
    await p.clearCache();
    expect(await p.cacheStats()).toEqual({ hits: 0, misses: 0, size: 0 });
    await p.run("d", { a: 1, b: 2 });
    expect(calls.c).toBe(3);
  });

  it("keys by value: object key order does not matter, other values do", async () => {
    let calls = 0;
    const f = pipefunc(
      { output: "n", cache: true, version: 1 },
      ({ o }: { o: Record<string, unknown> }) => {
        calls++;
        return Object.keys(o).length;
      },
    );
    const p = new Pipeline([f]);
    await p.run("n", { o: { x: 1, y: [1, { z: 2, w: 3 }] } });
    await p.run("n", { o: { y: [1, { w: 3, z: 2 }], x: 1 } });
    expect(calls).toBe(1);
    await p.run("n", { o: { x: 1, y: [1, { w: 3, z: 4 }] } });
    await p.run("n", { o: { x: "1", y: [1, { w: 3, z: 2 }] } });
    expect(calls).toBe(3);
  });

  it("caches async results and a result of undefined", async () => {
    let calls = 0;
    const f = pipefunc({ output: "u", cache: true, version: 1 }, async ({ a }: { a: number }) => {
      calls++;
      return a > 0 ? undefined : a;
    });
    const p = new Pipeline([f]);
    expect(await p.run("u", { a: 1 })).toBeUndefined();
    expect(await p.run("u", { a: 1 })).toBeUndefined();
    expect(calls).toBe(1);
  });

  it("keeps at most maxSize entries", async () => {
    const { fC } = counted();
    const p = new Pipeline([fC], { cache: { type: "lru", maxSize: 3 } });
    for (let a = 0; a < 10; a++) await p.run("c", { a, b: 0 });
    expect((await p.cacheStats()).size).toBe(3);
    expect(() => new Pipeline([fC], { cache: { type: "lru", maxSize: 0 } })).toThrow(
      "Expected `maxSize` of the cache to be an integer from 1 up, got `0` (number).",
    );
  });
});

describe("cache: keys that cannot be made", () => {
  it("names the node and the argument, and cacheKey opts out", async () => {
    const fit = pipefunc(
      { output: "score", cache: true, name: "fit" },
      ({ model, x }: { model: { predict: (x: number) => number }; x: number }) => model.predict(x),
    );
    const model = { id: "m1", predict: (x: number) => x + 1 };
    const error = await new Pipeline([fit]).run("score", { model, x: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(CacheKeyError);
    expect(error).toMatchObject({ node: "fit", argument: "model", path: "model.predict" });
    expect(error.message).toMatch(
      /Node "fit" cannot be cached: argument "model" \(at model\.predict\) is a function/,
    );
    expect(error.message).toMatch(/cacheKey/);

    class Model {
      constructor(readonly id: string) {}
      predict(x: number) {
        return x * 2;
      }
    }
    const p2 = new Pipeline([fit]);
    await expect(p2.run("score", { model: new Model("m2"), x: 1 })).rejects.toThrow(
      /argument "model" is an instance of Model without toJSON\(\)/,
    );

    let calls = 0;
    const keyed = fit.with({
      cacheKey: ({ model, x }) => ({ model: (model as Model).id, x }),
      name: "keyed",
    });
    const counting = pipefunc(
      { output: "n", cache: true, version: 1, cacheKey: ({ m }: { m: Model }) => m.id },
      ({ m }: { m: Model }) => {
        calls++;
        return m.predict(3);
      },
    );
    expect(await new Pipeline([keyed]).run("score", { model: new Model("m2"), x: 1 })).toBe(2);
    const p3 = new Pipeline([counting]);
    expect(await p3.run("n", { m: new Model("a") })).toBe(6);
    expect(await p3.run("n", { m: new Model("a") })).toBe(6);
    expect(calls).toBe(1);
  });

  it("names a bound value that cannot be hashed", async () => {
    const f = pipefunc(
      { output: "y", cache: true, bound: { scale: () => 2 }, name: "scaled" },
      ({ x, scale }: { x: number; scale: () => number }) => x * scale(),
    );
    await expect(new Pipeline([f]).run("y", { x: 1 })).rejects.toMatchObject({
      code: "E_CACHE_KEY",
      node: "scaled",
      argument: "scale",
      path: "bound.scale",
    });
  });
});

describe("cache: disk", () => {
  it("survives the pipeline: a new pipeline on the same folder gets the results", async () => {
    const folder = tempFolder();
    const first = counted();
    await new Pipeline([first.fC], { cache: { type: "disk", folder } }).run("c", { a: 1, b: 2 });
    const second = counted();
    const p = new Pipeline([second.fC], { cache: { type: "disk", folder } });
    expect(await p.run("c", { a: 1, b: 2 })).toBe(3);
    expect(second.calls.c).toBe(0);
    expect(await p.cacheStats()).toEqual({ hits: 1, misses: 0, size: 1 });
  });

  it("never returns a stale result after the function body or a bound value changes", async () => {
    const folder = tempFolder();
    const cache = { type: "disk", folder } as const;
    const v1 = pipefunc({ output: "y", cache: true }, ({ x }: { x: number }) => x + 1);
    const v2 = pipefunc({ output: "y", cache: true }, ({ x }: { x: number }) => x + 2);
    expect(await new Pipeline([v1], { cache }).run("y", { x: 1 })).toBe(2);
    expect(await new Pipeline([v2], { cache }).run("y", { x: 1 })).toBe(3);
    expect(await new Pipeline([v1], { cache }).run("y", { x: 1 })).toBe(2);

    const scaled = pipefunc(
      { output: "z", cache: true, bound: { k: 2 } },
      ({ x, k }: { x: number; k: number }) => x * k,
    );
    expect(await new Pipeline([scaled], { cache }).run("z", { x: 5 })).toBe(10);
    expect(
      await new Pipeline([scaled.with({ bound: { k: 3 } })], { cache }).run("z", { x: 5 }),
    ).toBe(15);
  });

  it("leaves only whole entries when several processes write the same keys at once", async () => {
    const folder = tempFolder();
    const child = join(import.meta.dirname, "fixtures", "cached-pipeline.ts");
    const run = promisify(execFile);
    const outs = await Promise.all(
      Array.from({ length: 4 }, () =>
        run(process.execPath, ["--import", "tsx", child, "write", folder], { timeout: 60_000 }),
      ),
    );
    // Every child computed or read each of the 20 keys.
    for (const { stdout } of outs) expect(JSON.parse(stdout)).toMatchObject({ whole: 20 });
    const { stdout } = await run(process.execPath, ["--import", "tsx", child, "read", folder]);
    expect(JSON.parse(stdout)).toEqual({ hits: 20, misses: 0, size: 20, whole: 20 });
    const leftovers = readdirSync(folder, { recursive: true }).filter((f) =>
      String(f).endsWith(".tmp"),
    );
    expect(leftovers).toEqual([]);
  }, 90_000);

  it("names the node whose result cannot be stored", async () => {
    const f = pipefunc(
      { output: "fn", cache: true, name: "f" },
      ({ x }: { x: number }) =>
        () =>
          x,
    );
    const error = await new Pipeline([f], { cache: { type: "disk", folder: tempFolder() } })
      .run("fn", { x: 1 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect(String(error.cause?.message)).toMatch(
      /The result of "f" could not be stored in the disk cache/,
    );
  });
});

describe("cache: hybrid", () => {
  it("evicts cheap, rarely used entries first and keeps costly ones", async () => {
    const cost: Record<number, number> = { 1: 30, 2: 0, 3: 0, 4: 0 };
    let calls = 0;
    const f = pipefunc({ output: "y", cache: true, version: 1 }, ({ x }: { x: number }) => {
      calls++;
      const until = Date.now() + cost[x]!;
      while (Date.now() < until) {}
      return x;
    });
    const p = new Pipeline([f], { cache: { type: "hybrid", maxSize: 2 } });
    await p.run("y", { x: 1 }); // costly
    await p.run("y", { x: 2 });
    await p.run("y", { x: 3 }); // evicts 2 (cheap, used once), not 1
    await p.run("y", { x: 4 }); // evicts 3
    calls = 0;
    await p.run("y", { x: 1 });
    expect(calls).toBe(0);
    await p.run("y", { x: 2 });
    expect(calls).toBe(1);
  });
});

describe("cache: map", () => {
  it("answers elements from the cache and shares entries with run", async () => {
    const { calls, fC } = counted();
    const mapped = fC.with({ mapspec: "a[i], b[i] -> c[i]" });
    const p = new Pipeline([mapped]);
    const r = await p.map({ a: [1, 2, 3], b: [10, 20, 30] }, { progress: false });
    expect(r.c!.array.values()).toEqual([11, 22, 33]);
    expect(calls.c).toBe(3);
    const again = await p.map({ a: [1, 2, 3, 4], b: [10, 20, 30, 40] }, { progress: false });
    expect(again.c!.array.values()).toEqual([11, 22, 33, 44]);
    expect(calls.c).toBe(4);
    expect(await p.run("c", { a: 2, b: 20 })).toBe(22);
    expect(calls.c).toBe(4);
    expect(await p.cacheStats()).toMatchObject({ hits: 4, misses: 4 });
  });

  it("does not send a cached element to the executor", async () => {
    const { fC } = counted();
    const p = new Pipeline([fC.with({ mapspec: "a[i], b[i] -> c[i]" })]);
    const sent: number[] = [];
    const inline = new InlineExecutor();
    const counting: Executor = {
      name: "counting",
      remote: false,
      submit(chunk: Chunk) {
        sent.push(...chunk.items.map((i) => i.index));
        return inline.submit(chunk);
      },
      close: () => inline.close(),
    };
    await p.map({ a: [1, 2], b: [0, 0] }, { executor: counting, progress: false });
    sent.length = 0;
    const r = await p.map({ a: [1, 2, 3], b: [0, 0, 0] }, { executor: counting, progress: false });
    expect(r.c!.array.values()).toEqual([1, 2, 3]);
    expect(sent).toEqual([2]);
  });

  it("answers from the coordinator's cache under threads", async () => {
    const x = Array.from({ length: 40 }, (_, i) => i);
    const first = await squares.map({ x }, { executor: "threads", threads: 2, progress: false });
    const before = await squares.cacheStats();
    const second = await squares.map({ x }, { executor: "threads", threads: 2, progress: false });
    expect(second.y.array.values()).toEqual(first.y.array.values());
    const after = await squares.cacheStats();
    expect(after.hits - before.hits).toBe(40);
    expect(after.misses).toBe(before.misses);
  }, 60_000);

  it("fills a new run folder from the cache without calling the function", async () => {
    const { calls, fC } = counted();
    const p = new Pipeline([fC.with({ mapspec: "a[i], b[i] -> c[i]" })], {
      cache: { type: "disk", folder: tempFolder() },
    });
    const runFolder = join(tempFolder(), "run");
    await p.map({ a: [1, 2], b: [1, 1] }, { runFolder, progress: false });
    const other = join(tempFolder(), "run");
    const r = await p.map({ a: [1, 2], b: [1, 1] }, { runFolder: other, progress: false });
    expect(r.c!.array.values()).toEqual([2, 3]);
    expect(calls.c).toBe(2);
  });
});
