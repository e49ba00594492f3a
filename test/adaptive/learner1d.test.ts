import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AdaptivePoint,
  type Interval1D,
  InvalidArgumentError,
  InvalidOptionError,
  Learner1D,
} from "../../src/index.ts";
import { caught } from "../caught.ts";

/** Functions of one variable the properties draw: a sine, a slope and a bump of any width. */
const functions = fc
  .record({
    k: fc.double({ min: 0.1, max: 20, noNaN: true }),
    c: fc.double({ min: -5, max: 5, noNaN: true }),
    w: fc.double({ min: 0.01, max: 1, noNaN: true }),
  })
  .map(
    ({ k, c, w }) =>
      (x: number) =>
        Math.sin(k * x) + c * x + (w * w) / (w * w + x * x),
  );

const bounds = fc
  .tuple(
    fc.double({ min: -100, max: 100, noNaN: true }),
    fc.double({ min: 0.01, max: 50, noNaN: true }),
  )
  .map(([lo, width]) => [lo, lo + width] as const);

const losses = fc.constantFrom<"default" | "curvature">("default", "curvature");

/** Asks and tells `n` points, keeping `inFlight` asked but not yet told. */
function learn(
  learner: Learner1D,
  f: (x: number) => number,
  n: number,
  inFlight = 1,
  seen?: (p: AdaptivePoint) => void,
): void {
  const pending: AdaptivePoint[] = [];
  for (let i = 0; i < n; i++) {
    const p = learner.ask();
    seen?.(p);
    pending.push(p);
    if (pending.length >= inFlight) {
      const q = pending.shift()!;
      learner.tell(q, f(q[0]!));
    }
  }
  for (const q of pending) learner.tell(q, f(q[0]!));
}

describe("Learner1D", () => {
  it("asks the bounds first, then points strictly inside them, never the same twice", () => {
    fc.assert(
      fc.property(functions, bounds, losses, fc.integer({ min: 1, max: 8 }), (f, b, loss, c) => {
        const learner = new Learner1D(b, { loss });
        const asked: number[] = [];
        learn(learner, f, 60, c, (p) => asked.push(p[0]!));
        expect(asked.slice(0, 2)).toEqual([b[0], b[1]]);
        for (const x of asked) {
          expect(x).toBeGreaterThanOrEqual(b[0]);
          expect(x).toBeLessThanOrEqual(b[1]);
        }
        expect(new Set(asked).size).toBe(asked.length);
      }),
      { numRuns: 60 },
    );
  });

  it("never reports a negative loss, with points in flight or not", () => {
    fc.assert(
      fc.property(functions, bounds, losses, fc.integer({ min: 1, max: 8 }), (f, b, loss, c) => {
        const learner = new Learner1D(b, { loss });
        for (let round = 0; round < 5; round++) {
          learn(learner, f, 10, c);
          expect(learner.loss()).toBeGreaterThanOrEqual(0);
          expect(learner.priority()).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("lowers its loss as points are added", () => {
    fc.assert(
      fc.property(functions, losses, (f, loss) => {
        const learner = new Learner1D([-1, 1], { loss });
        learn(learner, f, 20);
        const early = learner.loss();
        learn(learner, f, 300);
        expect(early).toBeLessThan(Number.POSITIVE_INFINITY);
        expect(learner.loss()).toBeLessThan(early);
      }),
      { numRuns: 40 },
    );
  });

  it("reports an infinite loss until it knows an interval", () => {
    const learner = new Learner1D([0, 1]);
    expect(learner.loss()).toBe(Number.POSITIVE_INFINITY);
    learner.tell(learner.ask(), 1);
    expect(learner.loss()).toBe(Number.POSITIVE_INFINITY);
    learner.tell(learner.ask(), 2);
    expect(learner.loss()).toBeCloseTo(Math.SQRT2);
  });

  it("samples a sharp peak densely and the flat parts sparsely", () => {
    const a = 0.01;
    const learner = new Learner1D([-1, 1]);
    learn(learner, (x) => x + (a * a) / (a * a + x * x), 200);
    const xs = learner.data().map((d) => d.x);
    const near = xs.filter((x) => Math.abs(x) < 0.05).length;
    expect(near).toBeGreaterThan(xs.length / 3);
  });

  it("learns vector values as several curves", () => {
    const learner = new Learner1D([0, Math.PI]);
    learn(learner, (x) => [Math.sin(x), Math.cos(x)] as never, 50, 3);
    expect(learner.size).toBe(50);
    const y = learner.interpolate(1) as readonly number[];
    expect(y[0]).toBeCloseTo(Math.sin(1), 2);
    expect(y[1]).toBeCloseTo(Math.cos(1), 2);
  });

  it("calls a custom loss with the interval's ends and neighbours", () => {
    const seen: Interval1D[] = [];
    const learner = new Learner1D([0, 4], {
      loss: (interval) => {
        seen.push(interval);
        return interval.x[1] - interval.x[0];
      },
    });
    learn(learner, (x) => x * x, 5);
    const inner = seen.find((i) => i.before && i.after);
    expect(inner).toBeDefined();
    expect(inner!.scaled[0].x).toBeCloseTo((inner!.x[0] - 0) / 4);
    // Widest first: a custom loss of the width samples a uniform grid.
    expect(learner.data().map((d) => d.x)).toEqual([0, 1, 2, 3, 4]);
  });

  it("does not ask a failed point again and keeps refining around it", () => {
    const learner = new Learner1D([0, 1]);
    learner.tell(learner.ask(), 0);
    learner.tell(learner.ask(), 1);
    const bad = learner.ask();
    learner.tellFailed(bad);
    const asked: number[] = [];
    for (let i = 0; i < 20; i++) {
      const p = learner.ask();
      asked.push(p[0]!);
      learner.tell(p, p[0]!);
    }
    expect(asked).not.toContain(bad[0]);
    expect(learner.size).toBe(22);
  });

  it("refuses bad bounds, losses, points and values", () => {
    const bounds = caught(() => new Learner1D([1, 1]), InvalidOptionError, "E_INVALID_OPTION");
    expect(bounds.option).toBe("dimensions");
    expect(bounds.message).toContain("[1,1]");
    const loss = caught(
      () => new Learner1D([0, 1], { loss: "steep" as never }),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(loss.message).toContain('"curvature"');
    const learner = new Learner1D([0, 1]);
    const point = caught(() => learner.tell([2], 1), InvalidArgumentError, "E_INVALID_ARGUMENT");
    expect(point.message).toContain("[0, 1]");
    learner.tell([0], 1);
    const value = caught(
      () => learner.tell([1], [1, 2]),
      InvalidArgumentError,
      "E_INVALID_ARGUMENT",
    );
    expect(value.message).toContain("x = 1");
  });
});
