/** The checks of `map`'s and `run`'s inputs, in this process: each error's class, code and names. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { LoadedPipeline } from "../../src/cli/load-module.ts";
import {
  InvalidArgumentError,
  MissingInputError,
  Pipeline,
  pipefunc,
  UnknownOutputError,
  UnusedInputError,
  ValidationError,
} from "../../src/index.ts";
import { checkMapInputs, checkRunInputs } from "../../src/mcp/check-inputs.ts";

const calls: string[] = [];
/** grid[i, j] = m[i, j] * s[k]: a 2-D mapped input, and an outer product over s. */
const pipeline = new Pipeline([
  pipefunc(
    {
      output: "grid",
      mapspec: "m[i, j], s[k] -> grid[i, j, k]",
      schema: { inputs: { m: z.number(), s: z.number().int() } },
    },
    ({ m, s }: { m: number; s: number }) => {
      calls.push("grid");
      return m * s;
    },
  ),
  pipefunc(
    { output: "label", schema: { inputs: { name: z.string() } } },
    ({ name, suffix = "!" }: { name: string; suffix?: string }) => name + suffix,
  ),
]) as unknown as LoadedPipeline;

/** The error `promise` rejects with (the test fails if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe("checkMapInputs", () => {
  it("accepts inputs that fit and calls no function", async () => {
    await checkMapInputs(pipeline, { m: [[1, 2]], s: [1, 2], name: "a" });
    expect(calls).toEqual([]);
  });

  it("refuses a ragged mapped input, naming the input and its axes", async () => {
    const error = await rejection(
      checkMapInputs(pipeline, { m: [[1, 2], [3]], s: [1], name: "a" }),
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).toBe("E_INVALID_ARGUMENT");
    expect((error as InvalidArgumentError).argument).toBe("inputs.m");
    expect(error.message).toContain('Input "m" is mapped along axes "i", "j"');
    expect(error.message).toContain("ragged");
  });

  it("refuses a single value for a 2-D mapped input, asking for an array nested 2 deep", async () => {
    const error = await rejection(checkMapInputs(pipeline, { m: 1, s: [1], name: "a" }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toContain("nested 2 deep");
  });

  it("puts an outer product's element in the issue's path, not as the function's index", async () => {
    const error = await rejection(checkMapInputs(pipeline, { m: [[1]], s: [1, 2.5], name: "a" }));
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect([v.code, v.node, v.argument, v.index]).toEqual(["E_VALIDATION", "grid", "s", undefined]);
    expect(v.issues[0]!.path).toEqual([1]);
  });

  it("gives the element's index when the function is called along the input's axes", async () => {
    const mapped = new Pipeline([
      pipefunc(
        { output: "y", mapspec: "x[i] -> y[i]", schema: { inputs: { x: z.number() } } },
        ({ x }: { x: number }) => x,
      ),
    ]) as unknown as LoadedPipeline;
    const error = await rejection(checkMapInputs(mapped, { x: [1, "two"] }));
    expect((error as ValidationError).index).toEqual([1]);
    expect(error.message).toContain('Function "y" at index [1]');
  });

  it("validates an input read whole as one value", async () => {
    const error = await rejection(checkMapInputs(pipeline, { m: [[1]], s: [1], name: 3 }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).node).toBe("label");
  });

  it("refuses every missing required input at once, with its readers", async () => {
    const error = await rejection(checkMapInputs(pipeline, {}));
    expect(error).toBeInstanceOf(MissingInputError);
    expect((error as MissingInputError).missing).toEqual(["m", "s", "name"]);
    expect(error.message).toContain('"name" (read by "label")');
  });
});

describe("checkRunInputs", () => {
  it("validates only what the output's functions read", async () => {
    // grid's schema would refuse s = 2.5, but label does not need grid.
    await checkRunInputs(pipeline, "label", { name: "a", s: 2.5 });
    const error = await rejection(checkRunInputs(pipeline, "label", { name: 1 }));
    expect(error).toBeInstanceOf(ValidationError);
  });

  it("refuses an unknown name with the closest input, and an unknown output", async () => {
    const unused = await rejection(checkRunInputs(pipeline, "label", { nmae: "a" }));
    expect(unused).toBeInstanceOf(UnusedInputError);
    expect(unused.message).toContain('"nmae" (did you mean "name"?)');
    const output = await rejection(checkRunInputs(pipeline, "lable", { name: "a" }));
    expect(output).toBeInstanceOf(UnknownOutputError);
  });
});
