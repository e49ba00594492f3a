import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AdaptivePoint,
  BalancingLearner,
  InvalidArgumentError,
  InvalidOptionError,
  Learner1D,
  Learner2D,
} from "../../src/index.ts";
import { caught } from "../caught.ts";

type F2 = (x: number, y: number) => number;

const functions = fc
  .record({
    k: fc.double({ min: 0.5, max: 10, noNaN: true }),
    c: fc.double({ min: -3, max: 3, noNaN: true }),
    r: fc.double({ min: 0.1, max: 0.9, noNaN: true }),
  })
  .map(
    ({ k, c, r }): F2 =>
      (x, y) =>
        c * x + Math.exp(-k * (Math.hypot(x, y) - r) ** 2),
  );

function learn(
  learner: Learner2D,
  f: F2,
  n: number,
  inFlight = 1,
  seen?: (p: AdaptivePoint) => void,
) {
  const pending: AdaptivePoint[] = [];
  for (let i = 0; i < n; i++) {
    const p = learner.ask();
    seen?.(p);
    pending.push(p);
    if (pending.length >= inFlight) {
      const q = pending.shift()!;
      learner.tell(q, f(q[0]!, q[1]!));
    }
  }
  for (const q of pending) learner.tell(q, f(q[0]!, q[1]!));
}

describe("Learner2D", () => {
  it("asks distinct points inside the bounds, with points in flight or not", () => {
    fc.assert(
      fc.property(functions, fc.integer({ min: 1, max: 8 }), (f, c) => {
        const learner = new Learner2D([
          [-1, 1],
          [0, 3],
        ]);
        const seen = new Set<string>();
        learn(learner, f, 80, c, ([x, y]) => {
          expect(x!).toBeGreaterThanOrEqual(-1);
          expect(x!).toBeLessThanOrEqual(1);
          expect(y!).toBeGreaterThanOrEqual(0);
          expect(y!).toBeLessThanOrEqual(3);
          seen.add(`${x},${y}`);
        });
        expect(seen.size).toBe(80);
      }),
      { numRuns: 30 },
    );
  });

  it("never reports a negative loss and lowers it as points are added", () => {
    fc.assert(
      fc.property(functions, (f) => {
        const learner = new Learner2D([
          [-1, 1],
          [-1, 1],
        ]);
        learn(learner, f, 30);
        const early = learner.loss();
        expect(early).toBeGreaterThanOrEqual(0);
        learn(learner, f, 300);
        expect(learner.loss()).toBeGreaterThanOrEqual(0);
        expect(learner.priority()).toBeGreaterThanOrEqual(0);
        expect(learner.loss()).toBeLessThan(early);
      }),
      { numRuns: 20 },
    );
  });

  it("interpolates a plane exactly inside the sampled hull", () => {
    const learner = new Learner2D([
      [0, 1],
      [0, 1],
    ]);
    learn(learner, (x, y) => 2 * x - y + 3, 40);
    expect(learner.interpolate(0.3, 0.6)).toBeCloseTo(3, 10);
    expect(learner.interpolate(1.5, 0.5)).toBeUndefined();
    expect(learner.triangles().length).toBeGreaterThan(0);
  });

  it("calls a custom loss with each triangle's vertices, values and area", () => {
    let areas = 0;
    const learner = new Learner2D(
      [
        [0, 1],
        [0, 1],
      ],
      {
        loss: (t) => {
          expect(t.vertices).toHaveLength(3);
          expect(t.values).toHaveLength(3);
          areas += t.area;
          return t.area;
        },
      },
    );
    learn(learner, (x, y) => x + y, 10);
    expect(areas).toBeGreaterThan(0);
  });

  it("refuses bad bounds, points outside them and vector values", () => {
    caught(
      () =>
        new Learner2D([
          [0, 1],
          [2, 2],
        ] as never),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    const learner = new Learner2D([
      [0, 1],
      [0, 1],
    ]);
    const out = caught(() => learner.tell([0.5, 2], 1), InvalidArgumentError, "E_INVALID_ARGUMENT");
    expect(out.message).toContain("[0.5,2]");
    caught(() => learner.tell([0.5, 0.5], [1, 2]), InvalidArgumentError, "E_INVALID_ARGUMENT");
  });
});

describe("BalancingLearner", () => {
  it("gives the next point to the learner whose next point has the largest loss", () => {
    const learners = [new Learner1D([-1, 1]), new Learner1D([-1, 1])];
    const balanced = new BalancingLearner(learners);
    const fs = [(x: number) => x, (x: number) => Math.tanh(40 * x)];
    for (let i = 0; i < 100; i++) {
      const { learner, point } = balanced.ask();
      balanced.tell(learner, point, fs[learner]!(point[0]!));
    }
    expect(learners[1]!.size).toBeGreaterThan(learners[0]!.size * 1.5);
    expect(balanced.loss()).toBe(Math.max(learners[0]!.loss(), learners[1]!.loss()));
    caught(() => new BalancingLearner([]), InvalidArgumentError, "E_INVALID_ARGUMENT");
  });
});
