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

function loadData(db: FakeDb): number[] {
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
const build = (window: number) =>
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
      config: { window },
      constants: { db },
      order: "declared",
      registry: { path: registryPath },
      history: true,
    },
  );

try {
  const first = build(3);
  console.log(first.toAscii());
  const result = await first.runAll();
  console.log("scaled =", result.scaled.map((v) => v.toFixed(2)).join(" "));
  for (const h of first.history) {
    console.log(
      `  ${h.node.padEnd(8)} ${h.durationMs.toFixed(3)} ms  in: ${Object.keys(h.inputs).join(", ")}`,
    );
  }

  // A second pipeline over the same registry restores stored outputs instead of recomputing,
  // as long as what produced them is unchanged; a new window recomputes what reads it.
  const sources = (p: ReturnType<typeof build>) =>
    p.history.map((h) => `${h.node}: ${h.source}`).join(", ");
  const second = build(3);
  await second.run("scaled");
  console.log("window 3 again:", sources(second));
  const third = build(5);
  await third.run("scaled");
  console.log("window 5:", sources(third));
  const registry = third.openRegistry();
  console.log("registry:", registry.keys().sort().join(", "), registry.placement);
  registry.close();
} finally {
  rmSync(registryPath, { recursive: true, force: true });
}
