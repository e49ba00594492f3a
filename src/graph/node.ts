import type { StandardSchemaV1 } from "@standard-schema/spec";
import { own as ownValue, setOwn } from "../_internal/own.ts";
import { PipelineDefinitionError } from "../errors.ts";
import type { ResourcesOption, ResourcesScope } from "../executor/resources.ts";
import { PARTIAL_SIGNATURE, type PartialSignature } from "./named-partial.ts";
import { type CallSpec, checkDistinct, type ParamSpec, PipeFunc } from "./pipe-func.ts";
import { parsePositionalArity } from "./signature.ts";
import type { OutputsFor } from "./types.ts";

/** Options of a linear {@link Node} (linepipe's Node). */
export interface NodeOptions<
  F extends (...args: never[]) => unknown,
  I extends readonly string[],
  O extends readonly string[],
  N extends string = string,
> {
  /** The function, called positionally with the inputs in order. */
  readonly func: F;
  /** Input names in call order; `config` and `config.<path>` read the pipeline's config. @defaultValue [] */
  readonly inputs?: I;
  /** Output names; `[]` marks a side-effect node. @defaultValue [] */
  readonly outputs?: O;
  /**
   * Node name; a side-effect node given a literal name can be run by it with typed `run`.
   * @defaultValue `func.name` (an inline arrow's inferred name "func" excepted), else the first
   *   output, else `"side effect of <inputs>"`
   */
  readonly name?: N;
  /** What the node computes, in a sentence (see `PipeFuncOptions.description`). @defaultValue none */
  readonly description?: string;
  /**
   * What each input means, by input name: `{ df: "the raw table" }` (see
   * `PipeFuncOptions.inputDescriptions`). @defaultValue none
   */
  readonly inputDescriptions?: Readonly<Record<string, string>>;
  /** Default values by input name. */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** Mapspec for `pipeline.map`. */
  readonly mapspec?: string;
  /** Cache results. @defaultValue false */
  readonly cache?: boolean;
  /** What identifies a call for the cache (by input name). @defaultValue every input value */
  readonly cacheKey?: (inputs: Readonly<Record<string, unknown>>) => unknown;
  /**
   * A label you change when values `func` reads from outside itself change; it enters the
   * node's identity for caches and run folders (see `PipeFuncOptions.version`).
   * @defaultValue none
   */
  readonly version?: string | number;
  /**
   * The values `func` reads from outside itself, by name; hashed into the node's identity
   * (see `PipeFuncOptions.captures`).
   * @defaultValue none
   */
  readonly captures?: Readonly<Record<string, unknown>>;
  /** Profile calls. @defaultValue false */
  readonly profile?: boolean;
  /** Standard Schemas by input name and for the return value. */
  readonly schema?: {
    readonly inputs?: Readonly<Record<string, StandardSchemaV1>>;
    readonly output?: StandardSchemaV1;
  };
  /**
   * What the node needs to run: `{ cpus, memory, gpus, time, partition, extra }`, or a
   * function of its inputs (by input name) returning them (see `PipeFuncOptions.resources`).
   * @defaultValue the pipeline's `resources`, else none
   */
  readonly resources?: ResourcesOption;
  /**
   * When a `resources` function is evaluated: once per map (`"map"`), or per element.
   * @defaultValue "map"
   */
  readonly resourcesScope?: ResourcesScope;
}

type IsConfig<N> = N extends "config" | `config.${string}` ? true : false;

/** Graph-facing inputs of a node: input names mapped to the function's parameter types. */
export type NodeInputs<I extends readonly string[], P extends readonly unknown[]> = {
  [K in keyof I & `${number}` as I[K] extends string
    ? IsConfig<I[K]> extends true
      ? never
      : I[K]
    : never]: K extends keyof P ? P[K] : unknown;
};

/** Graph-facing outputs of a node returning `R`; a named side-effect node yields `undefined`. */
export type NodeOutputs<
  O extends readonly string[],
  R,
  N extends string = string,
> = O extends readonly []
  ? string extends N
    ? {}
    : { [K in N]: undefined }
  : O extends readonly [infer Only extends string]
    ? { [K in Only]: R }
    : OutputsFor<O, R>;

/**
 * A linear-pipeline node (linepipe's Node): `func` is called positionally with its inputs in
 * order. It is a {@link PipeFunc} and mixes freely with `pipefunc(...)` nodes.
 *
 * @example
 * ```ts
 * new Node({ func: rolling, inputs: ["df", "config.window"], outputs: ["features"] });
 * ```
 */
export class Node<
  const I extends readonly string[] = readonly [],
  const O extends readonly string[] = readonly [],
  F extends (...args: never[]) => unknown = (...args: never[]) => unknown,
  const N extends string = string,
> extends PipeFunc<NodeInputs<I, Parameters<F>>, NodeOutputs<O, Awaited<ReturnType<F>>, N>> {
  /**
   * @param options - The function, its inputs and outputs.
   * @throws {@link PipelineDefinitionError} for a non-function or more inputs than parameters.
   */
  constructor(options: NodeOptions<F, I, O, N>) {
    super(buildNodeInit(options as unknown as NodeOptions<(...a: never[]) => unknown, I, O>));
  }
}

function buildNodeInit<I extends readonly string[], O extends readonly string[]>(
  options: NodeOptions<(...args: never[]) => unknown, I, O>,
  renames: Readonly<Record<string, string>> = {},
): ConstructorParameters<typeof PipeFunc>[0] {
  const { func } = options;
  const inputs: string[] = [...(options.inputs ?? [])];
  const outputs: string[] = [...(options.outputs ?? [])];
  // `{ func: (x) => … }` gives the arrow the inferred name "func": an inline function is
  // named after its first output instead, so two inline nodes never share a name.
  const own = func?.name && func.name !== "anonymous" && func.name !== "func" ? func.name : "";
  const name =
    options.name ||
    own ||
    outputs[0] ||
    `side effect${inputs.length > 0 ? ` of ${inputs.join(", ")}` : ""}`;
  if (typeof func !== "function") {
    throw new PipelineDefinitionError(
      `Node "${options.name ?? outputs.join(",")}" needs \`func\`: a function, got ${typeof func}.`,
    );
  }
  const partial = (func as { [PARTIAL_SIGNATURE]?: PartialSignature })[PARTIAL_SIGNATURE];
  const arity =
    partial?.kind === "positional"
      ? { count: partial.count, hasRest: false }
      : parsePositionalArity(func);
  if (arity && !arity.hasRest && inputs.length > arity.count) {
    throw new PipelineDefinitionError(
      `Node "${name}" lists ${inputs.length} inputs (${inputs.join(", ")}) but its function takes ` +
        `${arity.count} parameter${arity.count === 1 ? "" : "s"}. Remove inputs or add parameters.`,
    );
  }
  const defaults = options.defaults ?? {};
  for (const key of Object.keys(defaults)) {
    if (!inputs.includes(key)) {
      throw new PipelineDefinitionError(
        `Node "${name}" has a default for "${key}", which is not one of its inputs ` +
          `(${inputs.join(", ") || "none"}). Fix the key in \`defaults\`.`,
      );
    }
  }
  const rename = (n: string) => ownValue(renames, n) ?? n;
  const params: ParamSpec[] = inputs.map((input) => ({
    arg: input,
    graph: rename(input),
    default: Object.hasOwn(defaults, input)
      ? { kind: "value", value: defaults[input] }
      : { kind: "none" },
  }));
  const call: CallSpec = {
    fn: func,
    style: "positional",
    params,
    bound: {},
    outputs: outputs.map(rename),
    rawOutputs: outputs,
    outputPicker: undefined,
  };
  checkDistinct(name, call);
  return {
    name,
    call,
    mapspec: options.mapspec,
    cache: options.cache,
    cacheKey: options.cacheKey,
    version: options.version,
    captures: options.captures,
    profile: options.profile,
    schema: options.schema,
    resources: options.resources,
    resourcesScope: options.resourcesScope,
    description: options.description,
    inputDescriptions: options.inputDescriptions,
    derive: {
      renameGraph: (more, mapspec) => {
        const composed: Record<string, string> = {};
        for (const n of [...inputs, ...outputs]) {
          setOwn(composed, n, ownValue(more, rename(n)) ?? rename(n));
        }
        return new PipeFunc(
          buildNodeInit(mapspec === undefined ? options : { ...options, mapspec }, composed),
        );
      },
      with: (changes) =>
        new PipeFunc(
          buildNodeInit({ ...options, ...(changes as Partial<NodeOptions<never, I, O>>) }, renames),
        ),
    },
  };
}
