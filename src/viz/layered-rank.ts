/**
 * The first step of the layered layout: each node's layer, and each edge split into segments
 * one layer long through "dummy" nodes in the layers it crosses, so that the later steps (order
 * within layers, coordinates) see only edges between neighbouring layers. Every loop here is
 * iterative: a chain of any length costs no stack.
 */

/** An edge of the graph to lay out, between node indices. */
export interface LayoutEdge {
  readonly from: number;
  readonly to: number;
}

/** A graph whose edges all join neighbouring layers. */
export interface LayeredGraph {
  /** Nodes in all: the real ones (`0 … real - 1`) first, then the dummies. */
  readonly size: number;
  readonly real: number;
  readonly layerCount: number;
  /** Each node's layer, 0 at the top. */
  readonly layer: Int32Array;
  /**
   * The dummies each edge passes, between its source and its target: `viaStart[e]` up to and
   * excluding `viaEnd[e]`, top to bottom. None for an edge that does not go down (a self-loop,
   * or an edge closing a cycle), which is drawn straight.
   */
  readonly viaStart: Int32Array;
  readonly viaEnd: Int32Array;
  /** Each node's neighbours one layer up: `up[upStart[v] … upStart[v + 1] - 1]`. */
  readonly upStart: Int32Array;
  readonly up: Int32Array;
  /** Each node's neighbours one layer down, likewise. */
  readonly downStart: Int32Array;
  readonly down: Int32Array;
}

/**
 * Layers by longest path from the sources, then each source moved down to just above its
 * highest successor (a root input read only at the bottom is drawn there, not at the top with
 * a long edge). A graph with a cycle (it can only come from a tampered run.json) is laid out in
 * the order Kahn's algorithm reaches its nodes, then node order; its closing edges go up.
 */
export function rankGraph(count: number, edges: readonly LayoutEdge[]): LayeredGraph {
  const outStart = new Int32Array(count + 1);
  for (const e of edges) outStart[e.from + 1]!++;
  for (let v = 0; v < count; v++) outStart[v + 1]! += outStart[v]!;
  const outEdge = new Int32Array(edges.length);
  const fill = outStart.slice(0, count);
  const indegree = new Int32Array(count);
  edges.forEach((e, i) => {
    outEdge[fill[e.from]!++] = i;
    if (e.from !== e.to) indegree[e.to]!++;
  });

  // Kahn's order; the nodes of a cycle, never reached, follow in node order.
  const order = new Int32Array(count);
  let head = 0;
  let tail = 0;
  for (let v = 0; v < count; v++) if (indegree[v] === 0) order[tail++] = v;
  for (let next = 0; tail < count; ) {
    if (head === tail) {
      // Every node reached so far has no edge left in: the first one with one is on a cycle.
      while (indegree[next] === 0) next++;
      indegree[next] = 0;
      order[tail++] = next;
    }
    const v = order[head++]!;
    for (let k = outStart[v]!; k < outStart[v + 1]!; k++) {
      const w = edges[outEdge[k]!]!.to;
      if (w !== v && indegree[w]! > 0 && --indegree[w]! === 0) order[tail++] = w;
    }
  }
  const rank = new Int32Array(count);
  order.forEach((v, i) => {
    rank[v] = i;
  });
  const isDown = (e: LayoutEdge) => rank[e.from]! < rank[e.to]!;

  const layer = new Int32Array(count);
  const hasParent = new Uint8Array(count);
  for (const v of order) {
    for (let k = outStart[v]!; k < outStart[v + 1]!; k++) {
      const e = edges[outEdge[k]!]!;
      if (!isDown(e)) continue;
      hasParent[e.to] = 1;
      if (layer[e.to]! <= layer[v]!) layer[e.to] = layer[v]! + 1;
    }
  }
  for (let v = 0; v < count; v++) {
    if (hasParent[v]) continue;
    let highest = Number.POSITIVE_INFINITY;
    for (let k = outStart[v]!; k < outStart[v + 1]!; k++) {
      const e = edges[outEdge[k]!]!;
      if (isDown(e)) highest = Math.min(highest, layer[e.to]!);
    }
    if (highest !== Number.POSITIVE_INFINITY) layer[v] = highest - 1;
  }
  return splitLongEdges(count, edges, layer, isDown);
}

/**
 * Each source's downward edges share one chain of dummies, its trunk, down to the layer above
 * its deepest target, and each edge leaves the trunk just above its own target: the edges of an
 * output read in many places are drawn as one line with branches, and the dummies number the
 * sum of each source's longest edge, not of all edges (a chain whose first output every step
 * reads has 2,000 dummies, not 2 million).
 */
function splitLongEdges(
  real: number,
  edges: readonly LayoutEdge[],
  realLayer: Int32Array,
  isDown: (e: LayoutEdge) => boolean,
): LayeredGraph {
  const deepest = realLayer.slice();
  for (const e of edges)
    if (isDown(e)) deepest[e.from] = Math.max(deepest[e.from]!, realLayer[e.to]!);
  const trunk = new Int32Array(real);
  let size = real;
  for (let v = 0; v < real; v++) {
    trunk[v] = size;
    size += Math.max(deepest[v]! - realLayer[v]! - 1, 0);
  }
  const layer = new Int32Array(size);
  layer.set(realLayer);
  const segments: number[] = [];
  for (let v = 0; v < real; v++) {
    const length = Math.max(deepest[v]! - realLayer[v]! - 1, 0);
    for (let i = 0; i < length; i++) {
      layer[trunk[v]! + i] = realLayer[v]! + 1 + i;
      segments.push(i === 0 ? v : trunk[v]! + i - 1, trunk[v]! + i);
    }
  }
  const branches = new Set<number>();
  const viaStart = new Int32Array(edges.length);
  const viaEnd = new Int32Array(edges.length);
  edges.forEach((e, i) => {
    if (!isDown(e)) return;
    const span = realLayer[e.to]! - realLayer[e.from]!;
    viaStart[i] = trunk[e.from]!;
    viaEnd[i] = trunk[e.from]! + span - 1;
    const from = span === 1 ? e.from : viaEnd[i]! - 1;
    // Edges between the same two nodes are drawn on one line: one segment for them all.
    const key = from * size + e.to;
    if (branches.has(key)) return;
    branches.add(key);
    segments.push(from, e.to);
  });
  const [upStart, up] = adjacency(size, segments, 1, 0);
  const [downStart, down] = adjacency(size, segments, 0, 1);
  let layerCount = 0;
  for (const l of layer) if (l >= layerCount) layerCount = l + 1;
  return { size, real, layerCount, layer, viaStart, viaEnd, upStart, up, downStart, down };
}

/**
 * For each node, the nodes one segment away from it, as offsets and a flat list: `at` and `to`
 * are 1 and 0 for the neighbours above, 0 and 1 for those below. `segments` holds pairs, the
 * upper node first.
 */
function adjacency(
  size: number,
  segments: readonly number[],
  at: 0 | 1,
  to: 0 | 1,
): [Int32Array, Int32Array] {
  const start = new Int32Array(size + 1);
  for (let i = 0; i < segments.length; i += 2) start[segments[i + at]! + 1]!++;
  for (let v = 0; v < size; v++) start[v + 1]! += start[v]!;
  const list = new Int32Array(start[size]!);
  const fill = start.slice(0, size);
  for (let i = 0; i < segments.length; i += 2) list[fill[segments[i + at]!]!++] = segments[i + to]!;
  return [start, list];
}
