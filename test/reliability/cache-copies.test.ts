/**
 * Issue 21, point 5: a value a memory cache returns is never the cached object itself, and
 * the result of the call that filled the entry is not it either: mutating either never
 * changes what the next hit returns.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { copyValue } from "../../src/cache/copy.ts";
import {
  type CacheOptions,
  CacheValueError,
  NdArray,
  NodeExecutionError,
  Pipeline,
  pipefunc,
} from "../../src/index.ts";

const memory: [string, CacheOptions][] = [
  ["lru", { type: "lru" }],
  ["hybrid", { type: "hybrid" }],
];

/** A result with a mutable object of every kind a result is commonly made of. */
const result = (x: number) => ({
  x,
  list: [x, [x]],
  typed: new Float64Array([x, x]),
  table: new Map([["k", { v: x }]]),
  tags: new Set([x]),
  when: new Date(x),
  grid: new NdArray([2], ["i"], [x, x + 1]),
});
type Result = ReturnType<typeof result>;

function mutate(r: Result): void {
  r.x = -1;
  r.list.push(99);
  (r.list[1] as number[])[0] = -1;
  r.typed[0] = -1;
  r.table.get("k")!.v = -1;
  r.table.set("new", { v: 0 });
  r.tags.add(-1);
  r.when.setTime(-1);
  (r.grid.data as number[])[0] = -1;
}

/** Every object reachable from `value`. */
function objects(value: unknown, into = new Set<object>()): Set<object> {
  if (typeof value !== "object" || value === null || into.has(value)) return into;
  into.add(value);
  const children =
    value instanceof Map
      ? [...value].flat()
      : value instanceof Set
        ? [...value]
        : Object.values(value);
  for (const child of children) objects(child, into);
  return into;
}

describe("memory caches: a hit shares no mutable object with the caller", () => {
  it.each(memory)(
    "%s: mutating the computed result or a hit's never changes the next hit",
    async (_, cache) => {
      let calls = 0;
      const f = pipefunc(
        { output: "r", cache: true, name: "make", version: 1 },
        ({ x }: { x: number }) => {
          calls++;
          return result(x);
        },
      );
      const p = new Pipeline([f], { cache });
      const computed = (await p.run("r", { x: 2 })) as Result;
      expect(computed).toEqual(result(2));
      mutate(computed);
      const first = (await p.run("r", { x: 2 })) as Result;
      expect(first).toEqual(result(2));
      mutate(first);
      const second = p.runSync("r", { x: 2 }) as Result;
      expect(second).toEqual(result(2));
      expect(calls).toBe(1);
      // Nothing in one hit is anything in another, or in the computed result.
      const seen = objects(second);
      for (const o of [...objects(first), ...objects(computed)]) expect(seen.has(o)).toBe(false);
    },
  );

  it.each(memory)("%s: elements a map answers from the cache are copies too", async (_, cache) => {
    const f = pipefunc(
      { output: "r", cache: true, mapspec: "x[i] -> r[i]" },
      ({ x }: { x: number }) => ({ list: [x] }),
    );
    const p = new Pipeline([f], { cache });
    const first = await p.map({ x: [1, 2] }, { progress: false });
    for (const r of first.r!.array.values() as { list: number[] }[]) r.list.push(-1);
    const hit = await p.map({ x: [1, 2] }, { progress: false });
    expect(hit.r!.array.values()).toEqual([{ list: [1] }, { list: [2] }]);
    for (const r of hit.r!.array.values() as { list: number[] }[]) r.list.push(-1);
    const again = await p.map({ x: [1, 2] }, { progress: false });
    expect(again.r!.array.values()).toEqual([{ list: [1] }, { list: [2] }]);
    expect(await p.cacheStats()).toMatchObject({ hits: 4, misses: 2 });
  });

  it("returns primitives and functions as they are", async () => {
    const fn = () => 1;
    const f = pipefunc({ output: "r", cache: true, version: 1 }, ({ x }: { x: number }) => ({
      x,
      fn,
    }));
    const p = new Pipeline([f]);
    await p.run("r", { x: 1 });
    expect(((await p.run("r", { x: 1 })) as { fn: unknown }).fn).toBe(fn);
    expect(copyValue("text")).toBe("text");
    expect(copyValue(10n)).toBe(10n);
  });

  it.each(memory)(
    "%s: copies an instance of a class as deepcopy does: its prototype, methods and own fields kept, shared with no caller",
    async (_, cache) => {
      class Base {
        constructor(readonly weights: number[]) {}
        predict(x: number): number {
          return this.weights.reduce((a, w) => a * x + w, 0);
        }
      }
      class Model extends Base {}
      const f = pipefunc(
        { output: "fit", cache: true, name: "train", version: 1 },
        ({ x }: { x: number }) => Object.freeze(new Model([x, 1])),
      );
      const p = new Pipeline([f], { cache });
      const computed = await p.run("fit", { x: 2 });
      computed.weights.push(7);
      const hit = await p.run("fit", { x: 2 });
      expect(hit).toBeInstanceOf(Model);
      expect(hit.weights).toEqual([2, 1]);
      expect(hit.predict(3)).toBe(7);
      expect(Object.isFrozen(hit)).toBe(true);
      hit.weights[0] = -1;
      const again = await p.run("fit", { x: 2 });
      expect(again.weights).toEqual([2, 1]);
      expect(again).not.toBe(hit);
      expect(await p.cacheStats()).toMatchObject({ hits: 2, misses: 1 });
    },
  );

  it.each([
    ["a native class's subclass", () => new (class Registry extends Map {})(), /native Map/],
    ["a promise", () => Promise.resolve(1), /native Promise/],
  ])("refuses %s, whose state no copy can reach", (_, make, why) => {
    expect(() => copyValue({ v: make() })).toThrow(why);
  });

  it.each(memory)(
    "%s: refuses a result holding an instance with private members, naming the node and where it sits",
    async (_, cache) => {
      class Model {
        #weights = [1];
        get weights() {
          return this.#weights;
        }
      }
      const f = pipefunc(
        { output: "fit", cache: true, name: "train", version: 1 },
        ({ x }: { x: number }) => ({
          x,
          models: [new Model()],
        }),
      );
      const error = await new Pipeline([f], { cache })
        .run("fit", { x: 1 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NodeExecutionError);
      const cause = (error as NodeExecutionError).cause;
      expect(cause).toBeInstanceOf(CacheValueError);
      expect(cause).toMatchObject({ code: "E_CACHE_VALUE", node: "train", store: cache.type });
      expect((cause as Error).message).toMatch(
        new RegExp(
          `The result of "train" could not be stored in the ${cache.type} cache: \`\\.models\\[0\\]\` ` +
            "is an instance of Model \\(class Model declares private members, #…, that no copy " +
            "can reach\\), which the cache cannot copy .*drop cache: true",
        ),
      );
    },
  );
});

describe("copyValue", () => {
  it("copies what a result is made of: equal, sharing no object, shared references and cycles kept", () => {
    const shared = { s: 1 };
    const cyclic: Record<string, unknown> = { shared };
    cyclic.self = cyclic;
    const holey = [1, 2, 3];
    delete holey[1];
    const value = {
      holey: Object.assign(holey, { meta: "m" }),
      long: Object.assign(
        Array.from({ length: 100 }, (_, i) => i),
        { meta: [1] },
      ),
      nested: [shared, shared],
      cyclic,
      bare: Object.assign(Object.create(null), { a: 1 }) as object,
      proto: JSON.parse('{"__proto__": {"x": 1}}') as object,
      buffer: Buffer.from("abc"),
      view: new Float32Array(new ArrayBuffer(16), 4, 2),
      dataView: new DataView(new ArrayBuffer(4)),
      raw: new ArrayBuffer(3),
      regexp: Object.assign(/a/g, { lastIndex: 2 }),
      typedWithMeta: Object.assign(new Int32Array(100), { meta: { m: 1 } }),
      map: new Map<unknown, unknown>([[shared, new Set([shared])]]),
      grid: new NdArray([1, 2], ["i", "j"], [1, { o: 1 }]),
    };
    const copy = copyValue(value);
    expect(isDeepStrictEqual(copy, value)).toBe(true);
    const originals = objects(value);
    for (const o of objects(copy)) expect(originals.has(o)).toBe(false);
    expect(copy.nested[0]).toBe(copy.nested[1]);
    expect(copy.cyclic.self).toBe(copy.cyclic);
    expect(copy.map.keys().next().value).toBe(copy.nested[0]);
    expect(1 in copy.holey).toBe(false);
    expect(Buffer.isBuffer(copy.buffer)).toBe(true);
    expect(copy.buffer.toString()).toBe("abc");
    expect(copy.regexp.lastIndex).toBe(2);
    expect(Object.getPrototypeOf(copy.bare)).toBeNull();
    expect(Object.hasOwn(copy.proto, "__proto__")).toBe(true);
    expect(copy.grid).toBeInstanceOf(NdArray);
    expect(copy.grid.get(0, 1)).toEqual({ o: 1 });
  });

  it("is deeply equal to any JSON value, sharing no object with it (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const copy = copyValue(v);
        expect(isDeepStrictEqual(copy, v)).toBe(true);
        const originals = objects(v);
        for (const o of objects(copy)) expect(originals.has(o)).toBe(false);
      }),
    );
  });
});
