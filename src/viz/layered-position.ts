/**
 * The last step of the layered layout: coordinates. Layers are stacked top to bottom; within a
 * layer, each node is pulled toward the mean x of its neighbours in the layer above (sweeping
 * down) or below (sweeping up), and the layer is then fitted to those wishes exactly, in least
 * squares, keeping its order and every gap (an isotonic regression, linear in the layer's
 * size). Dummies weigh more than real nodes, so a long edge runs straight and the boxes move.
 */
import type { LayeredGraph } from "./layered-rank.ts";

/** Spacing of a layered drawing, in pixels. */
export interface LayeredSpacing {
  /** Between two boxes of one layer. */
  readonly nodeGap: number;
  /** Between two edges passing one layer (half of it, plus half of `nodeGap`, beside a box). */
  readonly edgeGap: number;
  /** Between two layers. */
  readonly layerGap: number;
  /** Around the whole drawing. */
  readonly margin: number;
}

/** Rounds of a down sweep and an up sweep: straight chains and centred fans settle in a few. */
const ROUNDS = 6;
/** How much more a dummy's wish counts than a box's. */
const DUMMY_WEIGHT = 4;

/** The centre of every node, real and dummy, and the drawing's size. */
export interface LayeredCoordinates {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly width: number;
  readonly height: number;
}

/** Coordinates for `layers` (each ordered left to right); real nodes have `width` and `height`. */
export function positionLayers(
  g: LayeredGraph,
  layers: readonly Int32Array[],
  width: readonly number[],
  height: readonly number[],
  spacing: LayeredSpacing,
): LayeredCoordinates {
  const w = (v: number) => (v < g.real ? width[v]! : 0);
  const gap = (v: number) => (v < g.real ? spacing.nodeGap : spacing.edgeGap);
  // offset[v]: the least distance from the layer's first node to v's centre.
  const offset = new Float64Array(g.size);
  let widest = 0;
  for (const layer of layers) {
    let at = 0;
    layer.forEach((v, i) => {
      if (i > 0) {
        const u = layer[i - 1]!;
        at += (w(u) + w(v)) / 2 + (gap(u) + gap(v)) / 2;
      }
      offset[v] = at;
    });
    widest = Math.max(widest, layer.length);
  }
  const x = new Float64Array(g.size);
  // Each layer starts packed and centred on 0.
  for (const layer of layers) {
    const half = layer.length > 0 ? offset[layer[layer.length - 1]!]! / 2 : 0;
    for (const v of layer) x[v] = offset[v]! - half;
  }
  const wish = new Float64Array(g.size);
  const fitLayer = isotonicFit(widest);
  const pull = (layer: Int32Array, start: Int32Array, next: Int32Array) => {
    for (const v of layer) {
      const from = start[v]!;
      const to = start[v + 1]!;
      let sum = 0;
      for (let k = from; k < to; k++) sum += x[next[k]!]!;
      wish[v] = to > from ? sum / (to - from) : x[v]!;
    }
    fitLayer(layer, wish, offset, g.real, x);
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (let l = 1; l < layers.length; l++) pull(layers[l]!, g.upStart, g.up);
    for (let l = layers.length - 2; l >= 0; l--) pull(layers[l]!, g.downStart, g.down);
  }

  let left = Number.POSITIVE_INFINITY;
  let right = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < g.size; v++) {
    left = Math.min(left, x[v]! - w(v) / 2);
    right = Math.max(right, x[v]! + w(v) / 2);
  }
  const shift = spacing.margin - (g.size > 0 ? left : 0);
  for (let v = 0; v < g.size; v++) x[v]! += shift;

  const y = new Float64Array(g.size);
  let top = spacing.margin;
  for (const layer of layers) {
    let tallest = 0;
    for (const v of layer) if (v < g.real) tallest = Math.max(tallest, height[v]!);
    for (const v of layer) y[v] = top + tallest / 2;
    top += tallest + spacing.layerGap;
  }
  return {
    x,
    y,
    width: g.size > 0 ? right - left + 2 * spacing.margin : 2 * spacing.margin,
    height: layers.length > 0 ? top - spacing.layerGap + spacing.margin : 2 * spacing.margin,
  };
}

/**
 * Places one layer as close as it can to `wish` (least squares, dummies, numbered from `real`
 * up, weighing more) keeping each node at
 * least `offset[v] - offset[u]` right of the node `u` before it: with `y = x - offset` the gaps
 * become "y never decreases", which pool-adjacent-violators solves in one pass.
 */
function isotonicFit(capacity: number) {
  const mean = new Float64Array(capacity);
  const weight = new Float64Array(capacity);
  const size = new Int32Array(capacity);
  return (
    layer: Int32Array,
    wish: Float64Array,
    offset: Float64Array,
    real: number,
    x: Float64Array,
  ): void => {
    let blocks = 0;
    for (const v of layer) {
      let m = wish[v]! - offset[v]!;
      let wt = v < real ? 1 : DUMMY_WEIGHT;
      let n = 1;
      while (blocks > 0 && mean[blocks - 1]! >= m) {
        blocks--;
        const total = wt + weight[blocks]!;
        m = (m * wt + mean[blocks]! * weight[blocks]!) / total;
        wt = total;
        n += size[blocks]!;
      }
      mean[blocks] = m;
      weight[blocks] = wt;
      size[blocks] = n;
      blocks++;
    }
    let i = 0;
    for (let b = 0; b < blocks; b++) {
      for (let k = 0; k < size[b]!; k++, i++) {
        const v = layer[i]!;
        x[v] = mean[b]! + offset[v]!;
      }
    }
  };
}
