/**
 * Linear node pipelines (linepipe style): positional nodes, `config.x` injection, runtime
 * constants, a persistent registry and run history. Run with `npx tsx examples/linear.ts`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Node, namedPartial, Pipeline } from "../src/index.ts";

/** Stands in for a database connection: a runtime object, never persisted. */
class FakeDb {
  readonly rows = [3, 1, 4, 1, 5, 9, 2, 6];
  readonly written: number[][] = [];
}

let loads = 0;
function loadData(db: FakeDb): number[] {
  loads++;
  return [...db.rows];
}
function rolling(df: number[], window: number): number[] {
  return df.map((_, i) => {
    const slice = df.slice(Math.max(0, i - window + 1), i + 1);
    return slice.reduce((s, v) => s + v, 0) / slice.length;
  });
}
function scale(features: number[], factor: number): number[] {
  return features.map((v) => v * factor);
}
function writeDb(features: number[], db: FakeDb): void {
  db.written.push(features);
}

const registryPath = mkdtempSync(join(tmpdir(), "pipeweave-linear-"));
const db = new FakeDb();
const build = () =>
  new Pipeline(
    [
      new Node({ func: loadData, inputs: ["db"], outputs: ["df"] }),
      new Node({ func: rolling, inputs: ["df", "config.window"], outputs: ["features"] }),
      new Node({
        func: namedPartial(scale, "double", { factor: 2 }),
        inputs: ["features"],
        outputs: ["scaled"],
      }),
      new Node({ func: writeDb, inputs: ["scaled", "db"], outputs: [], name: "writeDb" }),
    ],
    {
      config: { window: 3 },
      constants: { db },
      order: "declared",
      registry: { path: registryPath },
      history: true,
    },
  );

try {
  const first = build();
  console.log(first.toAscii());
  const result = await first.runAll();
  console.log("scaled =", result.scaled.map((v) => v.toFixed(2)).join(" "));
  for (const h of first.history) {
    console.log(
      `  ${h.node.padEnd(8)} ${h.durationMs.toFixed(3)} ms  in: ${Object.keys(h.inputs).join(", ")}`,
    );
  }

  // A second pipeline over the same registry restores stored outputs instead of recomputing.
  const second = build();
  await second.run("scaled");
  console.log(`loadData ran ${loads} time(s) across two pipelines`);
  const registry = second.openRegistry();
  console.log("registry:", registry.keys().sort().join(", "), registry.placement);
  registry.close();
} finally {
  rmSync(registryPath, { recursive: true, force: true });
}
