/**
 * What the CLI says when a command fails: the library's errors with the CLI's flags where the
 * library names its options (`--resume`, not `{ resume: true }`), the messages of their causes
 * (which a shell cannot read), and the command that computes an output `run` cannot.
 * Most of it runs in this process; one spawned call per behaviour checks the real CLI.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { cliOptionName } from "../../src/cli/flags.ts";
import { reportFailure } from "../../src/cli/output.ts";
import {
  ExecutorError,
  NodeExecutionError,
  PipeweaveError,
  RunFolderCorruptError,
  RunFolderExistsError,
  RunFolderLockedError,
  RunFolderMismatchError,
  RunFolderNotEmptyError,
  RunFolderWriteError,
  UnusedInputError,
} from "../../src/errors.ts";
import { deserializeError, serializeError } from "../../src/executor/error-data.ts";
import { cli, cliInProcess, show } from "./cli.ts";

const scratch = mkdtempSync(join(tmpdir(), "pipeweave-cli-messages-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** What `reportFailure` prints for `error`. */
function reported(error: unknown, verbose = false): string {
  let text = "";
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    text += String(chunk);
    return true;
  });
  try {
    reportFailure(error, verbose);
  } finally {
    err.mockRestore();
  }
  return text;
}

// The library's spelling of an option in a message: `{ resume: true }`, `runFolder`, `timeoutMs`.
const API_SPELLING = /\{ \w+: [^}]+ \}|\brunFolder\b|\btimeoutMs\b|\blockDuration\b/;

describe("messages name the CLI's flags where the library names its options", () => {
  const redisStalled = new ExecutorError(
    "redis",
    (o) =>
      `lost workers past their ${o("lockDuration")}; raise ${o("timeoutMs")}, check ` +
      `${o("connection")} and resume the map with ${o("resume", true)}.`,
  );
  it.each([
    [
      "RunFolderExistsError",
      new RunFolderExistsError("runs/a"),
      'The run folder "runs/a" already holds a run. Pass { resume: true } to finish it, { overwrite: true } to replace its results, or choose another runFolder.',
      'The run folder "runs/a" already holds a run. Pass --resume to finish it, --overwrite to replace its results, or choose another --run-folder.',
    ],
    [
      "RunFolderMismatchError",
      new RunFolderMismatchError("runs/a", ['input "x" differs']),
      /Use another runFolder, or pass \{ overwrite: true \} instead of resume to start over\.$/,
      /Use another --run-folder, or pass --overwrite instead of --resume to start over\.$/,
    ],
    [
      "RunFolderLockedError",
      new RunFolderLockedError("runs/a", { pid: 7 }),
      /then pass \{ resume: true \} to continue it\), or choose another runFolder\./,
      /then pass --resume to continue it\), or choose another --run-folder\./,
    ],
    [
      "RunFolderCorruptError",
      new RunFolderCorruptError("runs/a", "run.json", "it is empty"),
      /Pass \{ overwrite: true \} to start the run over/,
      /Pass --overwrite to start the run over/,
    ],
    [
      "RunFolderNotEmptyError",
      new RunFolderNotEmptyError("runs/a", ["notes.txt"]),
      /so that overwrite never deletes files of yours\. Pass a new or empty folder as runFolder/,
      /so that --overwrite never deletes files of yours\. Pass a new or empty folder as --run-folder/,
    ],
    [
      "RunFolderWriteError (disk full)",
      new RunFolderWriteError("runs/a", "y.v8", "ENOSPC"),
      /then run again with \{ resume: true \}: the elements already written are kept\.$/,
      /then run again with --resume: the elements already written are kept\.$/,
    ],
    [
      "RunFolderWriteError (read-only)",
      new RunFolderWriteError("runs/a", "y.v8", "EROFS"),
      /Pass a runFolder on a writable disk\.$/,
      /Pass a --run-folder on a writable disk\.$/,
    ],
    [
      "UnusedInputError",
      new UnusedInputError(["bb"], { bb: "b" }),
      /Remove it, fix its name, or pass \{ allowUnused: true \}\.$/,
      /Remove it, fix its name, or pass --allow-unused\.$/,
    ],
    [
      "ExecutorError",
      redisStalled,
      "lost workers past their lockDuration; raise timeoutMs, check connection and resume the map with { resume: true }.",
      "lost workers past their --lock-duration; raise --timeout-ms, check --redis and resume the map with --resume.",
    ],
  ] as const)("%s", (_, error, api, flags) => {
    expect(error).toBeInstanceOf(PipeweaveError);
    expect(error.message).toMatch(api);
    const cliText = error.messageNaming(cliOptionName);
    expect(cliText).toMatch(flags);
    expect(cliText).not.toMatch(API_SPELLING);
    expect(reported(error)).toBe(`error: ${cliText}\n`);
  });

  it("writes an option the CLI has no flag for as the library does", () => {
    expect(cliOptionName("internalShapes")).toBe("internalShapes");
    expect(cliOptionName("validate", true)).toBe("{ validate: true }");
    expect(cliOptionName("storage", "file")).toBe("--storage file");
  });

  it("keeps the message of an error rebuilt from another thread or process", () => {
    const rebuilt = deserializeError(serializeError(new RunFolderExistsError("runs/a")));
    expect(rebuilt).toBeInstanceOf(RunFolderExistsError);
    const error = rebuilt as RunFolderExistsError;
    expect(error.messageNaming(cliOptionName)).toBe(error.message);
    expect(error.message).toMatch(/Pass \{ resume: true \}/);
  });
});

describe("a failure's causes", () => {
  it("prints each cause's message below the error, then where the stack is", () => {
    const root = Object.assign(new TypeError("price2.values is not a function"), {
      cause: { code: 7 },
    });
    const error = new NodeExecutionError("meanPrice", { price2: 3 }, root);
    expect(reported(error)).toBe(
      `error: ${error.message}\n` +
        "cause: TypeError: price2.values is not a function\n" +
        "cause: { code: 7 }\n" +
        "Run again with --verbose to see the stack.\n",
    );
  });

  it("writes a cause of pipeweave's with flags, indents its lines, and stops at a cycle", () => {
    const inner = new RunFolderExistsError("runs/a");
    const outer = new Error("first line\nsecond line", { cause: inner });
    (inner as { cause?: unknown }).cause = outer;
    expect(reported(outer)).toBe(
      "error: first line\nsecond line\n" +
        `cause: ${inner.messageNaming(cliOptionName)}\n` +
        "Run again with --verbose to see the stack.\n",
    );
    const multiline = new PipeweaveError("E_EXECUTOR", "failed", {
      cause: new Error("one\ntwo"),
    });
    expect(reported(multiline)).toBe(
      "error: failed\ncause: one\n  two\nRun again with --verbose to see the stack.\n",
    );
  });

  it("prints a known mistake without causes alone, and everything with --verbose", () => {
    const error = new RunFolderExistsError("runs/a");
    expect(reported(error)).not.toMatch(/--verbose/);
    const verbose = reported(new NodeExecutionError("f", {}, new RangeError("bad")), true);
    expect(verbose).toMatch(/NodeExecutionError: Function "f" failed/);
    expect(verbose).toMatch(/\[cause\]: RangeError: bad/);
    expect(verbose).toMatch(/^\s+at /m);
  });
});

describe("usage errors of map exit 2 with the usage, before anything runs", () => {
  const map = ["map", "pipelines.ts#sweep", "--inputs", "sweep-inputs.json"];
  it.each([
    [
      "--resume with --overwrite",
      ["--run-folder", "r", "--resume", "--overwrite"],
      /option '--resume' cannot be used with option '--overwrite'/,
    ],
    [
      "--resume without a run folder",
      ["--storage", "memory", "--resume"],
      /--resume needs --run-folder/,
    ],
    [
      "no run folder unless in memory",
      [],
      /required option '--run-folder <dir>' not specified \(only --storage memory runs without one/,
    ],
  ] as const)("%s", async (_, args, message) => {
    const result = await cliInProcess([...map, ...args]);
    expect(result.code, show(result)).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/Usage: pipeweave map/);
    expect(result.stdout).toBe("");
  });
});

describe("pipeweave (spawned)", () => {
  it("map on a folder of the user's files names --overwrite and --run-folder", async () => {
    const folder = join(scratch, "taken");
    mkdirSync(folder);
    writeFileSync(join(folder, "notes.txt"), "mine");
    const result = await cli([
      "map",
      "pipelines.ts#sweep",
      "--inputs",
      "sweep-inputs.json",
      "--run-folder",
      folder,
    ]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toMatch(
      /^error: The run folder ".*taken" is not empty and holds no run/m,
    );
    expect(result.stderr).toMatch(
      /so that --overwrite never deletes files of yours\. Pass a new or empty folder as --run-folder/,
    );
    expect(result.stderr).not.toMatch(API_SPELLING);
  });

  it("run of an output that needs map says so, names the mapspec and prints the map command", async () => {
    const result = await cli([
      "run",
      "pipelines.ts#sweep",
      "total",
      "--inputs",
      "sweep-inputs.json",
    ]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toBe(
      'error: Cannot compute "total" with run: function "total" reads the elements of "y" ' +
        'together, which function "y" computes one at a time (mapspec "x[i] -> y[i]"), and only ' +
        'map gathers them. Run map with the same inputs and read "total" from its results, or ' +
        'pass "y" in the inputs as map returns it (an NdArray) so that "y" does not run.\n' +
        "Compute it with: pipeweave map pipelines.ts#sweep --inputs sweep-inputs.json --run-folder <dir>\n" +
        "then read it with: pipeweave load <dir> total\n",
    );
    expect(result.stdout).toBe("");
  });
});
