/**
 * Adaptive sweeps: learn a sharp peak with a few hundred points where a uniform grid needs
 * thousands, on two threads, stored in a run folder that a second call resumes.
 *
 *   npx tsx examples/adaptive.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { definePipeline, loadAdaptive, Pipeline, pipefunc } from "../src/index.ts";

/** `x + a²/(a² + x²)`: a peak of width `a` on a slope. */
export const peak = definePipeline(
  import.meta.url,
  "peak",
  () =>
    new Pipeline([
      pipefunc(
        { output: "y" },
        ({ x, a }: { x: number; a: number }) => x + (a * a) / (a * a + x * x),
      ),
    ]),
);

const dir = mkdtempSync(join(tmpdir(), "pipeweave-adaptive-example-"));
try {
  const runFolder = join(dir, "peak");
  const options = {
    dimensions: { x: [-1, 1] as const },
    output: "y",
    inputs: { a: 0.01 },
    executor: "threads" as const,
    threads: 2,
    runFolder,
  };
  const first = await peak.adaptive({ ...options, goal: { points: 100 } });
  console.log(`first run: ${first.points.length} points, loss ${first.loss().toFixed(4)}`);

  // Resume to a loss goal: the stored points are told to the learner, then it goes on.
  const result = await peak.adaptive({ ...options, goal: { loss: 0.01 }, resume: true });
  const near = result.points.filter((p) => Math.abs(p.inputs.x as number) < 0.05).length;
  console.log(`resumed: ${result.points.length} points, loss ${result.loss().toFixed(4)}`);
  console.log(`points within 0.05 of the peak: ${near}`);
  console.log(`y(0) interpolated: ${(result.interpolate(0) as number).toFixed(3)}`);

  // Another process can read the folder without the pipeline.
  const loaded = await loadAdaptive({ runFolder });
  console.log(`loaded: ${loaded.points.length} points`);
  writeFileSync(join(dir, "peak.html"), result.toHtml());
} finally {
  rmSync(dir, { recursive: true, force: true });
}
