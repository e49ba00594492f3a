import { describe, expect, it } from "vitest";
import { z } from "zod";
import { InvalidOptionError, type NdArray, Node, Pipeline, pipefunc } from "../../src/index.ts";

const amplitude = pipefunc(
  {
    output: "y",
    mapspec: "x[i] -> y[i]",
    description: "the signal at x",
    inputDescriptions: { a: "the amplitude" },
    schema: { inputs: { x: z.number().describe("where to sample"), a: z.number() } },
  },
  ({ x, a = 2 }: { x: number; a?: number }) => a * x,
);
const total = pipefunc(
  { output: "sum", description: "adds the signal up", schema: { output: z.number() } },
  ({ y, offset }: { y: NdArray<number>; offset: number }) =>
    y.values().reduce((s, v) => s + v, offset),
);

describe("pipeline.describe", () => {
  it("reports names, descriptions, type hints, defaults, readers and axes", () => {
    const pipeline = new Pipeline([amplitude, total], {
      name: "signal",
      description: "samples a line and sums it",
      inputs: { offset: "added to the sum" },
    });
    const d = pipeline.describe();
    expect(d.name).toBe("signal");
    expect(d.description).toBe("samples a line and sums it");
    expect(d.inputs).toEqual([
      {
        name: "x",
        description: "where to sample",
        type: "number",
        required: true,
        default: undefined,
        readBy: ["y"],
        axes: ["i"],
      },
      {
        name: "offset",
        description: "added to the sum",
        type: undefined,
        required: true,
        default: undefined,
        readBy: ["sum"],
        axes: undefined,
      },
      {
        name: "a",
        description: "the amplitude",
        type: "number",
        required: false,
        default: { value: 2, text: "2" },
        readBy: ["y"],
        axes: undefined,
      },
    ]);
    expect(d.outputs).toEqual([
      {
        name: "y",
        producedBy: "y",
        description: "the signal at x",
        type: undefined,
        mapspec: "x[i] -> y[i]",
        axes: ["i"],
        leaf: false,
      },
      {
        name: "sum",
        producedBy: "sum",
        description: "adds the signal up",
        type: "number",
        mapspec: undefined,
        axes: [],
        leaf: true,
      },
    ]);
    expect(d.functions.map((f) => [f.name, f.description])).toEqual([
      ["y", "the signal at x"],
      ["sum", "adds the signal up"],
    ]);
  });

  it("prefers the pipeline's text, then the function's, then the schema's", () => {
    const f = pipefunc(
      {
        output: "b",
        inputDescriptions: { a: "from the function" },
        schema: { inputs: { a: z.string().describe("from the schema") } },
      },
      ({ a }: { a: string }) => a,
    );
    const text = (p: Pipeline) => p.describe().inputs[0]!.description;
    expect(text(new Pipeline([f], { inputs: { a: "from the pipeline" } }))).toBe(
      "from the pipeline",
    );
    expect(text(new Pipeline([f]))).toBe("from the function");
    expect(text(new Pipeline([f.with({ inputDescriptions: {} })]))).toBe("from the schema");
  });

  it("keys function descriptions by argument name and reports them by graph name", () => {
    const f = pipefunc(
      { output: "b", renames: { a: "alpha" }, scope: "s", inputDescriptions: { a: "first" } },
      ({ a }: { a: number }) => a,
    );
    expect(f.inputDescriptions).toEqual({ "s.alpha": "first" });
    const renamed = new Pipeline([f], { inputs: { "s.alpha": "outer" } }).withRenames({
      "s.alpha": "z",
    });
    expect(renamed.describe().inputs[0]).toMatchObject({ name: "z", description: "outer" });
  });

  it("keeps descriptions of nodes and drops those of inputs a derived pipeline no longer reads", () => {
    const load = new Node({
      func: (path: string) => path.length,
      inputs: ["path"],
      outputs: ["size"],
      description: "reads the file",
      inputDescriptions: { path: "where the file is" },
    });
    const twice = pipefunc(
      { output: "double" },
      ({ size, k }: { size: number; k: number }) => size * k,
    );
    const pipeline = new Pipeline([load, twice], { inputs: { k: "the factor" } });
    expect(pipeline.describe().inputs.map((i) => [i.name, i.description])).toEqual([
      ["path", "where the file is"],
      ["k", "the factor"],
    ]);
    const only = pipeline.drop("double");
    expect(only.describe().inputs.map((i) => i.name)).toEqual(["path"]);
    expect(only.describe().functions[0]!.description).toBe("reads the file");
  });

  it("refuses descriptions of inputs nothing reads, and descriptions that are not text", () => {
    expect(() => new Pipeline([total], { inputs: { ofset: "typo" } })).toThrow(
      /no function reads.*Did you mean "offset"/,
    );
    expect(() =>
      pipefunc({ output: "b", inputDescriptions: { c: "no such" } }, ({ a }: { a: number }) => a),
    ).toThrow(InvalidOptionError);
    expect(() =>
      pipefunc({ output: "b", description: 3 as never }, ({ a }: { a: number }) => a),
    ).toThrow(/expected text/);
  });

  it("prints the description as tables", () => {
    const lines: string[] = [];
    new Pipeline([amplitude, total], {
      name: "signal",
      inputs: { offset: "added" },
    }).printDocumentation((text) => lines.push(text));
    const text = lines.join("\n");
    expect(text).toContain('Pipeline "signal"');
    expect(text).toMatch(/x\[i\]\s+number\s+\(required\)\s+where to sample\s+y/);
    expect(text).toMatch(/a\s+number\s+2\s+the amplitude\s+y/);
    expect(text).toMatch(/sum \(leaf\)\s+number\s+sum\s+-\s+adds the signal up/);
  });
});
