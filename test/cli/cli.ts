/**
 * Runs the real `pipeweave` CLI from source in a child process (`node --import tsx
 * src/cli/main.ts ...`), as a user's shell would: its exit code, stdout and stderr. Tests of
 * argument parsing alone run it in this process ({@link cliInProcess}).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
/** tsx's loader, by path: the CLI may run in a folder from which "tsx" does not resolve. */
const TSX = import.meta.resolve("tsx");
/** One CLI call; tsx starts and loads pipeweave's source in a second or two on a busy machine. */
export const CLI_MS = 30_000;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  /** Added to the environment (NO_COLOR and FORCE_COLOR are removed first). */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** The environment a CLI call gets: the test's, without colour switches unless given. */
export function cliEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  delete env.CLICOLOR_FORCE;
  return { ...env, ...extra };
}

/** Runs `pipeweave ...args` to its end (killed after `timeoutMs`); never rejects. */
export function cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", TSX, MAIN, ...args],
      {
        cwd: options.cwd ?? FIXTURES,
        env: cliEnv(options.env),
        timeout: options.timeoutMs ?? CLI_MS,
        killSignal: "SIGKILL",
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** The colour switches {@link cliEnv} removes. */
const COLOR_SWITCHES = ["NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE"] as const;

/**
 * Runs `pipeweave ...args` in this process (`runCli`, what the bin runs before it exits) and
 * captures what it writes, with the environment {@link cli} gives. Only for arguments that
 * fail to parse or ask for help, so that no command runs here: it spares a tsx child process
 * (half a second of CPU) per call. The code is the exit status the bin would exit with.
 */
export async function cliInProcess(args: readonly string[]): Promise<CliResult> {
  // Imported here, so that files which only start the bin do not load the CLI as well.
  const { runCli } = await import("../../src/cli/program.ts");
  const written = { stdout: "", stderr: "" };
  const streams = { stdout: process.stdout, stderr: process.stderr };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const env = COLOR_SWITCHES.map((name) => [name, process.env[name]] as const);
  for (const name of COLOR_SWITCHES) delete process.env[name];
  for (const name of ["stdout", "stderr"] as const) {
    streams[name].write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      written[name] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
      const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof process.stdout.write;
  }
  try {
    const code = await runCli(args);
    return { code, ...written };
  } finally {
    for (const name of ["stdout", "stderr"] as const) streams[name].write = writes[name];
    for (const [name, value] of env) if (value !== undefined) process.env[name] = value;
  }
}

/** Starts `pipeweave ...args` in the background (for a sweep that another call watches). */
export function startCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, ["--import", TSX, MAIN, ...args], {
    cwd: options.cwd ?? FIXTURES,
    env: cliEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Describes a result for an assertion message. */
export function show(result: CliResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point.
export const ANSI = /\u001b\[/;

/** Whether the run's status file says its first function is running. */
export function isRunning(folder: string): boolean {
  try {
    const status = JSON.parse(readFileSync(join(folder, "status.json"), "utf8"));
    return status.functions[0]?.state === "running";
  } catch {
    return false; // not written yet
  }
}

/** Polls until `ok()` holds; fails after a generous bound (the point is a hang, not a timing). */
export async function until(ok: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}`);
}
