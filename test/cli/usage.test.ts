/**
 * The CLI's usage: `--help` on every command, and bad arguments print the usage on stderr and
 * exit 2 before anything runs. The first test runs the bin; the others, which only parse
 * arguments, run the same code in this process.
 */
import { describe, expect, it } from "vitest";
import { cli, cliInProcess, show } from "./cli.ts";

const COMMANDS = [
  "run",
  "map",
  "info",
  "viz",
  "load",
  "status",
  "runs",
  "watch",
  "worker",
] as const;

describe("pipeweave --help", () => {
  it("lists every command and exits 0", async () => {
    const result = await cli(["--help"]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toMatch(/^Usage: pipeweave /m);
    for (const command of COMMANDS)
      expect(result.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    expect(result.stderr).toBe("");
  });

  it.each(COMMANDS)(
    "%s --help prints the command's usage and options and exits 0",
    async (command) => {
      const result = await cliInProcess([command, "--help"]);
      expect(result.code, show(result)).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: pipeweave ${command} `, "m"));
      expect(result.stdout).toContain("--verbose");
      expect(result.stderr).toBe("");
    },
  );
});

describe("bad arguments", () => {
  it.each([
    ["no command", [], /Usage: pipeweave /],
    ["an unknown command", ["sweep"], /unknown command 'sweep'/],
    [
      "an unknown option",
      ["run", "pipelines.ts#arith", "d", "--bogus"],
      /unknown option '--bogus'/,
    ],
    ["a missing argument", ["run", "pipelines.ts#arith"], /missing required argument 'output'/],
    [
      "a target without #export",
      ["info", "pipelines.ts"],
      /Expected <module>#<export> \(such as pipelines\.ts#pipeline\), got "pipelines\.ts"/,
    ],
    [
      "an --input without =",
      ["run", "pipelines.ts#arith", "d", "--input", "a"],
      /Expected --input name=value, got "a"/,
    ],
    [
      "map without --run-folder",
      ["map", "pipelines.ts#sweep", "--inputs", "sweep-inputs.json"],
      /required option '--run-folder <dir>' not specified/,
    ],
    [
      "an unknown executor",
      ["map", "pipelines.ts#sweep", "--inputs", "x.json", "--run-folder", "r", "--executor", "gpu"],
      /Allowed choices are inline, threads/,
    ],
    [
      "a thread count that is not a positive integer",
      ["map", "pipelines.ts#sweep", "--inputs", "x.json", "--run-folder", "r", "--threads", "two"],
      /Expected --threads to be an integer from 1 and up, got "two"/,
    ],
    [
      "an unknown view format",
      ["viz", "pipelines.ts#arith", "--format", "svg"],
      /Allowed choices are ascii, mermaid, dot/,
    ],
    [
      "an index that is not numbers",
      ["load", "runs", "y", "--index", "1,b"],
      /Expected --index as integers i,j,\.\.\. from 0 and up, got "1,b"/,
    ],
    [
      "a depth that is not an integer",
      ["runs", ".", "--depth", "-1"],
      /Expected --depth to be an integer from 0 and up, got "-1"/,
    ],
    [
      "an interval that is not a positive integer",
      ["watch", "runs", "--interval", "0"],
      /Expected --interval to be an integer from 1 and up, got "0"/,
    ],
    [
      "a worker lock duration that is not a positive integer",
      ["worker", "pipelines.ts#arith", "--lock-duration", "soon"],
      /Expected --lock-duration to be an integer from 1 and up, got "soon"/,
    ],
    [
      "a worker cpu count that is not a positive integer",
      ["worker", "pipelines.ts#arith", "--cpus", "0"],
      /Expected --cpus to be an integer from 1 and up, got "0"/,
    ],
    [
      "a worker memory that is not an amount",
      ["worker", "pipelines.ts#arith", "--memory", "4 gigs"],
      /Expected --memory to be an amount such as 16GB or 512MB \(or a number of megabytes\), got "4 gigs"/,
    ],
  ] as const)("%s: prints the usage on stderr and exits 2", async (_, args, message) => {
    const result = await cliInProcess(args);
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/Usage: pipeweave/);
    expect(result.stdout).toBe("");
  });
});
