/**
 * Plots of a sweep's results: which outputs are plotted, their axes' coordinates, failed and
 * skipped elements marked, big outputs binned so a page carries a bounded grid, and the grid
 * telling only the cells that changed.
 */
import { describe, expect, it } from "vitest";
import { MISSING, type NdArray, Pipeline, pipefunc } from "../../src/index.ts";
import {
  type ElementSource,
  MAX_HEATMAP_CELLS,
  MAX_LINE_CELLS,
  PlotGrid,
  type PlotMessage,
  plotSpec,
} from "../../src/viz/plot.ts";

/** The plots `toHtml(results)` embeds. */
function embeddedPlots(html: string): PlotMessage[] {
  const m = html.match(/<script type="application\/json" id="pipeweave-plots">([^<]*)<\/script>/);
  if (!m?.[1]) throw new Error("no embedded plots");
  return JSON.parse(m[1]);
}

const none = () => [];

function source(
  values: readonly unknown[],
  missing: ElementSource["missing"] = "s",
): ElementSource {
  return { get: (e) => values[e], failure: () => undefined, missing };
}

describe("pipeline.toHtml(results)", () => {
  const grid = pipefunc(
    { output: "z", mapspec: "a[i], b[j] -> z[i, j]" },
    ({ a, b }: { a: number; b: number }) => {
      if (a === 2 && b === 30) throw new RangeError(`diverged at a=${a}, b=${b}`);
      return a * b;
    },
  );
  const rows = pipefunc(
    { output: "m", mapspec: "z[i, :] -> m[i]" },
    ({ z }: { z: NdArray<number> }) => z.values().reduce((s, v) => s + v, 0),
  );
  const names = pipefunc(
    { output: "label", mapspec: "a[i] -> label[i]" },
    ({ a }: { a: number }) => `a${a}`,
  );
  const generate = pipefunc({ output: "g" }, ({ n }: { n: number }) =>
    Array.from({ length: n }, (_, k) => k * k),
  );
  const use = pipefunc({ output: "h", mapspec: "g[k] -> h[k]" }, ({ g }: { g: number }) => g + 1);
  const pipeline = new Pipeline([grid, rows, names, generate, use], { name: "plots" });

  it("plots each numeric output with one or two axes over its coordinates, errors on failed cells", async () => {
    const results = await pipeline.map(
      { a: [1, 2, 3], b: [10, 20, 30, 40], n: 4 },
      { errors: "continue", progress: false },
    );
    const plots = embeddedPlots(pipeline.toHtml(results));
    // label holds strings: not plotted.
    expect(plots.map((p) => [p.output, p.spec?.kind]).sort()).toEqual([
      ["g", "line"],
      ["h", "line"],
      ["m", "line"],
      ["z", "heatmap"],
    ]);
    const z = plots.find((p) => p.output === "z")!;
    expect(z.spec?.axes.map((a) => [a.dim, a.coords.map((c) => [c.name, c.labels])])).toEqual([
      ["i", [["a", ["1", "2", "3"]]]],
      ["j", [["b", ["10", "20", "30", "40"]]]],
    ]);
    expect(z.cells?.states).toBe("vvvvvvfvvvvv");
    expect(z.cells?.values[0]).toBe(10);
    expect(z.cells?.values[6]).toBeNull();
    expect(z.cells?.notes).toEqual({ 6: "diverged at a=2, b=30" });
    // m[1] reads the row with the failure: skipped.
    const m = plots.find((p) => p.output === "m")!;
    expect(m.cells?.states).toBe("vsv");
    expect(m.spec?.axes[0]?.positions).toEqual([1, 2, 3]);
    // A generated axis has its positions as coordinates.
    const h = plots.find((p) => p.output === "h")!;
    expect(h.spec?.axes[0]?.coords).toEqual([{ name: "k", labels: ["0", "1", "2", "3"] }]);
    expect(h.cells?.values).toEqual([1, 2, 5, 10]);
  });

  it("draws no plot without results, and refers to nothing outside the page", async () => {
    expect(pipeline.toHtml()).not.toContain('id="pipeweave-plots"');
    const results = await pipeline.map({ a: [1], b: [2], n: 1 }, { progress: false });
    const html = pipeline.toHtml(results);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    // The graph's data and script, the plots' data and script.
    expect(html.match(/<\/script/gi)).toHaveLength(4);
  });

  it("escapes hostile coordinates and messages in the embedded data", async () => {
    const evil = "</script><script>alert(1)</script>";
    const f = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: string }) => {
      if (x === evil) throw new Error(evil);
      return x.length;
    });
    const p = new Pipeline([f]);
    const results = await p.map({ x: ["ok", evil] }, { errors: "continue", progress: false });
    const html = p.toHtml(results);
    expect(html).not.toContain("<script>alert");
    const y = embeddedPlots(html)[0]!;
    expect(y.spec?.axes[0]?.coords[0]?.labels[1]).toBe(`${evil.slice(0, 23)}…`);
    expect(y.cells?.notes[1]).toBe(evil);
  });
});

describe("plotSpec", () => {
  it("bins a long line so it keeps at most MAX_LINE_CELLS cells, labelling each bin by its range", () => {
    const xs = Array.from({ length: 1200 }, (_, i) => i / 10);
    const spec = plotSpec("y", "f", ["i"], [1200], () => [{ name: "x", values: xs }])!;
    const axis = spec.axes[0]!;
    expect(axis.bin).toBe(3);
    expect(axis.cells).toBe(400);
    expect(axis.cells).toBeLessThanOrEqual(MAX_LINE_CELLS);
    expect(axis.coords[0]?.labels.slice(0, 2)).toEqual(["0 … 0.2", "0.3 … 0.5"]);
    expect(axis.positions?.slice(0, 2)).toEqual([0, 0.3]);
  });

  it("keeps a heatmap within MAX_HEATMAP_CELLS a side, and what a page is sent bounded", () => {
    const spec = plotSpec("z", "f", ["i", "j"], [300, 1000], none)!;
    expect(spec.axes.map((a) => [a.bin, a.cells])).toEqual([
      [5, 60],
      [16, 63],
    ]);
    const values = Array.from({ length: 300_000 }, (_, e) => e);
    const grid = new PlotGrid(spec);
    grid.scan(source(values));
    const cells = grid.cells();
    expect(cells.values).toHaveLength(60 * 63);
    expect(60 * 63).toBeLessThanOrEqual(MAX_HEATMAP_CELLS ** 2);
    expect(JSON.stringify(cells).length).toBeLessThan(100_000);
    // A bin's value is the mean of its elements: rows 0-4, columns 0-15.
    expect(cells.values[0]).toBe((0 + 4 * 1000 + 15) / 2);
  });

  it("takes numeric coordinates in strict order as positions, others as labels only", () => {
    const at = (values: unknown[]) =>
      plotSpec("y", "f", ["i"], [values.length], () => [{ name: "x", values }])!.axes[0]!.positions;
    expect(at([0.1, 0.5, 2])).toEqual([0.1, 0.5, 2]);
    expect(at([3, 2, 1])).toEqual([3, 2, 1]);
    expect(at([1, 3, 2])).toBeNull();
    expect(at(["a", "b"])).toBeNull();
    expect(at([1, Number.NaN])).toBeNull();
  });

  it("plots only one or two axes of some length", () => {
    expect(plotSpec("y", "f", ["i", "j", "k"], [2, 2, 2], none)).toBeUndefined();
    expect(plotSpec("y", "f", [], [], none)).toBeUndefined();
    expect(plotSpec("y", "f", ["i"], [0], none)).toBeUndefined();
  });
});

describe("PlotGrid", () => {
  const spec = plotSpec("y", "f", ["i"], [4], none)!;

  it("tells only the cells that changed since it was last asked", () => {
    const values: unknown[] = [MISSING, MISSING, MISSING, MISSING];
    const grid = new PlotGrid(spec);
    const live = source(values, "pending");
    grid.scan(live);
    expect(grid.takeChanged()).toEqual([]);
    values[2] = 5;
    grid.scan(live);
    values[0] = 1;
    grid.scan(live);
    expect(grid.takeChanged()).toEqual([0, 2]);
    expect(grid.cells([0, 2])).toEqual({ at: [0, 2], values: [1, 5], states: "vv", notes: {} });
    grid.scan(live);
    expect(grid.takeChanged()).toEqual([]);
    expect(grid.isComplete).toBe(false);
    grid.scan({ ...live, missing: "s" });
    expect(grid.takeChanged()).toEqual([1, 3]);
    expect(grid.cells().states).toBe("vsvs");
    expect(grid.isComplete).toBe(true);
  });

  it("marks failed elements with their error, and NaN as not a finite number", () => {
    const grid = new PlotGrid(spec);
    grid.scan({
      get: (e) => [1, MISSING, Number.NaN, MISSING][e],
      failure: (e) => (e === 1 ? "boom" : undefined),
      missing: "m",
    });
    expect(grid.cells()).toEqual({
      at: null,
      values: [1, null, null, null],
      states: "vfxm",
      notes: { 1: "boom", 2: "NaN" },
    });
  });

  it("gives up on an output holding something other than numbers", () => {
    const grid = new PlotGrid(spec);
    grid.scan(source([1, "two", 3, 4]));
    expect(grid.problem).toBe("element 1 is string, not a number");
  });
});
