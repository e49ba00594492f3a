import type { NdArray } from "../map/ndarray.ts";
import type { CheckAxes } from "./map-types.ts";
/**
 * Compile-time model of a pipeline: which names a function reads and produces, with their
 * types, so `run("d")` is typed and mismatched connections do not compile.
 */
import type { PipeFunc } from "./pipe-func.ts";

/** Flattens an intersection into one object type for readable hovers. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Turns a union into the intersection of its members. */
export type UnionToIntersection<U> = (U extends unknown ? (arg: U) => void : never) extends (
  arg: infer I,
) => void
  ? I
  : never;

/** Any pipe function, whatever its input and output types. */
export type AnyPipeFunc = PipeFunc<object, object>;

/** Input object type of a pipe function (graph-facing names). */
export type InputsOf<F> = F extends PipeFunc<infer I, object> ? I : never;

/** Output object type of a pipe function (graph-facing names). */
export type OutputsOf<F> = F extends PipeFunc<object, infer O> ? O : never;

/** `{ name: type }` of every output of a list of functions. */
export type OutputMap<Fns extends readonly AnyPipeFunc[]> = Simplify<
  UnionToIntersection<OutputsOf<Fns[number]>>
>;

/** `{ name: type }` of every input read by a list of functions. */
export type InputMap<Fns extends readonly AnyPipeFunc[]> = Simplify<
  UnionToIntersection<InputsOf<Fns[number]>>
>;

/** Names a pipeline can be asked for. */
export type OutputName<Fns extends readonly AnyPipeFunc[]> = keyof OutputMap<Fns> & string;

/**
 * Outputs no function reads. `run(undefined, inputs)` returns the value of the pipeline's one
 * leaf output (at run time it is an error when there are several).
 */
export type LeafOutput<Fns extends readonly AnyPipeFunc[]> = Exclude<
  OutputName<Fns>,
  keyof InputMap<Fns>
>;

/** What `run([...names])` resolves to: those outputs by name. */
export type PickedOutputs<Fns extends readonly AnyPipeFunc[], K extends string> = Simplify<{
  [P in K]: P extends keyof OutputMap<Fns> ? OutputMap<Fns>[P] : unknown;
}>;

/** Config-path inputs (`config`, `config.a.b`) resolve from options, not from the caller. */
type IsConfigName<K> = K extends "config" | `config.${string}` ? true : false;

type FlatRunInputs<Fns extends readonly AnyPipeFunc[]> = {
  [K in keyof InputMap<Fns> as IsConfigName<K> extends true ? never : K]?: InputMap<Fns>[K];
} & { [K in keyof OutputMap<Fns>]?: OutputMap<Fns>[K] };

type ScopeOf<K> = K extends `${infer S}.${string}` ? S : never;
type InScope<T, S extends string> = {
  [K in keyof T as K extends `${S}.${infer Rest}` ? Rest : never]?: T[K];
};

/**
 * What `run` accepts: any input or intermediate output by name, with scoped names also
 * accepted nested (`{ scope: { a: 1 } }` for `"scope.a"`).
 */
export type RunInputs<Fns extends readonly AnyPipeFunc[]> = FlatRunInputs<Fns> & {
  [S in ScopeOf<keyof FlatRunInputs<Fns>>]?: InScope<FlatRunInputs<Fns>, S>;
};

/** Keys of `In` whose producer's type is not assignable to what the function reads. */
/**
 * Whether a producer's value type `P` can feed an input typed `C`. Mapspecs are strings, not
 * types, so the sweep forms are accepted too: an input may take the whole mapped output
 * (`NdArray<P>`, a reduction), and an element of a generated array or of an array along
 * internal axes (`P` = `E[]` or `E[][]`…, read as an element or reduced as an `NdArray`).
 */
type Connects<P, C> = [P] extends [C]
  ? true
  : [NdArray<P>] extends [C]
    ? true
    : [P] extends [readonly (infer E)[]]
      ? Connects<E, C>
      : false;

type MismatchedKeys<In, Outs> = {
  [K in keyof In & keyof Outs]-?: Connects<Outs[K], In[K]> extends true ? never : K;
}[keyof In & keyof Outs];

/** Shown in a compile error when a function reads a name of the wrong type. */
export interface ConnectionTypeError<Input extends PropertyKey, Expected, Produced> {
  readonly "pipeweave: input type does not match its producer": {
    readonly input: Input;
    readonly expected: Expected;
    readonly produced: Produced;
  };
}

/**
 * Checks every function's inputs against the outputs of the whole list, and its literal
 * mapspec's axes against those of the literal mapspecs producing what it reads. Intersected
 * with the constructor's argument, a mismatch turns that element's expected type into a
 * {@link ConnectionTypeError} or a `MapSpecAxesError`, so the compile error points at the
 * offending function.
 */
export type CheckConnections<Fns extends readonly AnyPipeFunc[]> = {
  [I in keyof Fns]: [MismatchedKeys<InputsOf<Fns[I]>, OutputMap<Fns>>] extends [never]
    ? CheckAxes<Fns[I], Fns>
    : ConnectionTypeError<
        MismatchedKeys<InputsOf<Fns[I]>, OutputMap<Fns>>,
        InputsOf<Fns[I]>[MismatchedKeys<InputsOf<Fns[I]>, OutputMap<Fns>> & keyof InputsOf<Fns[I]>],
        OutputMap<Fns>[MismatchedKeys<InputsOf<Fns[I]>, OutputMap<Fns>> & keyof OutputMap<Fns>]
      >;
};

/** Output object type of a function declaring `output: O` and returning `R`. */
export type OutputsFor<O, R> = O extends string
  ? { [K in O]: R }
  : O extends readonly string[]
    ? R extends readonly unknown[]
      ? Simplify<UnionToIntersection<TupleOutputs<O, R>>>
      : { [K in O[number]]: K extends keyof R ? R[K] : unknown }
    : never;

type TupleOutputs<O extends readonly string[], R extends readonly unknown[]> = {
  [I in keyof O]: O[I] extends string
    ? { [K in O[I]]: I extends keyof R ? R[I] : R[number] }
    : never;
}[number];

/** Applies `renames` (argument -> graph name) to an object type's keys. */
export type Renamed<T, R> = {
  [K in keyof T as K extends keyof R ? (R[K] extends string ? R[K] : K) : K]: T[K];
};

/** Prefixes every key with `scope.`. */
export type Scoped<T, S> = S extends string
  ? string extends S
    ? T
    : { [K in keyof T as K extends string ? `${S}.${K}` : K]: T[K] }
  : T;

/** `T` with the keys `K` optional. */
type WithOptional<T, K> = [K] extends [never]
  ? T
  : Omit<T, K & keyof T> & { [P in keyof T & K]?: T[P] };

/**
 * Graph-facing input type of a function: bound arguments removed, those with a default given
 * in `defaults` (`D`) optional, renames and scope applied.
 */
export type GraphInputs<A, Rn, B, S, D = {}> = Simplify<
  Scoped<Renamed<WithOptional<Omit<A, keyof B & keyof A>, keyof D>, Rn>, S>
>;

/** Graph-facing output type of a function. */
export type GraphOutputs<O, R, Rn, S> = Simplify<Scoped<Renamed<OutputsFor<O, R>, Rn>, S>>;
