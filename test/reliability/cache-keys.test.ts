/**
 * Issue 21, point 4: values that differ only in the properties set on an array (or a typed
 * array, Map, Set, Date) besides its contents must not share a cache key, since the function
 * can read those properties.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { callKey } from "../../src/cache/key.ts";
import { CacheKeyError, type CacheOptions, Pipeline, pipefunc } from "../../src/index.ts";
import { caught } from "../caught.ts";

const folders: string[] = [];
afterAll(() => {
  for (const f of folders) rmSync(f, { recursive: true, force: true });
});
const caches = (): [string, CacheOptions][] => {
  const folder = mkdtempSync(join(tmpdir(), "pipeweave-cache-keys-"));
  folders.push(folder);
  return [
    ["lru", { type: "lru" }],
    ["disk", { type: "disk", folder }],
  ];
};

const key = (value: unknown) => callKey("node", "id", { value });
const withProps = <T extends object>(value: T, props: Record<string, unknown> | undefined): T =>
  props === undefined ? value : Object.assign(value, props);

describe("cache keys: properties besides an array's elements", () => {
  it.each(caches())(
    "%s: arrays, typed arrays, Maps and Dates that differ only there are computed apart",
    async (_, cache) => {
      const f = pipefunc(
        { output: "y", cache: true },
        ({ xs }: { xs: { meta?: unknown } }) => xs.meta,
      );
      const p = new Pipeline([f], { cache });
      const long = () => Array.from({ length: 1000 }, (_, i) => i);
      const pairs: [() => object][] = [
        [() => [1, 2]],
        [long],
        [() => long().map(String)],
        [() => new Float64Array(1000)],
        [() => new Float64Array(3)],
        [() => new Map([[1, 2]])],
        [() => new Set([1])],
        [() => new Date(0)],
      ];
      for (const [make] of pairs) {
        expect(await p.run("y", { xs: Object.assign(make(), { meta: "a" }) })).toBe("a");
        expect(await p.run("y", { xs: Object.assign(make(), { meta: "b" }) })).toBe("b");
        expect(await p.run("y", { xs: make() })).toBeUndefined();
        // Still a hit for the same value.
        expect(await p.run("y", { xs: Object.assign(make(), { meta: "a" }) })).toBe("a");
      }
      expect(await p.cacheStats()).toMatchObject({ hits: pairs.length, misses: 3 * pairs.length });
    },
  );

  it("keys a RegExp match by where it matched, and a RegExp by where it continues", () => {
    expect(key("xay".match(/a/))).not.toBe(key("axy".match(/a/)));
    const re = /a/g;
    const before = key(re);
    re.exec("aa");
    expect(key(re)).not.toBe(before);
  });

  it("leaves the keys of values without such properties as they were", () => {
    expect(key([1, 2])).toBe('id:{"value":[d1,d2]}');
    expect(key(new Date(0))).toBe('id:{"value":D1970-01-01T00:00:00.000Z}');
    expect(key(Object.assign([1], { m: 2 }))).toBe('id:{"value":[d1]+{"m":d2}}');
  });

  it("names the property of an array that has no stable form", () => {
    const error = caught(
      () => callKey("node", "id", { xs: Object.assign([1], { fit: () => 1 }) }),
      CacheKeyError,
      "E_CACHE_KEY",
    );
    expect(error).toMatchObject({ node: "node", argument: "xs", path: "xs.fit" });
    expect(error.message).toMatch(
      /Node "node" .* argument "xs" \(at xs\.fit\) is a function \(fit\)/,
    );
  });
});

/** A few values and names only, so that random pairs are often equal or nearly so. */
const leaf = fc.constantFrom<unknown>(0, 1, -0, Number.NaN, "a", null, undefined, true);
const props = fc.option(
  fc.dictionary(fc.constantFrom("meta", "index", "0x"), leaf, { maxKeys: 2 }),
  {
    nil: undefined,
  },
);
/** Lengths around where arrays are hashed (16) and where extra properties are looked up fast (64). */
const length = fc.constantFrom(0, 2, 16, 65, 70);
const bits = length.chain((n) => fc.array(fc.constantFrom(0, 1), { minLength: n, maxLength: n }));
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc
      .tuple(fc.sparseArray(tie("value"), { maxLength: 3 }), props)
      .map(([xs, p]) => withProps(xs, p)),
    fc.tuple(bits, props).map(([xs, p]) => withProps(xs, p)),
    fc
      .tuple(fc.constantFrom(Float64Array, Int32Array), bits, props)
      .map(([Kind, xs, p]) => withProps(Kind.from(xs), p)),
    fc.dictionary(fc.constantFrom("a", "meta"), tie("value"), { maxKeys: 2 }),
    fc
      .tuple(fc.array(fc.tuple(leaf, tie("value")), { maxLength: 2 }), props)
      .map(([entries, p]) => withProps(new Map(entries), p)),
    fc
      .tuple(fc.array(leaf, { maxLength: 2 }), props)
      .map(([items, p]) => withProps(new Set(items), p)),
    fc.tuple(fc.constantFrom(0, 1), props).map(([t, p]) => withProps(new Date(t), p)),
  ),
}));

describe("cache keys are equal only for values a function cannot tell apart (property)", () => {
  it("equal keys, deeply equal values, and the other way round", () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(key(a) === key(b)).toBe(isDeepStrictEqual(a, b));
      }),
      { numRuns: 3000 },
    );
  });

  it("the same contents with other properties set on it", () => {
    fc.assert(
      fc.property(value, props, props, (v, p, q) => {
        fc.pre(typeof v === "object" && v !== null);
        const a = withProps(structuredClone(v) as object, p);
        const b = withProps(structuredClone(v) as object, q);
        expect(key(a) === key(b)).toBe(isDeepStrictEqual(a, b));
      }),
      { numRuns: 2000 },
    );
  });
});
