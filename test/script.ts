import { execFile } from "node:child_process";
import { promisify } from "node:util";

/**
 * Runs a TypeScript file as a script of its own (`node --import tsx`), under Node's module
 * semantics rather than the test runner's, and gives back what it printed when it exited.
 * Killed with SIGKILL after `timeoutMs`, so a script that would hang fails the test.
 */
export async function runScript(
  file: string,
  args: readonly string[] = [],
  timeoutMs = 25_000,
): Promise<{ readonly stdout: string; readonly exitedAt: number }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", file, ...args],
    {
      timeout: timeoutMs,
      killSignal: "SIGKILL",
    },
  );
  return { stdout, exitedAt: Date.now() };
}
