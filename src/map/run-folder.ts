import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { serialize } from "node:v8";
import { own, setOwn } from "../_internal/own.ts";
import { captureIdentity, stableHash } from "../cache/key.ts";
import {
  RunFolderCorruptError,
  RunFolderExistsError,
  RunFolderMismatchError,
  RunFolderNotEmptyError,
  RunFolderNotFoundError,
} from "../errors.ts";
import { calledNames, checkCaptures } from "../graph/captures.ts";
import { sourceText } from "../graph/pipe-func.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { variantLabels } from "../graph/variants.ts";
import { axisLengths, extendHint, growStores, planGrowth, staleOutputs } from "./grow.ts";
import type { SweepLayout } from "./layout.ts";
import {
  asRunFolderError,
  foreignEntries,
  isDiskFull,
  removeRunFiles,
  rewriteInPlace,
} from "./run-folder-files.ts";
import { lockRunFolder, type RunFolderLock } from "./run-folder-lock.ts";
import { writeFileAtomicSync } from "./storage/file.ts";
import type { StorageKind } from "./storage/types.ts";

/** A function as recorded in run.json. */
export interface FunctionRecord {
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly mapspec: string | null;
  /**
   * Hash of the function's source text, bound values, defaults, version and captured values:
   * a changed body, default or captured value is a different run.
   */
  readonly code: string;
  /**
   * The names the function uses as code (helpers it calls, objects whose methods it calls),
   * for the record: they are not in `code`, so change the function's `version` when one of
   * them changes. Absent when there are none.
   */
  readonly calls?: readonly string[];
}

/** An output as recorded in run.json. */
export interface OutputRecord {
  readonly dims: readonly string[];
  readonly storage: StorageKind;
  /**
   * The internal axes' shape given by `internalShapes`, for an output with internal axes
   * (`x[i] -> y[i, j]`) whose store holds one array per element.
   */
  readonly internalShape?: readonly number[];
}

/** The content of `run.json`. */
export interface RunRecord {
  readonly format: 1;
  readonly pipeweave: string;
  readonly pipeline: { readonly name: string; readonly functions: readonly FunctionRecord[] };
  /** Hash of each input's value (object key order does not matter). */
  readonly inputs: Readonly<Record<string, string>>;
  readonly outputs: Readonly<Record<string, OutputRecord>>;
  /** How failures were handled: a resume must handle them the same way. */
  readonly errors: "raise" | "continue";
  readonly status: "running" | "done" | "failed" | "aborted";
  readonly createdAt: string;
  readonly updatedAt: string;
  /**
   * A random id given when the run is created and kept by every resume: each stored element
   * is bound to it, so one copied from another run is never read as this run's. Absent from
   * folders written before it (a resume gives them one).
   */
  readonly id?: string;
  /**
   * The variant of each variant group the run used, `{ group: variant }`; absent when its
   * functions are no variants. A resume with other variants is refused.
   */
  readonly variants?: Readonly<Record<string, string>>;
  /**
   * The length of each axis the mapped inputs fix, `{ i: 10, j: 15 }`: a resume with
   * `"extend"` rewrites it with the grown lengths. Absent from folders written before it.
   */
  readonly axes?: Readonly<Record<string, number>>;
}

const VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

const hash = (data: string | Uint8Array) =>
  createHash("sha256").update(data).digest("hex").slice(0, 16);

/**
 * Hash of a value: of its stable form (as cache keys hash it, so object key order does not
 * matter), else of its v8 serialization, else of its text.
 */
export function valueHash(value: unknown): string {
  const stable = stableHash(value);
  if (stable !== undefined) return stable.slice(0, 16);
  try {
    return hash(serialize(value));
  } catch {
    return hash(`text:${String(value)}`);
  }
}

/**
 * How a function is recorded: its names, its mapspec, a hash of its code and the helpers it
 * calls.
 *
 * @throws {@link UndeclaredCaptureError} when the function reads data from outside itself
 *   that neither its `captures` nor its `version` declares: a resume could not tell them apart.
 */
export function functionRecord(f: AnyPipeFunc): FunctionRecord {
  checkCaptures(f, "its results are kept in the run folder");
  const calls = calledNames(f);
  return calls.length > 0 ? { ...describeFunction(f), calls } : describeFunction(f);
}

/**
 * The record {@link functionRecord} makes, without refusing undeclared captures: for
 * comparing definitions (a Redis worker's pipeline with its coordinator's), where what a
 * function reads from outside is simply not covered.
 *
 * @throws {@link InvalidOptionError} when a declared captured value has no stable form.
 */
export function describeFunction(f: AnyPipeFunc): FunctionRecord {
  return {
    name: f.name,
    inputs: f.inputs,
    outputs: f.outputs,
    mapspec: f.mapspec ?? null,
    code: hash(codeText(f)),
  };
}

/**
 * What identifies a function's results in a run folder: source, bound values, defaults, and
 * its version and captured values when it declares them (absent otherwise, so folders
 * written before captures could be declared still resume).
 */
function codeText(f: AnyPipeFunc): string {
  const captured = captureIdentity(f);
  const code = `${sourceText(f)}\n${valueHash(f.call.bound)}\n${valueHash(f.defaults)}`;
  return captured === "" ? code : `${code}\n${captured}`;
}

export { outputFolder } from "./run-folder-files.ts";

/**
 * Writes run.json atomically (temporary file, then rename; the temporary is removed when that
 * fails). On a full disk an existing run.json is rewritten in place instead, so a run stopped
 * by the full disk still records that it ended.
 */
function writeRunJson(path: string, record: RunRecord): void {
  const text = `${JSON.stringify(record, null, 2)}\n`;
  try {
    writeFileAtomicSync(path, text);
  } catch (error) {
    if (
      isDiskFull(error) &&
      (rewriteInPlace(path, text) || rewriteInPlace(path, JSON.stringify(record)))
    ) {
      return;
    }
    throw error;
  }
}

/**
 * Reads a run folder's run.json.
 *
 * @throws {@link RunFolderNotFoundError} when the path does not exist, is a file, or is a folder
 *   without run.json.
 * @throws {@link RunFolderCorruptError} when run.json is not valid JSON or not a run record.
 */
export function readRunRecord(runFolder: string): RunRecord {
  const path = join(runFolder, "run.json");
  if (!existsSync(path)) {
    const found = whatIsAt(runFolder);
    throw new RunFolderNotFoundError(
      runFolder,
      found === "folder" ? "folder without run.json" : found,
    );
  }
  const text = readFileSync(path, "utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const reason = text.length === 0 ? "it is empty" : `it is not valid JSON (${String(cause)})`;
    throw new RunFolderCorruptError(runFolder, path, reason, cause);
  }
  const problem = runRecordProblem(value);
  if (problem !== undefined) throw new RunFolderCorruptError(runFolder, path, problem);
  return value as RunRecord;
}

/**
 * What is at `path`: a folder, a file, or nothing (a file standing where a folder on the path
 * should be counts as nothing there).
 *
 * @throws The file system's error for anything else (permission denied …).
 */
export function whatIsAt(path: string): "folder" | "file" | "nothing" {
  try {
    return statSync(path).isDirectory() ? "folder" : "file";
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return "nothing";
    throw error;
  }
}

/** What makes `value` not a run record, or undefined when it is one. */
function runRecordProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "it does not hold a run record (an object)";
  }
  const record = value as Record<string, unknown>;
  if (record.format !== 1) return `its format is ${JSON.stringify(record.format)}, expected 1`;
  const pipeline = record.pipeline as { functions?: unknown } | null | undefined;
  if (typeof pipeline !== "object" || pipeline === null || !Array.isArray(pipeline.functions)) {
    return "it has no pipeline.functions list";
  }
  const malformed = pipeline.functions.findIndex(
    (f: unknown) =>
      typeof f !== "object" ||
      f === null ||
      typeof (f as FunctionRecord).name !== "string" ||
      typeof (f as FunctionRecord).code !== "string" ||
      !Array.isArray((f as FunctionRecord).outputs),
  );
  if (malformed >= 0) return `pipeline.functions[${malformed}] is not a function record`;
  if (record.id !== undefined && typeof record.id !== "string") return 'its "id" is not a string';
  for (const field of ["inputs", "outputs"] as const) {
    const v = record[field];
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      return `its "${field}" is not an object`;
    }
  }
  const outputs = record.outputs as Record<string, unknown>;
  for (const [name, o] of Object.entries(outputs)) {
    const out = o as Partial<OutputRecord> | null;
    if (typeof out !== "object" || out === null || !Array.isArray(out.dims)) {
      return `output "${name}" has no dims`;
    }
  }
  return undefined;
}

/** What {@link openRunFolder} needs. */
export interface RunFolderRequest {
  readonly pipelineName: string;
  readonly functions: readonly AnyPipeFunc[];
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly outputs: Readonly<Record<string, OutputRecord>>;
  readonly errors: "raise" | "continue";
  /** `"extend"`: inputs only extended grow the stored results (see grow.ts). */
  readonly resume: boolean | "extend";
  readonly overwrite: boolean;
  /** The sweep's layout: which inputs are mapped along which axes (growth and `axes`). */
  readonly layout?: SweepLayout;
}

/** The open run folder: updates run.json as the run goes. */
export interface RunFolder {
  readonly path: string;
  /** True when a previous run's results are reused. */
  readonly resumed: boolean;
  /** The run's id (run.json's `id`), which its stored elements are bound to. */
  readonly id: string;
  /**
   * Records the run's status in run.json.
   *
   * @throws {@link RunFolderWriteError} when run.json cannot be written.
   */
  setStatus(status: RunRecord["status"]): void;
  /** Releases the folder's lock; the run is over. */
  close(): Promise<void>;
}

/**
 * Locks the folder for this run, then creates it (or, with `resume`, checks and reopens it):
 * run.json, and the inputs as `inputs/<name>.v8`. Writes only into an empty folder or a run
 * folder; never deletes results unless `overwrite` is set, and then only the files the runs
 * recorded in run.json (the previous one's and this one's) wrote. `overwrite` also replaces a
 * corrupt run.json.
 *
 * @throws {@link RunFolderLockedError} when another run writes the folder.
 * @throws {@link RunFolderNotEmptyError} when the folder holds files but no run.json.
 * @throws {@link RunFolderMismatchError} when resuming a folder written for other inputs or
 *   another pipeline, listing every difference.
 * @throws {@link RunFolderExistsError} when the folder holds a run and neither `resume` nor
 *   `overwrite` is set.
 * @throws {@link RunFolderCorruptError} when run.json cannot be read, unless `overwrite`.
 * @throws {@link RunFolderWriteError} when the folder cannot be written (disk full, read-only).
 */
export async function openRunFolder(path: string, request: RunFolderRequest): Promise<RunFolder> {
  let lock: RunFolderLock;
  try {
    lock = await lockRunFolder(path);
  } catch (error) {
    throw asRunFolderError(error, path);
  }
  try {
    return await prepareRunFolder(path, request, lock);
  } catch (error) {
    await lock.release();
    throw asRunFolderError(error, path);
  }
}

async function prepareRunFolder(
  path: string,
  request: RunFolderRequest,
  lock: RunFolderLock,
): Promise<RunFolder> {
  const now = new Date().toISOString();
  const inputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.inputs)) setOwn(inputs, k, valueHash(v));
  const variants = variantLabels(request.functions);
  const axes = request.layout ? inputAxes(request.layout, request.inputs) : {};
  const record: RunRecord = {
    format: 1,
    pipeweave: VERSION,
    pipeline: { name: request.pipelineName, functions: request.functions.map(functionRecord) },
    inputs,
    outputs: request.outputs,
    errors: request.errors,
    status: "running",
    createdAt: now,
    updatedAt: now,
    ...(Object.keys(variants).length > 0 ? { variants } : {}),
    ...(Object.keys(axes).length > 0 ? { axes } : {}),
  };
  const runJson = join(path, "run.json");
  let resumed = false;
  let createdAt = now;
  let id: string = randomUUID();
  let extended: ReadonlySet<string> = new Set();
  if (!existsSync(runJson)) {
    const foreign = foreignEntries(path);
    if (foreign.length > 0) throw new RunFolderNotEmptyError(path, foreign);
  } else if (request.overwrite) {
    const previous = readRunRecordIfValid(path);
    removeRunFiles(
      path,
      [...Object.keys(previous?.inputs ?? {}), ...Object.keys(inputs)],
      [...Object.keys(previous?.outputs ?? {}), ...Object.keys(request.outputs)],
    );
  } else {
    const previous = readRunRecord(path);
    if (!request.resume) throw new RunFolderExistsError(path);
    id = previous.id ?? id;
    const plan = request.layout
      ? planGrowth(path, previous.inputs, inputs, request.inputs, valueHash, request.layout)
      : undefined;
    const growth = request.resume === "extend" ? plan : undefined;
    // Inputs extended (or found changed, said once) compare as the folder's own.
    const compared = growth ? { ...record, inputs: { ...inputs } } : record;
    for (const n of Object.keys(compared.inputs)) {
      const before = own(previous.inputs, n);
      if (before !== undefined && growth?.checked.has(n)) setOwn(compared.inputs, n, before);
    }
    const differences = [...(growth?.differences ?? []), ...compareRuns(previous, compared)].map(
      (d) => (growth || !plan ? d : extendHint(d, plan.extended)),
    );
    if (differences.length > 0) throw new RunFolderMismatchError(path, differences);
    if (growth) {
      const outputs = [...Object.keys(previous.outputs), ...Object.keys(request.outputs)];
      const stale = staleOutputs(request.layout!, growth.grown);
      await growStores(path, id, outputs, growth.lengths, stale);
      extended = growth.extended;
    }
    resumed = true;
    createdAt = previous.createdAt;
  }
  let current: RunRecord = { ...record, createdAt, id };
  // A grown folder's inputs are rewritten before its record, so an interrupted growth still
  // reads as the old run with its stores grown (which "extend" finishes).
  if (extended.size > 0) writeInputs(path, request.inputs, (name) => extended.has(name));
  // run.json first: a folder holding anything of a run also holds its record.
  writeRunJson(runJson, current);
  mkdirSync(join(path, "outputs"), { recursive: true });
  // A resumed run keeps the inputs already stored (they are this run's: their hashes agree).
  writeInputs(path, request.inputs, () => !resumed);
  return {
    path,
    resumed,
    id,
    setStatus(status) {
      current = { ...current, status, updatedAt: new Date().toISOString() };
      try {
        writeRunJson(runJson, current);
      } catch (error) {
        throw asRunFolderError(error, path);
      }
    },
    close: () => lock.release(),
  };
}

/**
 * Writes each input as `inputs/<name>.v8`: those missing, and those `replace` names. An input
 * that cannot be serialized (a function, a client) is recorded by hash only.
 */
function writeInputs(
  path: string,
  inputs: Readonly<Record<string, unknown>>,
  replace: (name: string) => boolean,
): void {
  mkdirSync(join(path, "inputs"), { recursive: true });
  for (const [k, v] of Object.entries(inputs)) {
    const file = join(path, "inputs", `${encodeURIComponent(k)}.v8`);
    if (!replace(k) && existsSync(file)) continue;
    let bytes: Buffer;
    try {
      bytes = serialize(v);
    } catch {
      continue;
    }
    writeFileAtomicSync(file, bytes);
  }
}

/** The length of each axis that a given mapped input fixes. */
function inputAxes(
  layout: SweepLayout,
  inputs: Readonly<Record<string, unknown>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [d, n] of axisLengths(layout, inputs)) setOwn(out, d, n);
  return out;
}

/** The run.json `overwrite` replaces, or undefined when it is corrupt (nothing to go by). */
function readRunRecordIfValid(path: string): RunRecord | undefined {
  try {
    return readRunRecord(path);
  } catch (error) {
    if (error instanceof RunFolderCorruptError) return undefined;
    throw error;
  }
}

function sortedEntries(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1));
}

/** Every difference between a stored run and the one about to start, in words. */
function compareRuns(before: RunRecord, now: RunRecord): string[] {
  const out: string[] = [];
  const variants = (r: RunRecord) => JSON.stringify(sortedEntries(r.variants ?? {}));
  if (variants(before) !== variants(now)) {
    const text = (r: RunRecord) =>
      sortedEntries(r.variants ?? {})
        .map(([g, v]) => `${g}: "${v}"`)
        .join(", ") || "none";
    out.push(
      `it was written with the variants { ${text(before)} } and this run uses { ${text(now)} } ` +
        "(resume with the same variant option, or map the other variants into another run folder)",
    );
  }
  // Folders written before the mode was recorded ran with the default.
  const errors = before.errors ?? "raise";
  if (errors !== now.errors) {
    out.push(
      `errors was "${errors}" and is "${now.errors}" now (a resume handles failures the same way)`,
    );
  }
  const names = new Set([...Object.keys(before.inputs), ...Object.keys(now.inputs)]);
  for (const n of names) {
    const a = own(before.inputs, n);
    const b = own(now.inputs, n);
    if (a === undefined) out.push(`input "${n}" is new`);
    else if (b === undefined) out.push(`input "${n}" was given before and is missing now`);
    else if (a !== b) out.push(`input "${n}" has a different value`);
  }
  const byName = new Map(before.pipeline.functions.map((f) => [f.name, f]));
  for (const f of now.pipeline.functions) {
    const old = byName.get(f.name);
    byName.delete(f.name);
    if (!old) out.push(`function "${f.name}" is new`);
    else {
      if (old.mapspec !== f.mapspec) {
        out.push(`function "${f.name}" has mapspec "${f.mapspec}" (was "${old.mapspec}")`);
      }
      if (old.code !== f.code)
        out.push(
          `function "${f.name}" has changed code, bound values, defaults or captured values`,
        );
      if (old.outputs.join() !== f.outputs.join()) {
        out.push(
          `function "${f.name}" has outputs [${f.outputs.join(", ")}] (was [${old.outputs.join(", ")}])`,
        );
      }
    }
  }
  for (const name of byName.keys()) out.push(`function "${name}" was removed`);
  return out;
}
