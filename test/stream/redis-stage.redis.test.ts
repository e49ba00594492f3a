/**
 * `pool({ redis })`: a stage whose declared handler runs on `pipeweave worker` processes. Two
 * workers, one SIGKILLed mid-run: every item comes out once and in order; the stage never has
 * more items out than its workers; retries, Err, SKIP and WorkerState as on threads.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isErr, pool, StreamMonitor, stream } from "../../src/index.ts";
import { startCli } from "../cli/cli.ts";
import { redisAvailable, redisNames, redisUrl } from "../redis-available.ts";
import { picky, slowDouble, type Work } from "./fixtures/redis-handlers.ts";

const available = await redisAvailable("the stream stages on Redis tests");
const HANDLERS = join(import.meta.dirname, "fixtures", "redis-handlers.ts");

interface Worker {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<number | null>;
  readonly out: () => string;
}

/** Starts `pipeweave worker <fixtures>#<name>` on `queue`; resolves once it serves. */
async function startWorker(name: string, queue: string, ...extra: string[]): Promise<Worker> {
  const child = startCli([
    "worker",
    `${HANDLERS}#${name}`,
    "--redis",
    redisUrl,
    "--queue",
    queue,
    ...extra,
  ]);
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += String(d);
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  for (;;) {
    if (/Serving stream stages/.test(out)) break;
    if (child.exitCode !== null) throw new Error(`worker exited early:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, pid: child.pid!, exited, out: () => out };
}

/** The `start|end <pid> <x>` lines of a handler log. */
function logOf(
  path: string,
): { readonly what: string; readonly pid: number; readonly x: number }[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [what, pid, x] = line.split(" ");
      return { what: what!, pid: Number(pid), x: Number(x) };
    });
}

describe.runIf(available)("pool({ redis }): stages on pipeweave worker processes", () => {
  const names = redisNames("stream-stage");
  const workers: Worker[] = [];
  const folder = mkdtempSync(join(tmpdir(), "pipeweave-stage-"));
  const start = async (name: string, queue: string, ...extra: string[]) => {
    const w = await startWorker(name, queue, ...extra);
    workers.push(w);
    return w;
  };

  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGTERM");
    await Promise.all(workers.map((w) => w.exited));
    await names.cleanUp();
    rmSync(folder, { recursive: true, force: true });
  }, 30_000);

  it("keeps every item once and in order when a worker is SIGKILLed mid-run", async () => {
    const queue = names.queue("kill");
    const log = join(folder, "kill.log");
    // Short locks: the survivor takes the dead worker's job back within seconds.
    const [a, b] = await Promise.all([
      start("slowDouble", queue, "--lock-duration", "1500", "--stalled-interval", "500"),
      start("slowDouble", queue, "--lock-duration", "1500", "--stalled-interval", "500"),
    ]);
    const n = 24;
    const items: Work[] = Array.from({ length: n }, (_, x) => ({ x, log, ms: 80 }));
    const stage = pool(
      { workers: 4, ordered: true, redis: { connection: redisUrl, queue } },
      slowDouble,
    );
    const running = stream(items).pipe(stage).toArray();
    // Kill whichever worker started an item first, while it is running.
    for (;;) {
      const started = logOf(log).find((l) => l.what === "start");
      if (started) {
        expect([a.pid, b.pid]).toContain(started.pid);
        process.kill(started.pid, "SIGKILL");
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    const out = await running;
    expect(out.filter(isErr)).toEqual([]);
    expect(out.map((o) => (o as { x: number }).x)).toEqual(items.map((w) => w.x * 2));
    const survivor = [a, b].find((w) => w.child.exitCode === null && w.child.signalCode === null);
    expect(survivor).toBeDefined();
    // The killed worker's unfinished items were run again, by the survivor.
    const ended = logOf(log).filter((l) => l.what === "end");
    expect(new Set(ended.map((l) => l.x))).toEqual(new Set(items.map((w) => w.x)));
  }, 60_000);

  it("never has more items out on Redis than the stage's workers, however fast the source", async () => {
    const queue = names.queue("bound");
    const log = join(folder, "bound.log");
    // Each worker process would take 4 jobs at once: the stage's 2 workers are the bound.
    await Promise.all([
      start("slowDouble", queue, "--concurrency", "4"),
      start("slowDouble", queue, "--concurrency", "4"),
    ]);
    let pulled = 0;
    function* source() {
      for (let x = 0; x < 20; x++) {
        pulled++;
        yield { x, log, ms: 20 } satisfies Work;
      }
    }
    const monitor = new StreamMonitor();
    let most = 0;
    let consumed = 0;
    for await (const out of stream(source())
      .pipe(pool({ workers: 2, buffer: 1, redis: { connection: redisUrl, queue } }, slowDouble))
      .iterate({ monitor })) {
      expect(isErr(out)).toBe(false);
      consumed++;
      most = Math.max(most, pulled - consumed);
    }
    expect(consumed).toBe(20);
    // Two out, one in the buffer, one the source holds on to, one being handed over.
    expect(most).toBeLessThanOrEqual(5);
    let running = 0;
    let peak = 0;
    for (const l of logOf(log)) {
      running += l.what === "start" ? 1 : -1;
      peak = Math.max(peak, running);
    }
    expect(peak).toBeLessThanOrEqual(2);
  }, 60_000);

  it("takes a cancelled run's jobs that no worker started off the queue: they never run", async () => {
    const queue = names.queue("cancel");
    const log = join(folder, "cancel.log");
    // One job at a time on one worker: the stage's other three wait on the queue.
    await start("slowDouble", queue, "--concurrency", "1");
    const stop = new AbortController();
    const items: Work[] = Array.from({ length: 8 }, (_, x) => ({ x, log, ms: 300 }));
    const running = stream(items)
      .pipe(pool({ workers: 4, redis: { connection: redisUrl, queue } }, slowDouble))
      .toArray({ signal: stop.signal })
      .catch((e: unknown) => e);
    while (!logOf(log).some((l) => l.what === "start")) {
      await new Promise((r) => setTimeout(r, 10));
    }
    stop.abort();
    expect(await running).toMatchObject({ name: "AbortError" });
    // Long enough for the worker to have run every queued job had they stayed.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(logOf(log).filter((l) => l.what === "start")).toHaveLength(1);
  }, 60_000);

  it("retries, passes Err and SKIP back, and keeps a WorkerState per worker process", async () => {
    const queue = names.queue("contract");
    const log = join(folder, "contract.log");
    const w = await start("picky", queue);
    const out = await stream([1, 2, -1, 13, 4])
      .pipe(pool({ retries: 2, redis: { connection: redisUrl, queue } }, picky))
      .toArray();
    expect(out.filter((o) => !isErr(o))).toEqual([
      { x: 1, attempt: 2 },
      { x: 2, attempt: 1 },
      { x: 4, attempt: 1 },
    ]);
    const [err] = out.filter(isErr);
    expect(err?.error).toBeInstanceOf(RangeError);
    expect([err?.item, err?.attempts]).toEqual([13, 1]);
    // The same process serves slowDouble too (one module, every handler it declares): its
    // state counts that stage run's items.
    const seen = await stream([0, 1, 2].map((x): Work => ({ x, log, ms: 1 })))
      .pipe(pool({ redis: { connection: redisUrl, queue } }, slowDouble))
      .toArray();
    expect(seen.map((s) => (s as { seen: number; pid: number }).seen)).toEqual([1, 2, 3]);
    expect(seen.every((s) => (s as { pid: number }).pid === w.pid)).toBe(true);
  }, 60_000);
});
