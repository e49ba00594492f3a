/**
 * Variants (pipefunc's `VariantPipeline`): several functions of the same outputs, one per
 * variant of a group, of which a run uses one per group. The pipeline keeps every function;
 * its graph is built from one selection, and `withVariant` derives a plain pipeline for
 * another.
 */
import { closestNames } from "../_internal/closest.ts";
import { own } from "../_internal/own.ts";
import {
  InvalidOptionError,
  PipelineDefinitionError,
  UnknownVariantError,
  type VariantChoices,
  VariantRequiredError,
} from "../errors.ts";
import { declareVariant } from "../map/define.ts";
import type { AnyPipeFunc } from "./types.ts";

/** The group of variants declared without `variantGroup` when no function names a group. */
export const DEFAULT_VARIANT_GROUP = "variant";

/**
 * A choice of variants, `{ group: variant }`, or one variant's name when the pipeline has one
 * group.
 */
export type VariantSelection = string | Readonly<Record<string, string>>;

/** A variant group as the views show it. */
export interface VariantGroupView {
  /** The group's name. */
  readonly group: string;
  /** Its variants, in declaration order. */
  readonly variants: readonly string[];
  /** The variant the pipeline runs without a choice: its default, or its only variant. */
  readonly chosen: string | undefined;
}

/**
 * The group of each function's variant: its `variantGroup`, else the pipeline's one named
 * group, else {@link DEFAULT_VARIANT_GROUP}.
 *
 * @throws {@link PipelineDefinitionError} when a variant leaves its group out while the
 *   functions name several groups.
 */
export function groupsOf(functions: readonly AnyPipeFunc[]): Map<AnyPipeFunc, string> {
  const named = [
    ...new Set(functions.flatMap((f) => (f.variantGroup === undefined ? [] : [f.variantGroup]))),
  ];
  const out = new Map<AnyPipeFunc, string>();
  const problems: string[] = [];
  for (const f of functions) {
    if (f.variant === undefined) continue;
    if (f.variantGroup !== undefined) out.set(f, f.variantGroup);
    else if (named.length <= 1) out.set(f, named[0] ?? DEFAULT_VARIANT_GROUP);
    else {
      problems.push(
        `Function "${f.name}" is variant "${f.variant}" without a \`variantGroup\`, but the ` +
          `pipeline has several groups (${named.map((g) => `"${g}"`).join(", ")}). Give it ` +
          "variantGroup: the group it belongs to.",
      );
    }
  }
  if (problems.length > 0) throw new PipelineDefinitionError(problems);
  return out;
}

/** `{ group: variant }` of the functions that are variants (what a run folder records). */
export function variantLabels(functions: readonly AnyPipeFunc[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [f, group] of groupsOf(functions)) labels[group] = f.variant!;
  return labels;
}

/**
 * The variants of a pipeline's functions: their groups, the default selection and the
 * pipelines derived for other selections. Built once per pipeline.
 */
export class VariantTable {
  /** Every function, each variant included, in declaration order. */
  readonly functions: readonly AnyPipeFunc[];
  /** Each group's variants in declaration order. */
  readonly groups: ReadonlyMap<string, readonly string[]>;
  /** The default variant of each group that has one (declared, or the group's only one). */
  readonly defaults: Readonly<Record<string, string>>;
  /** Groups with several variants and no default: a run must choose. */
  readonly open: readonly string[];
  /**
   * The functions of the default selection, each open group standing in with its first
   * variant (for the graph that views, `info` and checks read; runs refuse it).
   */
  readonly selected: readonly AnyPipeFunc[];
  /** Whether some group has several variants (a variant pipeline). */
  readonly isVariantPipeline: boolean;
  readonly #pipeline: string;
  readonly #groupOf: ReadonlyMap<AnyPipeFunc, string>;
  readonly #derived = new Map<string, object>();

  /**
   * @param functions - The pipeline's functions, some of them variants.
   * @param defaultVariant - The pipeline's `defaultVariant` option.
   * @param pipeline - The pipeline's name, for errors.
   */
  constructor(
    functions: readonly AnyPipeFunc[],
    defaultVariant: VariantSelection | undefined,
    pipeline: string,
  ) {
    this.functions = functions;
    this.#pipeline = pipeline;
    this.#groupOf = groupsOf(functions);
    const groups = new Map<string, string[]>();
    for (const [f, group] of this.#groupOf) {
      const list = groups.get(group) ?? [];
      if (!list.includes(f.variant!)) list.push(f.variant!);
      groups.set(group, list);
    }
    this.groups = groups;
    this.isVariantPipeline = [...groups.values()].some((v) => v.length > 1);
    const defaults = this.#normalize(defaultVariant, "defaultVariant");
    for (const [group, variants] of groups)
      if (variants.length === 1) defaults[group] ??= variants[0]!;
    this.defaults = defaults;
    this.open = [...groups.keys()].filter((g) => !Object.hasOwn(defaults, g));
    const stand: Record<string, string> = { ...defaults };
    for (const g of this.open) stand[g] = groups.get(g)![0]!;
    this.selected = this.#filter(stand);
  }

  /** The groups as the views show them, with the variant run without a choice. */
  get view(): readonly VariantGroupView[] {
    return [...this.groups].map(([group, variants]) => ({
      group,
      variants,
      chosen: own(this.defaults, group),
    }));
  }

  /** The group of a variant function (undefined for the others). */
  groupOf(f: AnyPipeFunc): string | undefined {
    return this.#groupOf.get(f);
  }

  /**
   * The selection a choice makes: the choice checked, with each group it leaves out at its
   * default.
   *
   * @throws {@link UnknownVariantError} for a group or variant the pipeline does not have.
   * @throws {@link VariantRequiredError} listing the groups left without a variant.
   */
  resolve(choice: VariantSelection | undefined): Record<string, string> {
    const full = { ...this.defaults, ...this.#normalize(choice, "variant") };
    const missing = [...this.groups.keys()].filter((g) => !Object.hasOwn(full, g));
    if (missing.length > 0) {
      throw new VariantRequiredError(
        this.#pipeline,
        missing.map((group): VariantChoices => ({ group, variants: this.groups.get(group)! })),
      );
    }
    return full;
  }

  /**
   * The pipeline for a choice: `self` when it has no other variant to choose from, else the
   * pipeline of the chosen functions (built once per selection by `build`, and declared
   * beside `self` for worker threads).
   */
  choose<P extends object>(
    choice: VariantSelection | undefined,
    self: P,
    build: (functions: readonly AnyPipeFunc[]) => P,
  ): P {
    const full = this.resolve(choice);
    if (!this.isVariantPipeline) return self;
    const key = JSON.stringify(Object.entries(full).sort(([a], [b]) => (a < b ? -1 : 1)));
    let derived = this.#derived.get(key) as P | undefined;
    if (!derived) {
      // A variant left in its pipeline's one group says so, as the derived pipeline may have
      // no function naming that group.
      derived = build(
        this.#filter(full).map((f) =>
          f.variant !== undefined && f.variantGroup === undefined
            ? f.with({ variantGroup: this.#groupOf.get(f)! })
            : f,
        ),
      );
      declareVariant(self, derived, full);
      this.#derived.set(key, derived);
    }
    return derived;
  }

  #filter(selection: Readonly<Record<string, string>>): AnyPipeFunc[] {
    return this.functions.filter((f) => {
      const group = this.#groupOf.get(f);
      return group === undefined || own(selection, group) === f.variant;
    });
  }

  /** A choice as `{ group: variant }`, every name checked. */
  #normalize(choice: VariantSelection | undefined, option: string): Record<string, string> {
    if (choice === undefined) return {};
    const groups = [...this.groups.keys()];
    if (typeof choice === "string") {
      if (groups.length !== 1) {
        throw new InvalidOptionError(
          option,
          `\`${option}\` "${choice}" names a variant, but pipeline "${this.#pipeline}" has ` +
            `${groups.length} variant groups (${groups.map((g) => `"${g}"`).join(", ") || "none"}). ` +
            `Pass { group: variant } instead, such as { ${JSON.stringify(groups[0] ?? "group")}: "${choice}" }.`,
        );
      }
      choice = { [groups[0]!]: choice };
    }
    if (typeof choice !== "object" || choice === null || Array.isArray(choice)) {
      throw new InvalidOptionError(
        option,
        `Expected \`${option}\` to be { group: variant } or a variant's name, got ${String(choice)}.`,
      );
    }
    const out: Record<string, string> = {};
    for (const [group, variant] of Object.entries(choice)) {
      const variants = this.groups.get(group);
      if (!variants) {
        throw new UnknownVariantError(
          this.#pipeline,
          group,
          undefined,
          groups,
          closestNames(group, groups, 1)[0],
        );
      }
      if (!variants.includes(variant)) {
        throw new UnknownVariantError(
          this.#pipeline,
          group,
          String(variant),
          variants,
          closestNames(String(variant), variants, 1)[0],
        );
      }
      out[group] = variant;
    }
    return out;
  }
}

/** Whether `f` is `target` or another variant of its outputs (which `drop`/`replace` take too). */
export function sameOutputs(f: AnyPipeFunc, target: AnyPipeFunc): boolean {
  return (
    f === target || (f.variant !== undefined && f.outputs.some((o) => target.outputs.includes(o)))
  );
}

/**
 * A choice made of a pipeline without variants: none, or an empty one, is fine; anything
 * else names a group it does not have.
 *
 * @throws {@link UnknownVariantError}.
 */
export function checkNoVariants(pipeline: string, choice: VariantSelection | undefined): void {
  if (choice === undefined) return;
  const group =
    typeof choice === "string" ? DEFAULT_VARIANT_GROUP : Object.keys(choice as object)[0];
  if (group === undefined) return;
  throw new UnknownVariantError(pipeline, group, undefined, []);
}

/** Options of a pipeline about its variants (part of `PipelineOptions`). */
export interface VariantPipelineOptions {
  /**
   * The variant run when none is chosen, as pipefunc's `default_variant`: `{ group: variant }`,
   * or a variant's name when the pipeline has one group. A group with one variant defaults to
   * it; a group with several and no default must be chosen (`withVariant`, or the run's
   * `variant` option), else the run is a `VariantRequiredError`.
   * @defaultValue none
   */
  readonly defaultVariant?: VariantSelection;
}

/** Options of one run about variants (part of `RunOptions` and `MapOptions`). */
export interface VariantRunOptions {
  /**
   * The variants this run uses, `{ group: variant }` (or a variant's name when the pipeline
   * has one group); groups left out use the pipeline's `defaultVariant`.
   * @defaultValue the pipeline's `defaultVariant`
   */
  readonly variant?: VariantSelection;
}

/** The variants of a pipeline's checked: a table when a function is a variant, else none. */
export function variantTableOf(
  functions: readonly AnyPipeFunc[],
  options: VariantPipelineOptions & { readonly name?: string },
): VariantTable | undefined {
  const name = options.name ?? "pipeline";
  if (functions.some((f) => f.variant !== undefined)) {
    return new VariantTable(functions, options.defaultVariant, name);
  }
  checkNoVariants(name, options.defaultVariant);
  return undefined;
}

/**
 * Compile-time mark of a variant function: `pipefunc({ variant: "fast", variantGroup:
 * "solver" })` returns a `PipeFunc` carrying it, so a pipeline's variant names are known.
 */
export interface VariantMark<G extends string, V extends string> {
  /** Phantom: never set at run time. */
  readonly "~variant"?: { readonly group: G; readonly variant: V };
}

/** What `pipefunc` adds to its result for `variant: V, variantGroup: G` (nothing without V). */
export type VariantMarkOf<V extends string, G extends string> = [V] extends [never]
  ? unknown
  : VariantMark<G, V>;

type MarkOf<F> = F extends { readonly "~variant"?: infer T } ? NonNullable<T> : never;
type Marks<Fns extends readonly unknown[]> = MarkOf<Fns[number]>;
type NamedGroups<Fns extends readonly unknown[]> =
  Marks<Fns> extends infer T ? (T extends { readonly group: infer G } ? G : never) : never;
type IsUnion<U, A = U> = U extends unknown ? ([A] extends [U] ? false : true) : never;
/** The group of a variant declared without one: the one named group, else "variant". */
type UnnamedGroup<N> = [N] extends [never]
  ? typeof DEFAULT_VARIANT_GROUP
  : true extends IsUnion<N>
    ? never
    : N;
type GroupOfMark<Fns extends readonly unknown[], T> = T extends { readonly group: infer G }
  ? [G] extends [never]
    ? UnnamedGroup<NamedGroups<Fns>>
    : G
  : never;
type VariantsOf<Fns extends readonly unknown[], Group> =
  Marks<Fns> extends infer T
    ? T extends { readonly variant: infer V }
      ? GroupOfMark<Fns, T> extends Group
        ? V
        : never
      : never
    : never;
type Groups<Fns extends readonly unknown[]> =
  Marks<Fns> extends infer T ? (T extends unknown ? GroupOfMark<Fns, T> : never) : never;

/**
 * The variant choices a pipeline of `Fns` accepts: `{ group: variant }` with the names its
 * functions declare (a misspelt group or variant does not compile), or one variant's name.
 * Any {@link VariantSelection} when the names are not known at compile time.
 */
export type VariantSelectionOf<Fns extends readonly unknown[]> = [Marks<Fns>] extends [never]
  ? VariantSelection
  :
      | { readonly [G in Groups<Fns> & string]?: VariantsOf<Fns, G> & string }
      | (VariantsOf<Fns, Groups<Fns>> & string);

/** The `variant` option of a run of a pipeline of `Fns`, typed by {@link VariantSelectionOf}. */
export interface VariantOptionOf<Fns extends readonly unknown[]> {
  readonly variant?: VariantSelectionOf<Fns>;
}

/** What {@link everyVariant} reads of a pipeline. */
export interface VariantChooser<P> {
  readonly variantGroups?: readonly VariantGroupView[];
  withVariant?(selection: Readonly<Record<string, string>>): P;
}

/**
 * The plain pipeline of every choice of variants (one per combination of the groups'
 * variants), so a worker started with a variant pipeline can serve a map of any of them.
 * Empty for a pipeline without variants.
 */
export function everyVariant<P>(pipeline: VariantChooser<P>): P[] {
  const groups = pipeline.variantGroups ?? [];
  if (groups.length === 0 || !pipeline.withVariant) return [];
  let selections: Record<string, string>[] = [{}];
  for (const { group, variants } of groups) {
    selections = selections.flatMap((s) => variants.map((v) => ({ ...s, [group]: v })));
  }
  return selections.map((s) => pipeline.withVariant!(s));
}
