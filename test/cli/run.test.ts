/**
 * `pipeweave run`, `info` and `viz` on `.ts` and `.js` modules, and how the CLI reports a module
 * it cannot use or a run that fails: exit 1, a message naming the module, export or node, and
 * no stack unless `--verbose`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ANSI, cli, FIXTURES, show } from "./cli.ts";

const scratch = mkdtempSync(join(tmpdir(), "pipeweave-cli-run-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("pipeweave run", () => {
  it("computes an output of a .ts module and prints it as JSON", async () => {
    const result = await cli([
      "run",
      "pipelines.ts#arith",
      "d",
      "--input",
      "a=2",
      "--input",
      "b=3",
    ]);
    expect(result.code, show(result)).toBe(0);
    expect(JSON.parse(result.stdout)).toBe(15);
    expect(result.stderr).toBe("");
  });

  it("reads --inputs from a JSON file, --input values win, and --output writes a file", async () => {
    const inputs = join(scratch, "inputs.json");
    const output = join(scratch, "d.json");
    writeFileSync(inputs, JSON.stringify({ a: 100, b: 3 }));
    const result = await cli(
      [
        "run",
        join(FIXTURES, "pipelines.ts#arith"),
        "d",
        "--inputs",
        inputs,
        "--input",
        "a=2",
        "--output",
        output,
      ],
      { cwd: scratch },
    );
    expect(result.code, show(result)).toBe(0);
    expect(JSON.parse(readFileSync(output, "utf8"))).toBe(15);
    expect(result.stdout).toBe("");
  });

  it("parses each --input value as JSON when it parses, else as a string", async () => {
    const values = {
      n: ["7", 7],
      list: ["[1,2]", [1, 2]],
      object: ['{"k":true}', { k: true }],
      nothing: ["null", null],
      word: ["hello", "hello"],
      pair: ["a=b", "a=b"],
      empty: ["", ""],
    } as const;
    const args = Object.entries(values).flatMap(([name, [text]]) => ["--input", `${name}=${text}`]);
    const result = await cli(["run", "pipelines.ts#echo", "out", ...args]);
    expect(result.code, show(result)).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(
      Object.fromEntries(Object.entries(values).map(([name, [, value]]) => [name, value])),
    );
  });

  it("writes what JSON cannot hold (NaN) as null and says so on stderr", async () => {
    const result = await cli([
      "run",
      "pipelines.ts#arith",
      "d",
      "--input",
      "a=1",
      "--input",
      "b=oops",
    ]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toBe("null\n");
    expect(result.stderr).toBe("warning: JSON cannot hold NaN; written as null.\n");
  });

  it("runs a plain .js module", async () => {
    const result = await cli(["run", "./squares.js#squares", "y", "--input", "x=9"]);
    expect(result.code, show(result)).toBe(0);
    expect(JSON.parse(result.stdout)).toBe(81);
  });

  it("a failing function exits 1 with the node-named error and no stack", async () => {
    const result = await cli(["run", "pipelines.ts#failing", "y", "--input", "x=3"]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toMatch(/^error: Function "y" failed: RangeError: x must not be 3/m);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).toMatch(/--verbose/);
    expect(result.stdout).toBe("");
  });

  it("--verbose shows the stack and the cause", async () => {
    const result = await cli(["run", "pipelines.ts#failing", "y", "--input", "x=3", "--verbose"]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toMatch(/NodeExecutionError: Function "y" failed/);
    expect(result.stderr).toMatch(/^\s+at /m);
    expect(result.stderr).toMatch(/RangeError: x must not be 3/);
  });

  it("a missing input is exit 1 with the library's message", async () => {
    const result = await cli(["run", "pipelines.ts#arith", "d", "--input", "a=2"]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toMatch(/^error: .*"b"/m);
  });

  it("an --inputs file that is not a JSON object is exit 1 naming the file", async () => {
    const bad = join(scratch, "bad.json");
    writeFileSync(bad, "[1, 2");
    const result = await cli(["run", join(FIXTURES, "pipelines.ts#arith"), "d", "--inputs", bad]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toContain(bad);
    expect(result.stderr).toMatch(/not valid JSON/);
    const list = join(scratch, "list.json");
    writeFileSync(list, "[1, 2]");
    const listed = await cli(["run", join(FIXTURES, "pipelines.ts#arith"), "d", "--inputs", list]);
    expect(listed.code, show(listed)).toBe(1);
    expect(listed.stderr).toMatch(/must hold a JSON object of inputs by name, got an array/);
  });
});

describe("modules the CLI cannot use", () => {
  it("a missing module is exit 1 naming the module and where it was looked for", async () => {
    const result = await cli(["run", "nowhere.ts#arith", "d"]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toMatch(/^error: Module "nowhere\.ts" not found/m);
    expect(result.stderr).toContain(join(FIXTURES, "nowhere.ts"));
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it("a module without that export is exit 1 listing the module's exports", async () => {
    const result = await cli(["info", "pipelines.ts#arithmetic"]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toMatch(/Module "pipelines\.ts" has no export "arithmetic"/);
    expect(result.stderr).toMatch(/Did you mean "arith"\?/);
    expect(result.stderr).toMatch(/answer, arith, echo, failing, gated, held, slow, sweep/);
  });

  it("an export that is not a pipeline is exit 1 naming it", async () => {
    const result = await cli(["info", "pipelines.ts#answer"]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toMatch(
      /Export "answer" of module "pipelines\.ts" is not a Pipeline \(got an object\)/,
    );
  });

  it("a module that throws on import is exit 1 naming the module and the error", async () => {
    const broken = join(scratch, "broken.js");
    writeFileSync(broken, 'throw new Error("cannot start");\n');
    const result = await cli(["info", `${broken}#pipeline`]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toMatch(/Module ".*broken\.js" failed to load: Error: cannot start/);
  });
});

describe("pipeweave info and viz", () => {
  it("info describes the inputs and outputs", async () => {
    const result = await cli(["info", "pipelines.ts#arith"]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toMatch(/^Pipeline "arith"/m);
    expect(result.stdout).toMatch(/required inputs\s+a, b/);
    expect(result.stdout).toMatch(/outputs\s+d/);
    expect(result.stdout).toMatch(/intermediate\s+c/);
    // The descriptions the pipeline and its functions give.
    expect(result.stdout).toMatch(/^ {2}adds, then multiplies$/m);
    expect(result.stdout).toMatch(/^ {2}a\s+-\s+\(required\)\s+the first term$/m);
    expect(result.stdout).toMatch(/^ {2}b\s+-\s+\(required\)\s+the second term$/m);
    expect(result.stdout).toMatch(/^ {2}d \(leaf\)\s+-\s+d\s+the sum times b$/m);
  });

  it("run <module#export> --help lists that pipeline's inputs with their descriptions", async () => {
    const result = await cli(["run", "pipelines.ts#arith", "--help"]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toMatch(/^Pipeline "arith": adds, then multiplies$/m);
    expect(result.stdout).toMatch(/^ {2}a\s+-\s+\(required\)\s+the first term$/m);
    expect(result.stdout).toMatch(/^ {2}c\s+-\s+c\s+the sum$/m);
  });

  it("run --help of a module that cannot load prints the usage with a note", async () => {
    const result = await cli(["run", "nowhere.ts#arith", "--help"]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toMatch(/^Usage: pipeweave run/m);
    expect(result.stdout).toMatch(
      /The inputs of nowhere\.ts#arith are not listed: Module "nowhere\.ts" not found/,
    );
  });

  it("info --json prints pipeline.info()", async () => {
    const result = await cli(["info", "pipelines.ts#arith", "--json"]);
    expect(result.code, show(result)).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      name: "arith",
      inputs: ["a", "b"],
      outputs: ["d"],
      requiredInputs: ["a", "b"],
      optionalInputs: [],
      intermediate: ["c"],
      describe: expect.objectContaining({ name: "arith", description: "adds, then multiplies" }),
    });
  });

  it.each([
    ["ascii", /^arith$[\s\S]*in: {2}a, b/m],
    ["mermaid", /^flowchart/m],
    ["dot", /^digraph/m],
  ])("viz --format %s prints that view", async (format, pattern) => {
    const result = await cli(["viz", "pipelines.ts#arith", "--format", format]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toMatch(pattern);
    expect(result.stdout).not.toMatch(ANSI);
  });
});
