/** Which known names an unknown one is suggested as: likely typos only, best first. */
import { describe, expect, it } from "vitest";
import { closestNames, editDistance } from "../../src/_internal/closest.ts";

describe("closestNames", () => {
  it.each([
    ["nope", ["e", "c", "d"], []],
    ["dd", ["d", "c"], ["d"]],
    ["arth", ["answer", "arith", "echo"], ["arith"]],
    ["arithmetic", ["arith", "sweep"], ["arith"]],
    ["arithmetic", ["metic", "ari"], []],
    ["x", ["y", "z"], []],
    ["x", ["xs", "y"], ["xs"]],
    ["totl", ["total", "totals", "tot"], ["tot", "total"]],
    ["mena", ["mean", "menu"], ["mean", "menu"]],
    ["MeanPrice", ["meanPrice", "price"], ["meanPrice"]],
    ["price", ["meanPrice", "price2", "pricingModel"], ["price2"]],
    ["total", ["total_cost", "subtotal"], ["total_cost"]],
    ["learning_rate", ["learningRate", "learn_rate", "rate"], ["learningRate", "learn_rate"]],
  ] as const)("%s among %j suggests %j", (name, known, expected) => {
    expect(closestNames(name, known)).toEqual(expected);
  });

  it("keeps at most `limit` names, closest first", () => {
    expect(closestNames("ab", ["ac", "ab", "b", "abc"], 2)).toEqual(["ab", "abc"]);
  });
});

describe("editDistance", () => {
  it.each([
    ["", "", 0],
    ["abc", "abc", 0],
    ["abc", "", 3],
    ["kitten", "sitting", 3],
    ["mena", "mean", 1],
    ["ca", "abc", 3],
  ] as const)("%s -> %s is %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});
