/**
 * `pipeweave dashboard <run-folder>` follows a sweep another process runs, until Ctrl-C, and
 * `pipeweave map --dashboard` serves one for its own run.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RunStatus } from "../../src/index.ts";
import { events } from "../dashboard/http.ts";
import { cli, show, startCli, until } from "./cli.ts";

const scratch = mkdtempSync(join(tmpdir(), "pipeweave-cli-dashboard-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function slowInputs(name: string, n: number, delay: number): string {
  const file = join(scratch, `${name}.json`);
  writeFileSync(file, JSON.stringify({ x: Array.from({ length: n }, (_, i) => i), delay }));
  return file;
}

/** Collects a child's output; resolves the first URL it prints. */
function urlOf(child: ChildProcess, stream: "stdout" | "stderr"): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    child[stream]?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const m = text.match(/http:\/\/\S+\?token=[\w-]+/);
      if (m) resolve(m[0]);
    });
    child.once("close", (code) => reject(new Error(`exited ${code} before a URL:\n${text}`)));
  });
}

describe("pipeweave dashboard", () => {
  it("follows a sweep in another process to its end, then serves until Ctrl-C and exits 0", async () => {
    const folder = join(scratch, "followed");
    // Elements 10 to 39 wait for the gate, which opens once the dashboard has shown a state:
    // it sees the sweep part-done, then done, however long each process takes to start.
    const gate = join(scratch, "followed.gate");
    const inputs = join(scratch, "followed.json");
    writeFileSync(inputs, JSON.stringify({ x: Array.from({ length: 40 }, (_, i) => i), gate }));
    const sweep = startCli([
      "map",
      "pipelines.ts#gated",
      "--inputs",
      inputs,
      "--run-folder",
      folder,
    ]);
    let dashboard: ChildProcess | undefined;
    try {
      await until(() => existsSync(join(folder, "run.json")), "the sweep to start");
      dashboard = startCli(["dashboard", folder]);
      const url = await urlOf(dashboard, "stdout");
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
      const states = (await events(
        url,
        (s) => {
          writeFileSync(gate, "");
          return (s as { status: RunStatus }).status.state === "done";
        },
        60_000,
      )) as { status: RunStatus }[];
      const done = states.map((s) => s.status.functions[0]?.done ?? 0);
      expect(done[0], JSON.stringify(done)).toBeLessThan(40);
      expect(states.at(-1)?.status.functions[0]).toMatchObject({ done: 40, total: 40 });
      // The run is over; the dashboard still serves its final state.
      const page = await fetch(url);
      expect(page.status).toBe(200);
      const closed = new Promise<number | null>((r) => dashboard?.once("close", r));
      dashboard.kill("SIGINT");
      expect(await closed).toBe(0);
    } finally {
      sweep.kill("SIGKILL");
      dashboard?.kill("SIGKILL");
    }
  });

  it("warns on --host beyond this machine", async () => {
    const folder = join(scratch, "hosted");
    const mapped = await cli([
      "map",
      "pipelines.ts#slow",
      "--inputs",
      slowInputs("hosted", 1, 0),
      "--run-folder",
      folder,
    ]);
    expect(mapped.code, show(mapped)).toBe(0);
    const dashboard = startCli(["dashboard", folder, "--host", "0.0.0.0"]);
    try {
      let stderr = "";
      dashboard.stderr?.on("data", (c: Buffer) => {
        stderr += c.toString();
      });
      const url = await urlOf(dashboard, "stdout");
      expect(url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\//);
      await until(() => stderr.includes("PIPEWEAVE_DASHBOARD_HOST"), "the warning");
      expect(stderr).toContain("not only on this machine");
    } finally {
      dashboard.kill("SIGKILL");
    }
  });

  it("exits 1 for a folder that holds no run", async () => {
    const result = await cli(["dashboard", join(scratch, "none")]);
    expect(result.code, show(result)).toBe(1);
    expect(result.stderr).toContain("is not a run folder");
  });

  it("exits 2 for a port that is not one", async () => {
    const result = await cli(["dashboard", scratch, "--port", "http"]);
    expect(result.code, show(result)).toBe(2);
  });
});

describe("pipeweave map --dashboard", () => {
  it("prints the dashboard's URL on stderr and runs the sweep", async () => {
    const folder = join(scratch, "own");
    const result = await cli([
      "map",
      "pipelines.ts#slow",
      "--inputs",
      slowInputs("own", 2, 0),
      "--run-folder",
      folder,
      "--dashboard",
    ]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stderr).toMatch(/pipeweave dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=/);
  });
});
