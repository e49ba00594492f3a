/**
 * The HTML view of big graphs (target: `toHtml` of 2,000 functions < 5 s; issue 21): a
 * 1,900-function chain (dagre overflowed the stack on it), a seeded random 2,000-function DAG
 * (dagre took 10-27 s) and a 2,000-step chain whose first output every step reads, against the
 * baseline of dagre at the largest graph it is still given.
 */
import { DAGRE_MAX_NODES } from "../src/viz/html.ts";
import {
  chainPipeline,
  hubPipeline,
  randomPipeline,
} from "../test/reliability/fixtures/big-graphs.ts";

/** One graph's figures: the median `toHtml` time and the page's size. */
export interface HtmlCase {
  readonly graph: string;
  readonly functions: number;
  readonly ms: number;
  readonly kib: number;
  /** Each round's time, for the record. */
  readonly rounds: readonly number[];
}

/** Runs each graph's `toHtml` `rounds` times after one warm-up and keeps the median. */
export function benchHtml(rounds = 5): HtmlCase[] {
  const graphs = [
    // A chain of n steps draws n + 2 nodes: the most dagre is given.
    [`chain of ${DAGRE_MAX_NODES - 2} (dagre, baseline)`, chainPipeline(DAGRE_MAX_NODES - 2)],
    ["chain of 1,900", chainPipeline(1900)],
    ["random DAG of 2,000 (seed 21)", randomPipeline(2000, 21)],
    ["chain of 2,000 all reading the first output", hubPipeline(2000)],
  ] as const;
  return graphs.map(([graph, pipeline]) => {
    let size = pipeline.toHtml().length;
    const times: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const start = performance.now();
      size = pipeline.toHtml().length;
      times.push(performance.now() - start);
    }
    const sorted = [...times].sort((a, b) => a - b);
    return {
      graph,
      functions: pipeline.functions.length,
      ms: sorted[Math.floor(sorted.length / 2)]!,
      kib: size / 1024,
      rounds: times,
    };
  });
}
