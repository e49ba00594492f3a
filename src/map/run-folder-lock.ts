import { mkdirSync, readFileSync, rmdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { hostname } from "node:os";
import { join } from "node:path";
import type * as ProperLockfile from "proper-lockfile";
import { RunFolderLockedError } from "../errors.ts";
import { writeFileAtomicSync } from "./storage/file.ts";

/** proper-lockfile, loaded when the first run folder is locked (not at pipeweave's import). */
let lockfile: typeof ProperLockfile | undefined;

/**
 * The lock itself: a directory (proper-lockfile creates it with one atomic `mkdir` and keeps
 * its mtime fresh while the run goes). It must stay empty, since the library removes it with
 * `rmdir`, so who holds it is written beside it.
 */
const LOCK_DIR = ".pipeweave.lock";
const OWNER_FILE = ".pipeweave.lock.json";

/**
 * After how long without a refresh a lock held from another host counts as abandoned. Long,
 * because an element that blocks the event loop also stops the refresh; on this host a dead
 * holder is seen at once from its pid.
 */
const STALE_MS = 30_000;

/** Who holds a run folder's lock, as written beside it. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
}

/** A held run folder lock. */
export interface RunFolderLock {
  /** Gives the lock up; safe to call more than once. */
  release(): Promise<void>;
}

/**
 * Takes the run folder's lock for a whole run, creating the folder when missing, so two
 * `map` calls (in one process or many) never write one folder at once.
 *
 * A lock whose holder is gone is taken over: at once when the holder ran on this host and its
 * process no longer exists (a SIGKILLed run resumes without waiting), else when the lock has
 * not been refreshed for 30 s.
 *
 * @param folder - The run folder.
 * @returns The held lock; release it when the run ends.
 * @throws {@link RunFolderLockedError} naming the holder's pid and host when it is alive.
 */
export async function lockRunFolder(folder: string): Promise<RunFolderLock> {
  mkdirSync(folder, { recursive: true });
  const lockPath = join(folder, LOCK_DIR);
  const owner = readLockOwner(folder);
  if (owner !== undefined && owner.host === hostname() && exists(lockPath)) {
    if (isAlive(owner.pid)) throw new RunFolderLockedError(folder, owner);
    // Left by a killed run on this host: proper-lockfile would wait for it to go stale.
    rmdirSync(lockPath);
  }
  let release: () => Promise<void>;
  try {
    lockfile ??= createRequire(import.meta.url)("proper-lockfile") as typeof ProperLockfile;
    release = await lockfile.lock(folder, {
      lockfilePath: lockPath,
      realpath: false,
      stale: STALE_MS,
      retries: 0,
      onCompromised: (error) => {
        process.emitWarning(
          `The lock of run folder "${folder}" was lost (${error.message}); another process ` +
            "may now write the folder too.",
          { code: "PIPEWEAVE_LOCK_COMPROMISED" },
        );
      },
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === "ELOCKED") {
      throw new RunFolderLockedError(folder, (await waitForOwner(folder)) ?? {});
    }
    throw error;
  }
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  writeFileAtomicSync(join(folder, OWNER_FILE), `${JSON.stringify(me)}\n`);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      const current = readLockOwner(folder);
      if (current?.pid === me.pid && current.since === me.since) {
        rmSync(join(folder, OWNER_FILE), { force: true });
      }
      // A compromised lock (taken over after going stale) is no longer ours to remove.
      await release().catch(() => undefined);
    },
  };
}

/**
 * Reads who holds (or last held) a run folder's lock.
 *
 * @param folder - The run folder.
 * @returns The owner, or undefined when none is recorded or the record is unreadable.
 */
export function readLockOwner(folder: string): LockOwner | undefined {
  try {
    const value = JSON.parse(readFileSync(join(folder, OWNER_FILE), "utf8")) as Partial<LockOwner>;
    if (typeof value.pid === "number" && typeof value.host === "string") {
      return { pid: value.pid, host: value.host, since: String(value.since) };
    }
  } catch {
    // Missing or half-written: the holder is unknown.
  }
  return undefined;
}

/** The holder, given a moment to write its name: it takes the lock first, then says who it is. */
async function waitForOwner(folder: string): Promise<LockOwner | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const owner = readLockOwner(folder);
    if (owner !== undefined) return owner;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return undefined;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === "EPERM";
  }
}
