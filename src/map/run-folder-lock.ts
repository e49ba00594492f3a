import { mkdirSync, readFileSync, rmdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
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
export const LOCK_DIR = ".pipeweave.lock";
export const OWNER_FILE = ".pipeweave.lock.json";

/**
 * After how long without a refresh a lock counts as abandoned, unless its holder is known to
 * be alive: on this host, where the holder's start time tells a live holder from a process
 * that got its pid later. Long, because an element that blocks the event loop also stops the
 * refresh.
 */
const STALE_MS = 30_000;

/** Who holds a run folder's lock, as written beside it. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly since: string;
  /**
   * The holder's process identity where the OS gives it (Linux: boot id and start time of the
   * pid), so a pid reused by another process is not taken for the holder; absent elsewhere.
   */
  readonly start?: string;
}

/** A held run folder lock. */
export interface RunFolderLock {
  /** Gives the lock up; safe to call more than once. */
  release(): Promise<void>;
}

/**
 * Where a run folder's lock stands: `free` (no lock), `held` by a live run, or `stale` (left by
 * a run that is gone: the next run takes it over).
 */
export interface LockState {
  readonly state: "free" | "held" | "stale";
  /** Who holds (or held) it, when recorded. */
  readonly owner: LockOwner | undefined;
}

/**
 * The folders whose lock this module holds: a lock naming this process's pid is surely this
 * process's while listed here (else another copy of pipeweave or another thread may hold it,
 * or an earlier process that had the same pid left it).
 */
const HELD = new Set<string>();

/**
 * Takes the run folder's lock for a whole run, creating the folder when missing, so two
 * `map` calls (in one process or many) never write one folder at once.
 *
 * A lock whose holder is gone is taken over at once: see {@link inspectLock}.
 *
 * @param folder - The run folder.
 * @returns The held lock; release it when the run ends.
 * @throws {@link RunFolderLockedError} naming the holder's pid and host when it is alive.
 * @throws The file system's error when the folder or the lock cannot be created.
 */
export async function lockRunFolder(folder: string): Promise<RunFolderLock> {
  createFolder(folder);
  const lockPath = join(folder, LOCK_DIR);
  const found = examineLock(folder);
  if (found.state === "held") {
    throw new RunFolderLockedError(folder, found.owner ?? (await waitForOwner(folder)) ?? {});
  }
  if (found.state === "stale") removeStaleLock(folder, found);
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
  const key = resolve(folder);
  HELD.add(key);
  const start = processStart(process.pid);
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    ...(start === undefined ? {} : { start }),
  };
  try {
    writeFileAtomicSync(join(folder, OWNER_FILE), `${JSON.stringify(me)}\n`);
  } catch (error) {
    HELD.delete(key);
    await release().catch(() => undefined);
    throw error;
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      HELD.delete(key);
      const current = readLockOwner(folder);
      if (current?.pid === me.pid && current.since === me.since) {
        rmSync(join(folder, OWNER_FILE), { force: true });
      }
      // A compromised lock (taken over after going stale) is no longer ours to remove.
      await release().catch(() => undefined);
    },
  };
}

/** Creates the folder (and its parents) when missing. */
function createFolder(folder: string): void {
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    // Node's recursive mkdir says ENOENT where the parent is read-only: ask once more, without
    // recursion, for the reason (EROFS, EACCES) when the parent exists.
    if ((error as { code?: unknown }).code !== "ENOENT") throw error;
    try {
      mkdirSync(folder);
    } catch (again) {
      if ((again as { code?: unknown }).code !== "ENOENT") throw again;
    }
    throw error;
  }
}

/**
 * Tells whether a run folder's lock is held by a live run. The lock's refresh (its mtime,
 * renewed every 15 s while the run goes) is the truth, corrected by what this host knows of
 * the holder:
 *
 * - a holder on this host whose pid no longer exists, or now belongs to a process started at
 *   another time (a pid reused after a restart, this process's own included), is gone: the
 *   lock is stale at once;
 * - a holder on this host known alive by its start time holds the lock however old its
 *   refresh (an element blocking the event loop delays it), and so does this process while
 *   it holds the lock;
 * - otherwise (another host, no start time recorded, no owner file, this process's pid on a
 *   lock it does not hold) the lock is stale once not refreshed for 30 s.
 *
 * @param folder - The run folder.
 * @returns The lock's state and its recorded owner.
 */
export function inspectLock(folder: string): LockState {
  const { state, owner } = examineLock(folder);
  return { state, owner };
}

/** {@link inspectLock}, with the lock directory's inode (0 when free). */
function examineLock(folder: string): LockState & { readonly inode: number } {
  let refreshed: number;
  let inode: number;
  try {
    ({ mtimeMs: refreshed, ino: inode } = statSync(join(folder, LOCK_DIR)));
  } catch {
    return { state: "free", owner: undefined, inode: 0 };
  }
  const owner = readLockOwner(folder);
  const judge = (state: LockState["state"]) => ({ state, owner, inode });
  const byAge = judge(Date.now() - refreshed > STALE_MS ? "stale" : "held");
  if (owner === undefined || owner.host !== hostname()) return byAge;
  const isMine = owner.pid === process.pid;
  if (isMine && HELD.has(resolve(folder))) return judge("held");
  if (!isMine && !isAlive(owner.pid)) return judge("stale");
  // The pid is alive: its start time tells the holder from a process that got the pid later.
  const start = owner.start === undefined ? undefined : processStart(owner.pid);
  if (start !== undefined && start !== owner.start) return judge("stale");
  // Another process, known alive. This process holding no such lock (a lock of another of
  // its threads, or of an earlier process with this pid and no start time): the age decides.
  return start !== undefined && !isMine ? judge("held") : byAge;
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
      return {
        pid: value.pid,
        host: value.host,
        since: String(value.since),
        ...(typeof value.start === "string" ? { start: value.start } : {}),
      };
    }
  } catch {
    // Missing or half-written: the holder is unknown.
  }
  return undefined;
}

/**
 * Removes a stale lock directory and its owner file, unless another run took the folder over
 * meanwhile: its lock is then a new directory (another inode) with its own owner file, left
 * for proper-lockfile to refuse. Removing the stale owner file keeps it from being read as
 * the owner of the next lock before that lock's holder writes its own.
 */
function removeStaleLock(folder: string, stale: LockState & { readonly inode: number }): void {
  try {
    if (statSync(join(folder, LOCK_DIR)).ino !== stale.inode) return;
    rmdirSync(join(folder, LOCK_DIR));
  } catch {
    // Gone already: proper-lockfile takes the folder.
  }
  const owner = readLockOwner(folder);
  if (owner !== undefined && owner.pid === stale.owner?.pid && owner.since === stale.owner.since) {
    rmSync(join(folder, OWNER_FILE), { force: true });
  }
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

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === "EPERM";
  }
}

let bootId: string | undefined;

/**
 * A process's identity beyond its pid, where the OS gives it: on Linux the boot id and the
 * start time in `/proc/<pid>/stat` (clock ticks since boot), which differ for a process that
 * got the pid later, after a restart of the container or the machine. Undefined elsewhere.
 *
 * @param pid - The process.
 * @returns `"<boot id>:<start time>"`, or undefined when unknown.
 */
export function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which may hold spaces and parentheses: the 3rd field on.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = fields[19];
    if (ticks === undefined || !/^\d+$/.test(ticks)) return undefined;
    bootId ??= readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    return `${bootId}:${ticks}`;
  } catch {
    return undefined;
  }
}
