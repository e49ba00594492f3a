/**
 * An adaptive sweep's run folder: `adaptive.json` holds the settings (output, dimensions,
 * inputs, loss, learners), `points.jsonl` one line per point as it completes. A line is
 * appended whole with one write, so a process killed at any moment leaves every completed
 * point readable and at most a torn last line, which reading skips.
 */
import {
  appendFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import {
  RunFolderCorruptError,
  RunFolderExistsError,
  RunFolderMismatchError,
  RunFolderNotEmptyError,
  RunFolderNotFoundError,
} from "../errors.ts";
import { LOCK_DIR, lockRunFolder, OWNER_FILE, type RunFolderLock } from "../map/run-folder-lock.ts";
import type { AdaptivePoint, AdaptiveValue } from "./types.ts";

/** The settings file of an adaptive run folder. */
export const SETTINGS_FILE = "adaptive.json";
/** The points file of an adaptive run folder. */
export const POINTS_FILE = "points.jsonl";

/** What an adaptive run folder records about its sweep. */
export interface AdaptiveSettings {
  readonly kind: "adaptive";
  readonly pipeline: string;
  readonly output: string;
  readonly dimensions: Readonly<Record<string, readonly [number, number]>>;
  /** The fixed inputs, as JSON keeps them. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** The mapped inputs telling the learners apart, and each learner's values of them. */
  readonly mapped: readonly string[];
  readonly selections: readonly Readonly<Record<string, unknown>>[];
  /** The loss by name ("default", "curvature"), or "custom" for a function. */
  readonly loss: string;
  /** The last goal set, when it was not a predicate. */
  readonly goal: Readonly<Record<string, number>> | undefined;
}

/** One completed point as stored: its value, or the error it failed with. */
export type StoredPoint =
  | {
      readonly learner: number;
      readonly point: AdaptivePoint;
      readonly value: AdaptiveValue;
    }
  | { readonly learner: number; readonly point: AdaptivePoint; readonly error: string };

/** An open run folder, written to as points complete. */
export interface AdaptiveStore {
  /** Points stored by earlier runs (resume), in the order they completed. */
  readonly previous: readonly StoredPoint[];
  /** Appends one completed point. */
  append(point: StoredPoint): void;
  close(): Promise<void>;
}

/**
 * Opens (or starts) the run folder of an adaptive sweep and locks it for this writer.
 *
 * @throws {@link RunFolderExistsError} for a folder holding a sweep without `resume`;
 *   {@link RunFolderMismatchError} when resuming a sweep of other settings;
 *   {@link RunFolderNotEmptyError} for a non-empty folder that is not an adaptive run
 *   folder; {@link RunFolderLockedError} while another process writes it.
 */
export async function openStore(
  runFolder: string,
  settings: AdaptiveSettings,
  resume: boolean,
  overwrite = false,
): Promise<AdaptiveStore> {
  const folder = resolve(runFolder);
  const settingsPath = join(folder, SETTINGS_FILE);
  const pointsPath = join(folder, POINTS_FILE);
  if (overwrite && existsSync(settingsPath)) {
    // Only the files an adaptive sweep writes: anything else in the folder stays.
    rmSync(pointsPath, { force: true });
    rmSync(settingsPath, { force: true });
  }
  const isSweep = existsSync(settingsPath);
  if (!isSweep && existsSync(folder)) {
    const own = new Set([LOCK_DIR, OWNER_FILE]);
    const entries = readdirSync(folder).filter((e) => !own.has(e));
    if (entries.length > 0) throw new RunFolderNotEmptyError(runFolder, entries);
  }
  if (isSweep && !resume) throw new RunFolderExistsError(runFolder);
  const lock: RunFolderLock = await lockRunFolder(folder);
  try {
    let previous: StoredPoint[] = [];
    if (isSweep) {
      const stored = readSettings(runFolder, settingsPath);
      const differences = compare(stored, settings);
      if (differences.length > 0) throw new RunFolderMismatchError(runFolder, differences);
      previous = readPoints(pointsPath);
    }
    writeFileSync(settingsPath, `${JSON.stringify(settings, null, 2)}\n`);
    if (!existsSync(pointsPath)) writeFileSync(pointsPath, "");
    return {
      previous,
      append(point) {
        appendFileSync(pointsPath, `${JSON.stringify(point)}\n`);
      },
      close: () => lock.release(),
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/**
 * Reads an adaptive run folder's settings and points.
 *
 * @throws {@link RunFolderNotFoundError} when the folder holds no adaptive sweep;
 *   {@link RunFolderCorruptError} when its settings cannot be read.
 */
export function readStore(runFolder: string): {
  settings: AdaptiveSettings;
  points: StoredPoint[];
} {
  const folder = resolve(runFolder);
  const settingsPath = join(folder, SETTINGS_FILE);
  if (!existsSync(settingsPath)) {
    throw new RunFolderNotFoundError(
      runFolder,
      existsSync(folder) ? "folder without run.json" : "nothing",
    );
  }
  return {
    settings: readSettings(runFolder, settingsPath),
    points: readPoints(join(folder, POINTS_FILE)),
  };
}

function readSettings(runFolder: string, path: string): AdaptiveSettings {
  try {
    const settings = JSON.parse(readFileSync(path, "utf8")) as AdaptiveSettings;
    if (settings.kind !== "adaptive") throw new Error(`kind is ${String(settings.kind)}`);
    return settings;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RunFolderCorruptError(runFolder, SETTINGS_FILE, reason, error);
  }
}

/** The stored points; a torn last line (a write cut by a kill) is skipped. */
function readPoints(path: string): StoredPoint[] {
  if (!existsSync(path)) return [];
  const out: StoredPoint[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.length === 0) continue;
    try {
      out.push(JSON.parse(line) as StoredPoint);
    } catch {
      // Only the last line can be torn; any line that does not parse is skipped.
    }
  }
  return out;
}

/** Each difference between the stored settings and this run's, in words. */
function compare(stored: AdaptiveSettings, now: AdaptiveSettings): string[] {
  const out: string[] = [];
  const fields = [
    "pipeline",
    "output",
    "dimensions",
    "inputs",
    "mapped",
    "selections",
    "loss",
  ] as const;
  for (const field of fields) {
    const a = JSON.stringify(stored[field]);
    const b = JSON.stringify(now[field]);
    if (a !== b) out.push(`${field}: the folder has ${a}, this run has ${b}`);
  }
  return out;
}
