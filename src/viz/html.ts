import { createRequire } from "node:module";
import { outputAxes, parseMapSpec } from "../map/mapspec.ts";
import { axesOf, type GraphModel, type HtmlView, modelOfPipeline } from "./html-model.ts";
import { PAGE_CSS, PAGE_SCRIPT } from "./html-page.ts";
import { layoutOf } from "./view.ts";

/** One drawn node, as embedded in the page for its details panel. */
export interface HtmlNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly name: string;
  readonly lines: readonly string[];
  readonly details: Readonly<Record<string, unknown>>;
}

type NodeKind = "input" | "function" | "output";

type Dagre = typeof import("@dagrejs/dagre");

const LINE_HEIGHT = 16;
const CHAR_WIDTH = 7.2;
const PAD_X = 12;
const PAD_Y = 8;
/** Long labels are cut so one long name does not stretch its whole rank. */
const MAX_CHARS = 48;

/**
 * The page opened from a file: it may fetch nothing at all, so a page that somehow tried
 * would be stopped by the browser, not reach the network.
 */
const FILE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/**
 * A self-contained HTML page drawing the pipeline: the layout is computed here, in Node, with
 * dagre, and only coordinates reach the page, so it needs no library and no network to open.
 */
export function toHtml(view: HtmlView): string {
  return graphPage({ model: modelOfPipeline(view), csp: FILE_CSP });
}

/** What {@link graphPage} draws, and what a page built on it (the dashboard) adds. */
export interface GraphPageOptions {
  readonly model: GraphModel;
  /** The page's Content-Security-Policy as a meta element; a served page sends it as a header. */
  readonly csp?: string;
  /** Markup added to the header bar (escaped by the caller). */
  readonly header?: string;
  /** Markup added below the graph (escaped by the caller). */
  readonly footer?: string;
  /** CSS added after the graph's. */
  readonly css?: string;
  /** Script run after the graph's (the graph's data is in `#pipeweave-data`). */
  readonly script?: string;
}

/** The graph's nodes and edges, laid out, as the page draws and embeds them. */
export function graphNodes(model: GraphModel): {
  nodes: HtmlNode[];
  edges: { from: string; to: string; label: string }[];
} {
  const g = layoutOf(model.functions);
  const consumed = new Set(g.functions.flatMap((f) => f.inputs));
  const nodes: HtmlNode[] = [];
  const edges: { from: string; to: string; label: string }[] = [];
  g.inputs.forEach((name, i) => {
    nodes.push({ id: `i${i}`, kind: "input", name, lines: [name], details: { kind: "input" } });
  });
  g.functions.forEach((f, i) => {
    const axesByArray = axesOf(f);
    const axes = f.mapspec === null ? [] : outputAxes(parseMapSpec(f.mapspec, f.name));
    const lines = [f.name, `→ ${f.outputs.length > 0 ? f.outputs.join(", ") : "(side effect)"}`];
    if (f.mapspec !== null) lines.push(f.mapspec);
    if (axes.length > 0) lines.push(`axes: ${axes.join(", ")}`);
    const details: Record<string, unknown> = {
      kind: "function",
      inputs: f.inputs,
      outputs: f.outputs,
      mapspec: f.mapspec,
      axes: axesByArray,
      ...f.details,
    };
    if (f.nested) details.nested = f.nested.map((p) => p.name);
    nodes.push({ id: `f${i}`, kind: "function", name: f.name, lines, details });
    // Outputs nothing in the pipeline reads are the pipeline's results: drawn as their own nodes.
    for (const o of f.outputs) {
      if (consumed.has(o)) continue;
      const id = `o${nodes.length}`;
      nodes.push({ id, kind: "output", name: o, lines: [o], details: { kind: "output" } });
      edges.push({ from: `f${i}`, to: id, label: "" });
    }
  });
  for (const e of g.edges) {
    const from = e.from.kind === "input" ? `i${e.from.index}` : `f${e.from.index}`;
    edges.push({ from, to: `f${e.to}`, label: e.label });
  }
  return { nodes, edges };
}

/** A whole page: the graph laid out, pan and zoom, a details panel, and what `options` adds. */
export function graphPage(options: GraphPageOptions): string {
  const { nodes, edges } = graphNodes(options.model);
  return page(options, nodes, edges, place(nodes, edges));
}

interface Placed {
  readonly width: number;
  readonly height: number;
  readonly nodes: ReadonlyMap<string, { x: number; y: number; width: number; height: number }>;
  readonly edges: readonly {
    readonly points: readonly { x: number; y: number }[];
    readonly label?: { x: number; y: number };
  }[];
}

/** dagre, loaded on first use so importing pipeweave does not pay for it. */
let dagre: Dagre | undefined;

function place(
  nodes: readonly HtmlNode[],
  edges: readonly { from: string; to: string; label: string }[],
): Placed {
  dagre ??= createRequire(import.meta.url)("@dagrejs/dagre") as Dagre;
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({
    rankdir: "TB",
    nodesep: 24,
    ranksep: 48,
    edgesep: 8,
    ranker: "tight-tree",
    marginx: 16,
    marginy: 16,
  });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) {
    const chars = Math.max(...n.lines.map((l) => Math.min(l.length, MAX_CHARS)));
    graph.setNode(n.id, {
      width: chars * CHAR_WIDTH + 2 * PAD_X,
      height: n.lines.length * LINE_HEIGHT + 2 * PAD_Y,
    });
  }
  edges.forEach((e, i) => {
    const label = clip(e.label);
    graph.setEdge(
      e.from,
      e.to,
      label ? { width: label.length * 6.5 + 4, height: 14, labelpos: "c" } : {},
      String(i),
    );
  });
  dagre.layout(graph);
  const box = graph.graph();
  const placedNodes = new Map<string, { x: number; y: number; width: number; height: number }>();
  for (const n of nodes) {
    const p = graph.node(n.id);
    placedNodes.set(n.id, { x: p.x, y: p.y, width: p.width, height: p.height });
  }
  const placedEdges = edges.map((e, i) => {
    const p = graph.edge({ v: e.from, w: e.to, name: String(i) });
    const points = (p.points ?? []).map((q: { x: number; y: number }) => ({ x: q.x, y: q.y }));
    return e.label && p.x !== undefined && p.y !== undefined
      ? { points, label: { x: p.x, y: p.y } }
      : { points };
  });
  return {
    width: box.width ?? 0,
    height: box.height ?? 0,
    nodes: placedNodes,
    edges: placedEdges,
  };
}

function page(
  options: GraphPageOptions,
  nodes: readonly HtmlNode[],
  edges: readonly { from: string; to: string; label: string }[],
  placed: Placed,
): string {
  const parts: string[] = [];
  placed.edges.forEach((e, i) => {
    const edge = edges[i];
    if (!edge || e.points.length === 0) return;
    const d = e.points.map((p, j) => `${j === 0 ? "M" : "L"}${num(p.x)},${num(p.y)}`).join(" ");
    parts.push(
      `<path class="edge" data-from="${edge.from}" data-to="${edge.to}" d="${d}" marker-end="url(#arrow)"/>`,
    );
    if (e.label) {
      parts.push(
        `<text class="edge-label" x="${num(e.label.x)}" y="${num(e.label.y + 4)}">${escapeHtml(clip(edge.label))}</text>`,
      );
    }
  });
  for (const n of nodes) {
    const p = placed.nodes.get(n.id);
    if (!p) continue;
    const x = p.x - p.width / 2;
    const y = p.y - p.height / 2;
    const rx = n.kind === "function" ? 4 : p.height / 2;
    const texts = n.lines
      .map((line, j) => {
        const cls = j === 0 ? "title" : j >= 2 ? "mapspec" : "sub";
        const ty = num(y + PAD_Y + (j + 1) * LINE_HEIGHT - 4);
        return `<text class="${cls}" x="${num(p.x)}" y="${ty}">${escapeHtml(clip(line))}</text>`;
      })
      .join("");
    parts.push(
      `<g class="node ${n.kind}" data-id="${n.id}" tabindex="0"><title>${escapeHtml(n.name)}</title>` +
        `<rect x="${num(x)}" y="${num(y)}" width="${num(p.width)}" height="${num(p.height)}" rx="${num(rx)}"/>${texts}</g>`,
    );
  }
  const name = options.model.name;
  const data = {
    name,
    nodes: nodes.map(({ id, kind, name, details }) => ({ id, kind, name, details })),
  };
  const w = num(Math.max(placed.width, 1));
  const h = num(Math.max(placed.height, 1));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.csp === undefined ? "" : `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(options.csp)}">\n`}<title>${escapeHtml(name)} · pipeweave</title>
<style>${PAGE_CSS}${options.css ?? ""}</style>
</head>
<body>
<header><h1>${escapeHtml(name)}</h1><span class="legend"><span class="key input">input</span><span class="key function">function</span><span class="key output">output</span></span>${options.header ?? ""}<button id="fit" type="button">fit</button></header>
<main>
<svg id="graph" viewBox="0 0 ${w} ${h}" data-width="${w}" data-height="${h}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>
<g id="viewport">${parts.join("\n")}</g>
</svg>
<aside id="details" hidden></aside>
</main>${options.footer ?? ""}
<script type="application/json" id="pipeweave-data">${jsonForScript(data)}</script>
<script>${PAGE_SCRIPT}</script>${options.script === undefined ? "" : `\n<script>${options.script}</script>`}
</body>
</html>
`;
}

function clip(s: string): string {
  return s.length > MAX_CHARS ? `${s.slice(0, MAX_CHARS - 1)}…` : s;
}

function num(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON safe inside a `<script>` element: `<`, `>` and `&` as \u escapes (no `</script>` or
 * `<!--` can appear), and the two line separators JavaScript once rejected in strings.
 */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}
