/**
 * The second step of the layered layout: the order of the nodes within each layer, by the
 * barycenter heuristic (each node goes to the mean position of its neighbours in the layer
 * just ordered), sweeping down and up a few times. Crossings drop fast in the first sweeps and
 * little after; each sweep costs a sort of every layer.
 */
import type { LayeredGraph } from "./layered-rank.ts";

/** Down-and-up sweeps: enough to settle the graphs drawn here, each O(n log n). */
const SWEEPS = 4;

/** The nodes of each layer, left to right. */
export function orderLayers(g: LayeredGraph): Int32Array[] {
  const counts = new Int32Array(g.layerCount);
  for (const l of g.layer) counts[l]!++;
  const layers = Array.from(counts, (c) => new Int32Array(c));
  const slot = new Int32Array(g.layerCount);
  // A node's place in its layer; real nodes start in the order given, dummies in edge order.
  const position = new Float64Array(g.size);
  for (let v = 0; v < g.size; v++) {
    const l = g.layer[v]!;
    position[v] = slot[l]!;
    layers[l]![slot[l]!++] = v;
  }
  let longest = 0;
  for (const layer of layers) longest = Math.max(longest, layer.length);
  const scratch = { packed: new Float64Array(longest), nodes: new Int32Array(longest) };
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    for (let l = 1; l < layers.length; l++) {
      reorder(layers[l]!, layers[l - 1]!.length, g.upStart, g.up, position, scratch);
    }
    for (let l = layers.length - 2; l >= 0; l--) {
      reorder(layers[l]!, layers[l + 1]!.length, g.downStart, g.down, position, scratch);
    }
  }
  return layers;
}

/**
 * Sorts `layer` by the mean position of each node's neighbours in the layer next to it (of
 * `fixed` nodes), both scaled to 0…1; a node with no neighbour there keeps its own place.
 */
function reorder(
  layer: Int32Array,
  fixed: number,
  start: Int32Array,
  next: Int32Array,
  position: Float64Array,
  scratch: Scratch,
): void {
  const n = layer.length;
  // Each key and the node's current place packed in one float, so a plain numeric sort (far
  // faster than one with a comparator) orders by key, ties by current place: the key takes
  // the high bits, quantized finer than any two distinct barycenters of these graphs differ.
  const places = 2 ** Math.ceil(Math.log2(n + 1));
  const steps = Math.floor(2 ** 52 / places) - 1;
  const packed = scratch.packed.subarray(0, n);
  const nodes = scratch.nodes;
  for (let i = 0; i < n; i++) {
    const v = layer[i]!;
    nodes[i] = v;
    const from = start[v]!;
    const to = start[v + 1]!;
    let key: number;
    if (from === to) key = (i + 0.5) / n;
    else {
      let sum = 0;
      for (let k = from; k < to; k++) sum += position[next[k]!]!;
      key = (sum / (to - from) + 0.5) / fixed;
    }
    packed[i] = Math.floor(key * steps) * places + i;
  }
  packed.sort();
  for (let i = 0; i < n; i++) {
    const v = nodes[packed[i]! % places]!;
    layer[i] = v;
    position[v] = i;
  }
}

/** Buffers for {@link reorder}, as long as the longest layer. */
interface Scratch {
  readonly packed: Float64Array;
  readonly nodes: Int32Array;
}
