import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stableHash } from "../../src/cache/key.ts";
import { isMissing, loadOutputs, MISSING, NdArray, Pipeline, pipefunc } from "../../src/index.ts";
import { typedData, typedNdArray, unravelIndex } from "../../src/map/ndarray.ts";
import { openFileStore } from "../../src/map/storage/file.ts";
import { MemoryStore } from "../../src/map/storage/memory.ts";
import { tempFolders } from "../temp-folders.ts";

const tempFolder = tempFolders("pipeweave-typed-memory-");

const quiet = { progress: false } as const;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const dimsOf = (ndim: number) => range(ndim).map((k) => `d${k}`);

/** A value as text that tells -0 from 0, NaN from MISSING, 1 from 1n and "1". */
function show(value: unknown): string {
  if (isMissing(value)) return "MISSING";
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (typeof value === "object" && value !== null) return `object ${JSON.stringify(value)}`;
  return String(value);
}

/**
 * The first position where two lists differ by `Object.is` (so -0 is not 0, NaN is NaN and
 * objects must be the same reference), described; undefined when they are the same.
 */
function difference(actual: ArrayLike<unknown>, expected: ArrayLike<unknown>): string | undefined {
  if (actual.length !== expected.length) {
    return `length ${actual.length}, expected ${expected.length}`;
  }
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      return `at ${i}: ${show(actual[i])}, expected ${show(expected[i])}`;
    }
  }
  return undefined;
}

/** Numbers a float64 holds exactly, with the ones that break a careless conversion. */
const numberArb: fc.Arbitrary<number> = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(-0, 0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.constantFrom(Number.MIN_VALUE, Number.MAX_VALUE, Number.MAX_SAFE_INTEGER + 2),
);

/** Values a Float64Array cannot hold. */
const otherArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 3 }),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.boolean(),
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(MISSING),
  fc.record({ k: fc.integer() }),
  fc.array(fc.integer(), { maxLength: 2 }),
);

/** Mostly numbers, so a store is typed for a while before something else arrives. */
const valueArb = fc.oneof({ arbitrary: numberArb, weight: 8 }, { arbitrary: otherArb, weight: 1 });

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 });

type Op =
  | { readonly kind: "set"; readonly at: number; readonly value: unknown }
  | { readonly kind: "mask"; readonly at: number }
  | { readonly kind: "publish" };

const opsArb = (values: fc.Arbitrary<unknown>): fc.Arbitrary<Op[]> =>
  fc.array(
    fc.oneof(
      {
        arbitrary: fc.record({ kind: fc.constant("set" as const), at: fc.nat(), value: values }),
        weight: 8,
      },
      { arbitrary: fc.record({ kind: fc.constant("mask" as const), at: fc.nat() }), weight: 2 },
      { arbitrary: fc.record({ kind: fc.constant("publish" as const) }), weight: 1 },
    ),
    { maxLength: 40 },
  );

/** An NdArray of `data` read element by element through `get`, in row-major order. */
function readAll(array: NdArray<unknown>): unknown[] {
  return range(array.size).map((n) => array.get(...unravelIndex(array.shape, n)));
}

describe("typed memory of numeric outputs", () => {
  it("keeps a numeric output of map in a Float64Array and reads it back as plain numbers", async () => {
    const seen: string[] = [];
    const p = new Pipeline([
      pipefunc(
        { output: "c", mapspec: "a[i], b[j] -> c[i, j]" },
        ({ a, b }: { a: number; b: number }) => a + b,
      ),
      pipefunc(
        { output: "d", mapspec: "c[i, j] -> d[i, j]", version: 1 },
        ({ c }: { c: number }) => {
          seen.push(typeof c);
          return c * 2;
        },
      ),
      pipefunc({ output: "s", mapspec: "c[i, :] -> s[i]" }, ({ c }: { c: NdArray<number> }) =>
        c.values().reduce((x, y) => x + y, 0),
      ),
    ]);
    const results = await p.map({ a: [0.5, 1, -2], b: [10, 20] }, quiet);
    const c = results.c.array;
    expect(typedData(c)).toBeInstanceOf(Float64Array);
    expect(Array.from(typedData(c)!)).toEqual([10.5, 20.5, 11, 21, 8, 18]);
    expect(Array.isArray(c.data)).toBe(true);
    expect(c.data).toEqual([10.5, 20.5, 11, 21, 8, 18]);
    expect(c.toNested()).toEqual([
      [10.5, 20.5],
      [11, 21],
      [8, 18],
    ]);
    expect(c.get(-1, 0)).toBe(8);
    expect(c.slice({ i: 1 }).data).toEqual([11, 21]);
    expect(c.hasMissing).toBe(false);
    expect(seen).toEqual(range(6).map(() => "number"));
    expect(typedData(results.d.array)).toBeInstanceOf(Float64Array);
    expect(results.d.array.data).toEqual([21, 41, 22, 42, 16, 36]);
    expect(results.s.array.data).toEqual([31, 32, 26]);
    expect(results.toRows("c")).toEqual([
      { i: 0, j: 0, a: 0.5, b: 10, c: 10.5, d: 21, s: 31 },
      { i: 0, j: 1, a: 0.5, b: 20, c: 20.5, d: 41, s: 31 },
      { i: 1, j: 0, a: 1, b: 10, c: 11, d: 22, s: 32 },
      { i: 1, j: 1, a: 1, b: 20, c: 21, d: 42, s: 32 },
      { i: 2, j: 0, a: -2, b: 10, c: 8, d: 16, s: 26 },
      { i: 2, j: 1, a: -2, b: 20, c: 18, d: 36, s: 26 },
    ]);
  });

  it("keeps outputs of other values in a plain array, as before", async () => {
    const p = new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) =>
        x === 2 ? "two" : x,
      ),
    ]);
    const y = (await p.map({ x: [1, 2, 3] }, quiet)).y.array;
    expect(typedData(y)).toBeUndefined();
    expect(y.data).toEqual([1, "two", 3]);
  });

  it("marks failed elements of a numeric output MISSING, apart from a returned NaN", async () => {
    const p = new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
        if (x === 1) throw new Error("boom");
        return x === 2 ? Number.NaN : x;
      }),
    ]);
    const results = await p.map({ x: [0, 1, 2, 3] }, { ...quiet, errors: "continue" });
    const y = results.y.array;
    expect(typedData(y)).toBeInstanceOf(Float64Array);
    expect(y.hasMissing).toBe(true);
    expect(difference(y.data, [0, MISSING, Number.NaN, 3])).toBeUndefined();
    expect(y.mask).toEqual([false, true, false, false]);
    expect(y.values()).toEqual([0, Number.NaN, 3]);
    expect(y.toJSON()).toEqual({
      shape: [4],
      dims: ["i"],
      data: [0, null, Number.NaN, 3],
      missing: [1],
    });
  });

  it("leaves the published array unchanged when its store is written afterwards", async () => {
    const p = new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x * 10),
    ]);
    const results = await p.map({ x: [1, 2, 3] }, quiet);
    const store = results.y.store!;
    store.set(0, 99);
    store.setMissing(1);
    store.set(2, "text");
    expect(results.y.array.data).toEqual([10, 20, 30]);
    expect(Array.from(typedData(results.y.array)!)).toEqual([10, 20, 30]);
    expect(store.values()).toEqual([99, MISSING, "text"]);
  });

  it("gives a numeric array the same cache key, clone, spread and JSON as a plain one", () => {
    const numbers = new Float64Array([1, -0, Number.NaN, 4, Number.POSITIVE_INFINITY, 6]);
    const typed = typedNdArray([2, 3], ["i", "j"], numbers);
    const plain = new NdArray([2, 3], ["i", "j"], Array.from(numbers));
    expect(stableHash(typed)).toBe(stableHash(plain));
    const masked = typedNdArray([2, 3], ["i", "j"], numbers, Uint8Array.of(1, 1, 0, 1, 1, 1));
    expect(stableHash(masked)).toBe(
      stableHash(new NdArray([2, 3], ["i", "j"], [1, -0, MISSING, 4, Number.POSITIVE_INFINITY, 6])),
    );
    expect(stableHash(masked)).not.toBe(stableHash(typed));
    expect(Object.keys({ ...typed })).toEqual(Object.keys({ ...plain }));
    expect(
      difference((deserialize(serialize(typed)) as { data: unknown[] }).data, plain.data),
    ).toBe(undefined);
    expect(difference(structuredClone(typed).data, plain.data)).toBeUndefined();
    expect(JSON.stringify(typed)).toBe(JSON.stringify(plain));
    const small = typedNdArray([3], ["i"], Float64Array.of(1, 2.5, -3));
    expect(small).toEqual(new NdArray([3], ["i"], [1, 2.5, -3]));
    expect(small).not.toEqual(new NdArray([3], ["i"], [1, 2.5, 3]));
    expect(Object.freeze(typedNdArray([2], ["i"], Float64Array.of(4, 5))).data).toEqual([4, 5]);
  });

  it("reads a numeric array exactly like a plain one holding the same elements (property)", () => {
    fc.assert(
      fc.property(
        shapeArb.chain((shape) => {
          const size = shape.reduce((x, y) => x * y, 1);
          return fc.record({
            shape: fc.constant(shape),
            numbers: fc.array(numberArb, { minLength: size, maxLength: size }),
            present: fc.option(fc.array(fc.boolean(), { minLength: size, maxLength: size })),
            fixed: fc.array(fc.nat(), { minLength: shape.length, maxLength: shape.length }),
            keep: fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
          });
        }),
        ({ shape, numbers, present, fixed, keep }) => {
          const dims = dimsOf(shape.length);
          const mask = present === null ? undefined : Uint8Array.from(present, Number);
          const typed = typedNdArray(shape, dims, Float64Array.from(numbers), mask);
          const elements = numbers.map((v, n) => (mask && mask[n] === 0 ? MISSING : v));
          const plain = new NdArray<number>(shape, dims, elements);

          expect(difference(readAll(typed), elements)).toBeUndefined();
          expect(difference([...typed], elements)).toBeUndefined();
          expect(difference(typed.values(), plain.values())).toBeUndefined();
          expect(show(typed.toNested())).toBe(show(plain.toNested()));
          expect(typed.mask).toEqual(plain.mask);
          expect(typed.hasMissing).toBe(plain.hasMissing);
          expect(JSON.stringify(typed.toJSON())).toBe(JSON.stringify(plain.toJSON()));
          const selection = Object.fromEntries(
            dims.flatMap((d, k) => (keep[k] ? [] : [[d, fixed[k]! % shape[k]!]])),
          );
          const [a, b] = [typed.slice(selection), plain.slice(selection)];
          expect(a.dims).toEqual(b.dims);
          expect(difference(a.data, b.data)).toBeUndefined();
          for (const dim of dims) {
            const rows = typed.along(dim);
            plain.along(dim).forEach((row, k) => {
              expect(difference(rows[k]!.data, row.data)).toBeUndefined();
            });
          }
          const tag = (v: number, index: readonly number[]) => `${show(v)}@${index.join(",")}`;
          expect(difference(typed.map(tag).data, plain.map(tag).data)).toBeUndefined();
          // Last: reading `data` builds it, and the methods above must not have needed it.
          expect(difference(typed.data, elements)).toBeUndefined();
          expect(typed.data).toBe(typed.data);
        },
      ),
    );
  });
});

/** Runs `ops` on `store` and on a plain model, checking every published snapshot at the end. */
function checkStore(store: MemoryStore, ops: readonly Op[]): unknown[] {
  const model: unknown[] = new Array(store.size).fill(MISSING);
  let boxed = false;
  const published: { array: NdArray<unknown>; expected: unknown[]; typed: boolean }[] = [];
  for (const op of ops) {
    if (op.kind === "publish") {
      published.push({
        array: store.toNdArray(store.dims),
        expected: model.slice(),
        typed: !boxed,
      });
      continue;
    }
    const at = op.at % store.size;
    if (op.kind === "mask") {
      store.setMissing(at);
      model[at] = MISSING;
    } else {
      store.set(at, op.value);
      model[at] = op.value;
      if (typeof op.value !== "number") boxed = true;
    }
  }
  expect(
    difference(
      range(store.size).map((i) => store.get(i)),
      model,
    ),
  ).toBeUndefined();
  expect(range(store.size).map((i) => store.has(i))).toEqual(model.map((v) => v !== MISSING));
  expect(difference(store.values(), model)).toBeUndefined();
  for (const { array, expected, typed } of published) {
    expect(typedData(array) !== undefined).toBe(typed);
    expect(difference(readAll(array), expected)).toBeUndefined();
    expect(
      difference(
        array.values(),
        expected.filter((v) => v !== MISSING),
      ),
    ).toBeUndefined();
    expect(array.hasMissing).toBe(expected.includes(MISSING));
    expect(difference(array.data, expected)).toBeUndefined();
  }
  return model;
}

describe("a memory store switching from numbers to values", () => {
  it("holds every value set, masked or published, whatever arrives in which order (property)", () => {
    fc.assert(
      fc.property(shapeArb, opsArb(valueArb), (shape, ops) => {
        const store = new MemoryStore({ output: "c", shape, dims: dimsOf(shape.length) });
        checkStore(store, ops);
      }),
      { numRuns: 300 },
    );
  });

  it("converts losslessly when the first value that is not a number arrives late", () => {
    const store = new MemoryStore({ output: "c", shape: [6], dims: ["i"] });
    const numbers = [-0, Number.NaN, Number.NEGATIVE_INFINITY, 2 ** 53 + 2, 5e-324];
    numbers.forEach((v, i) => {
      store.set(i, v);
    });
    store.setMissing(2);
    const before = store.toNdArray(["i"]);
    store.set(5, 7n);
    expect(difference(store.values(), [-0, Number.NaN, MISSING, 2 ** 53 + 2, 5e-324, 7n])).toBe(
      undefined,
    );
    expect(typedData(store.toNdArray(["i"]))).toBeUndefined();
    expect(difference(before.data, [-0, Number.NaN, MISSING, 2 ** 53 + 2, 5e-324, MISSING])).toBe(
      undefined,
    );
  });

  it("persists and reloads every value through the file store, which extends it (property)", () => {
    // Values v8.serialize writes: not MISSING, which is a symbol; primitives only, so a
    // reloaded value compares by Object.is.
    const persisted = fc.oneof(
      { arbitrary: numberArb, weight: 8 },
      {
        arbitrary: fc.oneof(
          fc.string({ maxLength: 3 }),
          fc.bigInt(),
          fc.boolean(),
          fc.constant(null),
        ),
        weight: 1,
      },
    );
    fc.assert(
      fc.property(shapeArb, opsArb(persisted), (shape, ops) => {
        const folder = join(tempFolder(), "c");
        const options = { output: "c", shape, dims: dimsOf(shape.length), folder };
        const store = openFileStore(options) as MemoryStore;
        checkStore(store, ops);
        // A mask is not persisted: the reopened store holds the last value set, if any.
        const onDisk: unknown[] = new Array(store.size).fill(MISSING);
        for (const op of ops) if (op.kind === "set") onDisk[op.at % store.size] = op.value;
        const reopened = openFileStore(options);
        expect(difference(reopened.values(), onDisk)).toBeUndefined();
      }),
      { numRuns: 40 },
    );
  });
});

describe("whole sweeps against a plain reference", () => {
  type Outcome = { readonly value: unknown } | { readonly fails: true };
  const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
    { arbitrary: fc.record({ value: numberArb }), weight: 10 },
    { arbitrary: fc.record({ value: otherArb.filter((v) => v !== MISSING) }), weight: 1 },
    { arbitrary: fc.constant({ fails: true as const }), weight: 1 },
  );

  it("gives the outputs, slices and element arguments a plain array would (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 5 }),
        fc.infiniteStream(outcomeArb).map((s) => [...s.take(20)]),
        async (m, n, outcomes) => {
          const outcome = (i: number, j: number) => outcomes[i * n + j]!;
          const args: unknown[] = [];
          const p = new Pipeline([
            pipefunc(
              { output: "c", mapspec: "a[i], b[j] -> c[i, j]", version: 1 },
              ({ a, b }: { a: number; b: number }) => {
                const o = outcome(a, b);
                if ("fails" in o) throw new Error("planned failure");
                return o.value;
              },
            ),
            pipefunc(
              { output: "d", mapspec: "c[i, j] -> d[i, j]", version: 1 },
              ({ c }: { c: unknown }) => {
                args.push(c);
                return c;
              },
            ),
            pipefunc(
              { output: "r", mapspec: "c[i, :] -> r[i]" },
              ({ c }: { c: NdArray<unknown> }) => c.toNested(),
            ),
          ]);
          const results = await p.map(
            { a: range(m), b: range(n) },
            { ...quiet, errors: "continue" },
          );
          const expected = range(m * n).map((e) => {
            const o = outcome(Math.floor(e / n), e % n);
            return "fails" in o ? MISSING : o.value;
          });
          const c = results.c.array;
          const numeric = expected.every((v) => v === MISSING || typeof v === "number");
          expect(typedData(c) !== undefined).toBe(numeric);
          expect(difference(c.data, expected)).toBeUndefined();
          expect(difference(readAll(c), expected)).toBeUndefined();
          expect(
            difference(
              c.values(),
              expected.filter((v) => v !== MISSING),
            ),
          ).toBeUndefined();
          expect(difference(results.d.array.data, expected)).toBeUndefined();
          expect(
            difference(
              args,
              expected.filter((v) => v !== MISSING),
            ),
          ).toBeUndefined();
          const rows = range(m).map((i) => expected.slice(i * n, (i + 1) * n));
          expect(show(results.r.array.data)).toBe(
            show(rows.map((row) => (row.includes(MISSING) ? MISSING : row))),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it.each(["file", "zarr"] as const)(
    "resumes a numeric sweep from %s storage to the values a fresh run gives",
    async (storage) => {
      const folder = join(tempFolder(), "run");
      const special = [-0, Number.NaN, Number.POSITIVE_INFINITY, -1.5, 2 ** 60];
      const value = (x: number) => special[x % special.length]! + (x >= special.length ? x : 0);
      const expected = range(30).map(value);
      const pipeline = (fails: (x: number) => boolean) =>
        new Pipeline([
          pipefunc({ output: "y", mapspec: "x[i] -> y[i]", version: 1 }, ({ x }: { x: number }) => {
            if (fails(x)) throw new Error("planned failure");
            return value(x);
          }),
        ]);
      const options = { ...quiet, runFolder: folder, storage, errors: "continue" } as const;
      const first = await pipeline((x) => x % 4 === 1).map({ x: range(30) }, options);
      expect(typedData(first.y.array)).toBeInstanceOf(Float64Array);
      expect(
        difference(
          first.y.array.data,
          expected.map((v, x) => (x % 4 === 1 ? MISSING : v)),
        ),
      ).toBeUndefined();

      const resumed = await pipeline(() => false).map(
        { x: range(30) },
        { ...options, resume: true },
      );
      expect(typedData(resumed.y.array)).toBeInstanceOf(Float64Array);
      expect(difference(resumed.y.array.data, expected)).toBeUndefined();
      const loaded = (await loadOutputs("y", { runFolder: folder })) as NdArray<number>;
      expect(difference(loaded.data, expected)).toBeUndefined();
    },
  );
});
