import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadOutputs, NdArray } from "../../src/index.ts";
import { redis } from "../../src/redis/index.ts";
import { redisAvailable, redisUrl } from "../redis-available.ts";
import { slow } from "./fixtures/pipelines.mjs";
import { calls, events, testBed, until } from "./workers.ts";

const available = await redisAvailable("the redis executor recovery tests");

/** The element files of output `y` in a run folder: one per stored element. */
const storedElements = (runFolder: string) =>
  readdirSync(join(runFolder, "outputs", "y")).filter((f) => f.endsWith(".v8"));

describe.runIf(available)("redis executor: workers and coordinators that die", () => {
  const bed = testBed("recovery");

  afterAll(() => bed.cleanUp(), 30_000);

  it("completes a map when a worker is killed mid-chunk: every element stored once, only the killed chunk computed twice", async () => {
    const queue = bed.queue("kill");
    const log = join(bed.folder(), "calls.log");
    const runFolder = bed.folder();
    // Short locks, so the surviving worker takes the dead one's chunk back within seconds.
    const [a, b] = await Promise.all([
      bed.worker("slow", queue, "1500", "500"),
      bed.worker("slow", queue, "1500", "500"),
    ]);
    const executor = redis({ connection: redisUrl, queue, chunkSize: 4 });
    const n = 16;
    try {
      const mapping = slow.map(
        { x: Array.from({ length: n }, (_, i) => i), log, ms: 60 },
        { executor, runFolder, progress: false },
      );
      await until(() => calls(log).length > 0);
      const victim = calls(log)[0]![0];
      expect([a!.pid, b!.pid]).toContain(victim);
      process.kill(victim, "SIGKILL");
      const results = await mapping;
      expect(results.y!.array.values()).toEqual(Array.from({ length: n }, (_, i) => i * 2));
      // Stored once: one file per element.
      const stored = storedElements(runFolder);
      expect(stored.sort()).toEqual(Array.from({ length: n }, (_, i) => `${i}.v8`).sort());
      expect(await loadOutputs("y", { runFolder })).toEqual(results.y!.array);
      // Every element was computed; those computed twice were the killed worker's (one chunk).
      const log2 = calls(log);
      const count = new Map<number, number>();
      for (const [, x] of log2) count.set(x, (count.get(x) ?? 0) + 1);
      expect([...count.keys()].sort((p, q) => p - q)).toEqual(
        Array.from({ length: n }, (_, i) => i),
      );
      const twice = [...count].filter(([, c]) => c > 1).map(([x]) => x);
      const byVictim = new Set(log2.filter(([pid]) => pid === victim).map(([, x]) => x));
      for (const x of twice) expect(byVictim.has(x)).toBe(true);
      expect(new Set([...byVictim].map((x) => Math.floor(x / 4))).size).toBe(1);
      expect(Math.max(...count.values())).toBeLessThanOrEqual(2);
    } finally {
      await executor.close();
    }
  });

  it("resumes in a new process after the coordinator is killed; the dead run's jobs never enter the new one", async () => {
    const queue = bed.queue("coordinator");
    const dir = bed.folder();
    const log = join(dir, "calls.log");
    const eventsLog = join(dir, "events.log");
    const runFolder = join(dir, "run");
    await bed.worker("slow", queue, "5000", "1000", eventsLog);
    const n = "12";
    const first = bed.start("coordinator.ts", [queue, runFolder, "fresh", n, "250", log, "1000"]);
    const firstRun = (await first.line(/^run /)).split(" ")[1]!;
    await until(() => calls(log).length >= 3);
    first.process.kill("SIGKILL");
    await first.exited;
    const storedByFirst = storedElements(runFolder).length;

    const second = bed.start("coordinator.ts", [
      queue,
      runFolder,
      "resume",
      n,
      "250",
      log,
      "10000",
    ]);
    const secondRun = (await second.line(/^run /)).split(" ")[1]!;
    expect(secondRun).not.toBe(firstRun);
    expect(await second.line(/^done|^\{/)).toBe("done");
    const y = (await loadOutputs("y", { runFolder })) as NdArray<number>;
    expect(y).toBeInstanceOf(NdArray);
    expect(y.values()).toEqual(Array.from({ length: Number(n) }, (_, i) => i * 2));

    // The worker's account: the second run asked only for what the first had not stored, and
    // each job's results went to the run that queued it.
    const jobs = events<{ type: string; run?: string; elements?: number[] }>(eventsLog);
    const done = (run: string) =>
      jobs.filter((j) => j.type === "done" && j.run === run).flatMap((j) => j.elements ?? []);
    expect(done(secondRun).length).toBe(Number(n) - storedByFirst);
    // Jobs of the dead run left in the queue are skipped once its heartbeat lapses.
    expect(jobs.some((j) => j.type === "skipped" && j.run === firstRun)).toBe(true);
    expect(jobs.some((j) => j.type === "skipped" && j.run === secondRun)).toBe(false);
  });
});
