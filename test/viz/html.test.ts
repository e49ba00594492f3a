/**
 * `pipeline.toHtml()`: one self-contained page (no URL to fetch), a node element per input,
 * function and result, an edge per graph edge, details for every node, hostile names escaped.
 * Read as text here; a real browser opens it in the browser tests.
 */
import { Script } from "node:vm";
import { describe, expect, it } from "vitest";
import { type AnyPipeFunc, Pipeline, pipefunc } from "../../src/index.ts";
import { type Drawing, type DrawnBox, type DrawnEdge, drawingProblems } from "./geometry.ts";

const double = pipefunc(
  { output: "y", mapspec: "x[i] -> y[i]", cache: true },
  ({ x }: { x: number }) => 2 * x,
);
const total = pipefunc(
  { output: "sum", defaults: { offset: 1 }, bound: { scale: 3 } },
  ({ y, offset, scale }: { y: number; offset: number; scale: number }) => scale * (y + offset),
);
const pipeline = new Pipeline([double, total], { name: "sweep", profile: true });
/** A Standard Schema of numbers that also says so as JSON Schema (Standard JSON Schema). */
const numberSchema = {
  version: 1 as const,
  vendor: "test",
  validate: (value: unknown) =>
    typeof value === "number" ? { value } : { issues: [{ message: "not a number" }] },
  jsonSchema: { input: () => ({ type: "number" }), output: () => ({ type: "number" }) },
};

interface EmbeddedNode {
  id: string;
  kind: string;
  name: string;
  details: Record<string, unknown>;
}

/** The JSON the page embeds for its details panel. */
function embedded(html: string): { name: string; nodes: EmbeddedNode[]; inner: EmbeddedNode[] } {
  const m = html.match(/<script type="application\/json" id="pipeweave-data">([^<]*)<\/script>/);
  if (!m?.[1]) throw new Error("no embedded data");
  return JSON.parse(m[1]);
}

describe("pipeline.toHtml()", () => {
  it("draws one svg with a node per input, function and result, and an edge per graph edge", () => {
    const html = pipeline.toHtml();
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html.match(/<svg\b/g)).toHaveLength(1);
    // Inputs x (offset has a default but is still a graph input); functions; the result sum.
    expect(html.match(/<g class="node input"/g)).toHaveLength(2);
    expect(html.match(/<g class="node function"/g)).toHaveLength(2);
    expect(html.match(/<g class="node output"/g)).toHaveLength(1);
    // x→double, y→total, offset→total, total→sum.
    expect(html.match(/<path class="edge"/g)).toHaveLength(4);
    expect(html).toContain("x[i] -&#62; y[i]");
    expect(html).toContain("axes: i");
    expect(html).toMatch(/<script>[\s\S]*addEventListener\("wheel"/);
  });

  it("embeds each node's details: inputs, outputs, defaults, bound values, mapspec, cache", () => {
    const data = embedded(pipeline.toHtml());
    expect(data.name).toBe("sweep");
    expect(data.nodes.map((n) => `${n.kind}:${n.name}`).sort()).toEqual(
      ["input:x", "input:offset", "function:y", "function:sum", "output:sum"].sort(),
    );
    const d = data.nodes.find((n) => n.kind === "function" && n.name === "y")?.details;
    expect(d).toMatchObject({
      inputs: ["x"],
      outputs: ["y"],
      mapspec: "x[i] -> y[i]",
      axes: { x: ["i"], y: ["i"] },
      cache: true,
    });
    const s = data.nodes.find((n) => n.kind === "function" && n.name === "sum")?.details;
    expect(s).toMatchObject({ defaults: { offset: "1" }, bound: { scale: "3" }, cache: false });
    expect(s?.profile).toBeUndefined();
  });

  it("embeds the descriptions of functions and inputs, with the inputs' type hints and defaults", () => {
    const f = pipefunc(
      {
        output: "b",
        description: "halves a",
        inputDescriptions: { a: "the whole" },
        schema: { inputs: { a: { "~standard": numberSchema } } },
      },
      ({ a = 8 }: { a?: number }) => a / 2,
    );
    const data = embedded(new Pipeline([f]).toHtml());
    expect(data.nodes.find((n) => n.kind === "function")?.details).toMatchObject({
      description: "halves a",
      inputDescriptions: { a: "the whole" },
    });
    expect(data.nodes.find((n) => n.kind === "input")?.details).toEqual({
      kind: "input",
      description: "the whole",
      type: "number",
      default: "8",
    });
  });

  it("carries the profiling figures after a profiled run", () => {
    const p = new Pipeline([total], { name: "profiled", profile: true });
    p.runSync("sum", { y: 2 });
    const data = embedded(p.toHtml());
    const s = data.nodes.find((n) => n.kind === "function")?.details;
    expect(s?.profile).toMatchObject({ calls: "1", errors: "0" });
    // Times as people read them: a unit, a few digits (never 0.022633000000041648 ms).
    expect(
      Object.values(s?.profile as Record<string, string>).filter((v) => v.endsWith(" ms")),
    ).not.toHaveLength(0);
    for (const v of Object.values(s?.profile as Record<string, string>)) {
      expect(v).toMatch(/^(n\/a|-?[\d,.]+( \(.*\))?( (ms|s|min|B|KiB|MiB|GiB))?|< 0\.001 ms)$/);
      expect(v).not.toMatch(/\.\d{4}/);
    }
  });

  it("escapes hostile names in the markup and in the embedded JSON", () => {
    const evil = "</script><script>alert(1)</script>";
    const f = pipefunc(
      { output: "out", name: evil, inputs: [`<img src=x onerror=alert(2)>`] },
      (v: unknown) => v,
    );
    const html = new Pipeline([f], { name: `"><b>${evil}` }).toHtml();
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>");
    // Exactly the page's own two script elements open and close.
    expect(html.match(/<script\b/gi)).toHaveLength(2);
    expect(html.match(/<\/script/gi)).toHaveLength(2);
    const data = embedded(html);
    expect(data.name).toBe(`"><b>${evil}`);
    expect(data.nodes.find((n) => n.kind === "function")?.name).toBe(evil);
  });

  it("carries an inline script that parses", () => {
    const m = pipeline.toHtml().match(/<script>([\s\S]*?)<\/script>/);
    expect(m?.[1]).toBeDefined();
    expect(() => new Script(m?.[1] ?? "")).not.toThrow();
  });

  it("refers to nothing outside itself", () => {
    const html = pipeline.toHtml();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\/\//i);
    expect(html).not.toMatch(/\b(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|url\((?!#)/);
  });

  it("lays out a 200-function pipeline", () => {
    // 20 layers of 10 functions, each reading two functions of the layer above.
    const functions = Array.from({ length: 200 }, (_, i) => {
      const layer = Math.floor(i / 10);
      const k = i % 10;
      const above = (j: number) => `v${(layer - 1) * 10 + j}`;
      return pipefunc(
        {
          output: `v${i}`,
          name: `step_${i}`,
          inputs: layer === 0 ? [`in${k}`] : [above(k), above((k + 3) % 10)],
        },
        (...args: unknown[]) => args[0],
      );
    });
    const big = new Pipeline(functions, { name: "big" });
    const start = performance.now();
    const html = big.toHtml();
    const ms = performance.now() - start;
    console.log(
      `toHtml, 200 functions: ${ms.toFixed(0)} ms, ${(html.length / 1024).toFixed(0)} KiB`,
    );
    expect(html.match(/<g class="node function"/g)).toHaveLength(200);
    // 10 root inputs, 10 results of the last layer.
    expect(html.match(/<g class="node (input|output)"/g)).toHaveLength(20);
    expect(html.match(/<path class="edge"/g)).toHaveLength(10 + 190 * 2 + 10);
    expect(html).not.toMatch(/NaN/);
  });

  describe("edge labels", () => {
    it("label only the edges whose source's box does not name what they carry", () => {
      const split = pipefunc({ output: ["lo", "hi"] }, ({ xs }: { xs: number[] }) => [xs, xs]);
      const low = pipefunc({ output: "a" }, ({ lo }: { lo: number[] }) => lo);
      const high = pipefunc({ output: "b" }, ({ hi, a }: { hi: number[]; a: number[] }) => [hi, a]);
      const html = new Pipeline([split, low, high], { name: "labels" }).toHtml();
      // xs → split starts at the input box "xs", a → b at the box of a's only output: no label.
      expect(html.match(/<path class="edge"/g)).toHaveLength(5);
      const labels = [...html.matchAll(/<text class="edge-label"[^>]*>([^<]*)<\/text>/g)];
      expect(labels.map((m) => m[1]).sort()).toEqual(["hi", "lo"]);
    });

    it.each([1, 2, 3, 4])(
      "are crossed by no edge and cover no node, nor does an edge cross a node (random graph, seed %i)",
      (seed) => {
        const p = multiOutputPipeline(40, seed);
        const drawing = drawingOf(p.toHtml());
        expect(drawing.boxes.filter((b) => b.kind === "label").length).toBeGreaterThan(10);
        expect(drawingProblems(drawing)).toEqual([]);
      },
    );
  });

  describe("a nested function", () => {
    const inc = pipefunc(
      { output: "z", mapspec: "y[i], k[i] -> z[i]" },
      ({ y, k = 1 }: { y: number; k?: number }) => y + k,
    );
    const nested = new Pipeline([double, inc, total], { name: "nested" }).nest(["y", "z"], "yz");

    it("gets a focusable toggle and a hidden panel with its inner graph", () => {
      const html = nested.toHtml();
      // The outer graph is unchanged: yz and sum, inputs x, k, offset, results z and sum.
      expect(html.match(/<g class="node function" data-id="f\d+"/g)).toHaveLength(2);
      expect(html.match(/<g class="node input"/g)).toHaveLength(3);
      expect(html.match(/<g class="node output"/g)).toHaveLength(2);
      expect(html.match(/<path class="edge"/g)).toHaveLength(6);
      // Each node group keeps its rect as first child.
      expect(html.match(/<g class="node [a-z]+" [^>]*>(?!<rect)/g)).toBeNull();
      const toggles = html.match(
        /<g class="toggle" role="button" tabindex="0" aria-expanded="false" aria-controls="nested-(f\d+)"/g,
      );
      expect(toggles).toHaveLength(1);
      const yz = embedded(html).nodes.find((n) => n.name === "yz");
      expect(html).toContain(
        `<g class="node function" data-id="${yz?.id}" tabindex="0" data-nested="">`,
      );
      expect(toggles?.[0]).toContain(`aria-controls="nested-${yz?.id}"`);
      const panel = html.match(/<g class="nested-panel" id="nested-(f\d+)"[\s\S]*?<\/g><\/g>\n?/);
      expect(panel?.[1]).toBe(yz?.id);
      // Inside: double and inc, the group's inputs x and k, and x→double, y→inc, k→inc.
      expect(panel?.[0].match(/<g class="inner-node function"/g)).toHaveLength(2);
      expect(panel?.[0].match(/<g class="inner-node input"/g)).toHaveLength(2);
      expect(panel?.[0].match(/<path class="inner-edge"/g)).toHaveLength(3);
      expect(panel?.[0]).toContain("y[i], k[i] -&#62; z[i]");
    });

    it("embeds its inner functions' details apart from the outer nodes", () => {
      const data = embedded(nested.toHtml());
      expect(data.nodes.map((n) => n.name).sort()).toEqual(
        ["x", "k", "offset", "yz", "sum", "z", "sum"].sort(),
      );
      expect(data.nodes.find((n) => n.name === "yz")?.details.nested).toEqual(["y", "z"]);
      const yz = data.nodes.find((n) => n.name === "yz");
      expect(data.inner.map((n) => `${n.kind}:${n.name}`).sort()).toEqual(
        ["input:x", "input:k", "function:y", "function:z"].sort(),
      );
      for (const n of data.inner) expect(n.id.startsWith(`${yz?.id}-`)).toBe(true);
      const z = data.inner.find((n) => n.kind === "function" && n.name === "z");
      expect(z?.details).toMatchObject({
        kind: "function",
        parent: "yz",
        inputs: ["y", "k"],
        outputs: ["z"],
        defaults: { k: "1" },
        mapspec: "y[i], k[i] -> z[i]",
        cache: false,
      });
      const y = data.inner.find((n) => n.kind === "function" && n.name === "y");
      // Cached as a whole by the outer pipeline, never inside it.
      expect(y?.details).toMatchObject({ mapspec: "x[i] -> y[i]", cache: false });
    });

    it("nests panels: a nested function inside a nested function gets its own toggle", () => {
      const twice = pipefunc(
        { output: "w", mapspec: "z[i] -> w[i]" },
        ({ z }: { z: number }) => 2 * z,
      );
      const inner = new Pipeline([double, inc, twice]).nest(["y", "z"], "inner");
      const outer = inner.nest(["z", "w"], "outer");
      const html = outer.toHtml();
      expect(html.match(/<g class="toggle"/g)).toHaveLength(2);
      const ids = [...html.matchAll(/<g class="nested-panel" id="nested-([^"]+)"/g)].map(
        (m) => m[1],
      );
      expect(ids).toHaveLength(2);
      // The inner panel belongs to a node inside the outer one.
      expect(ids[1]?.startsWith(`${ids[0]}-`)).toBe(true);
      expect(html).toContain(
        `<g class="inner-node function" data-id="${ids[1]}" tabindex="0" data-nested="">`,
      );
    });

    it("escapes hostile names of nested and inner functions", () => {
      const evil = "<img src=x onerror=alert(1)>";
      const f = pipefunc({ output: "a", name: evil }, ({ v }: { v: number }) => v);
      const g = pipefunc({ output: "b", name: `</script>${evil}` }, ({ a }: { a: number }) => a);
      const html = new Pipeline([f, g]).nest(["a", "b"], `"><svg onload=alert(2)>`).toHtml();
      expect(html).not.toContain("<img");
      expect(html).not.toContain("<svg onload");
      expect(html.match(/<\/script/gi)).toHaveLength(2);
      const data = embedded(html);
      expect(data.inner.map((n) => n.name)).toContain(`</script>${evil}`);
      expect(data.nodes.find((n) => n.kind === "function")?.name).toBe(`"><svg onload=alert(2)>`);
    });
  });
});

/**
 * `size` functions of one to three outputs each, each reading one to three outputs of functions
 * before it (picked at random from `seed`), or now and then one of 5 root inputs.
 */
function multiOutputPipeline(size: number, seed: number): Pipeline<readonly AnyPipeFunc[]> {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const outputs: string[][] = [];
  const functions: AnyPipeFunc[] = [];
  for (let i = 0; i < size; i++) {
    const inputs = new Set<string>();
    const count = 1 + Math.floor(random() * 3);
    for (let k = 0; k < count; k++) {
      if (i === 0 || random() < 0.1) inputs.add(`in_${Math.floor(random() * 5)}`);
      else {
        const from = outputs[Math.floor(random() * i)]!;
        inputs.add(from[Math.floor(random() * from.length)]!);
      }
    }
    const own = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, k) => `o${i}_${k}`);
    outputs.push(own);
    functions.push(
      pipefunc({ output: own, name: `f_${i}`, inputs: [...inputs] }, (...args: unknown[]) => args),
    );
  }
  return new Pipeline(functions, { name: `multi-output DAG of ${size} (seed ${seed})` });
}

/**
 * The top graph as the markup draws it: node boxes, edge polylines and label boxes (the width
 * toHtml reserves for the text: 6.5 px a character, 14 px high, around the baseline's middle).
 */
function drawingOf(html: string): Drawing {
  const top = html.slice(html.indexOf('<g id="viewport">'), html.indexOf('<g id="overlays">'));
  const boxes: DrawnBox[] = [];
  const nodes =
    /<g class="node \w+" data-id="([^"]+)"[^>]*><rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)"[^>]*\/><title>([^<]*)<\/title>/g;
  for (const [, id, x, y, width, height, name] of top.matchAll(nodes)) {
    boxes.push({
      kind: "node",
      id: id!,
      name: name!,
      level: "",
      x: +x!,
      y: +y!,
      width: +width!,
      height: +height!,
    });
  }
  const labels = /<text class="edge-label" x="([-\d.]+)" y="([-\d.]+)">([^<]*)<\/text>/g;
  for (const [, x, y, name] of top.matchAll(labels)) {
    boxes.push({
      kind: "label",
      id: "",
      name: name!,
      level: "",
      x: +x!,
      y: +y! - 4 - 7,
      width: name!.length * 6.5,
      height: 14,
    });
  }
  const edges: DrawnEdge[] = [];
  const paths = /<path class="edge" data-from="([^"]+)" data-to="([^"]+)" d="([^"]+)"/g;
  for (const [, from, to, d] of top.matchAll(paths)) {
    const v = d!.match(/-?[\d.]+/g)!.map(Number);
    const points = [];
    for (let i = 0; i + 1 < v.length; i += 2) points.push({ x: v[i]!, y: v[i + 1]! });
    edges.push({ from: from!, to: to!, level: "", points });
  }
  expect(boxes.length).toBeGreaterThan(0);
  expect(edges.length).toBeGreaterThan(0);
  return { boxes, edges };
}
