/**
 * `watch` and `status` on live runs: a sweep that runs while `watch` redraws it, and one whose
 * process is SIGKILLed, which `status` calls stale (with how to resume) and `map --resume`
 * finishes.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ANSI, cli, isRunning, show, startCli, until } from "./cli.ts";

const scratch = mkdtempSync(join(tmpdir(), "pipeweave-cli-watch-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Inputs for the slow pipeline: `n` elements of `delay` ms each. */
function slowInputs(name: string, n: number, delay: number): string {
  const file = join(scratch, `${name}.json`);
  writeFileSync(file, JSON.stringify({ x: Array.from({ length: n }, (_, i) => i), delay }));
  return file;
}

describe("pipeweave watch", () => {
  it("redraws a running sweep until it ends, then exits 0", async () => {
    const folder = join(scratch, "watched");
    const inputs = slowInputs("watched", 4, 4000);
    const sweep = startCli([
      "map",
      "pipelines.ts#slow",
      "--inputs",
      inputs,
      "--run-folder",
      folder,
    ]);
    const ended = new Promise<number | null>((resolve) => sweep.once("close", resolve));
    try {
      await until(() => existsSync(join(folder, "status.json")), "the sweep to start");
      const watched = await cli(["watch", folder, "--interval", "100"]);
      expect(watched.code, show(watched)).toBe(0);
      expect(watched.stdout).toMatch(/^State\s+running/m);
      expect(watched.stdout).toMatch(/^State\s+done/m);
      expect(watched.stdout).toMatch(/^y\s+done\s+4\s+0\s+0\s+4\s+\S/m);
      expect(watched.stdout).not.toMatch(ANSI);
      expect(await ended).toBe(0);
    } finally {
      sweep.kill("SIGKILL");
    }
  });

  it("exits 1 at once on a failed run", async () => {
    const folder = join(scratch, "failed");
    const mapped = await cli([
      "map",
      "pipelines.ts#failing",
      "--inputs",
      "sweep-inputs.json",
      "--run-folder",
      folder,
    ]);
    expect(mapped.code, show(mapped)).toBe(1);
    const watched = await cli(["watch", folder]);
    expect(watched.code, show(watched)).toBe(1);
    expect(watched.stdout).toMatch(/^State\s+failed/m);
    expect(watched.stdout).toMatch(/x must not be 3/);
  });

  it("a folder that is not a run folder is exit 1", async () => {
    const result = await cli(["watch", scratch]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toMatch(/not a run folder/);
  });
});

describe("a SIGKILLed sweep", () => {
  it("status says stale and how to resume, watch exits 1, and map --resume finishes", async () => {
    const folder = join(scratch, "killed");
    const args = [
      "map",
      "pipelines.ts#held",
      "--inputs",
      "sweep-inputs.json",
      "--run-folder",
      folder,
    ];
    const sweep = startCli(args, { env: { PIPEWEAVE_TEST_HOLD_MS: "60000" } });
    const closed = new Promise((resolve) => sweep.once("close", resolve));
    try {
      await until(() => isRunning(folder), "the sweep to run");
    } finally {
      sweep.kill("SIGKILL");
    }
    await closed;

    const status = await cli(["status", folder]);
    expect(status.code, show(status)).toBe(0);
    expect(status.stdout).toMatch(/^State\s+stale/m);
    expect(status.stdout).toContain(
      `pipeweave map <module>#<export> --inputs <file> --run-folder ${folder} --resume`,
    );
    expect(JSON.parse((await cli(["status", folder, "--json"])).stdout).state).toBe("stale");

    const watched = await cli(["watch", folder]);
    expect(watched.code, show(watched)).toBe(1);
    expect(watched.stdout).toMatch(/^State\s+stale/m);

    // Elements do not wait in this process: the resumed run finishes.
    const resumed = await cli([...args, "--resume"]);
    expect(resumed.code, show(resumed)).toBe(0);
    const after = JSON.parse((await cli(["status", folder, "--json"])).stdout);
    expect(after.state).toBe("done");
    expect(after.functions[0]).toMatchObject({ name: "y", state: "done", done: 4, total: 4 });
    const y = await cli(["load", folder, "y"]);
    expect(JSON.parse(y.stdout).data).toEqual([1, 2, 3, 4]);
  }, 90_000);
});
