import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import {
  Node,
  Pipeline,
  PipelineDefinitionError,
  PipeweaveError,
  pipefunc,
  RegistryConflictError,
  RegistryValueError,
} from "../../src/index.ts";

const run = promisify(execFile);
const folders: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), "pipeweave-registry-"));
  folders.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function counted(path: string, constants: Record<string, unknown> = {}) {
  const calls = { load: 0, double: 0 };
  const load = new Node({
    func: (conn: { rows: number[] }) => {
      calls.load++;
      return conn.rows;
    },
    inputs: ["conn"],
    outputs: ["rows"],
    name: "load",
    // `version` identifies the code for the registry: the counter is not data it computes from.
    version: 1,
  });
  const double = pipefunc({ output: "doubled", version: 1 }, ({ rows }: { rows: number[] }) => {
    calls.double++;
    return rows.map((r) => r * 2);
  });
  const pipeline = new Pipeline([load, double], {
    constants: { conn: { rows: [1, 2, 3] }, ...constants },
    registry: { path },
  });
  return { pipeline, calls };
}

describe("registry", () => {
  it("restores stored outputs in a later pipeline instead of recomputing them", async () => {
    const path = folder();
    const first = counted(path);
    expect(await first.pipeline.run("doubled")).toEqual([2, 4, 6]);
    expect(first.calls).toEqual({ load: 1, double: 1 });

    const second = counted(path);
    expect(await second.pipeline.run("doubled")).toEqual([2, 4, 6]);
    expect(second.calls).toEqual({ load: 0, double: 0 });
    // No temporary file is left behind by the atomic writes.
    expect(readdirSync(path).sort()).toEqual(["doubled.v8", "rows.v8"]);
  });

  it("persists across processes", async () => {
    const path = folder();
    const child = join(import.meta.dirname, "fixtures", "registry-child.ts");
    const once = async () => {
      const { stdout } = await run(process.execPath, ["--import", "tsx", child, path]);
      return JSON.parse(stdout) as { squares: number[]; calls: Record<string, number> };
    };
    expect(await once()).toEqual({ squares: [1, 4, 9], calls: { load: 1, square: 1 } });
    expect(await once()).toEqual({ squares: [1, 4, 9], calls: { load: 0, square: 0 } });
  });

  it("fails fast when a constant's name is a stored output", async () => {
    const path = folder();
    await counted(path).pipeline.run("doubled");
    const attempt = () => counted(path, { rows: [9] });
    expect(attempt).toThrow(RegistryConflictError);
    expect(attempt).toThrow(/"rows" is both a runtime constant and the output of "load"/);
    try {
      attempt();
    } catch (error) {
      expect((error as RegistryConflictError).names).toEqual(["rows"]);
    }
  });

  it("fails fast when a constant's name is an output stored by an earlier pipeline", async () => {
    const path = folder();
    await counted(path).pipeline.run("doubled");
    const reader = pipefunc({ output: "n" }, ({ rows }: { rows: number[] }) => rows.length);
    const attempt = () => new Pipeline([reader], { constants: { rows: [9] }, registry: { path } });
    expect(attempt).toThrow(RegistryConflictError);
    expect(attempt).toThrow(/"rows" is both a runtime constant and an output stored/);
  });

  it("returns the restored outputs from runAll on a later run", async () => {
    const path = folder();
    const first = counted(path);
    await expect(first.pipeline.runAll()).resolves.toEqual({ rows: [1, 2, 3], doubled: [2, 4, 6] });
    const later = counted(path);
    await expect(later.pipeline.runAll()).resolves.toEqual({ rows: [1, 2, 3], doubled: [2, 4, 6] });
    expect(later.pipeline.runAllSync()).toEqual({ rows: [1, 2, 3], doubled: [2, 4, 6] });
    expect(later.calls).toEqual({ load: 0, double: 0 });
  });

  it.each([
    ["a function", () => () => 1, /function/],
    ["a class instance", () => new (class Point {})(), /Point instance/],
    ["a nested class instance", () => ({ at: [new URL("https://example.org")] }), /URL instance/],
  ])("refuses %s, naming the node and the output", async (_label, make, reason) => {
    const path = folder();
    const bad = pipefunc(
      { output: "handle", name: "connect", version: 1 },
      ({ x }: { x: number }) => {
        void x;
        return make();
      },
    );
    const p = new Pipeline([bad], { registry: { path } });
    const error = await p.run("handle", { x: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryValueError);
    expect((error as RegistryValueError).node).toBe("connect");
    expect((error as RegistryValueError).output).toBe("handle");
    expect(String((error as Error).message)).toMatch(reason);
    expect(readdirSync(path)).toEqual([]);
  });

  it("stores Maps, Dates and typed arrays faithfully", async () => {
    const path = folder();
    const value = { m: new Map([["k", new Date(0)]]), t: new Float64Array([1.5]), s: new Set([1]) };
    const p = new Pipeline([pipefunc({ output: "v", captures: { value } }, () => value)], {
      registry: { path },
    });
    await p.run("v");
    expect(p.openRegistry().get("v")).toEqual(value);
  });

  it("opens for inspection: keys, get, has, placement, delete, clear, close", async () => {
    const path = folder();
    const { pipeline } = counted(path);
    await pipeline.runAll();
    const registry = pipeline.openRegistry();
    expect(registry.keys().sort()).toEqual(["conn", "doubled", "rows"]);
    expect(registry.placement).toEqual({ conn: "memory", rows: "disk", doubled: "disk" });
    expect(registry.get("doubled")).toEqual([2, 4, 6]);
    expect(registry.get("conn")).toEqual({ rows: [1, 2, 3] });
    expect(registry.has("rows")).toBe(true);
    expect(registry.get("nothing")).toBeUndefined();

    expect(registry.delete("doubled")).toBe(true);
    expect(registry.delete("doubled")).toBe(false);
    const again = counted(path);
    await again.pipeline.run("doubled");
    expect(again.calls).toEqual({ load: 0, double: 1 });

    registry.clear();
    expect(registry.keys()).toEqual(["conn"]);
    registry.close();
    expect(() => registry.keys()).toThrow(PipeweaveError);
    expect(() => registry.keys()).toThrow(/closed.*openRegistry\(\) again/);
  });

  it("ignores a temporary file a crashed writer left behind", async () => {
    const path = folder();
    writeFileSync(join(path, ".doubled.999.abc"), "half-written");
    const { pipeline, calls } = counted(path);
    expect(await pipeline.run("doubled")).toEqual([2, 4, 6]);
    expect(calls.double).toBe(1);
  });

  it("explains that a pipeline without a registry has none to open", () => {
    const p = new Pipeline([pipefunc({ output: "y" }, ({ x }: { x: number }) => x)], {
      name: "plain",
    });
    expect(() => p.openRegistry()).toThrow(PipelineDefinitionError);
    expect(() => p.openRegistry()).toThrow(/"plain" has no registry.*registry: \{ path \}/);
  });
});
