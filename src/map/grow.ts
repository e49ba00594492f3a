/**
 * Sweeps that grow (`resume: "extend"`): a run folder whose mapped inputs were only extended
 * (values appended along an axis) is resumed by keeping every stored element, re-laid at its
 * place in the larger arrays, and dropping the outputs of functions that read a grown axis
 * whole (reductions), which run again. Anything else that changed is a mismatch naming the
 * input and its first differing index.
 *
 * The order of the steps keeps a crash at any point resumable with `"extend"` again: stores
 * are grown (each into a new folder swapped in by renames, and skipped once it has the new
 * shape) and stale ones removed first, then the inputs are rewritten, then run.json. Until
 * run.json is written nothing computes, and each step finds its own work done when redone.
 */
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { deserialize } from "node:v8";
import { own } from "../_internal/own.ts";
import type { NodeLayout, SweepLayout } from "./layout.ts";
import { linearIndex, NdArray, product, unravelIndex } from "./ndarray.ts";
import { outputFolder, removeRunFiles } from "./run-folder-files.ts";
import { openFileStore, readStoreMeta, type StoreMeta } from "./storage/file.ts";
import type { OutputStore, StoreOptions } from "./storage/types.ts";

/** What {@link planGrowth} found: how the run folder grows, or why it cannot. */
export interface GrowthPlan {
  /** Why the folder is not an extension of its run, one difference per input, in words. */
  readonly differences: readonly string[];
  /** Mapped inputs whose hash differs, compared here (extended, or a difference said). */
  readonly checked: ReadonlySet<string>;
  /** Inputs whose value changed by extension only (their recorded hash may differ). */
  readonly extended: ReadonlySet<string>;
  /** Axes whose length grew, with their new length. */
  readonly grown: ReadonlyMap<string, number>;
  /** The length of every axis fixed by a given mapped input, as this run has it. */
  readonly lengths: ReadonlyMap<string, number>;
}

/**
 * Compares the mapped inputs of the run about to start with those the folder stored, for
 * `resume: "extend"`: an input whose every stored element is unchanged at its index, and
 * which is at least as long along each axis, is extended; one with an element edited or
 * removed is a difference naming the input and the first differing index.
 *
 * @param runFolder - The run folder (its `inputs/<name>.v8` hold the stored values).
 * @param recorded - Each input's hash as run.json records it.
 * @param current - Each input's hash in this run.
 * @param inputs - This run's inputs.
 * @param hashOf - The hash run.json records for a value (elements are compared by it).
 * @param layout - The sweep's layout: which inputs are mapped, along which axes.
 */
export function planGrowth(
  runFolder: string,
  recorded: Readonly<Record<string, string>>,
  current: Readonly<Record<string, string>>,
  inputs: Readonly<Record<string, unknown>>,
  hashOf: (value: unknown) => string,
  layout: SweepLayout,
): GrowthPlan {
  const differences: string[] = [];
  const checked = new Set<string>();
  const extended = new Set<string>();
  const grown = new Map<string, number>();
  const lengths = axisLengths(layout, inputs);
  for (const [name, value] of Object.entries(inputs)) {
    const dims = layout.dims.get(name);
    if (!dims || layout.producer.has(name)) continue;
    const before = own(recorded, name);
    if (before === undefined || before === own(current, name)) continue;
    checked.add(name);
    const now = asArray(value, dims);
    if (!now) continue;
    const stored = storedInput(runFolder, name);
    const old = stored.found ? asArray(stored.value, dims) : undefined;
    if (!old) {
      differences.push(
        `input "${name}" has a different value, and the folder holds no copy of the old one ` +
          "to check that it was only extended (it could not be stored)",
      );
      continue;
    }
    const problem = extensionProblem(name, old, now, hashOf);
    if (problem !== undefined) {
      differences.push(problem);
      continue;
    }
    extended.add(name);
    dims.forEach((d, k) => {
      if (now.shape[k]! > old.shape[k]!) grown.set(d, now.shape[k]!);
    });
  }
  return { differences, checked, extended, grown, lengths };
}

/**
 * A difference plain `resume: true` found, with a hint at `"extend"` when it is the changed
 * value of an input that was only extended.
 */
export function extendHint(difference: string, extended: ReadonlySet<string>): string {
  const found = /^input "(.*)" has a different value$/.exec(difference);
  if (!found || !extended.has(found[1]!)) return difference;
  return `${difference}: it was only extended, which resume: "extend" grows the run by`;
}

/**
 * The length of each axis that a given mapped input fixes (zipped inputs agree: `map`
 * checked them).
 *
 * @param layout - The sweep's layout.
 * @param inputs - The run's inputs.
 * @returns Each axis's length.
 */
export function axisLengths(
  layout: SweepLayout,
  inputs: Readonly<Record<string, unknown>>,
): Map<string, number> {
  const lengths = new Map<string, number>();
  for (const [name, value] of Object.entries(inputs)) {
    const dims = layout.dims.get(name);
    if (!dims || layout.producer.has(name)) continue;
    const shape = shapeOf(value, dims.length) ?? [];
    for (const [k, n] of shape.entries()) lengths.set(dims[k]!, n);
  }
  return lengths;
}

/**
 * The shape of a mapped input, read off its first element at each level (without walking
 * it: `map` checks that it is regular); undefined when it is not an array.
 */
function shapeOf(value: unknown, ndim: number): number[] | undefined {
  if (value instanceof NdArray) return [...value.shape];
  const shape: number[] = [];
  let probe = value;
  for (let depth = 0; depth < ndim; depth++) {
    if (!Array.isArray(probe) && !ArrayBuffer.isView(probe)) return depth === 0 ? undefined : shape;
    const list = probe as ArrayLike<unknown>;
    shape.push(list.length);
    if (list.length === 0) {
      while (shape.length < ndim) shape.push(0);
      break;
    }
    probe = list[0];
  }
  return shape;
}

/**
 * Why `now` is not `old` with values appended along its axes: the first index (row-major)
 * whose value differs, or the first one gone; undefined when it is an extension.
 */
function extensionProblem(
  name: string,
  old: NdArray<unknown>,
  now: NdArray<unknown>,
  hashOf: (value: unknown) => string,
): string | undefined {
  const common = old.shape.map((n, k) => Math.min(n, now.shape[k]!));
  const size = product(common);
  for (let linear = 0; linear < size; linear++) {
    const index = unravelIndex(common, linear);
    const a = old.data[linearIndex(old.shape, index)];
    const b = now.data[linearIndex(now.shape, index)];
    if (!sameValue(a, b, hashOf)) {
      return (
        `input "${name}" changed at index [${index.join(", ")}] ` +
        `(${describe(a)} before, ${describe(b)} now): "extend" keeps old values, so only ` +
        "appending values is an extension"
      );
    }
  }
  const shrunk = old.shape.findIndex((n, k) => now.shape[k]! < n);
  if (shrunk >= 0) {
    const index = old.shape.map((_, k) => (k === shrunk ? now.shape[k]! : 0));
    return (
      `input "${name}" lost values along axis "${old.dims[shrunk]}" (${now.shape[shrunk]} ` +
      `now, ${old.shape[shrunk]} before): index [${index.join(", ")}] was removed, and ` +
      '"extend" only adds values'
    );
  }
  return undefined;
}

/** Whether two input elements are the same value, as run.json's hashes compare inputs. */
function sameValue(a: unknown, b: unknown, hashOf: (value: unknown) => string): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return hashOf(a) === hashOf(b);
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  if (typeof value === "object" && value !== null)
    return Array.isArray(value) ? "an array" : "an object";
  return String(value);
}

/** The value of `inputs/<name>.v8`, or not found when the run could not store it. */
function storedInput(
  runFolder: string,
  name: string,
): { found: true; value: unknown } | { found: false } {
  const file = join(runFolder, "inputs", `${encodeURIComponent(name)}.v8`);
  try {
    return { found: true, value: deserialize(readFileSync(file)) };
  } catch {
    return { found: false };
  }
}

/** A mapped input as an NdArray along `dims`, or undefined when it is not one. */
function asArray(value: unknown, dims: readonly string[]): NdArray<unknown> | undefined {
  try {
    if (value instanceof NdArray) return new NdArray(value.shape, dims, value.data);
    if (ArrayBuffer.isView(value)) {
      return NdArray.fromNested(Array.from(value as unknown as ArrayLike<unknown>), dims);
    }
    return Array.isArray(value) ? NdArray.fromNested(value as unknown[], dims) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The outputs whose stored elements a growth makes wrong: those of a function that reads a
 * grown axis whole (a reduction, `c[i, :] -> d[i]`, or a function without mapspec reading a
 * grown array), and of every function reading such an output, however it reads it.
 *
 * @param layout - The sweep's layout.
 * @param grown - The axes that grew.
 * @returns The stale outputs' names.
 */
export function staleOutputs(layout: SweepLayout, grown: ReadonlyMap<string, number>): Set<string> {
  const stale = new Set<string>();
  if (grown.size === 0) return stale;
  for (const node of layout.nodes) {
    if (readsGrownWhole(node, layout, grown, stale)) {
      for (const o of node.func.outputs) stale.add(o);
    }
  }
  return stale;
}

function readsGrownWhole(
  node: NodeLayout,
  layout: SweepLayout,
  grown: ReadonlyMap<string, number>,
  stale: ReadonlySet<string>,
): boolean {
  return node.func.call.params.some((p, k) => {
    if (stale.has(p.graph)) return true;
    const dims = layout.dims.get(p.graph) ?? [];
    const axes = node.paramAxes[k];
    if (axes === undefined) return dims.some((d) => grown.has(d));
    return axes.some((a, d) => a === null && grown.has(dims[d]!));
  });
}

/**
 * Grows the run folder's stores to this run's axis lengths: every store of an output in
 * `outputs` is re-laid at the new shape (an element keeps its index along every axis, so its
 * row-major position moves), and the stores of `stale` outputs are removed. A store already
 * at its new shape (grown by an interrupted attempt) is left as it is.
 *
 * @param runFolder - The run folder, locked by this run.
 * @param run - The run's id, which stored elements are bound to.
 * @param outputs - Every output the folder may hold a store of.
 * @param lengths - The new length of each axis fixed by the mapped inputs.
 * @param stale - Outputs whose stores are removed.
 */
export async function growStores(
  runFolder: string,
  run: string,
  outputs: Iterable<string>,
  lengths: ReadonlyMap<string, number>,
  stale: ReadonlySet<string>,
): Promise<void> {
  const names = new Set(outputs);
  for (const name of names) finishSwap(outputFolder(runFolder, name));
  removeRunFiles(
    runFolder,
    [],
    [...names].filter((n) => stale.has(n)),
  );
  for (const name of names) {
    if (stale.has(name)) continue;
    const folder = outputFolder(runFolder, name);
    const meta = readStoreMeta(folder);
    if (!meta || meta.shape.length === 0) continue;
    const shape = meta.dims.map((d, k) => lengths.get(d) ?? meta.shape[k]!);
    if (shape.join() === meta.shape.join()) continue;
    await relay(folder, name, run, meta, shape);
  }
}

/** A sibling of a store's folder, hidden (a leading dot) so no output is ever named so. */
function sibling(folder: string, suffix: "growing" | "grown" | "old"): string {
  return join(dirname(folder), `.${basename(folder)}.${suffix}`);
}

/**
 * Copies a store's elements into a new store of `shape` beside it, then swaps it in: the
 * copy is written as `.<name>.growing`, renamed `.<name>.grown` once whole, and
 * {@link finishSwap} moves it into place.
 */
async function relay(
  folder: string,
  output: string,
  run: string,
  meta: StoreMeta,
  shape: readonly number[],
): Promise<void> {
  const growing = sibling(folder, "growing");
  rmSync(growing, { recursive: true, force: true });
  const base = { output, dims: meta.dims, run, untrusted: "recompute" } as const;
  const old = await openStore(meta.kind, { ...base, shape: meta.shape, folder });
  const next = await openStore(meta.kind, { ...base, shape, folder: growing });
  for (let k = 0; k < old.size; k++) {
    if (!old.has(k)) continue;
    await next.set(linearIndex(shape, unravelIndex(meta.shape, k)), old.get(k));
  }
  await next.flush();
  renameSync(growing, sibling(folder, "grown"));
  finishSwap(folder);
}

/**
 * Completes (or undoes) a swap an earlier attempt left: a partial copy is removed, a whole
 * one replaces the store, and the replaced store is removed. Each step is one rename or
 * removal, so any crash leaves a state this finishes.
 */
function finishSwap(folder: string): void {
  const grown = sibling(folder, "grown");
  const old = sibling(folder, "old");
  rmSync(sibling(folder, "growing"), { recursive: true, force: true });
  if (existsSync(grown)) {
    if (existsSync(folder)) {
      rmSync(old, { recursive: true, force: true });
      renameSync(folder, old);
    }
    renameSync(grown, folder);
  }
  // Only pipeweave writes these hidden folders: the whole folder is its own.
  rmSync(old, { recursive: true, force: true });
}

async function openStore(
  kind: StoreMeta["kind"],
  options: StoreOptions & { readonly folder: string },
): Promise<OutputStore> {
  if (kind === "file") return openFileStore(options);
  const { openZarrStore } = await import("./storage/zarr.ts");
  return openZarrStore(options);
}
