/**
 * `pipeweave map` into a run folder from `.ts` and `.js` modules, inline and on threads, with
 * failures; `load` reads what it wrote.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANSI, cli, show } from "./cli.ts";

const scratch = mkdtempSync(join(tmpdir(), "pipeweave-cli-map-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const INPUTS = "sweep-inputs.json";

describe("pipeweave map and load", () => {
  const first = join(scratch, "runs", "first");
  let mapped = { code: null as number | null, stdout: "", stderr: "" };

  beforeAll(async () => {
    mapped = await cli(["map", "pipelines.ts#sweep", "--inputs", INPUTS, "--run-folder", first]);
  }, 60_000);

  it("map prints one summary line per function and where the results are", () => {
    expect(mapped.code, show(mapped)).toBe(0);
    const lines = mapped.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^y\s+4\/4 done\s+0 failed\s+\S+/);
    expect(lines[1]).toMatch(/^total\s+1\/1 done\s+0 failed\s+\S+/);
    expect(mapped.stdout).toContain(`Results in ${first}`);
    expect(mapped.stdout).toContain(`pipeweave load ${first} <output>`);
    // Not a TTY: no bars on stderr, no escapes anywhere.
    expect(mapped.stderr).toBe("");
    expect(mapped.stdout).not.toMatch(ANSI);
  });

  it("load prints a mapped output as its NdArray JSON, a single output as its value", async () => {
    const y = await cli(["load", first, "y"]);
    expect(y.code, show(y)).toBe(0);
    expect(JSON.parse(y.stdout)).toEqual({ shape: [4], dims: ["i"], data: [2, 4, 6, 8] });
    const total = await cli(["load", first, "total"]);
    expect(JSON.parse(total.stdout)).toBe(20);
  });

  it("load --index picks one element", async () => {
    const result = await cli(["load", first, "y", "--index", "2"]);
    expect(result.code, show(result)).toBe(0);
    expect(JSON.parse(result.stdout)).toBe(6);
  });

  it("load of an unknown output or a bad index is exit 1 naming it", async () => {
    const unknown = await cli(["load", first, "z"]);
    expect(unknown.code, show(unknown)).toBe(1);
    // The suggestion depends on how close "z" is taken to be to "y".
    expect(unknown.stderr).toMatch(
      /^error: The run folder ".*" has no output "z"\. (Did you mean "y"\?|Known outputs: "y", "total"\.)$/m,
    );
    const outside = await cli(["load", first, "y", "--index", "7"]);
    expect(outside.code, show(outside)).toBe(1);
    expect(outside.stderr).toMatch(/^error: .*7/m);
    const scalar = await cli(["load", first, "total", "--index", "0"]);
    expect(scalar.code, show(scalar)).toBe(1);
    expect(scalar.stderr).toMatch(/Output "total" .* is not a mapped output; --index needs one/);
  });

  it("load on a folder that is not a run folder is exit 1 naming it", async () => {
    const result = await cli(["load", scratch, "y"]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toContain(scratch);
  });

  it("refuses an existing run folder without --resume or --overwrite, then resumes it", async () => {
    const again = await cli([
      "map",
      "pipelines.ts#sweep",
      "--inputs",
      INPUTS,
      "--run-folder",
      first,
    ]);
    expect(again.code, show(again)).toBe(1);
    expect(again.stderr).toMatch(/^error: .*resume/m);
    const resumed = await cli([
      "map",
      "pipelines.ts#sweep",
      "--inputs",
      INPUTS,
      "--run-folder",
      first,
      "--resume",
    ]);
    expect(resumed.code, show(resumed)).toBe(0);
    expect(resumed.stdout).toMatch(/^y\s+4\/4 done/m);
  });

  it("--extend grows a run whose mapped input was only appended to", async () => {
    const folder = join(scratch, "runs", "grown");
    const base = ["map", "pipelines.ts#sweep", "--run-folder", folder];
    expect((await cli([...base, "--input", "x=[1,2]"])).code).toBe(0);
    const refused = await cli([...base, "--input", "x=[1,2,3]", "--resume"]);
    expect(refused.code, show(refused)).toBe(1);
    expect(refused.stderr).toContain("extend");
    const grown = await cli([...base, "--input", "x=[1,2,3]", "--extend"]);
    expect(grown.code, show(grown)).toBe(0);
    const y = await cli(["load", folder, "y"]);
    expect(JSON.parse(y.stdout)).toEqual({ shape: [3], dims: ["i"], data: [2, 4, 6] });
    const both = await cli([...base, "--input", "x=[1,2,3]", "--extend", "--resume"]);
    expect(both.code).toBe(2);
  });
});

describe("pipeweave map on .js modules, threads and failures", () => {
  it("maps a plain .js module", async () => {
    const folder = join(scratch, "squares");
    const result = await cli([
      "map",
      "./squares.js#squares",
      "--inputs",
      INPUTS,
      "--run-folder",
      folder,
    ]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toMatch(/^y\s+4\/4 done\s+0 failed/m);
    const y = await cli(["load", folder, "y"]);
    expect(JSON.parse(y.stdout).data).toEqual([1, 4, 9, 16]);
  });

  it("runs a declared .ts pipeline on threads", async () => {
    const folder = join(scratch, "threads");
    const args = ["--inputs", INPUTS, "--run-folder", folder, "--executor", "threads"];
    const result = await cli(["map", "pipelines.ts#sweep", ...args, "--threads", "2"]);
    expect(result.code, show(result)).toBe(0);
    const total = await cli(["load", folder, "total"]);
    expect(JSON.parse(total.stdout)).toBe(20);
  });

  it("a failing element exits 1 with the node and index named, no stack", async () => {
    const folder = join(scratch, "failing");
    const result = await cli([
      "map",
      "pipelines.ts#failing",
      "--inputs",
      INPUTS,
      "--run-folder",
      folder,
    ]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toMatch(
      /^error: Function "y" at index \[2\] failed: RangeError: x must not be 3/m,
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
    const status = await cli(["status", folder, "--json"]);
    expect(JSON.parse(status.stdout).state).toBe("failed");
  });

  it("--errors continue finishes, exits 0 and counts the failure", async () => {
    const folder = join(scratch, "continue");
    const result = await cli([
      "map",
      "pipelines.ts#failing",
      "--inputs",
      INPUTS,
      "--run-folder",
      folder,
      "--errors",
      "continue",
    ]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toMatch(/^y\s+3\/4 done\s+1 failed/m);
    const y = await cli(["load", folder, "y"]);
    expect(JSON.parse(y.stdout)).toMatchObject({ data: [2, 4, null, 8], missing: [2] });
  });
});
