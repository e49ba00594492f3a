import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidOptionError, NdArrayError } from "../../src/errors.ts";
import { MISSING, type Missing } from "../../src/map/missing.ts";
import {
  linearIndex,
  NdArray,
  type NdArrayJSON,
  product,
  typedNdArray,
  unravelIndex,
} from "../../src/map/ndarray.ts";
import { caught } from "../caught.ts";

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

/** The error `fn` throws, checked to be an NdArrayError of `method` with the stable code. */
function ndArrayError(fn: () => unknown, method: string): NdArrayError {
  let error: unknown;
  try {
    fn();
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(NdArrayError);
  expect(error).toMatchObject({ name: "NdArrayError", code: "E_NDARRAY", method });
  return error as NdArrayError;
}

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
      /^new NdArray: shape \[2, 3\] has 2 axes but 1 dims were given \("i"\)/,
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
    ["an empty dim name", [1], [""], [1], /dims must be non-empty strings, got "" \(a string\)/],
    ["a dim that is no string", [1], [3], [1], /dims must be non-empty strings, got 3 in "3"/],
    ["a shape that is no array", 3, ["i"], [1], /expected shape to be an array .* got 3\./],
    ["a shape entry that is a string", ["2"], ["i"], [1, 2], /shape entry 0 is "2" \(a string\)/],
    ["dims as one string", [2, 2], "ij", [1, 2, 3, 4], /expected dims to be an array .* got "ij"/],
    ["data as a string", [3], ["i"], "abc", /expected data to be an array of 3 elements/],
    ["no data", [1], ["i"], undefined, /expected data to be an array of 1 elements/],
  ])("rejects %s with an NdArrayError naming the mismatch", (_, shape, dims, data, message) => {
    const error = ndArrayError(
      () => new NdArray(shape as never, dims as never, data as never),
      "constructor",
    );
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^new NdArray: /);
    expect(error.shape).toBeUndefined();
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
    [
      [2, 0],
      'NdArray.get: index 2 is out of bounds for axis 0 ("i") of length 2: use an integer from -2 to 1.',
    ],
    [
      [0, 3],
      'NdArray.get: index 3 is out of bounds for axis 1 ("j") of length 3: use an integer from -3 to 2.',
    ],
    [[0, -4], 'NdArray.get: index -4 is out of bounds for axis 1 ("j") of length 3'],
  ])("throws an NdArrayError naming the axis, index and length for %j", (index, message) => {
    const error = ndArrayError(() => grid().get(...index), "get");
    expect(error.message).toContain(message);
    expect(error.shape).toEqual([2, 3]);
    expect(error.dims).toEqual(["i", "j"]);
  });

  it("says an empty axis has no valid index", () => {
    const a = new NdArray<number>([0], ["i"], []);
    expect(ndArrayError(() => a.get(0), "get").message).toContain(
      'axis 0 ("i") of length 0: the axis is empty',
    );
  });

  it.each([
    [
      [0],
      'NdArray.get: expected 2 indexes, one per axis (dims "i", "j") of shape [2, 3], got 1 (0).',
    ],
    [
      [0, 0, 0],
      'expected 2 indexes, one per axis (dims "i", "j") of shape [2, 3], got 3 (0, 0, 0).',
    ],
    [[], "got 0. Pass get(i, j)."],
  ])("throws an NdArrayError for the wrong number of indexes %j", (index, message) => {
    expect(ndArrayError(() => grid().get(...index), "get").message).toContain(message);
  });

  it("says to spread an index array given whole", () => {
    const error = ndArrayError(() => grid().get([1, 2] as never), "get");
    expect(error.message).toContain("got 1 ([1, 2] (an array)). Spread an index array");
    expect(error.message).toContain("get(1, 2)");
  });

  it.each([
    [
      [0, 1.5],
      'index 1.5 for axis 1 ("j") of length 3 is not an integer: use an integer from -3 to 2.',
    ],
    [[Number.NaN, 0], 'index NaN for axis 0 ("i") of length 2 is not an integer'],
    [[0, Number.POSITIVE_INFINITY], "index Infinity for axis 1"],
    [[0, "1"], 'index "1" (a string) for axis 1 ("j")'],
    [[0, "-1"], 'index "-1" (a string) for axis 1 ("j")'],
    [[0, 1n], "index 1n (a bigint) for axis 1"],
    [[0, [1]], "index [1] (an array) for axis 1"],
    [[0, null], "index null for axis 1"],
    [[0, undefined], "index undefined for axis 1"],
  ])("throws an NdArrayError for an index that is not an integer, %o", (index, message) => {
    const error = ndArrayError(() => grid().get(...(index as number[])), "get");
    expect(error.message).toContain(`NdArray.get: ${message}`);
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

  it("reads typed arrays as levels, as numeric code returns rows", () => {
    const a = NdArray.fromNested([new Float64Array([1, 2]), new Float64Array([3, 4])], ["i", "j"]);
    expect(a).toEqual(new NdArray([2, 2], ["i", "j"], [1, 2, 3, 4]));
    expect(NdArray.fromNested(new Int32Array([5, 6]), ["i"]).toNested()).toEqual([5, 6]);
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
      'NdArray.fromNested: ragged nested array at depth 1 (dim "j") at position [2]: expected length 2',
    ],
    [
      "a long array at depth 2",
      [
        [[1], [2]],
        [[3], [4, 5]],
      ],
      ["a", "b", "c"],
      'ragged nested array at depth 2 (dim "c") at position [1, 1]: expected length 1',
    ],
  ])("rejects %s with an NdArrayError naming the depth", (_, nested, dims, message) => {
    expect(ndArrayError(() => NdArray.fromNested(nested, dims), "fromNested").message).toContain(
      message,
    );
  });

  it.each([
    ["a scalar where the outer array belongs", 3, ["i"], 'depth 0 (dim "i") at position []'],
    [
      "a scalar inside",
      [[1], 2],
      ["i", "j"],
      'expected an array at depth 1 (dim "j") at position [1] of the nested array, got 2.',
    ],
    ["too shallow nesting", [1, 2], ["i", "j"], 'depth 1 (dim "j") at position [0] of the'],
    ["dims as one string", [[1]], "ij", "expected dims to be an array of axis names"],
    ["a repeated dim", [[1]], ["i", "i"], 'dim "i" appears twice'],
  ])("rejects %s with an NdArrayError naming the depth", (_, nested, dims, message) => {
    const error = ndArrayError(
      () => NdArray.fromNested(nested as never, dims as never),
      "fromNested",
    );
    expect(error.message).toContain(message);
    expect(error.message).toMatch(/^NdArray\.fromNested: /);
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

  it("throws an NdArrayError naming an unknown dim and the valid ones", () => {
    expect(ndArrayError(() => grid().slice({ k: 0 }), "slice").message).toBe(
      'NdArray.slice: the array has no dim "k"; its dims are "i", "j" (shape [2, 3]). Use one ' +
        "of those names.",
    );
  });

  it("throws an NdArrayError naming the dim, index and length when out of bounds", () => {
    expect(ndArrayError(() => grid().slice({ j: 3 }), "slice").message).toContain(
      'NdArray.slice: index 3 is out of bounds for axis 1 ("j") of length 3',
    );
  });

  it.each([
    [{ j: 0.5 }, 'index 0.5 for axis 1 ("j") of length 3 is not an integer'],
    [{ j: "1" }, 'index "1" (a string) for axis 1 ("j")'],
    [{ j: undefined }, 'index undefined for axis 1 ("j")'],
  ])("throws an NdArrayError for the index in %j that is not an integer", (selection, message) => {
    expect(ndArrayError(() => grid().slice(selection as never), "slice").message).toContain(
      message,
    );
  });

  // slice(3) read no key of the number 3 and returned the whole array.
  it.each([
    [3, "got 3 (a number). Pass { i: 3 }."],
    [-1, "got -1 (a number). Pass { i: -1 }."],
    [[1, 2], "got [1, 2] (an array). Pass { i: 1, j: 2 }."],
    ["i", 'got "i" (a string). Pass { i: 0 }.'],
    [null, "got null. Pass { i: 0 }."],
    [undefined, "got undefined. Pass { i: 0 }."],
    [new Map([["i", 1]]), "got a Map. Pass { i: 0 }."],
  ])("refuses a selection that is no { dim: index } object: %o", (selection, message) => {
    const error = caught(
      () => grid().slice(selection as never),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(error.option).toBe("selection");
    expect(error.message).toBe(
      'NdArray.slice: expected a selection { dim: index } over the dims "i", "j" (shape [2, 3]), ' +
        message,
    );
  });

  it("refuses a number for a 0-D array, which has no dims to fix", () => {
    const error = caught(
      () => new NdArray([], [], [1]).slice(0 as never),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(error.message).toContain("Pass {} (the array has no dims, so nothing can be fixed).");
  });

  it("takes a selection object without a prototype", () => {
    const selection = Object.assign(Object.create(null) as Record<string, number>, { i: 1 });
    expect(grid().slice(selection).data).toEqual([3, 4, MISSING]);
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

  it("throws an NdArrayError naming an unknown dim to go along", () => {
    expect(ndArrayError(() => grid().along("x"), "along").message).toBe(
      'NdArray.along: the array has no dim "x"; its dims are "i", "j" (shape [2, 3]). Use one ' +
        "of those names.",
    );
    expect(ndArrayError(() => grid().along(0 as never), "along").message).toContain(
      "has no dim 0;",
    );
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

  it("refuses something other than a function, also on an empty array", () => {
    const empty = new NdArray<number>([0], ["i"], []);
    expect(ndArrayError(() => empty.map(3 as never), "map").message).toBe(
      "NdArray.map: expected a function (value, index) => newValue, got 3.",
    );
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
    ["not an object", null, "expected the JSON form of an NdArray, an object with"],
    ["no data", { shape: [1], dims: ["i"] }, "`data` arrays, got an object."],
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
    ["no shape", { dims: ["i"], data: [1] }, "expected shape to be an array"],
    ["dims as a string", { shape: [1], dims: "i", data: [1] }, "expected dims to be an array"],
  ])("fromJSON rejects %s with an NdArrayError", (_, json, message) => {
    const error = ndArrayError(() => NdArray.fromJSON(json as never), "fromJSON");
    expect(error.message).toContain(message);
    expect(error.message).toMatch(/^NdArray\.fromJSON: /);
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
      "linearIndex: index 2 is out of bounds for axis 0 of length 2: use an integer from 0 to 1.",
    ],
    [[2, 3], [0, -1], "index -1 is out of bounds for axis 1 of length 3"],
    [[2, 3], [0], "expected 2 indexes, one per axis of shape [2, 3], got 1 (0). Pass "],
    [[2, 3], [0, 0.5], "index 0.5 for axis 1 of length 3 is not an integer"],
  ])("linearIndex(%j, %j) throws", (shape, index, message) => {
    const error = ndArrayError(() => linearIndex(shape, index), "linearIndex");
    expect(error.message).toContain(message);
    expect(error.shape).toBeUndefined();
  });

  it.each([
    [
      [2, 3],
      6,
      "unravelIndex: linear index 6 is out of bounds for shape [2, 3] of 6 elements: use an " +
        "integer from 0 to 5.",
    ],
    [[2, 3], -1, "linear index -1 is out of bounds"],
    [[2, 3], 1.5, "linear index 1.5 is out of bounds"],
    [[0], 0, "linear index 0 is out of bounds for shape [0] of 0 elements"],
  ])("unravelIndex(%j, %d) throws an NdArrayError", (shape, linear, message) => {
    expect(ndArrayError(() => unravelIndex(shape, linear), "unravelIndex").message).toContain(
      message,
    );
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

describe("NdArray arguments it cannot use", () => {
  /** An array, and an index with one entry made wrong: out of its axis or not an integer. */
  const badIndexArb = ndArrayArb(fc.integer(), 1, 1).chain((a) =>
    fc.tuple(
      fc.constant(a),
      fc.tuple(...a.shape.map((n) => fc.integer({ min: -n, max: n - 1 }))),
      fc.integer({ min: 0, max: a.ndim - 1 }),
      fc.oneof(
        fc.integer({ min: 0, max: 5 }).map((k) => (n: number) => n + k),
        fc.integer({ min: 1, max: 5 }).map((k) => (n: number) => -n - k),
        fc.constantFrom<unknown>(0.5, Number.NaN, Number.POSITIVE_INFINITY, "0", null, [0], 0n),
      ),
    ),
  );

  it("get and slice throw an NdArrayError for any index outside its axis or not an integer", () => {
    fc.assert(
      fc.property(badIndexArb, ([a, index, axis, bad]) => {
        const length = a.shape[axis]!;
        const wrong = typeof bad === "function" ? (bad as (n: number) => number)(length) : bad;
        const broken: unknown[] = [...index];
        broken[axis] = wrong;
        const dim = a.dims[axis]!;
        const get = ndArrayError(() => a.get(...(broken as number[])), "get");
        expect(get.message).toContain(`axis ${axis} ("${dim}") of length ${length}`);
        const slice = ndArrayError(() => a.slice({ [dim]: wrong } as never), "slice");
        expect(slice.message).toContain(`axis ${axis} ("${dim}") of length ${length}`);
      }),
    );
  });

  it("get throws an NdArrayError for any number of indexes other than ndim", () => {
    fc.assert(
      fc.property(
        ndArrayArb(fc.integer(), 1),
        fc.array(fc.integer({ min: 0, max: 0 }), { maxLength: 6 }),
        (a, index) => {
          fc.pre(index.length !== a.ndim);
          const error = ndArrayError(() => a.get(...index), "get");
          expect(error.message).toContain(`got ${index.length}`);
        },
      ),
    );
  });

  it("slice throws an InvalidOptionError for any selection that is not a { dim: index } object", () => {
    fc.assert(
      fc.property(
        ndArrayArb(fc.integer()),
        fc.oneof(
          fc.integer(),
          fc.double(),
          fc.string(),
          fc.boolean(),
          fc.array(fc.integer()),
          fc.constantFrom<unknown>(null, undefined, new Map(), new Set(), new Date(0), () => 0),
        ),
        (a, selection) => {
          const error = caught(
            () => a.slice(selection as never),
            InvalidOptionError,
            "E_INVALID_OPTION",
          );
          expect(error.message).toMatch(/^NdArray\.slice: expected a selection \{ dim: index \}/);
        },
      ),
    );
  });

  it("slice and along throw an NdArrayError for any name that is not a dim", () => {
    fc.assert(
      fc.property(ndArrayArb(fc.integer()), fc.string(), (a, name) => {
        fc.pre(!a.dims.includes(name));
        expect(ndArrayError(() => a.slice({ [name]: 0 }), "slice").message).toContain(
          `has no dim "${name}"`,
        );
        expect(ndArrayError(() => a.along(name), "along").message).toContain(
          `has no dim "${name}"`,
        );
      }),
    );
  });
});

describe("NdArray printed", () => {
  const header = (a: NdArray<unknown>): string =>
    `NdArray shape [${a.shape.join(", ")}] dims [${a.dims.join(", ")}]`;

  it("console.log shows shape, dims and the elements by axis, not data: [Getter]", () => {
    const plain = new NdArray([3, 2], ["i", "j"], [11, 21, 12, 22, 13, 23]);
    const typed = typedNdArray([3, 2], ["i", "j"], Float64Array.of(11, 21, 12, 22, 13, 23));
    const expected = "NdArray shape [3, 2] dims [i, j] [ [ 11, 21 ], [ 12, 22 ], [ 13, 23 ] ]";
    expect(inspect(plain)).toBe(expected);
    expect(inspect(typed)).toBe(expected);
    expect(String(typed)).toBe("NdArray shape [3, 2] dims [i, j] [[11, 21], [12, 22], [13, 23]]");
  });

  it("counts and shows masked elements as MISSING, strings quoted", () => {
    expect(inspect(grid())).toBe(
      "NdArray shape [2, 3] dims [i, j] (1 missing) [ [ 0, 1, 2 ], [ 3, 4, MISSING ] ]",
    );
    const mixed = new NdArray([2], ["i"], ["a", { b: 1 }]);
    expect(String(mixed)).toBe('NdArray shape [2] dims [i] ["a", {"b":1}]');
    expect(inspect(mixed)).toBe("NdArray shape [2] dims [i] [ 'a', { b: 1 } ]");
  });

  it.each([
    ["0-D", new NdArray([], [], [7]), "NdArray shape [] dims [] 7"],
    ["masked 0-D", new NdArray([], [], [MISSING]), "NdArray shape [] dims [] (1 missing) MISSING"],
    ["empty", new NdArray([2, 0], ["i", "j"], []), "NdArray shape [2, 0] dims [i, j] [[], []]"],
  ])("prints a %s array", (_, a, text) => {
    expect(String(a)).toBe(text);
  });

  it("shows the first 100 elements of a long axis, then how many more, as Node does", () => {
    const long = new NdArray(
      [1000],
      ["i"],
      Array.from({ length: 1000 }, (_, n) => n),
    );
    expect(inspect(long)).toBe(`${header(long)} ${inspect(long.toNested())}`);
    expect(inspect(long)).toMatch(/ 99,\n {2}\.\.\. 900 more items\n\]$/);
    expect(String(long)).toMatch(/ 98, 99, \.\.\. 900 more items\]$/);
    expect(inspect(long, { maxArrayLength: 2 })).toBe(
      "NdArray shape [1000] dims [i] [ 0, 1, ... 998 more items ]",
    );
  });

  it("shows whole rows until 100 elements are shown, so a big array prints short", () => {
    const big = typedNdArray([1000, 1000], ["i", "j"], new Float64Array(1_000_000));
    const text = String(big);
    expect(text.match(/\b0\b/g)).toHaveLength(100);
    expect(text).toMatch(
      /^NdArray shape \[1000, 1000\] dims \[i, j\] \[\[0, 0, .*, 0, \.\.\. 900 more items\], \.\.\. 999 more items\]$/,
    );
    const rows = new NdArray(
      [20, 20],
      ["i", "j"],
      Array.from({ length: 400 }, (_, n) => n),
    );
    expect(String(rows)).toMatch(/, 99\], \.\.\. 15 more items\]$/);
    expect(inspect(rows)).toMatch(/99\n {2}\],\n {2}\.\.\. 15 more items\n\]$/);
    expect(String(new NdArray([1000, 1000, 0], ["i", "j", "k"], []))).toMatch(
      /^NdArray shape \[1000, 1000, 0\] dims \[i, j, k\] \[\[(\[\], ){100}\.\.\. 900 more items\], \.\.\. 999 more items\]$/,
    );
  });

  it("follows Node's depth: deeper axes as [Array], the array itself as [NdArray]", () => {
    const a = new NdArray([1, 1, 1, 1], ["a", "b", "c", "d"], [5]);
    expect(inspect(a)).toBe("NdArray shape [1, 1, 1, 1] dims [a, b, c, d] [ [ [ [Array] ] ] ]");
    expect(inspect(a, { depth: null })).toBe(`${header(a)} ${inspect([[[[5]]]], { depth: null })}`);
    expect(inspect({ x: { y: { z: a } } })).toBe("{ x: { y: { z: [NdArray] } } }");
  });

  it("prints the same for numbers in a Float64Array and in an array, and parses back", () => {
    fc.assert(
      fc.property(ndArrayArb(fc.oneof(fc.integer(), fc.constant(MISSING))), (a) => {
        const numbers = Float64Array.from(a.data, (v) => (isMissingValue(v) ? 0 : v));
        const present = Uint8Array.from(a.data, (v) => (isMissingValue(v) ? 0 : 1));
        const typed = typedNdArray(a.shape, a.dims, numbers, present);
        expect(String(typed)).toBe(String(a));
        expect(inspect(typed)).toBe(inspect(a));
        expect(String(a).startsWith(`${header(a)} `)).toBe(true);
        if (a.size <= 100 && !a.hasMissing) {
          // Whole: the elements are the nested arrays, as JSON and as Node shows them.
          expect(JSON.parse(String(a).slice(header(a).length))).toEqual(a.toNested());
          expect(inspect(a)).toBe(`${header(a)} ${inspect(a.toNested())}`);
        }
      }),
    );
  });

  it("keeps the JSON form { shape, dims, data }", () => {
    const typed = typedNdArray([2], ["i"], Float64Array.of(1, 2));
    expect(JSON.parse(JSON.stringify(typed))).toEqual({ shape: [2], dims: ["i"], data: [1, 2] });
  });
});

function isMissingValue(value: unknown): value is Missing {
  return value === MISSING;
}
