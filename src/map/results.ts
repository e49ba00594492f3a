import { type InspectOptionsStylized, inspect } from "node:util";
import { closestNames } from "../_internal/closest.ts";
import { setOwn } from "../_internal/own.ts";
import { UnknownOutputError } from "../errors.ts";
import type { Dataset } from "../results/dataset.ts";
import { sweepDataset } from "../results/sweep-dataset.ts";
import type { ErrorSnapshot } from "./error-snapshot.ts";
import { MISSING } from "./missing.ts";
import { NdArray } from "./ndarray.ts";
import type { OutputStore } from "./storage/types.ts";

/**
 * One output of a sweep.
 *
 * @typeParam T - The element type of a mapped output, else the output's type.
 * @typeParam Axes - Its axes when a literal mapspec decides them: `["i", "j"]` for a mapped
 *   output (`output` is an `NdArray<T, ["i", "j"]>`), `[]` for an unmapped one (`output` is
 *   `T`); `undefined` where the types cannot know (`output` is `NdArray<T> | T`).
 */
export interface OutputResult<T, Axes extends readonly string[] | undefined = undefined> {
  /** An `NdArray` for a mapped output, else the single value (MISSING when masked). */
  readonly output: Axes extends readonly []
    ? T
    : Axes extends readonly string[]
      ? NdArray<T, Axes>
      : NdArray<T> | T;
  /** The output as an `NdArray` (0-D for a single value). */
  readonly array: NdArray<T, Axes extends readonly string[] ? Axes : string[]>;
  /** Its shape (`[]` for a single value). */
  readonly shape: readonly number[];
  /** Its axes. */
  readonly dims: Axes extends readonly string[] ? Readonly<Axes> : readonly string[];
  /** The store holding it. */
  readonly store: OutputStore | undefined;
}

/** A long-format row of {@link MapResults.toRows}: axis indexes and values by name. */
export type Row = Record<string, unknown>;

/** Members of map results besides the outputs. */
export interface MapResultsMembers {
  /** Failures recorded under `errors: "continue"`. */
  readonly errors: readonly ErrorSnapshot[];
  /** The run folder, when the sweep had one. */
  readonly runFolder: string | undefined;
  /**
   * Long-format rows, one per element of `output` (default: the output with the most axes):
   * its axis indexes, the values of inputs and outputs along those axes, and the value.
   * Masked elements are left out.
   *
   * @throws {@link UnknownOutputError} when `output` is neither an output nor an input of the map.
   */
  toRows(output?: string): Row[];
  /**
   * The results labelled, as an xarray Dataset: each output a data variable, each axis
   * labelled by the mapped inputs along it (0..n-1 for a generated or internal axis).
   */
  dataset(): Dataset;
}

/** What `map` resolves to: each output by name, plus {@link MapResultsMembers}. */
export type MapResults<O extends Record<string, unknown>> = {
  readonly [K in keyof O]: OutputResult<O[K]>;
} & MapResultsMembers;

/** Output names that would hide a member of the results. */
export const RESERVED_RESULT_NAMES: ReadonlySet<string> = new Set([
  "errors",
  "runFolder",
  "toRows",
  "dataset",
]);

/** The values each results object was built from (inputs included), for its plots. */
const sweepValues = new WeakMap<object, ReadonlyMap<string, unknown>>();

/**
 * The values a sweep's results were built from, mapped inputs included (as NdArrays along
 * their axes): where `toHtml(results)` finds the coordinates of its plots. Internal.
 */
export function sweepValuesOf(results: object): ReadonlyMap<string, unknown> | undefined {
  return sweepValues.get(results);
}

/** Builds the results object. */
export function createMapResults(
  outputs: ReadonlyMap<
    string,
    { readonly value: unknown; readonly store: OutputStore | undefined }
  >,
  errors: readonly ErrorSnapshot[],
  runFolder: string | undefined,
  values: ReadonlyMap<string, unknown>,
  mappedInputs: readonly string[] = [],
): MapResults<Record<string, unknown>> {
  const results: Record<string, OutputResult<unknown>> = {};
  for (const [name, { value, store }] of outputs) {
    const array = value instanceof NdArray ? value : new NdArray([], [], [value]);
    const result = Object.create(OUTPUT_RESULT) as OutputResult<unknown>;
    Object.assign(result, { output: value, array, shape: array.shape, dims: array.dims, store });
    setOwn(results, name, result);
  }
  Object.defineProperties(results, {
    errors: { value: errors },
    runFolder: { value: runFolder },
    toRows: { value: (output?: string) => toRows(values, output) },
    dataset: {
      value: () =>
        sweepDataset(
          [...outputs].map(([name, { value }]) => [name, value] as const),
          mappedInputs.flatMap((name) => {
            const v = values.get(name);
            return v instanceof NdArray ? [[name, v] as const] : [];
          }),
        ),
    },
  });
  sweepValues.set(results, values);
  return results as unknown as MapResults<Record<string, unknown>>;
}

function toRows(values: ReadonlyMap<string, unknown>, output: string | undefined): Row[] {
  const arrays = new Map<string, NdArray<unknown>>();
  for (const [name, v] of values) if (v instanceof NdArray && v.ndim > 0) arrays.set(name, v);
  let target = output;
  if (target === undefined) {
    let best = -1;
    for (const [name, a] of arrays) {
      if (a.ndim >= best) {
        best = a.ndim;
        target = name;
      }
    }
  }
  if (target === undefined) return [];
  const main = arrays.get(target);
  if (!main) {
    if (!values.has(target)) {
      const known = [...values.keys()];
      throw new UnknownOutputError(target, closestNames(target, known), known);
    }
    const v = values.get(target);
    return v === undefined || v === MISSING ? [] : [{ [target]: v }];
  }
  // Companions: arrays whose axes are all among the target's, read at the matching index.
  const companions = [...arrays]
    .filter(([name, a]) => name !== target && a.dims.every((d) => main.dims.includes(d)))
    .map(([name, a]) => ({ name, a, at: a.dims.map((d) => main.dims.indexOf(d)) }));
  const rows: Row[] = [];
  const index = new Array<number>(main.ndim).fill(0);
  let e = 0;
  // The iterator, not `data`: a numeric output's elements are read from its Float64Array.
  for (const value of main) {
    if (e++ > 0) {
      for (let d = main.ndim - 1; d >= 0; d--) {
        if (++index[d]! < main.shape[d]!) break;
        index[d] = 0;
      }
    }
    if (value === MISSING) continue;
    const row: Row = {};
    main.dims.forEach((d, k) => {
      setOwn(row, d, index[k]);
    });
    for (const c of companions) {
      const v = c.a.get(...c.at.map((k) => index[k]!));
      if (v !== MISSING) setOwn(row, c.name, v);
    }
    setOwn(row, target, value);
    rows.push(row);
  }
  return rows;
}

/**
 * The prototype of each {@link OutputResult}: `console.log(results)` shows each output's value
 * (an NdArray's shape, dims and leading elements) as deep as the value itself would print,
 * instead of the same array twice and the store's insides.
 */
const OUTPUT_RESULT = Object.freeze({
  [inspect.custom](
    this: OutputResult<unknown>,
    depth: number,
    options: InspectOptionsStylized,
    inspectValue: typeof inspect,
  ): string {
    if (depth < 0) return options.stylize("[OutputResult]", "special");
    // One level more: the wrapper is not a level of the value a reader looks for.
    const shown = inspectValue({ output: this.output }, { ...options, depth: depth + 1 });
    return `OutputResult ${shown}`;
  },
});
