import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it, onTestFinished } from "vitest";
import { redisAvailable, redisNames } from "../redis-available.ts";
import { slurmAvailable } from "../slurm-available.ts";

const run = promisify(execFile);
// Skipped with a notice without Redis, except under CI=true, where a missing Redis fails.
const withRedis = await redisAvailable("the distributed example (examples/distributed.ts)");
// Likewise without SLURM (start one with scripts/slurm-local.sh start).
const withSlurm = slurmAvailable("the SLURM example (examples/slurm.ts)");
const root = join(import.meta.dirname, "..", "..");

/** Runs an example the way the README tells users to, and returns what it printed. */
async function example(name: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", join("examples", name)], {
    cwd: root,
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  return stdout;
}

describe("examples", () => {
  it("quickstart.ts computes the documented values and prints its profile", async () => {
    const out = await example("quickstart.ts");
    expect(out).toContain("d = 15");
    expect(out).toContain("e = 75");
    expect(out).toContain("e from intermediates = 75");
    expect(out).toContain("all = { a: 2, b: 3, c: 5, d: 15, e: 75 }");
    expect(out).toMatch(/^\[e\] ΔMem: .* MiB \| Peak: .* MiB$/m);
  });

  it("adaptive.ts learns the peak on threads, resumes to a loss goal and loads the folder", async () => {
    const out = await example("adaptive.ts");
    expect(out).toContain("first run: 100 points");
    const resumed = /resumed: (\d+) points, loss (\S+)/.exec(out);
    expect(Number(resumed![1])).toBeGreaterThan(100);
    expect(Number(resumed![2])).toBeLessThanOrEqual(0.01);
    // Most points land on the peak, a tenth of the domain's width.
    const near = Number(/points within 0.05 of the peak: (\d+)/.exec(out)![1]);
    expect(near).toBeGreaterThan(Number(resumed![1]) / 4);
    expect(out).toContain("y(0) interpolated: 1.000");
    expect(out).toContain(`loaded: ${resumed![1]} points`);
  });

  it("linear.ts runs the node pipeline and restores from its registry", async () => {
    const out = await example("linear.ts");
    expect(out).toContain("scaled = 6.00 4.00 5.33 4.00 6.67 10.00 10.67 11.33");
    expect(out).toContain("window 3 again: double: registry");
    expect(out).toContain("window 5: loadData: registry, rolling: computed, double: computed");
    expect(out).toMatch(/registry: db, df, features, scaled/);
    expect(out).toContain("out: (side effect)");
  });

  it("tracing.ts prints the span trees of a graph run and of a sweep on threads", async () => {
    const out = await example("tracing.ts");
    expect(out).toContain("energy = 9\nrun physics\n  function kinetic\n");
    expect(out).toContain("total = 37.5\nmap physics\n  function kinetic\n");
    expect(out.match(/^ {4}chunk kinetic \(on threads, thread \d+\)$/gm)).toHaveLength(2);
    const elements = out.match(/^ {6}element kinetic \(index \[(\d,\d)\], thread \d+\)$/gm) ?? [];
    expect(elements).toHaveLength(4);
    expect(out).toContain("  function sum\n    element sum");
  });

  it("map.ts sweeps, resumes, loads, keeps errors and gives rows", async () => {
    const out = await example("map.ts");
    expect(out).toContain("c = [[11,21],[12,22],[13,23]]");
    expect(out).toContain("rowSum = 32 34 36 total = 102");
    expect(out).toContain("calls of add after a resumed run: 6");
    expect(out).toContain("loaded total = 102");
    expect(out).toContain("y = 0.25 MISSING 0.5");
    expect(out).toContain("error at y[1]: x is 0");
    expect(out).toContain('rows = [{"i":0,"a":1,"b":20,"c":21},{"i":1,"a":2,"b":10,"c":12}]');
    expect(out).toContain("spectrum shape = [2,3]");
    expect(out).toContain("peaks = 3 6");
    expect(out).toContain("nested mapspec = x[i] -> scaled[i], shifted[i]");
    expect(out).toContain("shifted = 11 21");
  });

  it("stream.ts fetches with workers and retries, keeps errors, orders, forks and uses threads", async () => {
    const out = await example("stream.ts");
    expect(out).toContain("run: ok=false, 9 items out");
    expect(out).toContain(
      "failed: item 13 in fetch after 1 attempt(s): Error: item 13 does not exist",
    );
    expect(out).toContain("requests made: 25 for 20 ids (5 retried after a 503)");
    expect(out).toContain(
      "scores in order: 37 74 11 48 85 22 59 96 33 70 7 44 × 18 55 92 29 66 3 40",
    );
    expect(out).toContain("forked: #1=10 #2=20 #3=30");
    expect(out).toContain("digests: a:ae7a3d76 b:40e2329b c:9d92a256 d:c8c95ea9");
  });

  it("cache.ts caches in memory and on disk, in run and map, and never serves a stale result", async () => {
    const out = await example("cache.ts");
    expect(out).toContain("lru: slope computed 1 time(s); { hits: 1, misses: 1, size: 1 }");
    expect(out).toContain("disk: slope computed 2 time(s) in all; { hits: 1, misses: 0, size: 1 }");
    expect(out).toContain("map: 10 20 30 40 with 1 new call(s)");
    expect(out).toContain("changed function: 100 200");
    expect(out).toContain("captured factor: 2 then 3");
  });

  it("sweep.ts (npm run demo) sweeps a small grid on threads into a run folder", async () => {
    const runFolder = join(mkdtempSync(join(tmpdir(), "pipeweave-demo-")), "run");
    try {
      const out = await example("sweep.ts", {
        PIPEWEAVE_DEMO_SIZE: "small",
        PIPEWEAVE_DEMO_RUN_FOLDER: runFolder,
      });
      expect(out).toMatch(/swept 6 × 6 = 36 \(ζ, ω\) pairs on threads in [\d.]+ s/);
      // Near-critical damping settles fastest; the figure is the example's own deterministic
      // integration, computed inline in the worker threads.
      expect(out).toContain("fastest settling: ζ = 0.94 (mean 1.677 s)");
      expect(existsSync(join(runFolder, "run.json"))).toBe(true);
      expect(existsSync(join(runFolder, "outputs", "settle"))).toBe(true);
    } finally {
      rmSync(join(runFolder, ".."), { recursive: true, force: true });
    }
  });

  it.runIf(withRedis)(
    "distributed.ts maps on two Redis worker processes, one killed mid-run, and gets every element",
    async () => {
      const names = redisNames("examples");
      onTestFinished(() => names.cleanUp());
      const out = await example("distributed.ts", { PIPEWEAVE_QUEUE: names.queue("distributed") });
      expect(out).toMatch(/^started 2 workers: pid \d+, pid \d+$/m);
      expect(out).toMatch(/^killed worker pid \d+ mid-run$/m);
      // π(n), the primes below n, for n = 100 000 … 1 200 000: every element is there.
      expect(out).toContain("primes below 100000: 9592");
      expect(out).toContain("primes below 1000000: 78498");
      expect(out).toMatch(/^12 of 12 elements stored; workers: .+:\d+ \(\d+\)/m);
      expect(out).toContain("workers stopped");
    },
    60_000,
  );

  it.runIf(withSlurm)(
    "slurm.ts runs the sweep as a SLURM job array and the reduction here",
    async () => {
      const out = await example("slurm.ts");
      expect(out).toContain("energy shape = [3,4]");
      expect(out).toContain("peak = 7.6911");
      expect(out).toMatch(/^energy: 12\/12 done; job \d+ \{"COMPLETED":3\}$/m);
      expect(out).toContain("peak: 1/1 done here");
    },
    120_000,
  );
});
