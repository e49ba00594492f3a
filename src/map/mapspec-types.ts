/**
 * The mapspec grammar in the type system: a literal mapspec such as `"a[i], b[j] -> c[i, j]"`
 * is parsed by template literal types, so `map()` can type its inputs and results and a
 * pipeline whose literal mapspecs disagree about a name's axes does not compile. The runtime
 * parser (mapspec.ts) stays the judge of the grammar: a text this small parser cannot read
 * gives the untyped form (`unknown`), never an error of its own.
 */

/**
 * Axes per array name, as a literal mapspec writes them: `{ c: ["i", ":"] }` for `c[i, :]`,
 * `{ n: [] }` for a name without brackets.
 */
export type AxesByName = { readonly [name: string]: readonly string[] };

/**
 * A literal mapspec, parsed: the axes of each input and each output by name (`:` kept as
 * `":"`). `... ` (a generator's inputs) lists nothing.
 */
export interface ParsedMapSpec<
  In extends AxesByName = AxesByName,
  Out extends AxesByName = AxesByName,
> {
  readonly inputs: In;
  readonly outputs: Out;
}

type Space = " " | "\t" | "\n" | "\r";

/** `T` without leading and trailing white space. */
export type TrimSpace<T extends string> = T extends `${Space}${infer U}`
  ? TrimSpace<U>
  : T extends `${infer U} `
    ? TrimSpace<U>
    : T extends `${infer U}\n`
      ? TrimSpace<U>
      : T extends `${infer U}\t`
        ? TrimSpace<U>
        : T extends `${infer U}\r`
          ? TrimSpace<U>
          : T;

/** `"i, :"` as `["i", ":"]`. */
type ParseAxes<T extends string> = T extends `${infer A},${infer Rest}`
  ? [TrimSpace<A>, ...ParseAxes<Rest>]
  : TrimSpace<T> extends ""
    ? []
    : [TrimSpace<T>];

/** Names without brackets (`"x, y"`), 0-D; `...` names nothing. */
type BareNames<T extends string> = T extends `${infer A},${infer Rest}`
  ? BareNames<A> & BareNames<Rest>
  : TrimSpace<T> extends "" | "..."
    ? {}
    : { [K in TrimSpace<T>]: [] };

/** What follows `name[axes]`: nothing, or a comma and the next arrays. */
type AfterArray<T extends string> =
  TrimSpace<T> extends `,${infer Rest}` ? Rest : TrimSpace<T> extends "" ? "" : never;

/**
 * One side of a mapspec (`"a[i], b, c[:, j]"`) as {@link AxesByName}, or `never` when it does
 * not read as a list of arrays. The first `[` closes the name before it; names before that
 * name's comma have no brackets.
 */
type ParseSide<T extends string, Acc = {}> =
  TrimSpace<T> extends `${infer Before}[${infer Axes}]${infer Rest}`
    ? Before extends `${infer Bare},${infer Named}`
      ? ParseSide<`${Named}[${Axes}]${Rest}`, Acc & BareNames<Bare>>
      : AfterArray<Rest> extends infer Next extends string
        ? [Next] extends [never]
          ? never
          : ParseSide<Next, Acc & { [K in TrimSpace<Before>]: ParseAxes<Axes> }>
        : never
    : Acc & BareNames<T>;

type Flatten<T> = { [K in keyof T]: T[K] } & {};

/**
 * Parses a literal mapspec: `ParseMapSpec<"a[i], b[j] -> c[i, j]">` is
 * `{ inputs: { a: ["i"]; b: ["j"] }; outputs: { c: ["i", "j"] } }`. A `string` that is no
 * literal, or a text this parser cannot read, gives `unknown` (the untyped form).
 *
 * @typeParam S - The mapspec.
 */
export type ParseMapSpec<S extends string> = string extends S
  ? unknown
  : S extends `${infer Inputs}->${infer Outputs}`
    ? [ParseSide<Inputs>, ParseSide<Outputs>] extends [
        infer In extends AxesByName,
        infer Out extends AxesByName,
      ]
      ? [In] extends [never]
        ? unknown
        : [Out] extends [never]
          ? unknown
          : ParsedMapSpec<Flatten<In>, Flatten<Out>>
      : unknown
    : unknown;

/**
 * `Axes` without `Drop`'s names: `WithoutAxes<["i", "j"], "i">` is `["j"]`. A non-literal
 * list stays `string[]`.
 */
export type WithoutAxes<Axes extends readonly string[], Drop> = number extends Axes["length"]
  ? string[]
  : Axes extends readonly [infer H extends string, ...infer R extends readonly string[]]
    ? H extends Drop
      ? WithoutAxes<R, Drop>
      : [H, ...WithoutAxes<R, Drop>]
    : [];

/** `["i", "j"]` as `"i, j"`, for messages. */
export type JoinAxes<Axes extends readonly string[]> = Axes extends readonly [
  infer H extends string,
  ...infer R extends readonly string[],
]
  ? R extends readonly []
    ? H
    : `${H}, ${JoinAxes<R>}`
  : "";

/**
 * Shown where a pipeline's literal mapspecs disagree about a name's axes: `new Pipeline([...])`
 * does not compile, and the expected type of the offending function is this, with the message.
 * The runtime `MapSpecError` says the same for mapspecs that are not literals.
 */
export interface MapSpecAxesError<Message extends string> {
  readonly "pipeweave: mapspec axes do not match": Message;
}
