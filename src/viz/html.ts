import { createRequire } from "node:module";
import { outputAxes, parseMapSpec } from "../map/mapspec.ts";
import type { MapResultsMembers } from "../map/results.ts";
import {
  axesOf,
  type GraphFunction,
  type GraphModel,
  type HtmlView,
  inputDetailsOf,
  modelOfPipeline,
} from "./html-model.ts";
import { PAGE_CSS, PAGE_SCRIPT } from "./html-page.ts";
import { PANEL_GAP, PANEL_HEADER } from "./html-relayout.ts";
import { layeredLayout } from "./layered.ts";
import { resultPlotParts } from "./plot-page.ts";
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

/** An edge between two drawn nodes. */
export interface HtmlEdge {
  readonly from: string;
  readonly to: string;
  /**
   * The name it carries, or "" where its source's box already names it: an input's box is its
   * name, and a function's box lists its outputs (`→ y`), so only an edge from a function of
   * several outputs says which one it carries.
   */
  readonly label: string;
}

/**
 * A nested function's inner graph: its inner functions and the group's inputs, drawn in a
 * panel that the toggle on its node opens. Inner node ids start with the parent's id and `-`.
 */
export interface HtmlNested {
  /** The id of the node (top-level or itself inner) whose toggle opens this graph. */
  readonly parent: string;
  /** The nested function's name, as the panel's title shows it. */
  readonly name: string;
  readonly nodes: readonly HtmlNode[];
  readonly edges: readonly HtmlEdge[];
}

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
 * Given a sweep's `results`, it also plots each numeric mapped output with one or two axes
 * (see {@link resultPlotParts}).
 */
export function toHtml(view: HtmlView, results?: MapResultsMembers): string {
  const plots = results === undefined ? {} : resultPlotParts(view, results);
  return graphPage({ model: modelOfPipeline(view), csp: FILE_CSP, ...plots });
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
  /**
   * Room, in pixels, each top-level function node keeps below its text for what a page built
   * on this one draws inside it (the dashboard's counts), so nothing it draws there is crossed
   * by an edge: the node is at least `width` wide and `height` taller.
   */
  readonly reserve?: { readonly width: number; readonly height: number };
}

/** The graph's nodes and edges, and each nested function's inner graph, as the page draws them. */
export function graphNodes(model: GraphModel): {
  nodes: HtmlNode[];
  edges: HtmlEdge[];
  nested: HtmlNested[];
} {
  const top = drawnGraph(model.functions, "", undefined, model);
  const nested: HtmlNested[] = [];
  // Parents before their children: a panel opened inside another is drawn after it, over its frame.
  const expand = (children: readonly Expandable[]): void => {
    for (const c of children) {
      const inner = drawnGraph(c.functions, `${c.id}-`, c.name);
      nested.push({ parent: c.id, name: c.name, nodes: inner.nodes, edges: inner.edges });
      expand(inner.children);
    }
  };
  expand(top.children);
  return { nodes: top.nodes, edges: top.edges, nested };
}

/** A function whose inner graph is drawn too. */
interface Expandable {
  readonly id: string;
  readonly name: string;
  readonly functions: readonly GraphFunction[];
}

/**
 * The nodes and edges of one level: the top-level graph (with the results nothing reads drawn
 * as output nodes), or a nested function's inner graph (whose outputs its own node shows).
 */
function drawnGraph(
  functions: readonly GraphFunction[],
  prefix: string,
  parent: string | undefined,
  model?: GraphModel,
): { nodes: HtmlNode[]; edges: HtmlEdge[]; children: Expandable[] } {
  const g = layoutOf(functions);
  const consumed = new Set(g.functions.flatMap((f) => f.inputs));
  const nodes: HtmlNode[] = [];
  const edges: HtmlEdge[] = [];
  const children: Expandable[] = [];
  g.inputs.forEach((name, i) => {
    nodes.push({
      id: `${prefix}i${i}`,
      kind: "input",
      name,
      lines: [name],
      details:
        parent === undefined
          ? { kind: "input", ...(model ? inputDetailsOf(model, name) : {}) }
          : { kind: "input", parent },
    });
  });
  g.functions.forEach((f, i) => {
    const id = `${prefix}f${i}`;
    const axes = f.mapspec === null ? [] : outputAxes(parseMapSpec(f.mapspec, f.name));
    const lines = [f.name, `→ ${f.outputs.length > 0 ? f.outputs.join(", ") : "(side effect)"}`];
    if (f.mapspec !== null) lines.push(f.mapspec);
    if (axes.length > 0) lines.push(`axes: ${axes.join(", ")}`);
    if (f.variant) lines.push(f.variant);
    const details: Record<string, unknown> = {
      kind: "function",
      inputs: f.inputs,
      outputs: f.outputs,
      mapspec: f.mapspec,
      axes: axesOf(f),
      ...f.details,
    };
    if (parent !== undefined) details.parent = parent;
    if (f.nested && f.nested.length > 0) {
      details.nested = f.nested.map((p) => p.name);
      children.push({ id, name: f.name, functions: f.nested });
    }
    nodes.push({ id, kind: "function", name: f.name, lines, details });
    if (parent !== undefined) return;
    // Outputs nothing in the pipeline reads are the pipeline's results: drawn as their own nodes.
    for (const o of f.outputs) {
      if (consumed.has(o)) continue;
      const out = `o${nodes.length}`;
      nodes.push({ id: out, kind: "output", name: o, lines: [o], details: { kind: "output" } });
      edges.push({ from: id, to: out, label: "" });
    }
  });
  for (const e of g.edges) {
    const from = `${prefix}${e.from.kind === "input" ? "i" : "f"}${e.from.index}`;
    const named = e.from.kind === "input" || g.functions[e.from.index]!.outputs.length === 1;
    edges.push({ from, to: `${prefix}f${e.to}`, label: named ? "" : e.label });
  }
  return { nodes, edges, children };
}

/** A whole page: the graph laid out, pan and zoom, a details panel, and what `options` adds. */
export function graphPage(options: GraphPageOptions): string {
  const { nodes, edges, nested } = graphNodes(options.model);
  const toggled = new Set(nested.map((n) => n.parent));
  const placed = place(nodes, edges, toggled, options.reserve);
  const panels = nested.map((n) => ({ nested: n, placed: place(n.nodes, n.edges, toggled) }));
  return page(options, nodes, edges, placed, toggled, panels);
}

interface Point {
  readonly x: number;
  readonly y: number;
}

interface Box extends Point {
  readonly width: number;
  readonly height: number;
}

interface Placed {
  readonly width: number;
  readonly height: number;
  /** Centre and size of each node. */
  readonly nodes: ReadonlyMap<string, Box>;
  readonly edges: readonly {
    readonly points: readonly Point[];
    /** The left end of the label's text and its middle. */
    readonly label?: Point;
  }[];
}

/** Width of the expand toggle drawn in the top right corner of a nested function's node. */
const TOGGLE = 16;

/** An edge label's box: its height, the width of a character, its space from its edge. */
const LABEL = { height: 14, char: 6.5, gap: 6 } as const;

/** dagre, loaded on first use so importing pipeweave does not pay for it. */
let dagre: Dagre | undefined;

/**
 * Graphs (or inner graphs) of more nodes than this are laid out by {@link layeredLayout}:
 * dagre's time grows faster than linearly (about 2 s for 800 functions, 10 to 27 s for 2,000)
 * and it recurses as deep as the longest chain (1,600 functions pass, 1,900 overflow the
 * stack). Up to it, dagre draws edge labels in their own space in a few hundred milliseconds,
 * and no chain is long enough to come near the stack's limit.
 */
export const DAGRE_MAX_NODES = 300;

/** Spacing of both layouts, in pixels. */
const SPACING = { nodeGap: 24, edgeGap: 8, layerGap: 48, margin: 16 } as const;

function place(
  nodes: readonly HtmlNode[],
  edges: readonly HtmlEdge[],
  toggled: ReadonlySet<string>,
  reserve?: GraphPageOptions["reserve"],
): Placed {
  const sizes = nodes.map((n) => {
    // The title is centred, so the toggle in its corner takes room on both sides of it.
    const extra = toggled.has(n.id) ? 2 * (TOGGLE + 6) : 0;
    const width = Math.max(
      ...n.lines.map((l, j) => Math.min(l.length, MAX_CHARS) * CHAR_WIDTH + (j === 0 ? extra : 0)),
    );
    const size = { width: width + 2 * PAD_X, height: n.lines.length * LINE_HEIGHT + 2 * PAD_Y };
    if (!reserve || n.kind !== "function") return size;
    return { width: Math.max(size.width, reserve.width), height: size.height + reserve.height };
  });
  return nodes.length > DAGRE_MAX_NODES
    ? placeLayered(nodes, edges, sizes)
    : placeWithDagre(nodes, edges, sizes);
}

/** A big graph: pipeweave's own layered layout, its edges drawn without labels. */
function placeLayered(
  nodes: readonly HtmlNode[],
  edges: readonly HtmlEdge[],
  sizes: readonly { width: number; height: number }[],
): Placed {
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const laid = layeredLayout(
    sizes,
    edges.map((e) => ({ from: index.get(e.from)!, to: index.get(e.to)! })),
    SPACING,
  );
  const placedNodes = new Map<string, Box>();
  nodes.forEach((n, i) => {
    placedNodes.set(n.id, { ...laid.nodes[i]!, ...sizes[i]! });
  });
  return {
    width: laid.width,
    height: laid.height,
    nodes: placedNodes,
    edges: laid.edges.map((points) => ({ points })),
  };
}

/** The top and bottom of one rank's row: its nodes and edge labels, as tall as the tallest. */
interface Row {
  top: number;
  bottom: number;
}

function placeWithDagre(
  nodes: readonly HtmlNode[],
  edges: readonly HtmlEdge[],
  sizes: readonly { width: number; height: number }[],
): Placed {
  dagre ??= createRequire(import.meta.url)("@dagrejs/dagre") as Dagre;
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({
    rankdir: "TB",
    nodesep: SPACING.nodeGap,
    ranksep: SPACING.layerGap,
    edgesep: SPACING.edgeGap,
    ranker: "tight-tree",
    marginx: SPACING.margin,
    marginy: SPACING.margin,
  });
  graph.setDefaultEdgeLabel(() => ({}));
  nodes.forEach((n, i) => {
    graph.setNode(n.id, { ...sizes[i]! });
  });
  edges.forEach((e, i) => {
    const label = clip(e.label);
    // dagre gives a label a box of its own on the edge's rank between its ends, and runs the
    // edge through the box's middle: twice the text's width leaves the right half to the text.
    const width = 2 * (label.length * LABEL.char + LABEL.gap);
    graph.setEdge(
      e.from,
      e.to,
      label ? { width, height: LABEL.height, labelpos: "c" } : {},
      String(i),
    );
  });
  dagre.layout(graph);
  const box = graph.graph();
  const placedNodes = new Map<string, Box>();
  // dagre puts every box of a rank (nodes and edge labels) on one line: its middle is the key.
  const rows = new Map<number, Row>();
  const addRow = (y: number, height: number) => {
    const row = rows.get(y);
    if (row === undefined) rows.set(y, { top: y - height / 2, bottom: y + height / 2 });
    else {
      row.top = Math.min(row.top, y - height / 2);
      row.bottom = Math.max(row.bottom, y + height / 2);
    }
  };
  for (const n of nodes) {
    const p = graph.node(n.id);
    placedNodes.set(n.id, { x: p.x, y: p.y, width: p.width, height: p.height });
    addRow(p.y, p.height);
  }
  const laid = edges.map((e, i) => graph.edge({ v: e.from, w: e.to, name: String(i) }));
  laid.forEach((p, i) => {
    if (edges[i]!.label && p.y !== undefined) addRow(p.y, LABEL.height);
  });
  const kinds = new Map(nodes.map((n) => [n.id, n.kind]));
  const placedEdges = edges.map((e, i) => {
    const p = laid[i]!;
    const via = (p.points ?? []).slice(1, -1);
    const ends = [e.from, e.to].map((id) => ({
      ...placedNodes.get(id)!,
      round: kinds.get(id) !== "function",
    }));
    const points = route(via, ends[0]!, ends[1]!, rows);
    return e.label && p.x !== undefined && p.y !== undefined
      ? { points, label: { x: p.x + LABEL.gap, y: p.y } }
      : { points };
  });
  return {
    width: box.width ?? 0,
    height: box.height ?? 0,
    nodes: placedNodes,
    edges: placedEdges,
  };
}

/**
 * An edge's polyline through dagre's points `via` (one per rank it passes), drawn so that it
 * crosses no box but its own ends' (the page's tests check it): straight down through each row,
 * where dagre kept its point clear of the row's nodes and labels, and slanted only between
 * rows, where there are none. It leaves its source's bottom side and reaches its target's top
 * side as near to the next point's line as the box's straight side allows.
 */
function route(via: readonly Point[], from: End, to: End, rows: ReadonlyMap<number, Row>): Point[] {
  const out: Point[] = [];
  const add = (x: number, y: number) => {
    const last = out[out.length - 1];
    if (last === undefined || last.x !== x || last.y !== y) out.push({ x, y });
  };
  const start = side(from, via[0] ?? to);
  const below = rows.get(from.y)!.bottom;
  add(start, from.y + from.height / 2);
  add(start, below);
  // A short way straight down, and straight in at the other end: arrows never lie flat.
  add(start, below + STUB);
  for (const p of via) {
    const row = rows.get(p.y);
    if (row === undefined) add(p.x, p.y);
    else {
      add(p.x, row.top);
      add(p.x, row.bottom);
    }
  }
  const end = side(to, via[via.length - 1] ?? from);
  const above = rows.get(to.y)!.top;
  add(end, above - STUB);
  add(end, above);
  add(end, to.y - to.height / 2);
  return out;
}

/** An edge's source or target: its box, and whether its ends are round (inputs and results). */
interface End extends Box {
  readonly round: boolean;
}

/**
 * How far an edge runs straight out of its source's row and into its target's: less than the
 * space dagre leaves between rows (half `SPACING.layerGap`).
 */
const STUB = 8;

/** The x on `box`'s top or bottom side nearest `toward`, off its rounded corners. */
function side(box: End, toward: Point): number {
  const inset = Math.min(box.round ? box.height / 2 : 8, box.width / 2);
  return Math.min(Math.max(toward.x, box.x - box.width / 2 + inset), box.x + box.width / 2 - inset);
}

/** An inner graph, laid out on its own; the page places its panel when it opens. */
interface PlacedPanel {
  readonly nested: HtmlNested;
  readonly placed: Placed;
}

/** The title bar of a nested function's panel. */
function panelTitle(n: HtmlNested): string {
  const count = n.nodes.filter((m) => m.kind === "function").length;
  return clip(`${n.name} · ${count} inner function${count === 1 ? "" : "s"}`);
}

function page(
  options: GraphPageOptions,
  nodes: readonly HtmlNode[],
  edges: readonly HtmlEdge[],
  placed: Placed,
  toggled: ReadonlySet<string>,
  panels: readonly PlacedPanel[],
): string {
  const parts = drawGraph(nodes, edges, placed, toggled, "node", "edge");
  // Where each nested node is, to draw its panel's connector from the node's right side.
  const boxes = new Map(placed.nodes);
  for (const p of panels) for (const [id, b] of p.placed.nodes) boxes.set(id, b);
  const overlays = panels.map((p) => {
    const title = panelTitle(p.nested);
    const width = Math.max(p.placed.width, title.length * CHAR_WIDTH + TOGGLE + 28);
    const height = p.placed.height + PANEL_HEADER;
    const at = boxes.get(p.nested.parent)?.height ?? 0;
    return (
      // The page's script places the panel beside its node, and the graph around it, as it opens.
      `<g class="nested-panel" id="nested-${p.nested.parent}" data-for="${p.nested.parent}" ` +
      `data-min-width="${num(width)}">` +
      `<path class="connector" d="M${-PANEL_GAP},${num(at / 2)} L0,${num(at / 2)}"/>` +
      `<rect class="frame" x="0" y="0" width="${num(width)}" height="${num(height)}" rx="6"/>` +
      `<text class="panel-title" x="10" y="16">${escapeHtml(title)}</text>` +
      `<g class="close" role="button" tabindex="0" aria-label="${escapeHtml(`hide the functions inside ${p.nested.name}`)}">` +
      `<rect x="${num(width - TOGGLE - 4)}" y="4" width="${TOGGLE}" height="${TOGGLE}" rx="3"/>` +
      `<text x="${num(width - TOGGLE / 2 - 4)}" y="${4 + TOGGLE / 2 + 4}">×</text></g>` +
      `<g class="inner-graph" transform="translate(0,${PANEL_HEADER})" ` +
      `data-width="${num(p.placed.width)}" data-height="${num(p.placed.height)}">` +
      drawGraph(p.nested.nodes, p.nested.edges, p.placed, toggled, "inner-node", "inner-edge").join(
        "",
      ) +
      "</g></g>"
    );
  });
  const name = options.model.name;
  const data = {
    name,
    nodes: nodes.map(({ id, kind, name, details }) => ({ id, kind, name, details })),
    // Kept apart from `nodes`, which a page built on this one reads as the drawn graph.
    inner: panels.flatMap((p) =>
      p.nested.nodes.map(({ id, kind, name, details }) => ({ id, kind, name, details })),
    ),
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
<g id="viewport">${parts.join("\n")}
<g id="overlays">${overlays.join("\n")}</g></g>
</svg>
<aside id="details" hidden></aside>
</main>${options.footer ?? ""}
<script type="application/json" id="pipeweave-data">${jsonForScript(data)}</script>
<script>${PAGE_SCRIPT}</script>${options.script === undefined ? "" : `\n<script>${options.script}</script>`}
</body>
</html>
`;
}

/**
 * The markup of one laid out graph: edges first, so nodes are drawn over them. Each node group
 * has its `<rect>` as first child (a page built on this one draws relative to it) and its class
 * is exactly `node <kind>` or `inner-node <kind>`; a nested function's node is marked
 * `data-nested` and gets a focusable toggle after its text. When a panel opens, the page moves
 * nodes by a `transform` on their group, and what a page drew inside the group moves with them.
 */
function drawGraph(
  nodes: readonly HtmlNode[],
  edges: readonly HtmlEdge[],
  placed: Placed,
  toggled: ReadonlySet<string>,
  nodeClass: string,
  edgeClass: string,
): string[] {
  const parts: string[] = [];
  placed.edges.forEach((e, i) => {
    const edge = edges[i];
    if (!edge || e.points.length === 0) return;
    const d = e.points.map((p, j) => `${j === 0 ? "M" : "L"}${num(p.x)},${num(p.y)}`).join(" ");
    parts.push(
      `<path class="${edgeClass}" data-from="${edge.from}" data-to="${edge.to}" d="${d}" marker-end="url(#arrow)"/>`,
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
    const hasToggle = toggled.has(n.id);
    const toggle = hasToggle
      ? `<g class="toggle" role="button" tabindex="0" aria-expanded="false" aria-controls="nested-${n.id}" ` +
        `aria-label="${escapeHtml(`show the functions inside ${n.name}`)}">` +
        `<rect x="${num(x + p.width - TOGGLE - 4)}" y="${num(y + 4)}" width="${TOGGLE}" height="${TOGGLE}" rx="3"/>` +
        `<text x="${num(x + p.width - TOGGLE / 2 - 4)}" y="${num(y + 4 + TOGGLE / 2 + 4)}">+</text></g>`
      : "";
    parts.push(
      `<g class="${nodeClass} ${n.kind}" data-id="${n.id}" tabindex="0"${hasToggle ? ' data-nested=""' : ""}>` +
        `<rect x="${num(x)}" y="${num(y)}" width="${num(p.width)}" height="${num(p.height)}" rx="${num(rx)}"/>` +
        `<title>${escapeHtml(n.name)}</title>${texts}${toggle}</g>`,
    );
  }
  return parts;
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
