/**
 * A layered (Sugiyama-style) layout of a directed graph, top to bottom, for graphs too big for
 * dagre: layers by longest path, long edges split through dummy nodes, a few barycenter sweeps
 * to order each layer, and a least-squares placement of each layer. Its cost grows with the
 * nodes and the layers the edges cross (about n log n per sweep), and no step recurses.
 */
import { orderLayers } from "./layered-order.ts";
import { type LayeredSpacing, positionLayers } from "./layered-position.ts";
import { type LayoutEdge, rankGraph } from "./layered-rank.ts";

export type { LayeredSpacing } from "./layered-position.ts";
export type { LayoutEdge } from "./layered-rank.ts";

/** A point of the drawing, in pixels from its top left corner. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Where {@link layeredLayout} put everything. */
export interface LayeredLayout {
  readonly width: number;
  readonly height: number;
  /** The centre of each node, in the order given. */
  readonly nodes: readonly Point[];
  /**
   * Each edge's polyline, in the order given, from the border of its source's box to the border
   * of its target's; empty for a self-loop.
   */
  readonly edges: readonly (readonly Point[])[];
}

/** Lays out nodes of the given sizes and the edges between them (by node index). */
export function layeredLayout(
  sizes: readonly { readonly width: number; readonly height: number }[],
  edges: readonly LayoutEdge[],
  spacing: LayeredSpacing,
): LayeredLayout {
  const g = rankGraph(sizes.length, edges);
  const width = sizes.map((s) => s.width);
  const height = sizes.map((s) => s.height);
  const { x, y, ...size } = positionLayers(g, orderLayers(g), width, height, spacing);
  const box = (v: number) => ({ x: x[v]!, y: y[v]!, width: width[v]!, height: height[v]! });
  const polylines = edges.map(({ from, to }, e) => {
    if (from === to) return [];
    const points: Point[] = [];
    const end = g.viaEnd[e]!;
    // The last point kept (the source's centre at first), as the edge may pass thousands of
    // dummies of a shared trunk: only the points kept are allocated.
    let ax = x[from]!;
    let ay = y[from]!;
    for (let v = g.viaStart[e]!; v < end; v++) {
      const next = v + 1 < end ? v + 1 : to;
      // A dummy in line with the points around it adds nothing to the drawing but bytes.
      if (isBetween(ax, ay, x[v]!, y[v]!, x[next]!, y[next]!)) continue;
      ax = x[v]!;
      ay = y[v]!;
      points.push({ x: ax, y: ay });
    }
    const first = points[0] ?? box(to);
    const last = points[points.length - 1] ?? box(from);
    return [port(box(from), first), ...points, port(box(to), last)];
  });
  return {
    ...size,
    nodes: Array.from({ length: sizes.length }, (_, v) => ({ x: x[v]!, y: y[v]! })),
    edges: polylines,
  };
}

/** Whether point p lies on the segment from a to b, to half a pixel. */
function isBetween(ax: number, ay: number, px: number, py: number, bx: number, by: number) {
  const cross = (px - ax) * (by - ay) - (py - ay) * (bx - ax);
  return Math.abs(cross) <= 0.5 * Math.hypot(bx - ax, by - ay);
}

/**
 * Where an edge meets `box` on its way to or from `toward`: on the bottom side going down, the
 * top side coming down into it (an arrow never reaches a box through its side, however shallow
 * the edge), a side when both are on one level (only an edge closing a cycle can be).
 */
function port(box: Point & { readonly width: number; readonly height: number }, toward: Point) {
  const dx = toward.x - box.x;
  const dy = toward.y - box.y;
  const w = box.width / 2;
  const h = box.height / 2;
  if (dy === 0) return { x: box.x + (dx < 0 ? -w : w), y: box.y };
  const x = box.x + (dx * h) / Math.abs(dy);
  return { x: Math.min(Math.max(x, box.x - w), box.x + w), y: box.y + (dy < 0 ? -h : h) };
}
