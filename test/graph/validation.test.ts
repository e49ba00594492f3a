import { describe, expect, it } from "vitest";
import { z } from "zod";
import { NodeExecutionError, Pipeline, pipefunc, ValidationError } from "../../src/index.ts";

const positive = z.number().positive();

const sqrt = pipefunc(
  { output: "root", name: "sqrt", schema: { inputs: { x: positive }, output: z.number().int() } },
  ({ x }: { x: number }) => Math.sqrt(x),
);
const label = pipefunc(
  { output: "label", schema: { inputs: { root: z.number() } } },
  ({ root }: { root: number }) => `√=${root}`,
);

describe("validation with Standard Schema", () => {
  const p = new Pipeline([sqrt, label], { validate: true });

  it("passes valid values through unchanged", async () => {
    expect(p.runSync("label", { x: 16 })).toBe("√=4");
    await expect(p.run("label", { x: 9 })).resolves.toBe("√=3");
  });

  it("rejects an invalid argument, naming the node, the argument and the schema's issues", () => {
    let error: unknown;
    try {
      p.runSync("root", { x: -4 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect(v.code).toBe("E_VALIDATION");
    expect(v.node).toBe("sqrt");
    expect(v.argument).toBe("x");
    expect(v.issues.length).toBeGreaterThan(0);
    expect(v.message).toContain('"sqrt"');
    expect(v.message).toContain('argument "x"');
    expect(v.message).toMatch(/>0|greater than 0|too small/i);
  });

  it("rejects an invalid return value", async () => {
    const error = await p.run("root", { x: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).argument).toBe("return");
    expect((error as ValidationError).message).toContain("its return value");
  });

  it("does not validate unless the pipeline asks for it", () => {
    expect(new Pipeline([sqrt]).runSync("root", { x: 2 })).toBeCloseTo(Math.SQRT2);
  });

  it("supports async schemas in run", async () => {
    const asyncSchema = z.number().refine(async (v) => v !== 13, "unlucky");
    const f = pipefunc(
      { output: "y", schema: { inputs: { v: asyncSchema } } },
      ({ v }: { v: number }) => v,
    );
    const q = new Pipeline([f], { validate: true });
    await expect(q.run("y", { v: 1 })).resolves.toBe(1);
    const error = await q.run("y", { v: 13 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).message).toContain("unlucky");
  });

  it("still wraps exceptions of validated functions", () => {
    const f = pipefunc(
      { output: "y", schema: { inputs: { v: z.number() } } },
      ({ v }: { v: number }) => {
        throw new Error(`bad ${v}`);
      },
    );
    expect(() => new Pipeline([f], { validate: true }).runSync("y", { v: 1 })).toThrow(
      NodeExecutionError,
    );
  });
});
