/**
 * A lock left by a run that is gone never blocks the folder, even when its pid now names a live
 * process (after a container restart: this very process, pid 1, the parent shell); a lock held
 * by a live run is still refused. `runStatus` agrees with what a resume would find.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type NdArray,
  Pipeline,
  pipefunc,
  RunFolderLockedError,
  type RunStatus,
  runStatus,
} from "../../src/index.ts";
import { inspectLock, processStart } from "../../src/map/run-folder-lock.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pipeweave-stale-lock-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const HOUR_AGO = new Date(Date.now() - 3_600_000);
const HAS_START_TIMES = processStart(process.pid) !== undefined;

function doubled(calls: number[]) {
  return new Pipeline(
    [
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]", version: 1 }, ({ x }: { x: number }) => {
        calls.push(x);
        return x * 2;
      }),
    ],
    { name: "doubled" },
  );
}

const xs = [0, 1, 2, 3, 4, 5];

/**
 * A finished run in `folder` made to look interrupted: `y`'s last element removed, run.json
 * and status.json saying running, the lock left in place naming `owner`, refreshed `at`.
 */
async function interruptedRun(
  folder: string,
  owner: { readonly pid: number; readonly start?: string },
  at: Date,
): Promise<void> {
  await doubled([]).map({ x: xs }, { runFolder: folder, progress: false });
  rmSync(join(folder, "outputs", "y", "5.v8"));
  const record = JSON.parse(readFileSync(join(folder, "run.json"), "utf8"));
  writeFileSync(join(folder, "run.json"), JSON.stringify({ ...record, status: "running" }));
  const status = JSON.parse(readFileSync(join(folder, "status.json"), "utf8")) as RunStatus;
  writeFileSync(
    join(folder, "status.json"),
    JSON.stringify({
      ...status,
      state: "running",
      pid: owner.pid,
      host: hostname(),
      updatedAt: at.toISOString(),
    }),
  );
  mkdirSync(join(folder, ".pipeweave.lock"));
  utimesSync(join(folder, ".pipeweave.lock"), at, at);
  writeFileSync(
    join(folder, ".pipeweave.lock.json"),
    JSON.stringify({ ...owner, host: hostname(), since: at.toISOString() }),
  );
}

/** Resumes the run: only the removed element is computed again. */
async function resumes(folder: string): Promise<void> {
  const calls: number[] = [];
  const results = await doubled(calls).map(
    { x: xs },
    { runFolder: folder, resume: true, progress: false },
  );
  expect((results.y.output as NdArray<number>).data).toEqual(xs.map((x) => x * 2));
  expect(calls).toEqual([5]);
  expect(inspectLock(folder).state).toBe("free");
  expect(runStatus(folder).state).toBe("done");
}

async function refused(folder: string, pid: number): Promise<void> {
  const error = await doubled([])
    .map({ x: xs }, { runFolder: folder, resume: true, progress: false })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(RunFolderLockedError);
  const locked = error as RunFolderLockedError;
  expect(locked.code).toBe("E_RUN_FOLDER_LOCKED");
  expect(locked.pid).toBe(pid);
  expect(locked.host).toBe(hostname());
  expect(locked.message).toContain(`process ${pid} on host "${hostname()}"`);
  expect(locked.message).toContain(`"${folder}"`);
}

const reusedPids = [
  ["this process's own pid", process.pid],
  ["pid 1", 1],
  ["the parent's pid", process.ppid],
] as const;

describe("a lock an hour old whose pid is alive but is not the holder", () => {
  it.each(reusedPids)("naming %s is stale, and a resume takes it over", async (_, pid) => {
    const folder = join(dir, "run");
    await interruptedRun(folder, { pid }, HOUR_AGO);
    expect(inspectLock(folder).state).toBe("stale");
    // An hour-old heartbeat is not a running run.
    expect(runStatus(folder).state).toBe("stale");
    await resumes(folder);
  });
});

describe.skipIf(!HAS_START_TIMES)("the holder's start time (Linux)", () => {
  it.each(reusedPids)(
    "a fresh lock naming %s with another start time is stale at once",
    async (_, pid) => {
      const folder = join(dir, "run");
      // Written by the process that had the pid before (another boot, or earlier).
      await interruptedRun(folder, { pid, start: "another-boot:12345" }, new Date());
      expect(inspectLock(folder).state).toBe("stale");
      expect(runStatus(folder).state).toBe("stale");
      await resumes(folder);
    },
  );

  it("a lock whose live holder's start time matches is refused, even an hour after its last refresh", async () => {
    const folder = join(dir, "run");
    const holder = { pid: process.ppid, start: processStart(process.ppid)! };
    // A live run whose element blocks its event loop, so its refresh and heartbeat stopped.
    await interruptedRun(folder, holder, HOUR_AGO);
    expect(inspectLock(folder).state).toBe("held");
    expect(runStatus(folder).state).toBe("running");
    await refused(folder, holder.pid);
  });
});

describe("a fresh lock of a live process", () => {
  it("is refused with RunFolderLockedError naming it (no start time recorded)", async () => {
    const folder = join(dir, "run");
    await interruptedRun(folder, { pid: process.ppid }, new Date());
    expect(runStatus(folder).state).toBe("running");
    await refused(folder, process.ppid);
  });

  it("held by this process (another map running) is refused; once released, it is taken", async () => {
    const folder = join(dir, "run");
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = new Pipeline([
      pipefunc(
        { output: "y", mapspec: "x[i] -> y[i]", version: 1 },
        async ({ x }: { x: number }) => {
          await gate;
          return x;
        },
      ),
    ]);
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    // The first map holds the lock once its function starts.
    const first = slow.map({ x: xs }, { runFolder: folder, progress: { onNodeStart: started } });
    await Promise.race([running, first]);
    expect(runStatus(folder).state).toBe("running");
    await refused(folder, process.pid);
    release();
    await first;
    expect(runStatus(folder).state).toBe("done");
    await slow.map({ x: xs }, { runFolder: folder, overwrite: true, progress: false });
  });
});
