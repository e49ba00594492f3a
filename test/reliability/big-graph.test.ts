/**
 * Big graphs (issue 21, point 11): `toHtml` of a 1,900-function chain overflowed the stack in
 * dagre, and so did `map(..., { dashboard: true })` on it; a random 2,000-function DAG took
 * tens of seconds. Big graphs are laid out by pipeweave's own layered layout (its times are
 * measured by `npm run bench`, never here); the drawing must be sane, and a dashboard that
 * cannot draw its graph must never fail the map it watches.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { DASHBOARD_GRAPH_WARNING } from "../../src/dashboard/page.ts";
import { type AnyPipeFunc, type Dashboard, Pipeline, pipefunc } from "../../src/index.ts";
import { DAGRE_MAX_NODES } from "../../src/viz/html.ts";
import { layeredLayout } from "../../src/viz/layered.ts";
import { rankGraph } from "../../src/viz/layered-rank.ts";
import { raw } from "../dashboard/http.ts";
import { chainPipeline, hubPipeline, randomPipeline } from "./fixtures/big-graphs.ts";

/** The test seam for the dashboard's fallback: graphPage throws while `failing.draw` is set. */
const failing = vi.hoisted(() => ({ draw: false }));
vi.mock("../../src/viz/html.ts", async (original) => {
  const actual = await original<typeof import("../../src/viz/html.ts")>();
  return {
    ...actual,
    graphPage: (options: Parameters<typeof actual.graphPage>[0]) => {
      if (failing.draw && options.model.functions.length > 0) {
        throw new RangeError("Maximum call stack size exceeded");
      }
      return actual.graphPage(options);
    },
  };
});

afterEach(() => {
  failing.draw = false;
});

interface Drawn {
  readonly id: string;
  readonly kind: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The node boxes and edge polylines of a page's top-level graph, read from its markup. */
function drawing(html: string): {
  nodes: Map<string, Drawn>;
  edges: { from: string; to: string; points: { x: number; y: number }[] }[];
} {
  const nodes = new Map<string, Drawn>();
  const node =
    /<g class="node (\w+)" data-id="([^"]+)"[^>]*><rect x="([-\d.]+)" y="([-\d.]+)" width="([\d.]+)" height="([\d.]+)"/g;
  for (const m of html.matchAll(node)) {
    const [, kind, id, x, y, width, height] = m as unknown as string[];
    nodes.set(id!, { id: id!, kind: kind!, x: +x!, y: +y!, width: +width!, height: +height! });
  }
  const edge = /<path class="edge" data-from="([^"]+)" data-to="([^"]+)" d="([^"]+)"/g;
  const edges = [...html.matchAll(edge)].map((m) => ({
    from: m[1]!,
    to: m[2]!,
    points: m[3]!.split(" ").map((p) => {
      const [x, y] = p.slice(1).split(",").map(Number);
      return { x: x!, y: y! };
    }),
  }));
  return { nodes, edges };
}

/**
 * What is wrong with the drawing of `pipeline` in `html`, as a list (empty when sane): a node
 * or an edge missing, two boxes overlapping, an edge that is not drawn downward from its
 * source's box to its target's.
 */
function problems(pipeline: Pipeline<readonly AnyPipeFunc[]>, html: string): string[] {
  const { nodes, edges } = drawing(html);
  const found: string[] = [];
  const produced = new Set(pipeline.functions.flatMap((f) => f.outputs));
  const read = new Set(pipeline.functions.flatMap((f) => f.inputs));
  const results = [...produced].filter((n) => !read.has(n)).length;
  const counts = { function: 0, input: 0, output: 0 } as Record<string, number>;
  for (const n of nodes.values()) counts[n.kind] = (counts[n.kind] ?? 0) + 1;
  const expected = {
    function: pipeline.functions.length,
    input: [...read].filter((n) => !produced.has(n)).length,
    output: results,
  };
  if (JSON.stringify(counts) !== JSON.stringify(expected)) {
    found.push(`drew ${JSON.stringify(counts)}, expected ${JSON.stringify(expected)}`);
  }
  const edgeCount = pipeline.functions.reduce((sum, f) => sum + f.inputs.length, 0) + results;
  if (edges.length !== edgeCount) found.push(`drew ${edges.length} edges, expected ${edgeCount}`);

  // Overlaps, swept left to right: only boxes that start before one ends can overlap it.
  const boxes = [...nodes.values()].sort((a, b) => a.x - b.x);
  boxes.forEach((a, i) => {
    for (let j = i + 1; j < boxes.length && boxes[j]!.x < a.x + a.width; j++) {
      const b = boxes[j]!;
      if (a.y < b.y + b.height && b.y < a.y + a.height) found.push(`${a.id} overlaps ${b.id}`);
    }
  });

  // Coordinates are written to 0.1 px.
  const near = (a: number, b: number) => Math.abs(a - b) <= 0.11;
  const within = (x: number, box: Drawn) => x > box.x - 0.11 && x < box.x + box.width + 0.11;
  for (const e of edges) {
    const from = nodes.get(e.from);
    const to = nodes.get(e.to);
    const first = e.points[0];
    const last = e.points[e.points.length - 1];
    if (!from || !to || !first || !last) {
      found.push(`edge ${e.from}→${e.to} has no drawn end`);
      continue;
    }
    if (!(from.y + from.height <= to.y)) found.push(`edge ${e.from}→${e.to} does not go down`);
    if (!near(first.y, from.y + from.height) || !within(first.x, from)) {
      found.push(`edge ${e.from}→${e.to} does not leave the bottom of its source`);
    }
    if (!near(last.y, to.y) || !within(last.x, to)) {
      found.push(`edge ${e.from}→${e.to} does not enter the top of its target`);
    }
    if (e.points.some((p, k) => k > 0 && p.y < e.points[k - 1]!.y)) {
      found.push(`edge ${e.from}→${e.to} goes up on its way`);
    }
  }
  return found;
}

describe("toHtml() of a big graph", () => {
  it.each([
    ["a 1,900-function chain", () => chainPipeline(1900)],
    ["a random 2,000-function DAG", () => randomPipeline(2000, 21)],
    ["a 2,000-step chain whose first output every step reads", () => hubPipeline(2000)],
  ])("draws %s, every box apart and every edge downward", (_, make) => {
    const pipeline = make();
    const html = pipeline.toHtml();
    expect(problems(pipeline, html)).toEqual([]);
    expect(html).not.toMatch(/NaN|Infinity/);
  });

  it("draws a small graph with dagre, its edges labelled, and a big one without labels", () => {
    // A chain of n steps of two outputs draws 2n + 2 nodes: its input, its steps, their n
    // unread outputs and its last; the n - 1 edges between steps say which output they carry.
    const pairs = (n: number) =>
      new Pipeline(
        Array.from({ length: n }, (_, i) =>
          pipefunc(
            { output: [`v${i + 1}`, `w${i + 1}`], name: `step_${i}`, inputs: [`v${i}`] },
            (v: unknown) => [v, v],
          ),
        ),
      );
    const small = pairs(DAGRE_MAX_NODES / 2 - 1);
    const big = pairs(DAGRE_MAX_NODES / 2);
    expect(small.toHtml().match(/<text class="edge-label"/g)).toHaveLength(DAGRE_MAX_NODES / 2 - 2);
    const html = big.toHtml();
    expect(html).not.toContain('class="edge-label"');
    expect(problems(big, html)).toEqual([]);
  });
});

describe("the layered layout", () => {
  const sizes = (n: number) => Array.from({ length: n }, () => ({ width: 60, height: 30 }));
  const spacing = { nodeGap: 24, edgeGap: 8, layerGap: 48, margin: 16 };

  it("draws a chain as one straight column, top to bottom", () => {
    const edges = Array.from({ length: 9 }, (_, i) => ({ from: i, to: i + 1 }));
    const { nodes } = layeredLayout(sizes(10), edges, spacing);
    expect(new Set(nodes.map((p) => p.x)).size).toBe(1);
    nodes.forEach((p, i) => {
      if (i > 0) expect(p.y).toBeGreaterThan(nodes[i - 1]!.y);
    });
  });

  it("places a source just above its only reader, not at the top", () => {
    // 0 → 1 → 2 → 3, and 4 → 3.
    const edges = [
      { from: 0, to: 1 },
      { from: 1, to: 2 },
      { from: 2, to: 3 },
      { from: 4, to: 3 },
    ];
    const { nodes } = layeredLayout(sizes(5), edges, spacing);
    expect(nodes[4]!.y).toBe(nodes[2]!.y);
  });

  it("shares one line of dummies among the edges of one source: linear in the chain, not quadratic", () => {
    const length = 400;
    const edges = Array.from({ length: length - 1 }, (_, i) => ({ from: i, to: i + 1 }));
    for (let i = 2; i < length; i++) edges.push({ from: 0, to: i });
    const g = rankGraph(length, edges);
    // One dummy per layer between node 0 and the last step; an edge of its own each: ~80,000.
    expect(g.size - g.real).toBe(length - 2);
  });

  it("ends on a graph with a cycle (a tampered run.json) and draws its closing edge straight", () => {
    // 0 → 1 → 2 → 0, a self-loop on 3, and 3 → 1.
    const edges = [
      { from: 0, to: 1 },
      { from: 1, to: 2 },
      { from: 2, to: 0 },
      { from: 3, to: 3 },
      { from: 3, to: 1 },
    ];
    const layout = layeredLayout(sizes(4), edges, spacing);
    expect(layout.nodes.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y))).toBe(true);
    expect(layout.edges[2]).toHaveLength(2);
    expect(layout.edges[2]![1]!.y).toBeLessThan(layout.edges[2]![0]!.y);
    expect(layout.edges[3]).toEqual([]);
  });

  it("lays out nothing as an empty drawing", () => {
    expect(layeredLayout([], [], spacing)).toEqual({
      width: 32,
      height: 32,
      nodes: [],
      edges: [],
    });
  });
});

describe("map(..., { dashboard: true }) on a big graph", () => {
  /** Runs `pipeline` with a dashboard; returns the results, the page it served and its warnings. */
  async function mapWithDashboard(pipeline: Pipeline<readonly AnyPipeFunc[]>) {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    let dashboard: Dashboard | undefined;
    try {
      const results = await pipeline.map(
        { v0: 1 },
        {
          progress: false,
          dashboard: {
            onReady: (d) => {
              dashboard = d;
            },
          },
        },
      );
      // Released, not closed, at the end of the map: it still serves its page.
      const url = new URL(dashboard!.url);
      const page = await raw(url.href, url.pathname + url.search);
      // process.emitWarning reports on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      // Typed by output name only for pipelines whose functions are typed one by one.
      const outputs = results as unknown as Record<string, { readonly output: unknown }>;
      return { results: outputs, page: page.body, warnings };
    } finally {
      process.off("warning", onWarning);
      await dashboard?.close();
    }
  }

  it("runs a 1,900-function chain and serves its whole graph", async () => {
    const { results, page, warnings } = await mapWithDashboard(chainPipeline(1900));
    expect(results.v1900?.output).toBe(1901);
    expect(page.match(/<g class="node function"/g)).toHaveLength(1900);
    expect(warnings).toEqual([]);
  });

  it("still resolves with the right results when the graph cannot be drawn, and warns", async () => {
    failing.draw = true;
    const { results, page, warnings } = await mapWithDashboard(chainPipeline(50));
    expect(results.v50?.output).toBe(51);
    expect(page).toContain('id="run-state"');
    expect(page).toContain("graph not drawn: RangeError: Maximum call stack size exceeded");
    expect(page).not.toContain('<g class="node function"');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ name: "PipeweaveWarning", code: DASHBOARD_GRAPH_WARNING });
    expect(warnings[0]!.message).toContain('graph of "chain of 50"');
  });
});
