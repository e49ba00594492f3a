import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { callKey, stableHash } from "../../src/cache/key.ts";
import { MIN_HASHED_NUMBERS } from "../../src/cache/numeric-key.ts";
import { CacheKeyError, type CacheOptions, Pipeline, pipefunc } from "../../src/index.ts";

const key = (xs: unknown) => callKey("node", "id", { xs });

/** Lengths on both sides of the hashed form's threshold and of its 1,024-element chunks. */
const LENGTHS = [0, 1, MIN_HASHED_NUMBERS - 1, MIN_HASHED_NUMBERS, 1023, 1024, 1025, 2048, 2500];

/**
 * An array of `length` numbers cycling through `sample`: lengths up to 2,500 (three chunks)
 * without generating every element.
 */
const numbers = fc
  .tuple(
    fc.oneof(fc.constantFrom(...LENGTHS), fc.integer({ min: 0, max: 2500 })),
    fc.array(fc.double(), { minLength: 1, maxLength: 40 }),
  )
  .map(([length, sample]) => Array.from({ length }, (_, i) => sample[i % sample.length]!));

/** The same, with at least one element, an index into it and a value for that index. */
const changed = <T>(values: fc.Arbitrary<number[]>, value: fc.Arbitrary<T>) =>
  values
    .filter((xs) => xs.length > 0)
    .chain((xs) => fc.tuple(fc.constant(xs), fc.nat({ max: xs.length - 1 }), value));

/** A NaN whose bits are not the usual NaN's. */
const payloadNaN = new Float64Array(new Uint32Array([1, 0x7ff80000]).buffer)[0]!;

describe("cache keys of numeric arrays", () => {
  it("are equal for equal arrays: plain, typed and through a getter-free copy (property)", () => {
    fc.assert(
      fc.property(numbers, (xs) => {
        expect(key([...xs])).toBe(key(xs));
        expect(key(Float64Array.from(xs))).toBe(key(Float64Array.from(xs)));
        expect(key(Float32Array.from(xs))).toBe(key(Float32Array.from(xs)));
        // Every NaN is one value in a number[]: its bits are not part of the key.
        expect(key(xs.map((x) => (Number.isNaN(x) ? payloadNaN : x)))).toBe(key(xs));
      }),
    );
  });

  it("change with any one element, -0 against 0 included (property)", () => {
    fc.assert(
      fc.property(changed(numbers, fc.double()), ([xs, i, v]) => {
        // Object.is: -0 and 0 differ, every NaN is the same.
        fc.pre(!Object.is(xs[i], v));
        const ys = xs.with(i, v);
        expect(key(ys)).not.toBe(key(xs));
        expect(key(Float64Array.from(ys))).not.toBe(key(Float64Array.from(xs)));
      }),
    );
    const ints = numbers.map((xs) => xs.map((x) => (Number.isFinite(x) ? x | 0 : 0)));
    fc.assert(
      fc.property(changed(ints, fc.integer()), ([xs, i, v]) => {
        fc.pre(xs[i] !== v);
        expect(key(Int32Array.from(xs.with(i, v)))).not.toBe(key(Int32Array.from(xs)));
        expect(key(xs.with(i, v))).not.toBe(key(xs));
      }),
    );
    const floats = numbers.map((xs) => xs.map(Math.fround));
    fc.assert(
      fc.property(changed(floats, fc.float()), ([xs, i, v]) => {
        fc.pre(!Object.is(xs[i], v));
        expect(key(Float32Array.from(xs.with(i, v)))).not.toBe(key(Float32Array.from(xs)));
      }),
    );
  });

  it("tell a number[], each typed kind, a DataView and an ArrayBuffer of one content apart (property)", () => {
    fc.assert(
      fc.property(numbers, (xs) => {
        const f64 = Float64Array.from(xs);
        const forms = [
          xs,
          f64,
          Float32Array.from(xs),
          Int32Array.from(xs),
          Uint16Array.from(xs),
          new Uint8Array(f64.buffer),
          new DataView(f64.buffer),
          f64.buffer,
        ];
        expect(new Set(forms.map(key)).size).toBe(forms.length);
      }),
    );
  });

  it("of a view depend only on the elements it shows (property)", () => {
    const views = fc
      .array(fc.double(), { minLength: 1, maxLength: 300 })
      .chain((xs) =>
        fc
          .tuple(fc.nat({ max: xs.length }), fc.nat({ max: xs.length }))
          .map(([a, b]) => [xs, Math.min(a, b), Math.max(a, b)] as const),
      );
    fc.assert(
      fc.property(views, ([xs, start, end]) => {
        const whole = Float64Array.from(xs);
        const view = whole.subarray(start, end);
        const copy = Float64Array.from(view);
        const bytes = (a: Float64Array) => new DataView(a.buffer, a.byteOffset, a.byteLength);
        expect(key(view)).toBe(key(copy));
        expect(key(bytes(view))).toBe(key(bytes(copy)));
        expect(key(new Uint8Array(view.buffer, view.byteOffset, view.byteLength))).toBe(
          key(new Uint8Array(copy.buffer)),
        );
        // Elements outside the view do not count.
        const before = key(view);
        if (start > 0) whole[start - 1] = 0.5 + (whole[start - 1] ?? 0);
        if (end < whole.length) whole[end] = 0.5 + (whole[end] ?? 0);
        expect(key(view)).toBe(before);
      }),
    );
  });

  it("change with one element of a numeric array nested in objects (property)", () => {
    fc.assert(
      fc.property(changed(numbers, fc.double()), ([xs, i, v]) => {
        fc.pre(!Object.is(xs[i], v));
        const args = (ys: number[]) => ({
          model: { weights: [ys, Float64Array.from(ys)], name: "m" },
          n: 3,
        });
        const a = callKey("node", "id", args(xs));
        expect(callKey("node", "id", args([...xs]))).toBe(a);
        expect(callKey("node", "id", args(xs.with(i, v)))).not.toBe(a);
        // Run folders hash inputs the same way.
        expect(stableHash(args(xs.with(i, v)))).not.toBe(stableHash(args(xs)));
      }),
    );
  });

  it.each([
    ["short", 3],
    ["long", 1500],
  ])(
    "separate -0 from 0, keep one NaN in a number[] and the bits of a typed array (%s)",
    (_, n) => {
      const fill = (x: number) => Array.from({ length: n }, () => x);
      expect(key(fill(-0))).not.toBe(key(fill(0)));
      expect(key(Float64Array.from(fill(-0)))).not.toBe(key(Float64Array.from(fill(0))));
      expect(key(fill(payloadNaN))).toBe(key(fill(Number.NaN)));
      // A typed array is its bytes: a function can read a NaN's payload back from them.
      expect(key(Float64Array.from(fill(payloadNaN)))).not.toBe(
        key(Float64Array.from(fill(Number.NaN))),
      );
      expect(key(Float64Array.from(fill(payloadNaN)))).toBe(
        key(Float64Array.from(fill(payloadNaN))),
      );
    },
  );

  it.each([
    ["short", 3],
    ["long", 1500],
  ])("separate a hole from undefined and from every number (%s)", (_, n) => {
    const holey = Array.from({ length: n }, (_, i) => i);
    delete holey[1];
    // A function sees the difference: filter and forEach skip a hole.
    const withUndefined = holey.with(1, undefined as unknown as number);
    expect(holey.filter(() => true).length).not.toBe(withUndefined.filter(() => true).length);
    const keys = [holey, withUndefined, holey.with(1, 1), holey.with(1, Number.NaN)].map(key);
    expect(new Set(keys).size).toBe(4);
    const again = Array.from({ length: n }, (_, i) => i);
    delete again[1];
    expect(key(again)).toBe(key(holey));
  });

  it("take the element-by-element form when a long array holds something else", () => {
    const xs = Array.from({ length: 1500 }, (_, i) => i);
    expect(key([...xs, "1"])).not.toBe(key([...xs, 1]));
    expect(key([...xs, 1n])).not.toBe(key([...xs, 1]));
    expect(key([...xs, [1]])).not.toBe(key([...xs, 1]));
    let error: unknown;
    try {
      key([...xs, () => 1]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CacheKeyError);
    expect(error).toMatchObject({ argument: "xs", path: "xs[1500]" });
  });

  it("stay right when reading an element builds another key", () => {
    const xs = Array.from({ length: 3000 }, (_, i) => i * 1.5);
    const other = Array.from({ length: 3000 }, (_, i) => -i);
    const reentrant = new Proxy(xs, {
      get(target, property, receiver) {
        // A getter that keys another large array while this one is being copied.
        if (property === "1100") key(other);
        return Reflect.get(target, property, receiver);
      },
    });
    expect(key(reentrant)).toBe(key([...xs]));
  });
});

const folders: string[] = [];
afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});

describe.each<[string, () => CacheOptions]>([
  ["lru", () => ({ type: "lru" })],
  [
    "disk",
    () => {
      const folder = mkdtempSync(join(tmpdir(), "pipeweave-key-numeric-"));
      folders.push(folder);
      return { type: "disk", folder };
    },
  ],
])("a %s-cached node with a numeric array argument", (_, cache) => {
  /** A summing node that counts its calls; a `version` vouches for the counter it captures. */
  function summing(options: CacheOptions) {
    const calls = { n: 0 };
    const sum = pipefunc(
      { output: "s", cache: true, version: 1 },
      ({ xs }: { xs: ArrayLike<number> }) => {
        calls.n++;
        let s = 0;
        for (let i = 0; i < xs.length; i++) s += xs[i]!;
        return s;
      },
    );
    return { calls, pipeline: new Pipeline([sum], { cache: options }) };
  }

  it.each<[string, (xs: number[]) => ArrayLike<number>]>([
    ["Float64Array", (xs) => Float64Array.from(xs)],
    ["number[]", (xs) => xs],
    ["Float64Array view", (xs) => Float64Array.from([7, ...xs, 7]).subarray(1, xs.length + 1)],
  ])(
    "answers equal %s arguments from the cache and recomputes a changed one",
    async (kind, make) => {
      const { calls, pipeline } = summing(cache());
      const xs = Array.from({ length: 1000 }, (_, i) => i * 0.25);
      const total = xs.reduce((s, x) => s + x, 0);
      expect(await pipeline.run("s", { xs: make(xs) })).toBe(total);
      expect(await pipeline.run("s", { xs: make([...xs]) })).toBe(total);
      expect(calls.n).toBe(1);
      expect(await pipeline.run("s", { xs: make(xs.with(500, 1000)) })).toBe(total + 1000 - 125);
      expect(calls.n).toBe(2);
      // A number[] and a Float64Array of the same numbers are separate entries.
      const other = kind === "number[]" ? Float64Array.from(xs) : xs;
      await pipeline.run("s", { xs: other });
      expect(await pipeline.cacheStats()).toMatchObject({ hits: 1, misses: 3 });
    },
  );
});
