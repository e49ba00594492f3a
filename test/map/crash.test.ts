import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, expect, it } from "vitest";
import { loadOutputs, type NdArray } from "../../src/index.ts";

const run = promisify(execFile);
const child = join(import.meta.dirname, "fixtures", "map-child.ts");
let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const calls = (log: string) =>
  existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).map(Number) : [];

it("survives SIGKILL mid-run: resume completes without recomputing finished elements", async () => {
  dir = mkdtempSync(join(tmpdir(), "pipeweave-crash-"));
  const runFolder = join(dir, "run");
  const log = join(dir, "calls.log");
  const proc = spawn(process.execPath, ["--import", "tsx", child, runFolder, log], {
    stdio: "ignore",
  });
  // Kill once a few elements have finished, well before all 40 can.
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (calls(log).length >= 8) {
        clearInterval(timer);
        proc.kill("SIGKILL");
        resolve();
      }
    }, 5);
    proc.on("exit", (code) => {
      clearInterval(timer);
      if (code === 0) reject(new Error("the child finished before it was killed"));
      resolve();
    });
  });
  await new Promise((r) => proc.once("close", r));
  expect(proc.signalCode).toBe("SIGKILL");

  const stored = readdirSync(join(runFolder, "outputs", "y"))
    .filter((f) => /^\d+\.v8$/.test(f))
    .map((f) => Number.parseInt(f, 10));
  const before = calls(log).length;
  expect(stored.length).toBeGreaterThan(0);
  expect(stored.length).toBeLessThan(40);

  const { stdout } = await run(process.execPath, [
    "--import",
    "tsx",
    child,
    runFolder,
    log,
    "resume",
  ]);
  expect(stdout.trim()).toBe("done");
  const resumedCalls = calls(log).slice(before);
  // Nothing that was stored before the kill ran again; everything else ran exactly once.
  expect(resumedCalls.filter((x) => stored.includes(x))).toEqual([]);
  expect(new Set(resumedCalls).size).toBe(resumedCalls.length);
  const y = (await loadOutputs("y", { runFolder })) as NdArray<number>;
  expect(y.toNested()).toEqual(Array.from({ length: 40 }, (_, i) => i * i));
}, 60_000);
