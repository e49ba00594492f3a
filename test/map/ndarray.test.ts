import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MISSING, type Missing } from "../../src/map/missing.ts";
import {
  linearIndex,
  NdArray,
  type NdArrayJSON,
  product,
  unravelIndex,
} from "../../src/map/ndarray.ts";

type Element = number | string | null | Missing;

/** 2 x 3 array 0..5, with the last element masked. */
const grid = (): NdArray<number> => new NdArray([2, 3], ["i", "j"], [0, 1, 2, 3, 4, MISSING]);

/** 2 x 3 x 4 array holding each element's linear index. */
const cube = (): NdArray<number> =>
  new NdArray(
    [2, 3, 4],
    ["i", "j", "k"],
    Array.from({ length: 24 }, (_, n) => n),
  );

const dimNames = (ndim: number): string[] => Array.from({ length: ndim }, (_, k) => `d${k}`);

const elementArb: fc.Arbitrary<Element> = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 3 }),
  fc.constant(null),
  fc.constant(MISSING),
);

/** Arrays up to 4-D with axes up to 4 long (`minLength` 0 allows empty axes). */
const ndArrayArb = <T>(
  element: fc.Arbitrary<T>,
  minLength = 0,
  minDims = 0,
): fc.Arbitrary<NdArray<T>> =>
  fc
    .array(fc.integer({ min: minLength, max: 4 }), { minLength: minDims, maxLength: 4 })
    .chain((shape) =>
      fc
        .array(element, { minLength: product(shape), maxLength: product(shape) })
        .map((data) => new NdArray<T>(shape, dimNames(shape.length), data)),
    );

/** A shape with non-empty axes, and a valid index into it. */
const shapeAndIndexArb = fc
  .array(fc.integer({ min: 1, max: 6 }), { maxLength: 5 })
  .chain((shape) =>
    fc.tuple(fc.constant(shape), fc.tuple(...shape.map((n) => fc.integer({ min: 0, max: n - 1 })))),
  );

describe("NdArray constructor", () => {
  it("exposes shape, dims, data, size and ndim", () => {
    const a = grid();
    expect(a.shape).toEqual([2, 3]);
    expect(a.dims).toEqual(["i", "j"]);
    expect(a.data).toEqual([0, 1, 2, 3, 4, MISSING]);
    expect(a.size).toBe(6);
    expect(a.ndim).toBe(2);
  });

  it.each([
    ["0-D", [], [], [42], 1],
    ["1-D", [3], ["i"], [1, 2, 3], 3],
    ["empty axis", [2, 0], ["i", "j"], [], 0],
    ["3-D", [1, 2, 2], ["a", "b", "c"], [1, 2, 3, 4], 4],
  ])("accepts a %s array", (_, shape, dims, data, size) => {
    const a = new NdArray(shape, dims, data);
    expect(a.size).toBe(size);
    expect(a.ndim).toBe(shape.length);
  });

  it("copies and freezes shape and dims so later edits to the arguments do not leak in", () => {
    const shape = [2];
    const dims = ["i"];
    const a = new NdArray(shape, dims, [1, 2]);
    shape[0] = 5;
    dims[0] = "z";
    expect(a.shape).toEqual([2]);
    expect(a.dims).toEqual(["i"]);
    expect(Object.isFrozen(a.shape)).toBe(true);
    expect(Object.isFrozen(a.dims)).toBe(true);
  });

  it.each([
    [
      "dims shorter than shape",
      [2, 3],
      ["i"],
      [1, 2, 3, 4, 5, 6],
      /shape \[2, 3\] has 2 axes but 1 dims were given \("i"\)/,
    ],
    [
      "dims longer than shape",
      [2],
      ["i", "j"],
      [1, 2],
      /shape \[2\] has 1 axes but 2 dims were given \("i", "j"\)/,
    ],
    ["too little data", [2, 3], ["i", "j"], [1, 2, 3, 4, 5], /needs 6 elements .* data has 5/],
    ["too much data for 0-D", [], [], [1, 2], /shape \[\] needs 1 elements .* data has 2/],
    ["a negative length", [2, -1], ["i", "j"], [], /shape entry 1 is -1, expected a non-negative/],
    ["a fractional length", [1.5], ["i"], [1], /shape entry 0 is 1.5, expected a non-negative/],
    ["a NaN length", [Number.NaN], ["i"], [], /shape entry 0 is NaN/],
    ["a repeated dim", [1, 1], ["i", "i"], [1], /dim "i" appears twice in "i", "i"/],
    ["an empty dim name", [1], [""], [1], /dims must be non-empty strings/],
  ])("rejects %s with a TypeError naming the mismatch", (_, shape, dims, data, message) => {
    expect(() => new NdArray(shape, dims, data)).toThrow(TypeError);
    expect(() => new NdArray(shape, dims, data)).toThrow(message);
  });
});

describe("NdArray.get", () => {
  it.each([
    [[0, 0], 0],
    [[0, 2], 2],
    [[1, 0], 3],
    [[1, 2], MISSING],
    [[-1, 0], 3],
    [[-2, -3], 0],
    [[-1, -1], MISSING],
  ])("reads index %j", (index, expected) => {
    expect(grid().get(...index)).toBe(expected);
  });

  it("reads a 3-D array in row-major order", () => {
    const a = cube();
    expect(a.get(1, 2, 3)).toBe(23);
    expect(a.get(1, 0, 2)).toBe(14);
    expect(a.get(0, -1, -1)).toBe(11);
  });

  it("reads the single element of a 0-D array with no index", () => {
    expect(new NdArray([], [], ["x"]).get()).toBe("x");
  });

  it.each([
    [[2, 0], 'Index 2 is out of bounds for axis 0 ("i") of length 2: use an integer from -2 to 1.'],
    [[0, 3], 'Index 3 is out of bounds for axis 1 ("j") of length 3: use an integer from -3 to 2.'],
    [[0, -4], 'Index -4 is out of bounds for axis 1 ("j") of length 3'],
  ])("throws a RangeError naming the axis, index and length for %j", (index, message) => {
    expect(() => grid().get(...index)).toThrow(RangeError);
    expect(() => grid().get(...index)).toThrow(message);
  });

  it("says an empty axis has no valid index", () => {
    const a = new NdArray<number>([0], ["i"], []);
    expect(() => a.get(0)).toThrow(RangeError);
    expect(() => a.get(0)).toThrow('axis 0 ("i") of length 0: the axis is empty');
  });

  it.each([
    [[0], 'Expected 2 indexes, one per axis (dims "i", "j"), got 1.'],
    [[0, 0, 0], 'Expected 2 indexes, one per axis (dims "i", "j"), got 3.'],
  ])("throws a TypeError for the wrong number of indexes %j", (index, message) => {
    expect(() => grid().get(...index)).toThrow(TypeError);
    expect(() => grid().get(...index)).toThrow(message);
  });

  it("throws a TypeError for an index that is not an integer", () => {
    expect(() => grid().get(0, 1.5)).toThrow(TypeError);
    expect(() => grid().get(0, 1.5)).toThrow('Index 1.5 for axis 1 ("j") is not an integer.');
    expect(() => grid().get(Number.NaN, 0)).toThrow("Index NaN for axis 0");
  });
});

describe("NdArray.toNested", () => {
  it.each([
    ["0-D", new NdArray([], [], [7]), 7],
    ["1-D", new NdArray([3], ["i"], [1, 2, 3]), [1, 2, 3]],
    [
      "2-D with a masked element",
      grid(),
      [
        [0, 1, 2],
        [3, 4, MISSING],
      ],
    ],
    ["empty outer axis", new NdArray([0, 3], ["i", "j"], []), []],
    ["empty inner axis", new NdArray([2, 0], ["i", "j"], []), [[], []]],
    ["3-D", new NdArray([2, 1, 2], ["a", "b", "c"], [1, 2, 3, 4]), [[[1, 2]], [[3, 4]]]],
  ])("nests a %s array", (_, array, expected) => {
    expect(array.toNested()).toEqual(expected);
  });
});

describe("NdArray.fromNested", () => {
  it("infers the shape of regular nested arrays", () => {
    const a = NdArray.fromNested(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      ["i", "j"],
    );
    expect(a).toEqual(new NdArray([2, 3], ["i", "j"], [1, 2, 3, 4, 5, 6]));
  });

  it("descends only as many levels as there are dims, keeping array elements whole", () => {
    const a = NdArray.fromNested<number[]>(
      [
        [1, 2],
        [3, 4, 5],
      ],
      ["i"],
    );
    expect(a.shape).toEqual([2]);
    expect(a.get(1)).toEqual([3, 4, 5]);
  });

  it("wraps a scalar as a 0-D array when there are no dims", () => {
    expect(NdArray.fromNested(5, [])).toEqual(new NdArray([], [], [5]));
  });

  it("keeps MISSING elements masked", () => {
    expect(NdArray.fromNested([1, MISSING], ["i"]).mask).toEqual([false, true]);
  });

  it("takes the axes after an empty one as empty", () => {
    expect(NdArray.fromNested([], ["i", "j"]).shape).toEqual([0, 0]);
  });

  it.each([
    [
      "a short inner array",
      [[1, 2], [3, 4], [5]],
      ["i", "j"],
      'Ragged nested array at depth 1 (dim "j") at position [2]: expected length 2',
    ],
    [
      "a long array at depth 2",
      [
        [[1], [2]],
        [[3], [4, 5]],
      ],
      ["a", "b", "c"],
      'Ragged nested array at depth 2 (dim "c") at position [1, 1]: expected length 1',
    ],
  ])("rejects %s with a TypeError naming the depth", (_, nested, dims, message) => {
    expect(() => NdArray.fromNested(nested, dims)).toThrow(TypeError);
    expect(() => NdArray.fromNested(nested, dims)).toThrow(message);
  });

  it.each([
    ["a scalar where the outer array belongs", 3, ["i"], 'depth 0 (dim "i") at position []'],
    [
      "a scalar inside",
      [[1], 2],
      ["i", "j"],
      'Expected an array at depth 1 (dim "j") at position [1] of the nested array, got number',
    ],
    ["too shallow nesting", [1, 2], ["i", "j"], 'depth 1 (dim "j") at position [0] of the'],
  ])("rejects %s with a TypeError naming the depth", (_, nested, dims, message) => {
    expect(() => NdArray.fromNested(nested as never, dims)).toThrow(TypeError);
    expect(() => NdArray.fromNested(nested as never, dims)).toThrow(message);
  });
});

describe("NdArray.slice and along", () => {
  it.each([
    [{ i: 1 }, [3, 4], ["j", "k"], [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]],
    [{ j: 2 }, [2, 4], ["i", "k"], [8, 9, 10, 11, 20, 21, 22, 23]],
    [{ k: -1 }, [2, 3], ["i", "j"], [3, 7, 11, 15, 19, 23]],
    [{ i: 0, k: 1 }, [3], ["j"], [1, 5, 9]],
    [{ k: 0, i: 1 }, [3], ["j"], [12, 16, 20]],
    [{ i: 1, j: 1, k: 1 }, [], [], [17]],
    [{}, [2, 3, 4], ["i", "j", "k"], Array.from({ length: 24 }, (_, n) => n)],
  ])("slices %j", (selection, shape, dims, data) => {
    const sliced = cube().slice(selection);
    expect(sliced.data).toEqual(data);
    expect(sliced.dims).toEqual(dims);
    expect(sliced.shape).toEqual(shape);
  });

  it("keeps the dims in their original order and the remaining shape", () => {
    const sliced = cube().slice({ j: 0 });
    expect(sliced.shape).toEqual([2, 4]);
    expect(sliced.dims).toEqual(["i", "k"]);
  });

  it("keeps masked elements masked", () => {
    expect(grid().slice({ i: 1 }).data).toEqual([3, 4, MISSING]);
  });

  it("throws a TypeError naming an unknown dim and the valid ones", () => {
    expect(() => grid().slice({ k: 0 })).toThrow(TypeError);
    expect(() => grid().slice({ k: 0 })).toThrow(
      'Cannot slice dim "k": the NdArray has dims "i", "j". Use one of those names.',
    );
  });

  it("throws a RangeError naming the dim, index and length when out of bounds", () => {
    expect(() => grid().slice({ j: 3 })).toThrow(RangeError);
    expect(() => grid().slice({ j: 3 })).toThrow(
      'Index 3 is out of bounds for axis 1 ("j") of length 3',
    );
  });

  it("splits along a dim into sub-arrays without it", () => {
    const parts = cube().along("j");
    expect(parts).toHaveLength(3);
    expect(parts.map((p) => p.dims)).toEqual([
      ["i", "k"],
      ["i", "k"],
      ["i", "k"],
    ]);
    expect(parts[1]!.data).toEqual([4, 5, 6, 7, 16, 17, 18, 19]);
  });

  it("gives no sub-arrays along an empty dim", () => {
    expect(new NdArray([0, 2], ["i", "j"], []).along("i")).toEqual([]);
  });

  it("throws a TypeError naming an unknown dim to go along", () => {
    expect(() => grid().along("x")).toThrow(TypeError);
    expect(() => grid().along("x")).toThrow('Cannot iterate along dim "x"');
  });
});

describe("NdArray.map", () => {
  it("maps the elements with their indexes and keeps MISSING", () => {
    const calls: [number, readonly number[]][] = [];
    const mapped = grid().map((value, index) => {
      calls.push([value, index]);
      return `${value}!`;
    });
    expect(mapped.data).toEqual(["0!", "1!", "2!", "3!", "4!", MISSING]);
    expect(mapped.shape).toEqual([2, 3]);
    expect(mapped.dims).toEqual(["i", "j"]);
    expect(calls).toEqual([
      [0, [0, 0]],
      [1, [0, 1]],
      [2, [0, 2]],
      [3, [1, 0]],
      [4, [1, 1]],
    ]);
  });

  it("calls nothing on an empty array and maps a 0-D array with an empty index", () => {
    let called = 0;
    new NdArray<number>([0], ["i"], []).map(() => called++);
    expect(called).toBe(0);
    expect(new NdArray([], [], [2]).map((v, index) => [v * 2, index]).data).toEqual([[4, []]]);
  });
});

describe("NdArray masks and iteration", () => {
  it("reports the mask, whether anything is missing, and the unmasked values", () => {
    const a = grid();
    expect(a.mask).toEqual([false, false, false, false, false, true]);
    expect(a.hasMissing).toBe(true);
    expect(a.values()).toEqual([0, 1, 2, 3, 4]);
  });

  it("says nothing is missing when every element is present, null included", () => {
    const a = new NdArray([2], ["i"], [null, 1]);
    expect(a.hasMissing).toBe(false);
    expect(a.mask).toEqual([false, false]);
    expect(a.values()).toEqual([null, 1]);
  });

  it("iterates over the row-major data, MISSING included", () => {
    expect([...grid()]).toEqual([0, 1, 2, 3, 4, MISSING]);
  });
});

describe("NdArray JSON", () => {
  it("omits `missing` when nothing is masked", () => {
    expect(new NdArray([2], ["i"], [1, 2]).toJSON()).toEqual({
      shape: [2],
      dims: ["i"],
      data: [1, 2],
    });
    expect(Object.hasOwn(new NdArray([1], ["i"], [1]).toJSON(), "missing")).toBe(false);
  });

  it("encodes MISSING as null listed in `missing`, apart from a genuine null", () => {
    const a = new NdArray([3], ["i"], [null, MISSING, 2]);
    expect(a.toJSON()).toEqual({ shape: [3], dims: ["i"], data: [null, null, 2], missing: [1] });
    const back = NdArray.fromJSON(JSON.parse(JSON.stringify(a)) as NdArrayJSON<number | null>);
    expect(back).toEqual(a);
    expect(back.get(0)).toBeNull();
    expect(back.get(1)).toBe(MISSING);
  });

  it("serialises through JSON.stringify", () => {
    expect(JSON.stringify(grid())).toBe(
      '{"shape":[2,3],"dims":["i","j"],"data":[0,1,2,3,4,null],"missing":[5]}',
    );
  });

  it.each([
    ["not an object", null, "Expected the JSON form of an NdArray"],
    ["no data", { shape: [1], dims: ["i"] }, "Expected the JSON form of an NdArray"],
    [
      "a missing index out of range",
      { shape: [1], dims: ["i"], data: [null], missing: [1] },
      "`missing` entry 1 is not an index of `data` (length 1)",
    ],
    [
      "a missing index of a value",
      { shape: [2], dims: ["i"], data: [null, 5], missing: [1] },
      "`missing` lists index 1, but `data[1]` is not null",
    ],
    [
      "a missing list that is not an array",
      { shape: [1], dims: ["i"], data: [null], missing: 0 },
      "`missing` must be an array",
    ],
    ["a shape mismatch", { shape: [2], dims: ["i"], data: [1] }, "needs 2 elements"],
  ])("fromJSON rejects %s with a TypeError", (_, json, message) => {
    expect(() => NdArray.fromJSON(json as never)).toThrow(TypeError);
    expect(() => NdArray.fromJSON(json as never)).toThrow(message);
  });
});

describe("index helpers", () => {
  it.each([
    [[], [], 0],
    [[5], [3], 3],
    [[2, 3], [1, 2], 5],
    [[2, 3, 4], [1, 0, 2], 14],
    [[2, 3, 4], [1, 2, 3], 23],
  ])("linearIndex(%j, %j) is %i and unravelIndex reverses it", (shape, index, linear) => {
    expect(linearIndex(shape, index)).toBe(linear);
    expect(unravelIndex(shape, linear)).toEqual(index);
  });

  it.each([
    [[], 1],
    [[0], 0],
    [[4], 4],
    [[2, 3, 4], 24],
    [[3, 0, 2], 0],
  ])("product(%j) is %i", (shape, size) => {
    expect(product(shape)).toBe(size);
  });

  it.each([
    [
      [2, 3],
      [2, 0],
      RangeError,
      "Index 2 is out of bounds for axis 0 of length 2: use an integer from 0 to 1.",
    ],
    [[2, 3], [0, -1], RangeError, "Index -1 is out of bounds for axis 1 of length 3"],
    [[2, 3], [0], TypeError, "Expected 2 indexes, one per axis, got 1."],
    [[2, 3], [0, 0.5], TypeError, "Index 0.5 for axis 1 is not an integer."],
  ])("linearIndex(%j, %j) throws", (shape, index, errorClass, message) => {
    expect(() => linearIndex(shape, index)).toThrow(errorClass);
    expect(() => linearIndex(shape, index)).toThrow(message);
  });

  it.each([
    [
      [2, 3],
      6,
      "Linear index 6 is out of bounds for shape [2, 3] of 6 elements: use an integer from 0 to 5.",
    ],
    [[2, 3], -1, "Linear index -1 is out of bounds"],
    [[2, 3], 1.5, "Linear index 1.5 is out of bounds"],
    [[0], 0, "Linear index 0 is out of bounds for shape [0] of 0 elements"],
  ])("unravelIndex(%j, %d) throws a RangeError", (shape, linear, message) => {
    expect(() => unravelIndex(shape, linear)).toThrow(RangeError);
    expect(() => unravelIndex(shape, linear)).toThrow(message);
  });
});

describe("NdArray properties", () => {
  it("unravelIndex inverts linearIndex, and linearIndex matches get", () => {
    fc.assert(
      fc.property(shapeAndIndexArb, ([shape, index]) => {
        const linear = linearIndex(shape, index);
        expect(unravelIndex(shape, linear)).toEqual(index);
        const a = new NdArray(
          shape,
          dimNames(shape.length),
          Array.from({ length: product(shape) }, (_, n) => n),
        );
        expect(a.get(...index)).toBe(linear);
      }),
    );
  });

  it("linearIndex inverts unravelIndex over every position", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 1, max: 5 }), { maxLength: 4 })
          .chain((shape) =>
            fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: product(shape) - 1 })),
          ),
        ([shape, linear]) => {
          expect(linearIndex(shape, unravelIndex(shape, linear))).toBe(linear);
        },
      ),
    );
  });

  it("a negative index reads the same element as its positive counterpart", () => {
    fc.assert(
      fc.property(shapeAndIndexArb, ([shape, index]) => {
        const a = new NdArray(
          shape,
          dimNames(shape.length),
          Array.from({ length: product(shape) }, (_, n) => n),
        );
        const negative = index.map((i, axis) => i - shape[axis]!);
        expect(a.get(...negative)).toBe(a.get(...index));
      }),
    );
  });

  it("fromJSON(toJSON(a)) equals a, through JSON text too, MISSING and null included", () => {
    fc.assert(
      fc.property(ndArrayArb(elementArb), (a) => {
        expect(NdArray.fromJSON(a.toJSON())).toEqual(a);
        const text = JSON.parse(JSON.stringify(a)) as NdArrayJSON<Element>;
        expect(NdArray.fromJSON(text)).toEqual(a);
      }),
    );
  });

  it("fromNested(a.toNested(), a.dims) equals a when nothing is missing", () => {
    fc.assert(
      fc.property(
        ndArrayArb(fc.oneof(fc.integer(), fc.string({ maxLength: 3 }), fc.constant(null)), 1),
        (a) => {
          expect(NdArray.fromNested(a.toNested(), a.dims)).toEqual(a);
        },
      ),
    );
  });

  it("slicing some dims then reading the rest equals reading the full index", () => {
    fc.assert(
      fc.property(
        ndArrayArb(elementArb, 1, 1).chain((a) =>
          fc.tuple(
            fc.constant(a),
            fc.tuple(...a.shape.map((n) => fc.integer({ min: -n, max: n - 1 }))),
            fc.array(fc.boolean(), { minLength: a.ndim, maxLength: a.ndim }),
          ),
        ),
        ([a, index, fixed]) => {
          const selection: Record<string, number> = {};
          const rest: number[] = [];
          index.forEach((i, axis) => {
            if (fixed[axis]) selection[a.dims[axis]!] = i;
            else rest.push(i);
          });
          const sliced = a.slice(selection);
          expect(sliced.dims).toEqual(a.dims.filter((_, axis) => !fixed[axis]));
          expect(sliced.get(...rest)).toBe(a.get(...index));
        },
      ),
    );
  });

  it("along(dim)[k] reads like get with k on that axis", () => {
    fc.assert(
      fc.property(
        ndArrayArb(fc.integer(), 1, 1).chain((a) =>
          fc.tuple(
            fc.constant(a),
            fc.integer({ min: 0, max: a.ndim - 1 }),
            fc.tuple(...a.shape.map((n) => fc.integer({ min: 0, max: n - 1 }))),
          ),
        ),
        ([a, axis, index]) => {
          const part = a.along(a.dims[axis]!)[index[axis]!]!;
          expect(part.get(...index.filter((_, k) => k !== axis))).toBe(a.get(...index));
        },
      ),
    );
  });

  it("map keeps the shape and the mask", () => {
    fc.assert(
      fc.property(ndArrayArb(elementArb), (a) => {
        const mapped = a.map((value) => typeof value);
        expect(mapped.shape).toEqual(a.shape);
        expect(mapped.mask).toEqual(a.mask);
        expect(mapped.values()).toEqual(a.values().map((value) => typeof value));
      }),
    );
  });
});
