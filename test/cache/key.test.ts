import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { callKey } from "../../src/cache/key.ts";
import { CacheKeyError, NdArray } from "../../src/index.ts";

const key = (args: Record<string, unknown>) => callKey("node", "id", args);

/** The same value with every object's keys (and every Map's and Set's entries) reversed. */
function reorder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reorder);
  if (value instanceof Map) return new Map([...value].reverse().map(([k, v]) => [k, reorder(v)]));
  if (value instanceof Set) return new Set([...value].reverse());
  if (value !== null && typeof value === "object") {
    const reordered = Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reorder(v)]),
    );
    // fast-check makes some objects without a prototype, which keys apart from plain ones.
    return Object.setPrototypeOf(reordered, Object.getPrototypeOf(value));
  }
  return value;
}

describe("cache keys", () => {
  it("do not depend on key order (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (args) => {
        expect(key(reorder(args) as Record<string, unknown>)).toBe(key(args));
      }),
    );
  });

  it("tell different values apart (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(key({ a })).not.toBe(key({ a: b }));
      }),
    );
  });

  it("separate values JSON would confuse", () => {
    const distinct = [
      1,
      "1",
      1n,
      true,
      null,
      undefined,
      -0,
      Number.NaN,
      [1],
      { 0: 1 },
      new Date(0),
      0,
    ];
    expect(new Set(distinct.map((v) => key({ v }))).size).toBe(distinct.length);
    expect(
      key({
        m: new Map([
          ["a", 1],
          ["b", 2],
        ]),
      }),
    ).toBe(
      key({
        m: new Map([
          ["b", 2],
          ["a", 1],
        ]),
      }),
    );
    expect(key({ s: new Set([1, 2]) })).toBe(key({ s: new Set([2, 1]) }));
    expect(key({ t: new Float64Array([1, 2]) })).not.toBe(key({ t: new Float64Array([1, 3]) }));
    expect(key({ t: new Float64Array([1, 2]) })).not.toBe(key({ t: new Float32Array([1, 2]) }));
    const nd = NdArray.fromNested([[1, 2]], ["i", "j"]);
    expect(key({ nd })).toBe(key({ nd: NdArray.fromNested([[1, 2]], ["i", "j"]) }));
    expect(key({ nd })).not.toBe(key({ nd: NdArray.fromNested([[1], [2]], ["i", "j"]) }));
  });

  it("stay short for large arguments", () => {
    expect(key({ xs: Array.from({ length: 10_000 }, (_, i) => i) }).length).toBeLessThan(80);
  });

  it("refuse functions, symbols, class instances and cycles with the argument's path", () => {
    class Opaque {}
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ f: () => 1 }, "f", /a function/],
      [{ o: { deep: [0, Symbol("s")] } }, "o.deep[1]", /a symbol/],
      [{ c: new Opaque() }, "c", /an instance of Opaque without toJSON/],
      [{ cyclic }, "cyclic.self", /contains itself/],
    ];
    for (const [args, path, what] of cases) {
      let error: unknown;
      try {
        key(args);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CacheKeyError);
      expect(error).toMatchObject({ node: "node", argument: Object.keys(args)[0], path });
      expect((error as Error).message).toMatch(what);
    }
  });
});
