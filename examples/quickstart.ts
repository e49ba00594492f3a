/**
 * Quick start: functions that name their outputs become a pipeline; run it for any output.
 * Run with `npx tsx examples/quickstart.ts`.
 */
import { Pipeline, pipefunc } from "../src/index.ts";

// Each function takes one object of named arguments; the names wire the graph.
const fC = pipefunc({ output: "c" }, ({ a, b }: { a: number; b: number }) => a + b);
const fD = pipefunc({ output: "d" }, ({ b, c }: { b: number; c: number }) => b * c);
const fE = pipefunc(
  { output: "e" },
  ({ c, d, x = 1 }: { c: number; d: number; x?: number }) => c * d * x,
);

const pipeline = new Pipeline([fC, fD, fE], { profile: true });

console.log(pipeline.toAscii());
console.log("d =", await pipeline.run("d", { a: 2, b: 3 })); // 15
console.log("e =", pipeline.runSync("e", { a: 2, b: 3 })); // 75
console.log("e from intermediates =", await pipeline.run("e", { c: 5, d: 15 })); // 75
console.log("all =", await pipeline.runAll({ a: 2, b: 3 }));
console.log("info =", pipeline.info());
pipeline.printProfilingStats();
