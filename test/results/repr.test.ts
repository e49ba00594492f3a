/** How a Dataset and a DataArray print: xarray's layout, cut to 80 columns. */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  Dataset,
  MISSING,
  type NdArray as Nd,
  NdArray,
  Pipeline,
  pipefunc,
} from "../../src/index.ts";

const add = pipefunc(
  { output: "c", mapspec: "a[i], b[j] -> c[i, j]" },
  ({ a, b }: { a: number; b: string }) => a * b.length,
);
const total = pipefunc({ output: "total" }, ({ c }: { c: Nd<number> }) =>
  c.values().reduce((s, v) => s + v, 0),
);

describe("printing a Dataset", () => {
  it("shows dims, coordinates and data variables with their dims, kind and values", async () => {
    const results = await new Pipeline([add, total]).map(
      { a: [1, 2, 3], b: ["x", "yy"] },
      { progress: false },
    );
    const ds = results.dataset();
    const expected = [
      "<pipeweave.Dataset>",
      "Dimensions:  (i: 3, j: 2)",
      "Coordinates:",
      "    a        (i) float64 1 2 3",
      '    b        (j) string "x" "yy"',
      "Data variables:",
      "    c        (i, j) float64 1 2 2 4 3 6",
      "    total    float64 18",
    ].join("\n");
    expect(inspect(ds)).toBe(expected);
    expect(String(ds)).toBe(expected);
    expect(inspect({ ds }, { depth: 0 })).toBe("{ ds: [Dataset] }");
    // After a selection, the selected coordinates are scalars; the index coordinate is starred.
    expect(String(ds.sel({ b: "yy" }).isel({ i: 0 }))).toBe(
      [
        "<pipeweave.Dataset>",
        "Dimensions:  ()",
        "Coordinates:",
        "    a        float64 1",
        '    b        string "yy"',
        "Data variables:",
        "    c        float64 2",
        "    total    float64 18",
      ].join("\n"),
    );
  });

  it("cuts long variables at 80 columns, shows MISSING, and stars a dim's own coordinate", () => {
    const n = 200;
    const ds = new Dataset({
      dataVars: {
        v: new NdArray(
          [n],
          ["i"],
          Array.from({ length: n }, (_, k) => k / 7),
        ),
        w: new NdArray(
          [n],
          ["i"],
          Array.from({ length: n }, (_, k) => (k === 1 ? MISSING : { k })),
        ),
      },
      coords: { i: { dim: "i", kind: "number", values: Array.from({ length: n }, (_, k) => k) } },
    });
    const lines = String(ds).split("\n");
    expect(lines).toEqual([
      "<pipeweave.Dataset>",
      "Dimensions:  (i: 200)",
      "Coordinates:",
      "  * i        (i) float64 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 ...",
      "Data variables:",
      "    v        (i) float64 0 0.142857 0.285714 0.428571 0.571429 0.714286 ...",
      '    w        (i) object {"k":0} MISSING {"k":2} {"k":3} {"k":4} {"k":5} ...',
    ]);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
  });

  it("prints an empty dataset and an unlabelled dim as xarray does", () => {
    expect(String(new Dataset({ dataVars: {} }))).toBe(
      [
        "<pipeweave.Dataset>",
        "Dimensions:  ()",
        "Coordinates:",
        "    *empty*",
        "Data variables:",
        "    *empty*",
      ].join("\n"),
    );
    expect(
      String(new Dataset({ dataVars: { v: new NdArray([2], ["k"], [true, false]) } })),
    ).toContain(
      "Dimensions without coordinates: k\nData variables:\n    v        (k) bool true false",
    );
  });
});

describe("printing a DataArray", () => {
  it("shows its name, dims, kind, leading values and coordinates", async () => {
    const results = await new Pipeline([add]).map(
      { a: [1, 2, 3], b: ["x", "yy"] },
      { progress: false },
    );
    const c = results.dataset().get("c");
    expect(inspect(c)).toBe(
      [
        '<pipeweave.DataArray "c" (i: 3, j: 2)>',
        "float64 1 2 2 4 3 6",
        "Coordinates:",
        "    a        (i) float64 1 2 3",
        '    b        (j) string "x" "yy"',
      ].join("\n"),
    );
    expect(inspect([c], { depth: 0 })).toBe("[ [DataArray] ]");
  });
});
