/**
 * `pipeline.toHtml()`: one self-contained page (no URL to fetch), a node element per input,
 * function and result, an edge per graph edge, details for every node, hostile names escaped.
 * Read as text here; a real browser opens it in the browser tests.
 */
import { Script } from "node:vm";
import { describe, expect, it } from "vitest";
import { Pipeline, pipefunc } from "../../src/index.ts";

const double = pipefunc(
  { output: "y", mapspec: "x[i] -> y[i]", cache: true },
  ({ x }: { x: number }) => 2 * x,
);
const total = pipefunc(
  { output: "sum", defaults: { offset: 1 }, bound: { scale: 3 } },
  ({ y, offset, scale }: { y: number; offset: number; scale: number }) => scale * (y + offset),
);
const pipeline = new Pipeline([double, total], { name: "sweep", profile: true });

/** The JSON the page embeds for its details panel. */
function embedded(html: string): {
  name: string;
  nodes: { id: string; kind: string; name: string; details: Record<string, unknown> }[];
} {
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

  it("carries the profiling figures after a profiled run", () => {
    const p = new Pipeline([total], { name: "profiled", profile: true });
    p.runSync("sum", { y: 2 });
    const data = embedded(p.toHtml());
    const s = data.nodes.find((n) => n.kind === "function")?.details;
    expect(s?.profile).toMatchObject({ calls: 1 });
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
});
