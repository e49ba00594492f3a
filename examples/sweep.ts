/**
 * The main job: a 2-D parameter sweep on the thread pool, stored in a run folder, with a
 * progress bar per mapped function and a printed summary.
 * Run with `npm run demo` (PIPEWEAVE_DEMO_SIZE=small for a quick run).
 */
import { loadOutputs } from "../src/index.ts";
import { oscillator } from "./oscillator.ts";

const small = process.env.PIPEWEAVE_DEMO_SIZE === "small";
const n = small ? 6 : 32;
const zeta = Array.from({ length: n }, (_, k) => 0.1 + (1.4 * k) / (n - 1));
const omega = Array.from({ length: n }, (_, k) => 1 + (9 * k) / (n - 1));
const runFolder = process.env.PIPEWEAVE_DEMO_RUN_FOLDER ?? "runs/demo";

const started = performance.now();
const results = await oscillator.map(
  { zeta, omega, ...(small ? { tMax: 10, dt: 1e-3 } : {}) },
  // The demo owns this folder and starts over on each run; your own sweeps would use
  // resume: true to finish an interrupted run instead.
  { runFolder, executor: "threads", overwrite: true },
);
const seconds = (performance.now() - started) / 1000;

const settle = results.settle.array;
// Typed from the mapspecs: settle is an NdArray<number, ["i", "j"]>, meanSettle one along "i".
const mean = results.meanSettle.output;
console.log(
  `\nswept ${settle.shape.join(" × ")} = ${settle.size} (ζ, ω) pairs on threads in ${seconds.toFixed(2)} s`,
);
console.log("mean settling time by damping ratio:");
mean.values().forEach((t, i) => {
  if (i % Math.ceil(n / 8) === 0 || i === n - 1) {
    console.log(
      `  ζ = ${zeta[i]!.toFixed(2)}  ${t.toFixed(3)} s  ${"█".repeat(Math.round(t * 4))}`,
    );
  }
});
// Read back typed from the pipeline: best is { zeta: number; meanSettle: number }.
const best = await loadOutputs(oscillator, "best", { runFolder });
console.log(
  `fastest settling: ζ = ${best.zeta.toFixed(2)} (mean ${best.meanSettle.toFixed(3)} s); results in ${runFolder}/`,
);
