import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../../src/errors.ts";
import { isSweep, type Sweep, sweep } from "../../src/map/sweep.ts";

/** Up to 4 keys, each with a list of up to 4 small integers (empty lists included). */
const valuesArb = fc.dictionary(
  fc.constantFrom("a", "b", "c", "d"),
  fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: 4 }),
  { maxKeys: 4 },
);

const lengthsProduct = (values: Record<string, readonly unknown[]>): number =>
  Object.values(values).reduce((size, list) => size * list.length, 1);

describe("sweep", () => {
  it.each([
    ["one key", { a: [1, 2] }, [{ a: 1 }, { a: 2 }]],
    [
      "two keys, the first varying slowest",
      { a: [1, 2], b: ["x", "y"] },
      [
        { a: 1, b: "x" },
        { a: 1, b: "y" },
        { a: 2, b: "x" },
        { a: 2, b: "y" },
      ],
    ],
    [
      "three keys",
      { a: [1, 2], b: ["x"], c: [true, false] },
      [
        { a: 1, b: "x", c: true },
        { a: 1, b: "x", c: false },
        { a: 2, b: "x", c: true },
        { a: 2, b: "x", c: false },
      ],
    ],
    ["no keys, as one empty combination", {}, [{}]],
    ["an empty list, as no combination", { a: [1, 2], b: [] }, []],
  ])("builds the outer product of %s", (_, values, expected) => {
    const s = sweep(values as Record<string, readonly unknown[]>);
    expect(s.toArray()).toEqual(expected);
    expect([...s]).toEqual(expected);
    expect(s.length).toBe(expected.length);
  });

  it("lists its keys in order", () => {
    expect(sweep({ b: [1], a: [2] }).keys).toEqual(["b", "a"]);
  });

  it("can be iterated more than once, with fresh objects each time", () => {
    const s = sweep({ a: [1, 2] });
    const first = s.toArray();
    const second = s.toArray();
    expect(second).toEqual(first);
    expect(second[0]).not.toBe(first[0]);
  });

  it("is not changed by later edits to the value lists", () => {
    const a = [1, 2];
    const s = sweep({ a });
    a.push(3);
    expect(s.length).toBe(2);
    expect(s.toArray()).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it.each([
    ["a string", "12", 'Sweep values for "a" must be an array, got string.'],
    ["null", null, 'Sweep values for "a" must be an array, got null.'],
  ])(
    "throws an InvalidArgumentError naming the key for %s instead of a list",
    (_, list, message) => {
      expect(() => sweep({ a: list } as never)).toThrow(InvalidArgumentError);
      expect(() => sweep({ a: list } as never)).toThrow(message);
    },
  );
});

describe("Sweep.zip", () => {
  it("moves the zipped lists together as one more, fastest-varying dimension", () => {
    const s = sweep({ a: [1, 2] }).zip({ b: [1, 2], c: [3, 4] });
    expect(s.toArray()).toEqual([
      { a: 1, b: 1, c: 3 },
      { a: 1, b: 2, c: 4 },
      { a: 2, b: 1, c: 3 },
      { a: 2, b: 2, c: 4 },
    ]);
    expect(s.length).toBe(4);
    expect(s.keys).toEqual(["a", "b", "c"]);
  });

  it("is a no-op without keys", () => {
    expect(
      sweep({ a: [1, 2] })
        .zip({})
        .toArray(),
    ).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it("throws an InvalidArgumentError naming both keys and lengths when lists differ in length", () => {
    const zip = () => sweep({ a: [1] }).zip({ b: [1, 2], c: [3, 4, 5] });
    expect(zip).toThrow(InvalidArgumentError);
    expect(zip).toThrow(
      'Cannot zip "b" (length 2) with "c" (length 3): zipped lists must have the same length.',
    );
  });

  it("throws an InvalidArgumentError naming a key that is already in the sweep", () => {
    const zip = () => sweep({ a: [1], b: [2] }).zip({ b: [3], c: [4] });
    expect(zip).toThrow(InvalidArgumentError);
    expect(zip).toThrow('Cannot combine sweeps that both set "b"');
  });
});

describe("Sweep.filter", () => {
  it("keeps the combinations the predicate accepts and counts them", () => {
    const s = sweep({ a: [1, 2, 3], b: [1, 2, 3] }).filter(({ a, b }) => a < b);
    expect(s.toArray()).toEqual([
      { a: 1, b: 2 },
      { a: 1, b: 3 },
      { a: 2, b: 3 },
    ]);
    expect(s.length).toBe(3);
  });

  it("composes with product and add, keeping counts right", () => {
    const filtered = sweep({ a: [1, 2, 3] }).filter(({ a }) => a !== 2);
    expect(filtered.product(sweep({ b: [0, 1] })).length).toBe(4);
    expect(filtered.add(sweep({ a: [9] })).toArray()).toEqual([{ a: 1 }, { a: 3 }, { a: 9 }]);
  });
});

describe("Sweep.add", () => {
  it("concatenates the combinations of two sweeps over the same keys", () => {
    const s = sweep({ a: [1], b: ["x"] }).add(sweep({ a: [2, 3], b: ["y"] }));
    expect(s.toArray()).toEqual([
      { a: 1, b: "x" },
      { a: 2, b: "y" },
      { a: 3, b: "y" },
    ]);
    expect(s.length).toBe(3);
  });

  it("puts the other sweep's keys in this sweep's order", () => {
    const s = sweep({ a: [1], b: [2] }).add(sweep({ b: [4], a: [3] }));
    expect(s.toArray().map((combination) => Object.keys(combination))).toEqual([
      ["a", "b"],
      ["a", "b"],
    ]);
    expect(s.toArray()[1]).toEqual({ a: 3, b: 4 });
  });

  it("throws an InvalidArgumentError naming the keys only one side has", () => {
    const left = sweep({ a: [1], b: [2] }) as unknown as Sweep<Record<string, unknown>>;
    const right = sweep({ a: [1], c: [2] }) as unknown as Sweep<Record<string, unknown>>;
    expect(() => left.add(right)).toThrow(InvalidArgumentError);
    expect(() => left.add(right)).toThrow(
      'Cannot add sweeps with different keys: only this sweep has "b", only the other has "c".',
    );
  });
});

describe("Sweep.product", () => {
  it("combines every combination of both sweeps, this one varying slowest", () => {
    const s = sweep({ a: [1, 2] }).product(sweep({ b: ["x"] }).zip({ c: [true, false] }));
    expect(s.toArray()).toEqual([
      { a: 1, b: "x", c: true },
      { a: 1, b: "x", c: false },
      { a: 2, b: "x", c: true },
      { a: 2, b: "x", c: false },
    ]);
    expect(s.keys).toEqual(["a", "b", "c"]);
  });

  it("keeps the order across an added sweep", () => {
    const s = sweep({ a: [1] })
      .add(sweep({ a: [2] }))
      .product(sweep({ b: [1] }).add(sweep({ b: [2] })));
    expect(s.toArray()).toEqual([
      { a: 1, b: 1 },
      { a: 1, b: 2 },
      { a: 2, b: 1 },
      { a: 2, b: 2 },
    ]);
  });

  it("throws an InvalidArgumentError naming the shared keys", () => {
    const product = () => sweep({ a: [1], b: [2] }).product(sweep({ b: [3], a: [4] }));
    expect(product).toThrow(InvalidArgumentError);
    expect(product).toThrow('Cannot combine sweeps that both set "b", "a"');
  });
});

describe("Sweep.toInputs", () => {
  it("gives one column per key, one entry per combination", () => {
    expect(sweep({ a: [1, 2], b: ["x", "y"] }).toInputs()).toEqual({
      a: [1, 1, 2, 2],
      b: ["x", "y", "x", "y"],
    });
  });

  it("gives empty columns for an empty sweep", () => {
    expect(sweep({ a: [1], b: [] }).toInputs()).toEqual({ a: [], b: [] });
    expect(
      sweep({ a: [1, 2] })
        .filter(() => false)
        .toInputs(),
    ).toEqual({ a: [] });
  });
});

describe("isSweep", () => {
  it.each([
    ["a sweep", sweep({ a: [1] }), true],
    ["a filtered sweep", sweep({ a: [1] }).filter(() => true), true],
    ["plain inputs", { a: [1] }, false],
    ["an array", [{ a: 1 }], false],
    ["null", null, false],
    ["a string", "sweep", false],
  ])("recognises %s", (_, value, expected) => {
    expect(isSweep(value)).toBe(expected);
  });
});

describe("Sweep properties", () => {
  it("has as many combinations as the product of the list lengths", () => {
    fc.assert(
      fc.property(valuesArb, (values) => {
        const s = sweep(values);
        expect(s.length).toBe(lengthsProduct(values));
        expect(s.toArray()).toHaveLength(lengthsProduct(values));
      }),
    );
  });

  it("gives toInputs columns as long as the sweep, matching its combinations", () => {
    fc.assert(
      fc.property(valuesArb, fc.integer({ min: 0, max: 9 }), (values, cut) => {
        const s = sweep(values).filter((combination) =>
          Object.values(combination).every((v) => (v as number) <= cut),
        );
        const inputs = s.toInputs();
        const combinations = s.toArray();
        expect(Object.keys(inputs)).toEqual(Object.keys(values));
        for (const [key, column] of Object.entries(inputs)) {
          expect(column).toHaveLength(s.length);
          expect(column).toEqual(combinations.map((combination) => combination[key]));
        }
      }),
    );
  });

  it("multiplies lengths under zip and product, and adds them under add", () => {
    fc.assert(
      fc.property(
        valuesArb,
        fc.array(fc.integer(), { maxLength: 4 }),
        fc.array(fc.string(), { maxLength: 3 }),
        (values, zipped, other) => {
          const s = sweep(values);
          const n = lengthsProduct(values);
          expect(s.zip({ z1: zipped, z2: zipped.map(String) }).length).toBe(n * zipped.length);
          expect(s.product(sweep({ o: other })).length).toBe(n * other.length);
          expect(s.add(s).length).toBe(2 * n);
          expect(s.add(s).toArray()).toEqual([...s.toArray(), ...s.toArray()]);
        },
      ),
    );
  });

  it("yields every combination exactly once, in the order of nested loops", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { maxLength: 4 }),
        fc.array(fc.integer(), { maxLength: 4 }),
        (as, bs) => {
          const expected = as.flatMap((a) => bs.map((b) => ({ a, b })));
          expect(sweep({ a: as, b: bs }).toArray()).toEqual(expected);
        },
      ),
    );
  });
});
