/**
 * Graph overhead (a performance target): `runSync` and `run` per function on a 3-function chain, a
 * 50-function chain and a 20-wide fan-in, against the same functions called by hand.
 */
import { type PipeFunc, Pipeline, pipefunc } from "../src/index.ts";
import { type Case, type Measurement, measure } from "./harness.ts";

/** One graph's figures: ns per function beyond the hand-written floor. */
export interface GraphResult {
  readonly graph: string;
  readonly functions: number;
  readonly floorSyncNs: number;
  readonly runSyncNs: number;
  readonly floorAsyncNs: number;
  readonly runNs: number;
  /** (runSync − floor) / functions, in µs. */
  readonly syncOverheadUsPerFn: number;
  /** (run − async floor) / functions, in µs. */
  readonly asyncOverheadUsPerFn: number;
}

interface Scenario {
  readonly name: string;
  readonly functions: number;
  readonly pipeline: Pipeline<readonly PipeFunc[]>;
  readonly output: string;
  readonly inputs: Record<string, number>;
  /** The same functions, called directly with the same argument objects. */
  readonly byHand: (inputs: Record<string, number>) => number;
}

function chain3(): Scenario {
  const fC = ({ a, b }: { a: number; b: number }) => a + b;
  const fD = ({ b, c }: { b: number; c: number }) => b * c;
  const fE = ({ c, d, x = 1 }: { c: number; d: number; x?: number }) => c * d * x;
  const pipeline = new Pipeline([
    pipefunc({ output: "c" }, fC),
    pipefunc({ output: "d" }, fD),
    pipefunc({ output: "e" }, fE),
  ]);
  return {
    name: "3-function chain",
    functions: 3,
    pipeline: pipeline as never,
    output: "e",
    inputs: { a: 2, b: 3 },
    byHand: ({ a, b }) => {
      const c = fC({ a: a!, b: b! });
      const d = fD({ b: b!, c });
      return fE({ c, d });
    },
  };
}

function chain50(): Scenario {
  const fns = Array.from(
    { length: 50 },
    (_, i) =>
      ({ x }: { x: number }) =>
        x + i,
  );
  const pipeline = new Pipeline(
    fns.map((f, i) =>
      pipefunc({ output: `v${i + 1}`, renames: { x: `v${i}` }, name: `step${i}` }, f),
    ) as never,
  );
  return {
    name: "50-function chain",
    functions: 50,
    pipeline: pipeline as never,
    output: "v50",
    inputs: { v0: 1 },
    byHand: ({ v0 }) => {
      let v = v0!;
      for (let i = 0; i < 50; i++) v = fns[i]!({ x: v });
      return v;
    },
  };
}

type Leaf = (args: { a: number }) => number;

function fanIn20(): Scenario {
  const leaves: Leaf[] = Array.from(
    { length: 20 },
    (_, i) =>
      ({ a }: { a: number }) =>
        a * i,
  );
  const names = leaves.map((_, i) => `p${i}`);
  const sum = (args: Record<string, number>) => {
    let s = 0;
    for (const n of names) s += args[n]!;
    return s;
  };
  const pipeline = new Pipeline([
    ...leaves.map((f, i) => pipefunc({ output: `p${i}`, name: `leaf${i}` }, f)),
    pipefunc({ output: "total", inputs: names }, sum),
  ] as never);
  return {
    name: "20-wide fan-in",
    functions: 21,
    pipeline: pipeline as never,
    output: "total",
    inputs: { a: 3 },
    // Written out as a literal, as a person would, so the floor is a real floor.
    byHand: ({ a: x }) => {
      const a = x!;
      const [l0, l1, l2, l3, l4, l5, l6, l7, l8, l9] = leaves as [
        Leaf,
        Leaf,
        Leaf,
        Leaf,
        Leaf,
        Leaf,
        Leaf,
        Leaf,
        Leaf,
        Leaf,
      ];
      const [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9] = leaves.slice(10) as [
        Leaf,
        Leaf,
        Leaf,
        Leaf,
        Leaf,
        Leaf,
        Leaf,
        Leaf,
        Leaf,
        Leaf,
      ];
      return sum({
        p0: l0({ a }),
        p1: l1({ a }),
        p2: l2({ a }),
        p3: l3({ a }),
        p4: l4({ a }),
        p5: l5({ a }),
        p6: l6({ a }),
        p7: l7({ a }),
        p8: l8({ a }),
        p9: l9({ a }),
        p10: m0({ a }),
        p11: m1({ a }),
        p12: m2({ a }),
        p13: m3({ a }),
        p14: m4({ a }),
        p15: m5({ a }),
        p16: m6({ a }),
        p17: m7({ a }),
        p18: m8({ a }),
        p19: m9({ a }),
      });
    },
  };
}

/** Runs the graph benchmarks. */
export async function benchGraph(): Promise<GraphResult[]> {
  const results: GraphResult[] = [];
  for (const s of [chain3(), chain50(), fanIn20()]) {
    const expected = s.byHand(s.inputs);
    const got = s.pipeline.runSync(s.output as never, s.inputs as never);
    if (got !== expected) throw new Error(`${s.name}: pipeline gave ${got}, by hand ${expected}`);
    const cases: Case[] = [
      { name: "floor sync", op: () => s.byHand(s.inputs) },
      { name: "runSync", op: () => s.pipeline.runSync(s.output as never, s.inputs as never) },
      { name: "floor async", op: async () => s.byHand(s.inputs), async: true },
      { name: "run", op: () => s.pipeline.run(s.output as never, s.inputs as never), async: true },
    ];
    const m = await measure(cases, { batch: s.functions > 10 ? 200 : 1000 });
    const ns = (name: string) =>
      (m.find((x: Measurement) => x.name === name) as Measurement).nsPerOp;
    results.push({
      graph: s.name,
      functions: s.functions,
      floorSyncNs: ns("floor sync"),
      runSyncNs: ns("runSync"),
      floorAsyncNs: ns("floor async"),
      runNs: ns("run"),
      syncOverheadUsPerFn: (ns("runSync") - ns("floor sync")) / s.functions / 1000,
      asyncOverheadUsPerFn: (ns("run") - ns("floor async")) / s.functions / 1000,
    });
  }
  return results;
}
