/**
 * What tracing costs (issue 27): a 300x300 sweep and its row sums (memory, inline) and a
 * 50-function chain, with tracing off and on. "On" records every span in an OpenTelemetry SDK
 * (sampled, ended, handed to a span processor) that exports nothing, so the figures are
 * pipeweave's and the SDK's cost, not an exporter's. Tracing off is the same code path as the
 * map and graph sections: its cost against the code before tracing is an A/B of two builds,
 * reported in the issue note.
 */
import { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { Pipeline, pipefunc } from "../src/index.ts";
import type { TraceDetail } from "../src/otel/types.ts";
import { measure, median } from "./harness.ts";
import { grid } from "./map-pipelines.ts";

/** The tracing figures written to results.json. */
export interface TracingResult {
  readonly elements: number;
  readonly mapOffMs: number;
  /** Map ms with tracing on, by detail. */
  readonly mapOnMs: Readonly<Record<TraceDetail, number>>;
  /** (on − off) / elements, µs, by detail. */
  readonly usPerElement: Readonly<Record<TraceDetail, number>>;
  readonly chainFunctions: number;
  readonly runSyncOffUs: number;
  readonly runSyncOnUs: number;
  /** (on − off) / functions, µs. */
  readonly usPerFunction: number;
}

const range = (n: number) => Array.from({ length: n }, (_, k) => k);

/** A chain of `n` functions, each adding one. */
function chain(n: number): Pipeline {
  return new Pipeline(
    range(n).map((k) =>
      pipefunc(
        { output: `v${k + 1}`, name: `f${k + 1}` },
        new Function(`{ v${k} }`, `return v${k} + 1;`) as (x: Record<string, number>) => number,
      ),
    ),
    { name: "chain" },
  );
}

/** Measures the tracing figures; takes about half a minute on 2 cores. */
export async function benchTracing(): Promise<TracingResult> {
  const tracer = new BasicTracerProvider().getTracer("bench");
  const n = 300;
  const inputs = { a: range(n), b: range(n) };
  const quiet = { progress: false } as const;
  const variants: Record<"off" | TraceDetail, () => Promise<unknown>> = {
    off: () => grid.map(inputs, quiet),
    function: () => grid.map(inputs, { ...quiet, tracing: { tracer, detail: "function" } }),
    chunk: () => grid.map(inputs, { ...quiet, tracing: { tracer, detail: "chunk" } }),
    element: () => grid.map(inputs, { ...quiet, tracing: { tracer, detail: "element" } }),
  };
  // Rounds alternate between the variants, so a busy moment of the machine or the JIT
  // warming up weighs on each alike.
  const samples = { off: [], function: [], chunk: [], element: [] } as Record<
    keyof typeof variants,
    number[]
  >;
  for (const op of Object.values(variants)) await op();
  for (let round = 0; round < 7; round++) {
    for (const [name, op] of Object.entries(variants)) {
      const started = performance.now();
      await op();
      samples[name as keyof typeof variants].push(performance.now() - started);
    }
  }
  const mapOffMs = median(samples.off);
  const mapOnMs = {
    function: median(samples.function),
    chunk: median(samples.chunk),
    element: median(samples.element),
  };
  const elements = n * n + n;
  const per = (ms: number) => ((ms - mapOffMs) * 1000) / elements;

  const functions = 50;
  const p = chain(functions);
  const expected = p.runSync("v50" as never, { v0: 0 } as never);
  if (expected !== functions) throw new Error(`the chain gave ${String(expected)}`);
  const m = await measure(
    [
      { name: "off", op: () => p.runSync("v50" as never, { v0: 0 } as never) },
      { name: "on", op: () => p.runSync("v50" as never, { v0: 0 } as never, { tracing: tracer }) },
    ],
    { batch: 100 },
  );
  const ns = (name: string) => m.find((x) => x.name === name)!.nsPerOp;
  return {
    elements,
    mapOffMs,
    mapOnMs,
    usPerElement: {
      function: per(mapOnMs.function),
      chunk: per(mapOnMs.chunk),
      element: per(mapOnMs.element),
    },
    chainFunctions: functions,
    runSyncOffUs: ns("off") / 1000,
    runSyncOnUs: ns("on") / 1000,
    usPerFunction: (ns("on") - ns("off")) / functions / 1000,
  };
}

/** The section's lines. */
export function formatTracing(r: TracingResult): string[] {
  const f = (v: number, d = 2) => v.toFixed(d);
  return [
    `map 300x300 + row sums, inline, memory: off ${f(r.mapOffMs, 1)} ms; ` +
      `on (SDK, nothing exported): detail "function" ${f(r.mapOnMs.function, 1)} ms ` +
      `(${f(r.usPerElement.function, 3)} µs/element), "element" ${f(r.mapOnMs.element, 1)} ms ` +
      `(${f(r.usPerElement.element)} µs/element)`,
    `runSync of a ${r.chainFunctions}-function chain: off ${f(r.runSyncOffUs)} µs, on ` +
      `${f(r.runSyncOnUs)} µs (${f(r.usPerFunction)} µs per function traced)`,
  ];
}
