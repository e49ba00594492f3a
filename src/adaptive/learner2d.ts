import Delaunator from "delaunator";
import { InvalidArgumentError, InvalidOptionError } from "../errors.ts";
import { defaultLoss2D, type Loss2D, type Triangle2D } from "./loss2d.ts";
import { ValueRange } from "./scale.ts";
import type { AdaptivePoint, AdaptiveValue, Learner } from "./types.ts";

/** Options of a {@link Learner2D}. */
export interface Learner2DOptions {
  /**
   * How badly a triangle is resolved: `"default"` (deviation from linear interpolation times
   * area, scaled, as python-adaptive's Learner2D) or a function of the triangle.
   * @defaultValue "default"
   */
  readonly loss?: "default" | Loss2D;
}

/** A point chosen in a triangle, waiting to be asked. */
interface Candidate {
  readonly x: number;
  readonly y: number;
  /** The linear interpolation there, standing in for the value while it is in flight. */
  readonly estimate: number;
  readonly loss: number;
}

/** A triangulation with its per-triangle losses, in the scaled space. */
interface Mesh {
  readonly sx: Float64Array;
  readonly sy: Float64Array;
  readonly values: Float64Array;
  readonly triangles: Uint32Array;
  readonly losses: Float64Array;
  /** The point index of each mesh vertex. */
  readonly ids: readonly number[];
}

const STATE_REAL = 0;
const STATE_PENDING = 1;
const STATE_FAILED = 2;

/** Beyond this ratio of its longest edge squared to its area, a triangle is split on that edge. */
const MAX_BADNESS = 5;

/**
 * Learns a function of two variables on a rectangle, placing each point in the triangle of a
 * Delaunay triangulation (`delaunator`) with the largest loss (python-adaptive's `Learner2D`).
 * Points in flight take the linear interpolation as their value until told, so their triangles
 * are not chosen again. The triangulation is rebuilt when the queue of chosen points runs out,
 * and each rebuild queues the worst 2% of triangles, which keeps ask + tell cheap at 10,000
 * points while every choice still follows the current losses.
 *
 * @example
 * ```ts
 * const learner = new Learner2D([[-1, 1], [-1, 1]]);
 * for (let i = 0; i < 500; i++) {
 *   const [x, y] = learner.ask();
 *   learner.tell([x!, y!], Math.exp(-(x! * x! + y! * y!) * 10));
 * }
 * ```
 */
export class Learner2D implements Learner {
  readonly dimensions = 2;
  readonly #lo: readonly [number, number];
  readonly #width: readonly [number, number];
  readonly #loss: Loss2D;
  readonly #xs: number[] = [];
  readonly #ys: number[] = [];
  /** Told values, or the interpolated stand-in of points in flight and failed. */
  readonly #values: number[] = [];
  readonly #states: number[] = [];
  readonly #index = new Map<string, number>();
  readonly #range = new ValueRange();
  #real = 0;
  #stack: Candidate[] = [];
  /** Initial points not yet asked: the corners, then the centre. */
  readonly #initial: [number, number][];
  /** The triangulation of the told points, for loss() and interpolate(), while current. */
  #realMesh: Mesh | undefined;
  #halton = 0;

  /**
   * @param bounds - `[[xlo, xhi], [ylo, yhi]]`, each with lo < hi.
   * @param options - The loss.
   * @throws {@link InvalidOptionError} for bad bounds or a loss that is neither "default" nor
   *   a function.
   */
  constructor(
    bounds: readonly [readonly [number, number], readonly [number, number]],
    options: Learner2DOptions = {},
  ) {
    const ok = (b: unknown): b is readonly [number, number] =>
      Array.isArray(b) &&
      b.length === 2 &&
      Number.isFinite(b[0]) &&
      Number.isFinite(b[1]) &&
      b[0] < b[1];
    if (!Array.isArray(bounds) || bounds.length !== 2 || !ok(bounds[0]) || !ok(bounds[1])) {
      throw new InvalidOptionError(
        "dimensions",
        "Expected the bounds of two dimensions, [lo, hi] each with finite lo < hi, got " +
          `${JSON.stringify(bounds)}. Pass them as dimensions: { x: [-1, 1], y: [0, 2] }.`,
      );
    }
    const loss = options.loss;
    if (loss !== undefined && loss !== "default" && typeof loss !== "function") {
      throw new InvalidOptionError(
        "loss",
        `Expected \`loss\` of a 2-D learner to be "default" or a function of the triangle, got ` +
          `${JSON.stringify(loss)}.`,
      );
    }
    this.#loss = typeof loss === "function" ? loss : defaultLoss2D;
    this.#lo = [bounds[0][0], bounds[1][0]];
    this.#width = [bounds[0][1] - bounds[0][0], bounds[1][1] - bounds[1][0]];
    const [[x0, x1], [y0, y1]] = bounds;
    this.#initial = [
      [x0, y0],
      [x1, y0],
      [x0, y1],
      [x1, y1],
      [(x0 + x1) / 2, (y0 + y1) / 2],
    ];
  }

  get size(): number {
    return this.#real;
  }

  /** Told points and their values, in the order told. */
  data(): { readonly x: number; readonly y: number; readonly value: number }[] {
    const out: { x: number; y: number; value: number }[] = [];
    for (let i = 0; i < this.#xs.length; i++) {
      if (this.#states[i] === STATE_REAL) {
        out.push({ x: this.#xs[i]!, y: this.#ys[i]!, value: this.#values[i]! });
      }
    }
    return out;
  }

  ask(): AdaptivePoint {
    while (this.#initial.length > 0) {
      const [x, y] = this.#initial.shift()!;
      if (this.#add(x, y, this.#meanValue(), STATE_PENDING)) return [x, y];
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.#stack.length === 0) this.#refill();
      while (this.#stack.length > 0) {
        const c = this.#stack.pop()!;
        if (this.#add(c.x, c.y, c.estimate, STATE_PENDING)) return [c.x, c.y];
      }
    }
    // Nothing to triangulate yet (every point so far in flight and collinear): spread out.
    for (;;) {
      const [u, v] = halton(++this.#halton);
      const x = this.#lo[0] + u * this.#width[0];
      const y = this.#lo[1] + v * this.#width[1];
      if (this.#add(x, y, this.#meanValue(), STATE_PENDING)) return [x, y];
    }
  }

  tell(point: AdaptivePoint, value: AdaptiveValue): void {
    const [x, y] = this.#check(point);
    if (typeof value !== "number") {
      throw new InvalidArgumentError(
        "value",
        `Expected the value at (${x}, ${y}) to be a number: the 2-D learner learns one number ` +
          `per point, got ${JSON.stringify(value)}. Make the output return a number.`,
      );
    }
    this.#range.add(value);
    const key = `${x},${y}`;
    const i = this.#index.get(key);
    if (i === undefined) this.#add(x, y, value, STATE_REAL);
    else {
      if (this.#states[i] !== STATE_REAL) this.#real++;
      this.#states[i] = STATE_REAL;
      this.#values[i] = value;
    }
    this.#realMesh = undefined;
  }

  tellFailed(point: AdaptivePoint): void {
    const [x, y] = this.#check(point);
    const i = this.#index.get(`${x},${y}`);
    if (i === undefined) this.#add(x, y, this.#meanValue(), STATE_FAILED);
    else if (this.#states[i] === STATE_PENDING) this.#states[i] = STATE_FAILED;
  }

  loss(): number {
    const mesh = this.#meshOfReal();
    if (!mesh || mesh.losses.length === 0) return Number.POSITIVE_INFINITY;
    let worst = 0;
    for (const l of mesh.losses) if (l > worst) worst = l;
    return worst;
  }

  priority(): number {
    if (this.#initial.length > 0) return Number.POSITIVE_INFINITY;
    if (this.#stack.length === 0) this.#refill();
    return this.#stack.at(-1)?.loss ?? Number.POSITIVE_INFINITY;
  }

  /**
   * The barycentric interpolation of the told values over the triangle holding `(x, y)`, or
   * undefined outside the told points' hull.
   */
  interpolate(x: number, y: number): number | undefined {
    const mesh = this.#meshOfReal();
    if (!mesh) return undefined;
    const px = (x - this.#lo[0]) / this.#width[0];
    const py = (y - this.#lo[1]) / this.#width[1];
    const { sx, sy, triangles } = mesh;
    const eps = 1e-12;
    for (let t = 0; t < triangles.length; t += 3) {
      const a = triangles[t]!;
      const b = triangles[t + 1]!;
      const c = triangles[t + 2]!;
      const det = (sy[b]! - sy[c]!) * (sx[a]! - sx[c]!) + (sx[c]! - sx[b]!) * (sy[a]! - sy[c]!);
      if (det === 0) continue;
      const l1 = ((sy[b]! - sy[c]!) * (px - sx[c]!) + (sx[c]! - sx[b]!) * (py - sy[c]!)) / det;
      const l2 = ((sy[c]! - sy[a]!) * (px - sx[c]!) + (sx[a]! - sx[c]!) * (py - sy[c]!)) / det;
      const l3 = 1 - l1 - l2;
      if (l1 < -eps || l2 < -eps || l3 < -eps) continue;
      const ids = mesh.ids;
      return (
        l1 * this.#values[ids[a]!]! + l2 * this.#values[ids[b]!]! + l3 * this.#values[ids[c]!]!
      );
    }
    return undefined;
  }

  /**
   * The triangles of the told points with their scaled values, for drawing:
   * `[x, y, value]` per vertex, three vertices per triangle.
   */
  triangles(): (readonly [number, number, number])[][] {
    const mesh = this.#meshOfReal();
    if (!mesh) return [];
    const out: (readonly [number, number, number])[][] = [];
    const vertex = (k: number) => {
      const i = mesh.ids[k]!;
      return [this.#xs[i]!, this.#ys[i]!, this.#values[i]!] as const;
    };
    for (let t = 0; t < mesh.triangles.length; t += 3) {
      out.push([
        vertex(mesh.triangles[t]!),
        vertex(mesh.triangles[t + 1]!),
        vertex(mesh.triangles[t + 2]!),
      ]);
    }
    return out;
  }

  #check(point: AdaptivePoint): [number, number] {
    const [x, y] = point;
    const inside = (v: unknown, k: number) =>
      typeof v === "number" && v >= this.#lo[k]! && v <= this.#lo[k]! + this.#width[k]!;
    if (point.length !== 2 || !inside(x, 0) || !inside(y, 1)) {
      throw new InvalidArgumentError(
        "point",
        `Expected a point [x, y] inside [${this.#lo[0]}, ${this.#lo[0] + this.#width[0]}] × ` +
          `[${this.#lo[1]}, ${this.#lo[1] + this.#width[1]}], got ${JSON.stringify(point)}. ` +
          "Tell the points ask() gave, or others inside the bounds.",
      );
    }
    return [x!, y!];
  }

  /** Adds a point not seen before; false when it is already known (asked, told or failed). */
  #add(x: number, y: number, value: number, state: number): boolean {
    const key = `${x},${y}`;
    if (this.#index.has(key)) return false;
    this.#index.set(key, this.#xs.length);
    this.#xs.push(x);
    this.#ys.push(y);
    this.#values.push(value);
    this.#states.push(state);
    if (state === STATE_REAL) this.#real++;
    return true;
  }

  #meanValue(): number {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < this.#values.length; i++) {
      if (this.#states[i] === STATE_REAL && Number.isFinite(this.#values[i]!)) {
        sum += this.#values[i]!;
        n++;
      }
    }
    return n === 0 ? 0 : sum / n;
  }

  #meshOfReal(): Mesh | undefined {
    if (this.#realMesh) return this.#realMesh;
    if (this.#real < 3) return undefined;
    this.#realMesh = this.#mesh((state) => state === STATE_REAL);
    return this.#realMesh;
  }

  /** Triangulates the points whose state passes, and computes every triangle's loss. */
  #mesh(include: (state: number) => boolean): Mesh {
    const ids: number[] = [];
    for (let i = 0; i < this.#xs.length; i++) if (include(this.#states[i]!)) ids.push(i);
    const n = ids.length;
    const coords = new Float64Array(2 * n);
    const sx = new Float64Array(n);
    const sy = new Float64Array(n);
    const values = new Float64Array(n);
    const scale = this.#range.scale || 1;
    const min = this.#range.min(0);
    for (let k = 0; k < n; k++) {
      const i = ids[k]!;
      sx[k] = (this.#xs[i]! - this.#lo[0]) / this.#width[0];
      sy[k] = (this.#ys[i]! - this.#lo[1]) / this.#width[1];
      coords[2 * k] = sx[k]!;
      coords[2 * k + 1] = sy[k]!;
      const v = this.#values[i]!;
      values[k] = Number.isFinite(v) ? (v - min) / scale : 0;
    }
    const triangles = new Delaunator(coords).triangles;
    const count = triangles.length / 3;
    // Each vertex's gradient: the area-weighted mean of its triangles' planes.
    const gx = new Float64Array(n);
    const gy = new Float64Array(n);
    const weight = new Float64Array(n);
    const areas = new Float64Array(count);
    const planes = new Float64Array(2 * count);
    for (let t = 0; t < count; t++) {
      const a = triangles[3 * t]!;
      const b = triangles[3 * t + 1]!;
      const c = triangles[3 * t + 2]!;
      const x1 = sx[b]! - sx[a]!;
      const y1 = sy[b]! - sy[a]!;
      const x2 = sx[c]! - sx[a]!;
      const y2 = sy[c]! - sy[a]!;
      const det = x1 * y2 - x2 * y1;
      const area = Math.abs(det) / 2;
      areas[t] = area;
      if (det === 0) continue;
      const f1 = values[b]! - values[a]!;
      const f2 = values[c]! - values[a]!;
      const px = (f1 * y2 - f2 * y1) / det;
      const py = (x1 * f2 - x2 * f1) / det;
      planes[2 * t] = px;
      planes[2 * t + 1] = py;
      for (const v of [a, b, c]) {
        gx[v] = gx[v]! + area * px;
        gy[v] = gy[v]! + area * py;
        weight[v] = weight[v]! + area;
      }
    }
    for (let k = 0; k < n; k++) {
      if (weight[k]! > 0) {
        gx[k] = gx[k]! / weight[k]!;
        gy[k] = gy[k]! / weight[k]!;
      }
    }
    const losses = new Float64Array(count);
    for (let t = 0; t < count; t++) {
      const v = [triangles[3 * t]!, triangles[3 * t + 1]!, triangles[3 * t + 2]!];
      const triangle: Triangle2D = {
        vertices: v.map((k) => [sx[k]!, sy[k]!] as const),
        values: v.map((k) => values[k]!),
        gradients: v.map((k) => [gx[k]!, gy[k]!] as const),
        area: areas[t]!,
      };
      const loss = this.#loss(triangle);
      losses[t] = loss >= 0 && loss < Number.POSITIVE_INFINITY ? loss : areas[t]!;
    }
    return { sx, sy, values, triangles, losses, ids };
  }

  /** Triangulates every known point and queues a point in each of the worst triangles. */
  #refill(): void {
    if (this.#xs.length < 3) return;
    const mesh = this.#mesh(() => true);
    const count = mesh.losses.length;
    if (count === 0) return;
    const take = Math.max(1, Math.floor(count * 0.02));
    const order = Array.from({ length: count }, (_, t) => t);
    order.sort((a, b) => mesh.losses[b]! - mesh.losses[a]!);
    const chosen: Candidate[] = [];
    for (let r = 0; r < take; r++) {
      const t = order[r]!;
      const c = this.#choose(mesh, t);
      if (c) chosen.push(c);
    }
    // Popped from the end: the worst last.
    chosen.reverse();
    this.#stack = chosen;
  }

  /** The point to sample in triangle `t`: its centre, or its longest edge's middle if thin. */
  #choose(mesh: Mesh, t: number): Candidate | undefined {
    const { sx, sy, triangles, ids } = mesh;
    const v = [triangles[3 * t]!, triangles[3 * t + 1]!, triangles[3 * t + 2]!];
    let longest = 0;
    let edge = 0;
    for (let e = 0; e < 3; e++) {
      const p = v[e]!;
      const q = v[(e + 1) % 3]!;
      const d = (sx[p]! - sx[q]!) ** 2 + (sy[p]! - sy[q]!) ** 2;
      if (d > longest) {
        longest = d;
        edge = e;
      }
    }
    const area =
      Math.abs(
        (sx[v[1]!]! - sx[v[0]!]!) * (sy[v[2]!]! - sy[v[0]!]!) -
          (sx[v[2]!]! - sx[v[0]!]!) * (sy[v[1]!]! - sy[v[0]!]!),
      ) / 2;
    // An equilateral triangle has longest² = 4·area/√3: badness 1.
    const badness = area > 0 ? (longest * Math.sqrt(3)) / (4 * area) : Number.POSITIVE_INFINITY;
    const raw = v.map((k) => ids[k]!);
    let x: number;
    let y: number;
    let estimate: number;
    if (badness > MAX_BADNESS) {
      const p = raw[edge]!;
      const q = raw[(edge + 1) % 3]!;
      x = (this.#xs[p]! + this.#xs[q]!) / 2;
      y = (this.#ys[p]! + this.#ys[q]!) / 2;
      estimate = (this.#values[p]! + this.#values[q]!) / 2;
    } else {
      x = (this.#xs[raw[0]!]! + this.#xs[raw[1]!]! + this.#xs[raw[2]!]!) / 3;
      y = (this.#ys[raw[0]!]! + this.#ys[raw[1]!]! + this.#ys[raw[2]!]!) / 3;
      estimate = (this.#values[raw[0]!]! + this.#values[raw[1]!]! + this.#values[raw[2]!]!) / 3;
    }
    if (this.#index.has(`${x},${y}`)) return undefined;
    return { x, y, estimate, loss: mesh.losses[t]! };
  }
}

/** The `n`-th point of the 2-D Halton sequence (bases 2 and 3), in the unit square. */
function halton(n: number): [number, number] {
  const radical = (i: number, base: number) => {
    let f = 1;
    let r = 0;
    while (i > 0) {
      f /= base;
      r += f * (i % base);
      i = Math.floor(i / base);
    }
    return r;
  };
  return [radical(n, 2), radical(n, 3)];
}
