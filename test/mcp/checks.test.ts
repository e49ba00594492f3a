/**
 * `pipeweave mcp` checks a tool's inputs before anything runs, reads part of a mapped output
 * with `load`'s `select`, and runs a sweep on threads when asked: the SDK's client over stdio
 * against the CLI in a child process.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_MS, until } from "../cli/cli.ts";
import * as tool from "./client.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

let client: Client;
let root: string;

const value = (name: string, args: Record<string, unknown> = {}) => tool.value(client, name, args);
const refusal = (name: string, args: Record<string, unknown>) => tool.refusal(client, name, args);

/** Starts a sweep and waits for it to end; its final state. */
async function mapped(runFolder: string, args: Record<string, unknown>): Promise<string> {
  await value("map", { runFolder, ...args });
  let state = "";
  await until(async () => {
    state = ((await value("status", { id: runFolder })) as { state: string }).state;
    return state !== "running" && state !== "queued";
  }, `sweep "${runFolder}" to end`);
  return state;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "pipeweave-mcp-checks-"));
  // The whole 5 x 3 grid is over 80 bytes as JSON; two of its rows are not.
  client = await tool.stdioClient(
    ["checked.ts#checked", "--root", root, "--max-output-bytes", "80"],
    FIXTURES,
  );
}, CLI_MS);

afterAll(async () => {
  await client?.close();
  rmSync(root, { recursive: true, force: true });
});

describe("pipeweave mcp: inputs checked before anything runs", () => {
  it("run refuses an input name the pipeline does not have, with the closest one", async () => {
    const error = await refusal("run", { output: "y", inputs: { x: 1, xx: 2 } });
    expect(error.code).toBe("E_UNUSED_INPUT");
    expect(error.message).toContain('"xx" (did you mean "x"?)');
  });

  it("run refuses an output's intermediate given as an input: describe lists the inputs", async () => {
    const error = await refusal("run", { output: "total", inputs: { y: [1], offset: 0 } });
    expect(error.code).toBe("E_UNUSED_INPUT");
    expect(error.message).toContain('"y"');
  });

  it("run refuses a missing input, naming it, its reader and the fix", async () => {
    const error = await refusal("run", { output: "y", inputs: {} });
    expect(error.code).toBe("E_MISSING_INPUT");
    expect(error.message).toContain('"x" (read by "y")');
    expect(error.message).toContain("in the tool's `inputs`");
  });

  it("run refuses a value the function's schema refuses (the pipeline itself does not validate)", async () => {
    const error = await refusal("run", { output: "y", inputs: { x: -1 } });
    expect(error.code).toBe("E_VALIDATION");
    expect(error.message).toContain('Function "y"');
    expect(error.message).toContain('argument "x"');
    expect(await value("run", { output: "y", inputs: { x: 4 } })).toBe(8);
  });

  it.each([
    ["a missing input", { x: [1], w: [1] }, "E_MISSING_INPUT", ['"offset" (read by "total")']],
    [
      "a mapped input that is not an array",
      { x: 3, w: [1], offset: 0 },
      "E_INVALID_ARGUMENT",
      ['Input "x"', 'axis "i"', "[3]"],
    ],
    [
      "an element the function's schema refuses",
      { x: [1, -2, 3], w: [1], offset: 0 },
      "E_VALIDATION",
      ['Function "y" at index [1]', 'argument "x"'],
    ],
    ["an unknown input", { x: [1], w: [1], offset: 0, z: 1 }, "E_UNUSED_INPUT", ['"z"']],
  ])("map refuses %s, and makes no run folder", async (_, inputs, code, names) => {
    const runFolder = `refused-${code}-${Object.keys(inputs).length}`;
    const error = await refusal("map", { inputs, runFolder });
    expect(error.code).toBe(code);
    for (const name of names) expect(error.message).toContain(name);
    expect(existsSync(join(root, runFolder))).toBe(false);
  });
});

describe("pipeweave mcp: load select", () => {
  beforeAll(async () => {
    const inputs = { x: [0, 1, 2, 3, 4], w: [10, 20, 30], offset: 0 };
    expect(await mapped("grid", { inputs })).toBe("done");
  }, CLI_MS);

  it("reads part of an output too large to return whole", async () => {
    expect((await refusal("load", { id: "grid", output: "grid" })).code).toBe("E_OUTPUT_TOO_LARGE");
    expect(await value("load", { id: "grid", output: "grid", select: { i: [1, 3] } })).toEqual({
      shape: [2, 3],
      dims: ["i", "j"],
      data: [10, 20, 30, 20, 40, 60],
    });
  });

  it.each([
    ["an index, dropping its axis", { i: 1 }, { shape: [3], dims: ["j"], data: [10, 20, 30] }],
    [
      "a range and a negative index",
      { i: [3, 9], j: -1 },
      { shape: [2], dims: ["i"], data: [90, 120] },
    ],
    [
      "a range counted from the end",
      { i: [-2, 5], j: [0, 1] },
      { shape: [2, 1], dims: ["i", "j"], data: [30, 40] },
    ],
    ["every axis, giving the element", { i: 2, j: 0 }, 20],
  ])("selects with %s", async (_, select, expected) => {
    expect(await value("load", { id: "grid", output: "grid", select })).toEqual(expected);
  });

  it.each([
    ["an axis it does not have, listing its axes", { k: 0 }, ['no axis "k"', '"i", "j"', "[5, 3]"]],
    ["an index outside its axis", { j: 3 }, ['Index 3 is outside axis "j"', "length 3"]],
    ["a value that is neither index nor range", { i: "all" }, ["`select.i`", '"all"']],
  ])("refuses %s", async (_, select, names) => {
    const error = await refusal("load", { id: "grid", output: "grid", select });
    expect(error.code).toBe("E_INVALID_ARGUMENT");
    for (const name of names) expect(error.message).toContain(name);
  });

  it("refuses select on an output that is one value", async () => {
    const error = await refusal("load", { id: "grid", output: "total", select: { i: 0 } });
    expect(error.code).toBe("E_INVALID_ARGUMENT");
    expect(error.message).toContain('"total"');
  });
});

describe("pipeweave mcp: map executor", () => {
  it("runs a sweep on threads", async () => {
    const inputs = { x: [1, 2, 3], w: [1], offset: 1 };
    expect(await mapped("threaded", { inputs, executor: "threads" })).toBe("done");
    expect(await value("load", { id: "threaded", output: "total" })).toBe(13);
  });

  it("map refuses what the library checks before any function runs, without an id to follow", async () => {
    const error = await refusal("map", {
      runFolder: "both",
      inputs: { x: [1], w: [1], offset: 0 },
      resume: true,
      overwrite: true,
    });
    expect(error.code).toBe("E_INVALID_OPTION");
    expect(error.message).toMatch(/resume.*overwrite|overwrite.*resume/);
    const runs = (await value("runs")) as { runs?: { id?: string }[] } | { id?: string }[];
    expect(JSON.stringify(runs)).not.toContain('"both"');
  });

  it("refuses an executor other than inline and threads", async () => {
    const error = await refusal("map", {
      inputs: { x: [1], w: [1], offset: 0 },
      executor: "redis",
    });
    expect(error.code).toBe("E_INVALID_ARGUMENT");
    expect(error.message).toContain('"inline", "threads"');
  });
});
