/**
 * The pipeline of the sweep demo, in its own module so worker threads can import it:
 * a damped harmonic oscillator x'' + 2ζω x' + ω² x = 0, integrated from x = 1, v = 0, over a
 * grid of damping ratios ζ and natural frequencies ω.
 */
import { definePipeline, type NdArray, Pipeline, pipefunc } from "../src/index.ts";

/** Time for |x| to stay below 2 % of its start (s), by semi-implicit Euler with step dt. */
function settlingTime(zeta: number, omega: number, dt: number, tMax: number): number {
  let x = 1;
  let v = 0;
  let lastAbove = 0;
  const steps = Math.round(tMax / dt);
  for (let n = 1; n <= steps; n++) {
    v += (-2 * zeta * omega * v - omega * omega * x) * dt;
    x += v * dt;
    if (Math.abs(x) > 0.02) lastAbove = n * dt;
  }
  return lastAbove;
}

const settle = pipefunc(
  // The function calls a helper from outside itself: declared, it is part of the function's
  // identity, so a run folder written with another settlingTime will not resume.
  {
    output: "settle",
    mapspec: "zeta[i], omega[j] -> settle[i, j]",
    captures: { settlingTime },
  },
  ({
    zeta,
    omega,
    dt = 1e-4,
    tMax = 20,
  }: {
    zeta: number;
    omega: number;
    dt?: number;
    tMax?: number;
  }) => settlingTime(zeta, omega, dt, tMax),
);

const meanSettle = pipefunc(
  { output: "meanSettle", mapspec: "settle[i, :] -> meanSettle[i]" },
  ({ settle }: { settle: NdArray<number> }) => {
    const values = settle.values();
    return values.reduce((s, v) => s + v, 0) / values.length;
  },
);

const best = pipefunc(
  { output: "best" },
  // A function without mapspec receives mapped names whole, as NdArrays.
  ({ meanSettle, zeta }: { meanSettle: NdArray<number>; zeta: NdArray<number> }) => {
    const values = meanSettle.values();
    const i = values.indexOf(Math.min(...values));
    return { zeta: zeta.values()[i]!, meanSettle: values[i]! };
  },
);

/** Settling time over the (ζ, ω) grid, its mean per ζ, and the ζ that settles fastest. */
export const oscillator = definePipeline(
  import.meta.url,
  "oscillator",
  () => new Pipeline([settle, meanSettle, best], { name: "oscillator" }),
);
