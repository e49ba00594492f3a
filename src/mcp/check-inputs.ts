/**
 * The checks `pipeweave mcp` makes on a tool's inputs before anything runs: an agent's typo,
 * a missing input, a single value where a sweep needs an array, or a value a function's schema
 * refuses is a tool error naming the input, never a half-started run.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { closestNames } from "../_internal/closest.ts";
import { own } from "../_internal/own.ts";
import type { LoadedPipeline } from "../cli/load-module.ts";
import {
  InvalidArgumentError,
  MissingInputError,
  NdArrayError,
  UnusedInputError,
  ValidationError,
} from "../errors.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { type NodeLayout, sweepLayout } from "../map/layout.ts";
import { NdArray, unravelIndex } from "../map/ndarray.ts";

type Inputs = Readonly<Record<string, unknown>>;

/**
 * Checks `run`'s inputs for `output`: known names, and the schemas of the functions computing
 * it on each value given. (The run itself refuses a missing input before any function runs:
 * see {@link missingInTool}.)
 *
 * @throws {@link UnusedInputError}, {@link ValidationError}; {@link UnknownOutputError} for an
 *   output no function produces.
 */
export async function checkRunInputs(
  pipeline: LoadedPipeline,
  output: string,
  inputs: Inputs,
): Promise<void> {
  checkInputNames(pipeline, inputs);
  for (const f of computing(pipeline, output)) await checkSchemas(f, undefined, inputs);
}

/**
 * A run's {@link MissingInputError} with the fix an agent can make: the library's plan finds
 * what is missing exactly (defaults, constants, config), before any function runs.
 */
export function missingInTool(error: MissingInputError): MissingInputError {
  return new MissingInputError(error.output, error.missing, error.readers, fix(error.missing));
}

/**
 * Checks `map`'s inputs: known names, every required input, an array along its axes for
 * each mapped input, and the functions' schemas on each value (on each element of a mapped
 * one, as the function will be called with it).
 *
 * @throws {@link UnusedInputError}, {@link MissingInputError}, {@link ValidationError};
 *   {@link InvalidArgumentError} for a mapped input that is not an array along its axes.
 */
export async function checkMapInputs(pipeline: LoadedPipeline, inputs: Inputs): Promise<void> {
  checkInputNames(pipeline, inputs);
  checkRequired(pipeline, inputs);
  const layout = sweepLayout(pipeline, pipeline.sortedFunctions);
  const arrays = new Map<string, NdArray<unknown>>();
  for (const [name, axes] of layout.dims) {
    if (Object.hasOwn(inputs, name)) arrays.set(name, mappedArray(name, axes, inputs[name]));
  }
  for (const node of layout.nodes) await checkSchemas(node.func, { node, arrays }, inputs);
}

/** Refuses inputs that are not the pipeline's root inputs (describe lists them), with the closest. */
function checkInputNames(pipeline: LoadedPipeline, inputs: Inputs): void {
  const known = pipeline.info().inputs;
  const unused = Object.keys(inputs).filter((k) => !known.includes(k));
  if (unused.length === 0) return;
  // No prototype: the error reads `suggestions[name]`, and "constructor" must find nothing.
  const suggestions: Record<string, string> = Object.create(null);
  for (const name of unused) {
    const [best] = closestNames(name, known);
    if (best !== undefined) suggestions[name] = best;
  }
  throw new UnusedInputError(unused, suggestions);
}

function checkRequired(pipeline: LoadedPipeline, inputs: Inputs): void {
  const constants = pipeline.options.constants ?? {};
  const missing = pipeline
    .info()
    .requiredInputs.filter((n) => !Object.hasOwn(inputs, n) && !Object.hasOwn(constants, n));
  if (missing.length === 0) return;
  const readers = Object.fromEntries(
    missing.map((n) => [
      n,
      pipeline.sortedFunctions.filter((f) => f.inputs.includes(n)).map((f) => f.name),
    ]),
  );
  throw new MissingInputError("the sweep", missing, readers, fix(missing));
}

function fix(missing: readonly string[]): string {
  return (
    `Give ${missing.length > 1 ? "them" : "it"} in the tool's \`inputs\` (describe lists every ` +
    "input, with its default and schema)."
  );
}

/** The functions that run to compute `output`: its producer and what that reads, transitively. */
function computing(pipeline: LoadedPipeline, output: string): Set<AnyPipeFunc> {
  const producer = new Map<string, AnyPipeFunc>();
  for (const f of pipeline.sortedFunctions) for (const o of f.outputs) producer.set(o, f);
  const found = new Set<AnyPipeFunc>();
  const visit = (f: AnyPipeFunc): void => {
    if (found.has(f)) return;
    found.add(f);
    for (const name of f.inputs) {
      const from = producer.get(name);
      if (from) visit(from);
    }
  };
  visit(pipeline.get(output));
  return found;
}

/** The mapped input as an array over its axes, or the error naming the input and its axes. */
function mappedArray(name: string, axes: readonly string[], value: unknown): NdArray<unknown> {
  const along = `${axes.length > 1 ? "axes" : "axis"} ${axes.map((a) => `"${a}"`).join(", ")}`;
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError(
      `inputs.${name}`,
      `Input "${name}" is mapped along ${along}, so map needs an array ` +
        `${axes.length > 1 ? `nested ${axes.length} deep ` : ""}for it; got ${kindOf(value)}. ` +
        `Pass a list of values (e.g. ${nested(value, axes.length)}), or compute one value with run.`,
    );
  }
  try {
    return NdArray.fromNested(value, axes);
  } catch (error) {
    if (!(error instanceof NdArrayError)) throw error;
    throw new InvalidArgumentError(
      `inputs.${name}`,
      `Input "${name}" is mapped along ${along}: ${error.message.replace(/^NdArray\.\w+: /, "")}`,
    );
  }
}

interface Sweep {
  readonly node: NodeLayout;
  readonly arrays: ReadonlyMap<string, NdArray<unknown>>;
}

/**
 * Validates what `f` would be called with from the given inputs against its declared input
 * schemas: a whole value, or in a sweep each element its mapspec reads.
 */
async function checkSchemas(
  f: AnyPipeFunc,
  sweep: Sweep | undefined,
  inputs: Inputs,
): Promise<void> {
  const schemas = f.schema.inputs;
  if (!schemas) return;
  for (const [k, param] of f.call.params.entries()) {
    const schema = own(schemas, param.arg);
    if (!schema || !Object.hasOwn(inputs, param.graph)) continue;
    const axes = sweep?.node.paramAxes[k];
    const array = sweep?.arrays.get(param.graph);
    if (!axes || axes.length === 0 || !array) {
      // A mapped input read whole reaches the function as the NdArray `map` makes of it.
      await check(f, param.arg, schema, array ?? inputs[param.graph], undefined);
      continue;
    }
    // Read with `:` along some axis, the function gets a sub-array: its own `validate`
    // option checks that as it runs.
    if (axes.includes(null)) continue;
    // The element's index is the function's own only when it is called along these axes.
    const isOwnIndex = sweep.node.elementDims.join() === axes.join();
    for (let n = 0; n < array.size; n++) {
      const index = unravelIndex(array.shape, n);
      // Awaited only for an async schema: a sync one checks a large sweep without a tick each.
      const pending = check(f, param.arg, schema, array.get(...index), index, isOwnIndex);
      if (pending) await pending;
    }
  }
}

/** Checks one value; a promise only when the schema is async. */
function check(
  f: AnyPipeFunc,
  argument: string,
  schema: StandardSchemaV1,
  value: unknown,
  index: readonly number[] | undefined,
  isOwnIndex = true,
): Promise<void> | undefined {
  const result = schema["~standard"].validate(value);
  const refuse = (r: StandardSchemaV1.Result<unknown>): void => {
    if (!r.issues) return;
    // An element of an outer product: its place in the input goes in front of each issue's path.
    const prefix = index && !isOwnIndex ? index : [];
    throw new ValidationError(
      f.name,
      argument,
      r.issues.map((i) => ({
        message: i.message,
        path: [
          ...prefix,
          ...(i.path ?? []).map((seg) => (typeof seg === "object" ? seg.key : seg)),
        ],
      })),
      isOwnIndex ? index : undefined,
    );
  };
  if (result instanceof Promise) return result.then(refuse);
  refuse(result);
  return undefined;
}

/** `value` as JSON inside `depth` brackets: the array it could have been. */
function nested(value: unknown, depth: number): string {
  const text = JSON.stringify(value) ?? "...";
  return "[".repeat(depth) + text + "]".repeat(depth);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  return `${JSON.stringify(value)} (${typeof value})`;
}
