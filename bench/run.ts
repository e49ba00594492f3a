/**
 * `npm run bench`: measures pipeweave against its floors and peers in one run, prints a
 * table and writes bench/results.json. Never part of `npm test`.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { benchGraph } from "./graph.bench.ts";
import { table } from "./harness.ts";

const fmt = (v: number, digits = 3) => v.toFixed(digits);

async function main(): Promise<void> {
  console.log(
    `pipeweave bench · node ${process.version} · ${os.cpus()[0]?.model ?? "cpu"} × ${os.availableParallelism()}`,
  );
  const graph = await benchGraph();
  console.log("\nGraph overhead per function beyond calling the same functions by hand (SPEC §12)");
  console.log(
    table(
      [
        "graph",
        "fns",
        "by hand µs",
        "runSync µs",
        "sync µs/fn",
        "async floor µs",
        "run µs",
        "async µs/fn",
      ],
      graph.map((g) => [
        g.graph,
        String(g.functions),
        fmt(g.floorSyncNs / 1000),
        fmt(g.runSyncNs / 1000),
        fmt(g.syncOverheadUsPerFn),
        fmt(g.floorAsyncNs / 1000),
        fmt(g.runNs / 1000),
        fmt(g.asyncOverheadUsPerFn),
      ]),
    ),
  );
  const worstSync = Math.max(...graph.map((g) => g.syncOverheadUsPerFn));
  const worstAsync = Math.max(...graph.map((g) => g.asyncOverheadUsPerFn));
  console.log(
    `\ntargets: sync < 0.5 µs/fn → worst ${fmt(worstSync)} (${worstSync < 0.5 ? "met" : "MISSED"}); ` +
      `async < 2 µs/fn → worst ${fmt(worstAsync)} (${worstAsync < 2 ? "met" : "MISSED"}); ` +
      "SPEC §12 quotes pipefunc at 8–11 µs/fn on this machine class (not runnable here: no PyPI)",
  );
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    graph,
  };
  writeFileSync(
    new URL("./results.json", import.meta.url),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  console.log("\nwrote bench/results.json");
}

await main();
