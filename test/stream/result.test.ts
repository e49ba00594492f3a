import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Err, isErr, isOk, Ok, pool, stream, unwrap, unwrapOr } from "../../src/index.ts";

describe("results: isOk, isErr, unwrap and unwrapOr", () => {
  it.each([
    ["a number", 3],
    ["zero", 0],
    ["a string", "x"],
    ["undefined", undefined],
    ["null", null],
    ["a plain object", { ok: false }],
    ["an Ok", Ok(3)],
  ])("isOk is true for %s, like every successful stream item", (_what, value) => {
    expect(isOk(value)).toBe(true);
    expect(isErr(value)).toBe(false);
  });

  it("isOk is false for an Err", () => {
    expect(isOk(Err(new Error("no")))).toBe(false);
    expect(isErr(Err(new Error("no")))).toBe(true);
  });

  it("isOk(x) is !isErr(x) for every value (property)", () => {
    const values = fc.oneof(
      fc.anything(),
      fc.anything().map((v) => Ok(v)),
      fc.anything().map((v) => Err(v)),
    );
    fc.assert(fc.property(values, (x) => isOk(x) === !isErr(x)));
  });

  it("isOk keeps a stream's successful items, and unwrapOr replaces its Errs", async () => {
    const out = await stream([1, 0, 2])
      .pipe(
        pool({}, (n: number) => {
          if (n === 0) throw new Error("zero");
          return n * 10;
        }),
      )
      .toArray();
    expect(out.filter(isOk)).toEqual([10, 20]);
    expect(out.map((x) => unwrapOr(x, -1))).toEqual([10, -1, 20]);
  });

  it("unwrapOr gives the value of a plain value or an Ok, and the fallback for an Err", () => {
    expect(unwrapOr(3, 0)).toBe(3);
    expect(unwrapOr(Ok(3), 0)).toBe(3);
    expect(unwrapOr(Ok(undefined), 0)).toBeUndefined();
    expect(unwrapOr(null, 0)).toBeNull();
    expect(unwrapOr(Err(new Error("no")), 0)).toBe(0);
    expect(unwrapOr(Err(new Error("no")), null)).toBeNull();
  });

  it("unwrapOr agrees with unwrap wherever unwrap does not throw (property)", () => {
    const values = fc.oneof(
      fc.anything(),
      fc.anything().map((v) => Ok(v)),
    );
    fc.assert(fc.property(values, (x) => Object.is(unwrapOr(x, Symbol("fallback")), unwrap(x))));
  });
});
