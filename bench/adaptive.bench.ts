/**
 * Adaptive sweeps (issue 26): how many fewer points than a uniform grid the learners need for
 * the same worst error of the interpolated function, what ask + tell cost per point at 10,000
 * points, and how two threads compare with one on a 20 ms function.
 *
 * The 20 ms function is measured two ways. The target is met by one that holds its thread for
 * 20 ms without a core (a blocking wait): what the issue asks is whether the ask/tell loop and
 * the executor keep both threads busy, and a CPU spin on a loaded 2-core machine measures the
 * cores other processes leave free instead (1.06x was seen at load average 9). The spin's
 * figure is reported beside it.
 */
import { Learner1D, Learner2D, ThreadExecutor } from "../src/index.ts";
import { blocking, busy } from "./adaptive-pipelines.ts";

export interface AdaptiveBench {
  /** 1-D peak: learner points, grid points for the same max error, their ratio (target >= 5). */
  readonly peak: {
    readonly points: number;
    readonly grid: number;
    readonly ratio: number;
    readonly error: number;
  };
  /** 2-D ring (target >= 3). */
  readonly ring: {
    readonly points: number;
    readonly grid: number;
    readonly ratio: number;
    readonly error: number;
  };
  /** ask + tell per point at 10,000 points, µs (targets < 50 and < 300). */
  readonly overhead1dUs: number;
  readonly overhead2dUs: number;
  /**
   * Points per second with 2 threads over 1, a function that holds its thread 20 ms (a
   * blocking wait), median of 3 rounds (target >= 1.8).
   */
  readonly threadsSpeedup: number;
  /** The same with a 20 ms CPU spin: bounded by the free cores, so no target. */
  readonly threadsSpeedupCpu: number;
}

const a1 = 0.01;
const peak = (x: number) => x + (a1 * a1) / (a1 * a1 + x * x);
const a2 = 0.2;
const ring = (x: number, y: number) => x + Math.exp(-((x * x + y * y - 0.75 ** 2) ** 2) / a2 ** 4);

/** Max error of 1-D linear interpolation over `n` uniform points on [-1, 1]. */
function gridError1D(n: number, samples: readonly number[]): number {
  const h = 2 / (n - 1);
  let worst = 0;
  for (const x of samples) {
    const i = Math.min(n - 2, Math.floor((x + 1) / h));
    const x0 = -1 + i * h;
    const t = (x - x0) / h;
    const y = peak(x0) + t * (peak(x0 + h) - peak(x0));
    worst = Math.max(worst, Math.abs(y - peak(x)));
  }
  return worst;
}

/** Max error of bilinear interpolation over an `n`×`n` grid on [-1, 1]². */
function gridError2D(n: number, m: number): number {
  const h = 2 / (n - 1);
  let worst = 0;
  for (let i = 0; i <= m; i++) {
    for (let j = 0; j <= m; j++) {
      const x = -1 + (2 * i) / m;
      const y = -1 + (2 * j) / m;
      const p = Math.min(n - 2, Math.floor((x + 1) / h));
      const q = Math.min(n - 2, Math.floor((y + 1) / h));
      const x0 = -1 + p * h;
      const y0 = -1 + q * h;
      const u = (x - x0) / h;
      const v = (y - y0) / h;
      const z =
        (1 - u) * (1 - v) * ring(x0, y0) +
        u * (1 - v) * ring(x0 + h, y0) +
        (1 - u) * v * ring(x0, y0 + h) +
        u * v * ring(x0 + h, y0 + h);
      worst = Math.max(worst, Math.abs(z - ring(x, y)));
    }
  }
  return worst;
}

/** Max error of the 2-D learner's triangulation on an (m+1)² sample grid, triangle by triangle. */
function learnerError2D(learner: Learner2D, m: number): number {
  let worst = 0;
  const step = 2 / m;
  for (const [p, q, r] of learner.triangles()) {
    const [ax, ay, az] = p!;
    const [bx, by, bz] = q!;
    const [cx, cy, cz] = r!;
    const det = (by - cy) * (ax - cx) + (cx - bx) * (ay - cy);
    if (det === 0) continue;
    const i0 = Math.ceil((Math.min(ax, bx, cx) + 1) / step);
    const i1 = Math.floor((Math.max(ax, bx, cx) + 1) / step);
    const j0 = Math.ceil((Math.min(ay, by, cy) + 1) / step);
    const j1 = Math.floor((Math.max(ay, by, cy) + 1) / step);
    for (let i = i0; i <= i1; i++) {
      for (let j = j0; j <= j1; j++) {
        const x = -1 + i * step;
        const y = -1 + j * step;
        const l1 = ((by - cy) * (x - cx) + (cx - bx) * (y - cy)) / det;
        const l2 = ((cy - ay) * (x - cx) + (ax - cx) * (y - cy)) / det;
        const l3 = 1 - l1 - l2;
        if (l1 < -1e-12 || l2 < -1e-12 || l3 < -1e-12) continue;
        worst = Math.max(worst, Math.abs(l1 * az + l2 * bz + l3 * cz - ring(x, y)));
      }
    }
  }
  return worst;
}

/** The smallest n (grown by 2%) whose grid error is at most `target`. */
function gridFor(target: number, error: (n: number) => number, start: number): number {
  let n = start;
  while (error(n) > target) n = Math.max(n + 1, Math.ceil(n * 1.02));
  return n;
}

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[xs.length >> 1]!;

/** Runs the adaptive figures. */
export async function benchAdaptive(): Promise<AdaptiveBench> {
  // Sample efficiency, 1-D: learn to 300 points, then find the grid with the same max error.
  const samples = Array.from({ length: 40_001 }, (_, i) => -1 + (2 * i) / 40_000);
  const l1 = new Learner1D([-1, 1]);
  for (let i = 0; i < 300; i++) {
    const p = l1.ask();
    l1.tell(p, peak(p[0]!));
  }
  let e1 = 0;
  for (const x of samples) e1 = Math.max(e1, Math.abs((l1.interpolate(x) as number) - peak(x)));
  const g1 = gridFor(e1, (n) => gridError1D(n, samples), 300);

  // 2-D ring: learn to 3,000 points.
  const m = 600;
  const l2 = new Learner2D([
    [-1, 1],
    [-1, 1],
  ]);
  for (let i = 0; i < 3000; i++) {
    const p = l2.ask();
    l2.tell(p, ring(p[0]!, p[1]!));
  }
  const e2 = learnerError2D(l2, m);
  const side = gridFor(e2, (n) => gridError2D(n, m), 55);

  // Overhead: ask + tell of 10,000 points with a trivial function, median of 3 rounds.
  const over1: number[] = [];
  const over2: number[] = [];
  for (let round = 0; round < 3; round++) {
    const o1 = new Learner1D([-1, 1]);
    let start = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const p = o1.ask();
      o1.tell(p, peak(p[0]!));
    }
    over1.push(((performance.now() - start) * 1000) / 10_000);
    const o2 = new Learner2D([
      [-1, 1],
      [-1, 1],
    ]);
    start = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const p = o2.ask();
      o2.tell(p, ring(p[0]!, p[1]!));
    }
    over2.push(((performance.now() - start) * 1000) / 10_000);
  }

  // Threads: 40 points of a 20 ms function, 1 thread vs 2, pools warmed first.
  const timed = async (pipeline: typeof busy, threads: number) => {
    const executor = new ThreadExecutor({ threads, pool: "own" });
    const options = {
      dimensions: { x: [0, 10] as const },
      output: "y",
      inputs: { ms: 20 },
      executor,
    };
    try {
      await pipeline.adaptive({ ...options, goal: { points: threads * 2 } });
      const start = performance.now();
      await pipeline.adaptive({ ...options, goal: { points: 40 } });
      return performance.now() - start;
    } finally {
      await executor.close();
    }
  };
  const speedups: number[] = [];
  for (let round = 0; round < 3; round++) {
    speedups.push((await timed(blocking, 1)) / (await timed(blocking, 2)));
  }
  const cpu = (await timed(busy, 1)) / (await timed(busy, 2));
  return {
    peak: { points: 300, grid: g1, ratio: g1 / 300, error: e1 },
    ring: { points: 3000, grid: side * side, ratio: (side * side) / 3000, error: e2 },
    overhead1dUs: median(over1),
    overhead2dUs: median(over2),
    threadsSpeedup: median(speedups),
    threadsSpeedupCpu: cpu,
  };
}

/** The figures as report lines with their targets. */
export function formatAdaptive(r: AdaptiveBench): string[] {
  const met = (ok: boolean) => (ok ? "met" : "MISSED");
  return [
    `1-D peak: ${r.peak.points} points vs grid ${r.peak.grid} for max error ${r.peak.error.toExponential(2)} → ${r.peak.ratio.toFixed(1)}x (target >= 5x: ${met(r.peak.ratio >= 5)})`,
    `2-D ring: ${r.ring.points} points vs grid ${r.ring.grid} for max error ${r.ring.error.toExponential(2)} → ${r.ring.ratio.toFixed(1)}x (target >= 3x: ${met(r.ring.ratio >= 3)})`,
    `ask + tell at 10,000 points: 1-D ${r.overhead1dUs.toFixed(1)} µs (target < 50: ${met(r.overhead1dUs < 50)}), 2-D ${r.overhead2dUs.toFixed(1)} µs (target < 300: ${met(r.overhead2dUs < 300)})`,
    `2 threads vs 1, 20 ms function holding its thread: ${r.threadsSpeedup.toFixed(2)}x (target >= 1.8x: ${met(r.threadsSpeedup >= 1.8)}); a 20 ms CPU spin: ${r.threadsSpeedupCpu.toFixed(2)}x (bounded by the free cores)`,
  ];
}
