import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");

/** Runs an example the way the README tells users to, and returns what it printed. */
async function example(name: string): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", join("examples", name)], {
    cwd: root,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return stdout;
}

describe("examples", () => {
  it("quickstart.ts computes the documented values and prints its profile", async () => {
    const out = await example("quickstart.ts");
    expect(out).toContain("d = 15");
    expect(out).toContain("e = 75");
    expect(out).toContain("e from intermediates = 75");
    expect(out).toContain("all = { a: 2, b: 3, c: 5, d: 15, e: 75 }");
    expect(out).toMatch(/^\[e\] ΔMem: .* MiB \| Peak: .* MiB$/m);
  });

  it("linear.ts runs the node pipeline and restores from its registry", async () => {
    const out = await example("linear.ts");
    expect(out).toContain("scaled = 6.00 4.00 5.33 4.00 6.67 10.00 10.67 11.33");
    expect(out).toContain("loadData ran 1 time(s) across two pipelines");
    expect(out).toMatch(/registry: db, df, features, scaled/);
    expect(out).toContain("out: (side effect)");
  });
});
