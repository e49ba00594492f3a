/**
 * What `map()` accepts and returns, typed from the literal mapspecs of a pipeline's functions:
 * a mapped output is an `NdArray<T, Axes>`, an unmapped one its value; a mapped input an array
 * nested as deep as its axes; and literal mapspecs that disagree about a name's axes make the
 * pipeline fail to type-check. Anything a literal does not decide falls back to the untyped
 * forms (`NdArray<T> | T`, `unknown` inputs), as for a mapspec that is a plain `string`.
 */
import type { AxesByName, JoinAxes, MapSpecAxesError, ParseMapSpec } from "../map/mapspec-types.ts";
import type { NdArray } from "../map/ndarray.ts";
import type { MapResults, MapResultsMembers, OutputResult } from "../map/results.ts";
import type { PipeFunc } from "./pipe-func.ts";
import type { AnyPipeFunc, InputMap, InputsOf, OutputMap, OutputsOf, Simplify } from "./types.ts";

/** A name as the graph knows it after `renames` (`Rn`) and `scope` (`S`), as pipefunc maps it. */
type GraphName<N, Rn, S> = N extends string
  ? ScopedName<N extends keyof Rn ? (Rn[N] extends string ? Rn[N] : N) : N, S>
  : never;

type ScopedName<N extends string, S> = string extends S
  ? N
  : S extends string
    ? N extends "config" | `config.${string}` | `${S}.${string}`
      ? N
      : `${S}.${N}`
    : N;

type RenameAxes<T, Rn, S> = { [K in keyof T as GraphName<K, Rn, S>]: T[K] };

/**
 * The mapspec `M` of a function made with `renames` `Rn` and `scope` `S`, as its `PipeFunc`
 * carries it: parsed and in graph names for a literal, `null` for none (`M` is `never`), and
 * `unknown` for a `string` or a text the type-level parser cannot read.
 */
export type GraphMapSpec<M extends string, Rn, S> = [M] extends [never]
  ? null
  : ParseMapSpec<M> extends infer P
    ? P extends { readonly inputs: infer I; readonly outputs: infer O }
      ? {} extends Rn
        ? string extends S
          ? P
          : { readonly inputs: RenameAxes<I, Rn, S>; readonly outputs: RenameAxes<O, Rn, S> }
        : { readonly inputs: RenameAxes<I, Rn, S>; readonly outputs: RenameAxes<O, Rn, S> }
      : unknown
    : unknown;

/** The mapspec a pipe function carries in its type (see {@link GraphMapSpec}). */
export type SpecOf<F> = F extends PipeFunc<object, object, infer S> ? S : unknown;

/** Literal mapspec parts of `F`, or `never`. */
type LiteralInputs<F> =
  SpecOf<F> extends { readonly inputs: infer I extends AxesByName } ? I : never;
type LiteralOutputs<F> =
  SpecOf<F> extends { readonly outputs: infer O extends AxesByName } ? O : never;

/** True when some function's mapspec is not known to the types (it may read any name). */
type HasUntypedSpec<Fns extends readonly AnyPipeFunc[]> =
  unknown extends SpecOf<Fns[number]> ? true : false;

/** The axes literal mapspecs read `K` with (one tuple per reader; `[]` for a bare name). */
type ReadAxes<F, K> = F extends AnyPipeFunc
  ? K extends keyof LiteralInputs<F>
    ? LiteralInputs<F>[K]
    : never
  : never;

/** Drops one array level: an array's, an NdArray's or a typed array's elements. */
type Unwrap<T> = T extends readonly (infer E)[]
  ? E
  : T extends NdArray<infer E, readonly string[]>
    ? E
    : T extends ArrayLike<infer E> & { readonly BYTES_PER_ELEMENT: number }
      ? E
      : unknown;

/**
 * What `map` stores per element of an output with axes `Axes`: `T` itself along the mapped
 * axes, and one array level less for each internal axis (one no input has), since each call
 * returns an array along those; a generator's axes are all internal.
 */
type ElementOf<T, Axes, Mapped> = Axes extends readonly [infer H, ...infer R]
  ? H extends Mapped
    ? ElementOf<T, R, Mapped>
    : ElementOf<Unwrap<T>, R, Mapped>
  : T;

/** How `map` returns output `K` of producer `F`: axes and element, unmapped, or untyped. */
type ShapeFrom<F, K, Fns extends readonly AnyPipeFunc[]> = F extends AnyPipeFunc
  ? K extends keyof OutputsOf<F>
    ? unknown extends SpecOf<F>
      ? "untyped"
      : [SpecOf<F>] extends [null]
        ? // pipefunc's rule: a function without a mapspec whose output a mapspec reads along
          // axes becomes a generator (`... -> x[i]`); its axes are left to the run.
          HasUntypedSpec<Fns> extends true
          ? "untyped"
          : [Exclude<ReadAxes<Fns[number], K>, readonly []>] extends [never]
            ? "unmapped"
            : "untyped"
        : K extends keyof LiteralOutputs<F>
          ? LiteralOutputs<F>[K] extends infer Axes extends readonly string[]
            ? Axes extends readonly []
              ? "unmapped"
              : {
                  readonly axes: Axes;
                  readonly element: ElementOf<
                    OutputsOf<F>[K],
                    Axes,
                    LiteralInputs<F>[keyof LiteralInputs<F>][number]
                  >;
                }
            : "untyped"
          : "untyped"
    : never
  : never;

/** `map`'s result for output `K`: see {@link OutputResult}. */
type ResultFor<Shape, T> = Shape extends {
  readonly axes: infer Axes extends readonly string[];
  readonly element: infer E;
}
  ? OutputResult<E, Axes>
  : Shape extends "unmapped"
    ? OutputResult<T, []>
    : OutputResult<T>;

/**
 * What `pipeline.map()` resolves to: each output by name, typed from the literal mapspecs
 * (`NdArray<T, ["i", "j"]>` for a mapped output, `T` for an unmapped one), plus
 * {@link MapResultsMembers}.
 */
export type PipelineMapResults<Fns extends readonly AnyPipeFunc[]> = number extends Fns["length"]
  ? MapResults<Record<string, unknown>>
  : {
      readonly [K in keyof OutputMap<Fns>]: ResultFor<
        ShapeFrom<Fns[number], K, Fns>,
        OutputMap<Fns>[K]
      >;
    } & MapResultsMembers;

/**
 * The value `map` gives output `K` of a pipeline (what `loadOutputs(pipeline, K, …)` reads):
 * `NdArray<T, Axes>`, `T`, or `NdArray<T> | T` where the mapspecs do not decide.
 */
export type MapOutputValue<Fns extends readonly AnyPipeFunc[], K> = ResultFor<
  ShapeFrom<Fns[number], K, Fns>,
  OutputMap<Fns>[K & keyof OutputMap<Fns>]
>["output"];

/** A name for a typed array of numbers, accepted where a mapped input of numbers is. */
type NumericArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

/**
 * A mapped input of element type `E` along `Axes`: arrays nested one level per axis (typed
 * arrays for the last level of numbers), or an `NdArray`.
 */
export type MappedInput<E, Axes extends readonly unknown[]> =
  | NestedLevels<E, Axes>
  | NdArray<E, readonly string[]>;

type NestedLevels<E, Axes extends readonly unknown[]> = Axes extends readonly [unknown, ...infer R]
  ? R extends readonly []
    ? readonly E[] | (E extends number ? NumericArray : never)
    : readonly NestedLevels<E, R>[]
  : E;

/** Elements of an argument that receives a slice (`c[i, :]`): an NdArray's or an array's. */
type SliceElement<A> =
  A extends NdArray<infer E, readonly string[]> ? E : A extends readonly (infer E)[] ? E : unknown;

/** What a literal reader `F` of `K` takes for it in `map`, or never. */
type MappedInputFrom<F, K> = F extends AnyPipeFunc
  ? K extends keyof LiteralInputs<F>
    ? LiteralInputs<F>[K] extends infer Axes extends readonly string[]
      ? Axes extends readonly []
        ? never
        : K extends keyof InputsOf<F>
          ? ":" extends Axes[number]
            ? MappedInput<SliceElement<InputsOf<F>[K]>, Axes>
            : MappedInput<InputsOf<F>[K], Axes>
          : never
      : never
    : never
  : never;

/** True when a function with an untyped mapspec reads `K` (it may map it). */
type ReadByUntyped<F, K> = F extends AnyPipeFunc
  ? unknown extends SpecOf<F>
    ? K extends keyof InputsOf<F>
      ? true
      : never
    : never
  : never;

/** What `map` takes for root input `K`: mapped, unmapped, or anything where not known. */
type MapInputType<Fns extends readonly AnyPipeFunc[], K> =
  MappedInputFrom<Fns[number], K> extends infer Mapped
    ? [Mapped] extends [never]
      ? [ReadByUntyped<Fns[number], K>] extends [never]
        ? InputMap<Fns>[K & keyof InputMap<Fns>]
        : unknown
      : Mapped
    : never;

type IsOptionalIn<F, K> = F extends AnyPipeFunc
  ? K extends keyof InputsOf<F>
    ? {} extends Pick<InputsOf<F>, K>
      ? true
      : never
    : never
  : never;

/** Root inputs: read by some function, produced by none, not a config path. */
type RootInputName<Fns extends readonly AnyPipeFunc[]> = Exclude<
  keyof InputMap<Fns> & string,
  keyof OutputMap<Fns> | "config" | `config.${string}`
>;

/**
 * Root inputs a map cannot do without: no function gives them a default, none is scoped
 * (a scoped name may come nested, `{ scope: { a } }`), and `Given` (names given values at
 * the pipeline level) does not hold them.
 */
type RequiredInputName<Fns extends readonly AnyPipeFunc[], Given> = {
  [K in RootInputName<Fns>]: K extends Given | `${string}.${string}`
    ? never
    : [IsOptionalIn<Fns[number], K>] extends [never]
      ? K
      : never;
}[RootInputName<Fns>];

type ScopeOf<K> = K extends `${infer S}.${string}` ? (S extends "config" ? never : S) : never;

/**
 * What `pipeline.map()` takes as inputs: each root input by name, an input a literal mapspec
 * maps over k axes as arrays nested k deep (or an `NdArray`, or a typed array of numbers), an
 * unmapped one as the argument's own type; inputs nothing gives a default to are required.
 * Outputs may be given too (their functions then do not run), and scoped names nested.
 */
export type PipelineMapInputs<
  Fns extends readonly AnyPipeFunc[],
  Given = never,
> = number extends Fns["length"]
  ? Readonly<Record<string, unknown>>
  : PipelineMapInputsOf<Fns, Given>;

type PipelineMapInputsOf<Fns extends readonly AnyPipeFunc[], Given> = Simplify<
  { [K in RequiredInputName<Fns, Given>]: MapInputType<Fns, K> } & {
    [K in Exclude<RootInputName<Fns>, RequiredInputName<Fns, Given>>]?: MapInputType<Fns, K>;
  } & { [K in keyof OutputMap<Fns>]?: unknown } & {
    [S in ScopeOf<RootInputName<Fns>>]?: Readonly<Record<string, unknown>>;
  }
>;

/** The axes the literal mapspec of `F` gives output `K`, or never. */
type ProducedAxes<F, K> = F extends AnyPipeFunc
  ? string extends keyof LiteralOutputs<F>
    ? never
    : K extends keyof LiteralOutputs<F>
      ? LiteralOutputs<F>[K]
      : never
  : never;

type AxesText<Axes extends readonly string[]> = Axes extends readonly []
  ? "no axes"
  : `axes [${JoinAxes<Axes>}]`;

type ReadText<K extends string, Axes extends readonly string[]> = Axes extends readonly []
  ? K
  : `${K}[${JoinAxes<Axes>}]`;

/**
 * The messages for each name the literal mapspec of `F` reads with another number of axes
 * than the literal mapspec producing it gives it; never when all agree.
 */
export type AxesProblems<F, Fns extends readonly AnyPipeFunc[]> = [LiteralInputs<F>] extends [never]
  ? never
  : {
      [K in keyof LiteralInputs<F> & string]: LiteralInputs<F>[K] extends infer Read extends
        readonly string[]
        ? ProducedAxes<Fns[number], K> extends infer Made
          ? Made extends readonly string[]
            ? Made["length"] extends Read["length"]
              ? never
              : `"${keyof LiteralOutputs<F> & string}" reads ${ReadText<K, Read>} but ${K} has ${AxesText<Made>}`
            : never
          : never
        : never;
    }[keyof LiteralInputs<F> & string];

/** {@link AxesProblems} of `F` as the error type the Pipeline constructor shows, or unknown. */
export type CheckAxes<F, Fns extends readonly AnyPipeFunc[]> = [AxesProblems<F, Fns>] extends [
  never,
]
  ? unknown
  : MapSpecAxesError<AxesProblems<F, Fns>>;
