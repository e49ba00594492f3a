/**
 * `pipeweave mcp` driven as an agent drives it: the SDK's own client over stdio, against the
 * CLI started as a child process.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_MS, FIXTURES, until } from "../cli/cli.ts";
import * as tool from "./client.ts";

let client: Client;
let root: string;
let outside: string;

const value = (name: string, args: Record<string, unknown> = {}) => tool.value(client, name, args);
const refusal = async (name: string, args: Record<string, unknown>) =>
  (await tool.refusal(client, name, args)).code;

beforeAll(async () => {
  const base = mkdtempSync(join(tmpdir(), "pipeweave-mcp-"));
  root = join(base, "runs");
  outside = join(base, "outside");
  mkdirSync(outside);
  mkdirSync(root);
  symlinkSync(outside, join(root, "link-out"));
  symlinkSync(join(base, "not-yet"), join(root, "link-nowhere"));
  client = await tool.stdioClient(
    ["pipelines.ts#sweep", "--root", root, "--max-output-bytes", "200"],
    FIXTURES,
  );
}, CLI_MS);

afterAll(async () => {
  await client?.close();
  rmSync(join(root, ".."), { recursive: true, force: true });
});

describe("pipeweave mcp", () => {
  it("lists its tools", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(["describe", "run", "map", "status", "load", "runs"]);
  });

  it("describes the pipeline", async () => {
    const d = (await value("describe")) as {
      name: string;
      inputs: { name: string; axes: string[] }[];
      outputs: { name: string }[];
    };
    expect(d.name).toBe("sweep");
    expect(d.inputs).toMatchObject([{ name: "x", required: true, axes: ["i"] }]);
    expect(d.outputs.map((o) => o.name)).toEqual(["y", "total"]);
  });

  it("runs a sweep into the root, reports it until done, and loads its outputs", async () => {
    const started = (await value("map", { inputs: { x: [1, 2, 3] }, runFolder: "first" })) as {
      id: string;
    };
    expect(started.id).toBe("first");
    let state = "";
    await until(async () => {
      state = ((await value("status", { id: "first" })) as { state: string }).state;
      return state !== "running" && state !== "queued";
    }, "the sweep to end");
    expect(state).toBe("done");
    expect(await value("load", { id: "first", output: "total" })).toBe(12);
    expect(await value("load", { id: "first", output: "y", index: [2] })).toBe(6);
    expect(await value("load", { id: "first", output: "y" })).toMatchObject({
      shape: [3],
      data: [2, 4, 6],
    });
    const runs = (await value("runs")) as { id: string; state: string }[];
    expect(runs).toContainEqual(expect.objectContaining({ id: "first", state: "done" }));
  });

  it("computes an output with run, and refuses one over the size cap", async () => {
    expect(await value("run", { output: "y", inputs: { x: 5 } })).toBe(10);
    const big = Array.from({ length: 100 }, (_, i) => i);
    await value("map", { inputs: { x: big }, runFolder: "big" });
    await until(async () => {
      const s = (await value("status", { id: "big" })) as { state: string };
      return s.state === "done";
    }, "the big sweep to end");
    expect(await refusal("load", { id: "big", output: "y" })).toBe("E_OUTPUT_TOO_LARGE");
  });

  it.each([
    ["a .. segment", "../outside"],
    ["an absolute path", "/tmp"],
    ["a symbolic link out", "link-out/run"],
    ["a symbolic link to nothing (yet)", "link-nowhere/run"],
  ])("refuses a run folder with %s", async (_, runFolder) => {
    expect(await refusal("map", { inputs: { x: [1] }, runFolder })).toBe("E_OUTSIDE_ROOT");
    expect(await refusal("status", { id: runFolder })).toBe("E_OUTSIDE_ROOT");
  });

  it("refuses unknown outputs and inputs with the typed error's code, running nothing", async () => {
    expect(await refusal("run", { output: "nope", inputs: { x: 1 } })).toBe("E_UNKNOWN_OUTPUT");
    expect(await refusal("load", { id: "first", output: "nope" })).toBe("E_UNKNOWN_OUTPUT");
    expect(await refusal("map", { inputs: { z: [1] }, runFolder: "typo" })).toBe("E_UNUSED_INPUT");
    const runs = (await value("runs")) as { id: string }[];
    expect(runs.map((r) => r.id)).not.toContain("typo");
  });
});
