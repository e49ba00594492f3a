/**
 * Ctrl-C during `pipeweave map`: the first stops scheduling, lets running elements finish and
 * exits 130 with the command that resumes; a second quits at once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, isRunning, show, startCli, until } from "./cli.ts";

const scratch = mkdtempSync(join(tmpdir(), "pipeweave-cli-interrupt-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Starts `map pipelines.ts#held` with elements that wait `holdMs`, once it reports running. */
async function startHeld(folder: string, holdMs: number) {
  const args = [
    "map",
    "pipelines.ts#held",
    "--inputs",
    "sweep-inputs.json",
    "--run-folder",
    folder,
  ];
  const sweep = startCli(args, { env: { PIPEWEAVE_TEST_HOLD_MS: String(holdMs) } });
  let stderr = "";
  sweep.stderr?.on("data", (chunk: Buffer) => {
    stderr += String(chunk);
  });
  sweep.stdout?.resume();
  const closed = new Promise<number | null>((resolve) => sweep.once("close", resolve));
  await until(() => isRunning(folder), "the sweep to run");
  return { sweep, closed, stderr: () => stderr };
}

const RESUME = (folder: string) =>
  `pipeweave map pipelines.ts#held --inputs sweep-inputs.json --run-folder ${folder} --resume`;

describe("Ctrl-C during map", () => {
  it("the first waits for running elements, then exits 130 with the resume command", async () => {
    const folder = join(scratch, "once");
    const run = await startHeld(folder, 2000);
    try {
      run.sweep.kill("SIGINT");
      expect(await run.closed).toBe(130);
    } finally {
      run.sweep.kill("SIGKILL");
    }
    expect(run.stderr()).toContain(RESUME(folder));
    expect(run.stderr()).toMatch(/Interrupted; the run folder keeps what finished/);
    const status = await cli(["status", folder, "--json"]);
    expect(JSON.parse(status.stdout).state, show(status)).toBe("aborted");
  });

  it("a second quits at once; the run reads as stale", async () => {
    const folder = join(scratch, "twice");
    const run = await startHeld(folder, 60_000);
    try {
      run.sweep.kill("SIGINT");
      await until(() => run.stderr().includes("Ctrl-C again"), "the first Ctrl-C's message");
      run.sweep.kill("SIGINT");
      expect(await run.closed).toBe(130);
    } finally {
      run.sweep.kill("SIGKILL");
    }
    expect(run.stderr()).toContain(RESUME(folder));
    const status = await cli(["status", folder, "--json"]);
    expect(JSON.parse(status.stdout).state, show(status)).toBe("stale");
  });
});
