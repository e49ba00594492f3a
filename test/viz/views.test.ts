import parseDot from "dotparser";
import { describe, expect, it } from "vitest";
import { Node, Pipeline, pipefunc } from "../../src/index.ts";

const fC = pipefunc({ output: "c" }, ({ a, b }: { a: number; b: number }) => a + b);
const fD = pipefunc(
  { output: "d", name: 'say "d"' },
  ({ b, c }: { b: number; c: number }) => b * c,
);
const sink = new Node({ func: (_d: number) => {}, inputs: ["d"], outputs: [], name: "sink" });
const pipeline = new Pipeline([fC, fD, sink], { name: "demo" });

interface DotEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string | undefined;
}

/** Edges and node labels of a DOT graph, read back with a real DOT parser. */
function readDot(source: string) {
  const [graph] = parseDot(source);
  if (!graph) throw new Error("no graph");
  const edges: DotEdge[] = [];
  const labels = new Map<string, string>();
  for (const stmt of graph.children) {
    const attr = "attr_list" in stmt ? stmt.attr_list.find((a) => a.id === "label") : undefined;
    const label = typeof attr?.eq === "string" ? attr.eq : undefined;
    if (stmt.type === "edge_stmt") {
      const [from, to] = stmt.edge_list.map((e) => String(e.id));
      edges.push({ from: from!, to: to!, label });
    } else if (stmt.type === "node_stmt" && label !== undefined) {
      labels.set(String(stmt.node_id.id), label);
    }
  }
  return { type: graph.type, id: graph.id, edges, labels };
}

describe("text views", () => {
  it("draws linepipe's ascii layout: boxes in order with inputs and outputs", () => {
    const ascii = pipeline.toAscii();
    const lines = ascii.split("\n");
    expect(lines[0]).toBe("demo");
    const order = ["c", 'say "d"', "sink"].map((n) =>
      lines.findIndex((l) => l.startsWith(`│ ${n} `) && l.trimEnd().endsWith("│")),
    );
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(ascii).toContain("in:  a, b");
    expect(ascii).toContain("in:  b, c");
    expect(ascii).toContain("out: (side effect)");
    expect(ascii.match(/▼/g)).toHaveLength(2);
    // Every box line has the same width.
    const widths = new Set(
      lines
        .slice(1)
        .filter((l) => /^[┌│└]/.test(l))
        .map((l) => l.length),
    );
    expect(widths.size).toBe(1);
  });

  it("writes Mermaid flowchart source with every edge", () => {
    const mermaid = pipeline.toMermaid();
    expect(mermaid.startsWith("flowchart TD\n")).toBe(true);
    // Inputs a, b; functions f0..f2 in execution order; the quote in a name is escaped.
    expect(mermaid).toContain('i0(["a"])');
    expect(mermaid).toContain("say #34;d#34;");
    const edges = mermaid
      .split("\n")
      .filter((l) => l.includes("-->"))
      .map((l) => l.trim());
    expect(edges).toEqual([
      'i0 -- "a" --> f0',
      'i1 -- "b" --> f0',
      'i1 -- "b" --> f1',
      'f0 -- "c" --> f1',
      'f1 -- "d" --> f2',
    ]);
  });

  it("writes DOT that a real parser reads back as the same graph", () => {
    const dot = readDot(pipeline.toDot());
    expect(dot.type).toBe("digraph");
    expect(dot.id).toBe("demo");
    expect(dot.edges).toEqual([
      { from: "input:a", to: "fn:0", label: "a" },
      { from: "input:b", to: "fn:0", label: "b" },
      { from: "input:b", to: "fn:1", label: "b" },
      { from: "fn:0", to: "fn:1", label: "c" },
      { from: "fn:1", to: "fn:2", label: "d" },
    ]);
    expect(dot.labels.get("fn:1")).toBe('say "d"\\n→ d');
    expect(dot.labels.get("fn:2")).toBe("sink\\n→ (side effect)");
  });

  it("keeps two functions that share a name as two DOT nodes, without a self-loop", () => {
    const same = (x: number) => x + 1;
    const p = new Pipeline([
      new Node({ func: same, inputs: ["a"], outputs: ["b"] }),
      new Node({ func: same, inputs: ["b"], outputs: ["c"] }),
    ]);
    const dot = readDot(p.toDot());
    expect(dot.edges).toEqual([
      { from: "input:a", to: "fn:0", label: "a" },
      { from: "fn:0", to: "fn:1", label: "b" },
    ]);
    expect(dot.edges.every((e) => e.from !== e.to)).toBe(true);
  });

  it("names inline Node and pipefunc arrows after their first output", () => {
    const p = new Pipeline([
      new Node({ func: (a: number) => a + 1, inputs: ["a"], outputs: ["b"] }),
      new Node({ func: (b: number) => b + 1, inputs: ["b"], outputs: ["c"] }),
      pipefunc({ output: ["d", "e"] }, ({ c }: { c: number }) => [c, c]),
    ]);
    expect(p.functions.map((f) => f.name)).toEqual(["b", "c", "d"]);
    expect(readDot(p.toDot()).edges.map((e) => [e.from, e.to])).toEqual([
      ["input:a", "fn:0"],
      ["fn:0", "fn:1"],
      ["fn:1", "fn:2"],
    ]);
  });

  it("shows mapspecs and config inputs", () => {
    const mapped = pipefunc(
      { output: "y", mapspec: "x[i] -> y[i]" },
      ({ x, config }: { x: number; config: { k: number } }) => x * config.k,
    );
    const p = new Pipeline([mapped], { config: { k: 2 } });
    expect(p.toAscii()).toContain("map: x[i] -> y[i]");
    expect(p.toMermaid()).toContain("x[i] -#62; y[i]");
    expect(readDot(p.toDot()).edges.map((e) => e.from)).toEqual(["input:x", "input:config"]);
  });
});
