/**
 * A pipeline's documentation as data (`pipeline.describe()`): what pipefunc's
 * `print_documentation` shows, kept structured so the CLI, the HTML view and agents can use it.
 */
import { inspect } from "node:util";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { own } from "../_internal/own.ts";
import { sweepLayout } from "../map/layout.ts";
import type { AnyPipeFunc } from "./types.ts";

/** An input's default, as `describe()` reports it. */
export interface DefaultDescription {
  /** The value, when known (a literal, or given in `defaults`). */
  readonly value?: unknown;
  /** Short text for display: the inspected value, or the default's source text. */
  readonly text: string;
}

/** One root input of a pipeline, as `describe()` reports it. */
export interface InputDescription {
  readonly name: string;
  /** The pipeline's `inputs` text, else a function's `inputDescriptions`, else its schema's. */
  readonly description: string | undefined;
  /** A type hint from the input's Standard Schema (its JSON Schema type), if one says. */
  readonly type: string | undefined;
  /** Whether a run must give it (no default). */
  readonly required: boolean;
  /** Its default, when it has one. */
  readonly default: DefaultDescription | undefined;
  /** Names of the functions that read it. */
  readonly readBy: readonly string[];
  /** The axes `map` sweeps it along; undefined when no mapspec maps it. */
  readonly axes: readonly string[] | undefined;
}

/** One output of a pipeline, as `describe()` reports it. */
export interface OutputDescription {
  readonly name: string;
  /** The function producing it. */
  readonly producedBy: string;
  /** Its producer's description. */
  readonly description: string | undefined;
  /** A type hint from the producer's output schema, if one says. */
  readonly type: string | undefined;
  /** Its producer's mapspec, if any. */
  readonly mapspec: string | undefined;
  /** Its axes in a sweep (empty: one value). */
  readonly axes: readonly string[];
  /** Whether nothing reads it (a leaf output). */
  readonly leaf: boolean;
}

/** One function of a pipeline, as `describe()` reports it. */
export interface FunctionDescription {
  readonly name: string;
  readonly description: string | undefined;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly mapspec: string | undefined;
  /** The variant it implements, if it is one. */
  readonly variant: string | undefined;
}

/** What {@link Pipeline.describe} returns. */
export interface PipelineDescription {
  readonly name: string;
  readonly description: string | undefined;
  /** Root inputs, required ones first, each in the order functions first read them. */
  readonly inputs: readonly InputDescription[];
  /** Every output, in execution order. */
  readonly outputs: readonly OutputDescription[];
  /** Functions in execution order. */
  readonly functions: readonly FunctionDescription[];
}

/** What `describe` reads of a pipeline. @internal */
export interface DescribedPipeline {
  readonly name: string;
  readonly options: {
    readonly description?: string | undefined;
    readonly inputs?: Readonly<Record<string, string>> | undefined;
  };
  readonly sortedFunctions: readonly AnyPipeFunc[];
  info(): {
    readonly inputs: readonly string[];
    readonly requiredInputs: readonly string[];
    readonly outputs: readonly string[];
  };
}

/** Builds a pipeline's description. @internal Use `pipeline.describe()`. */
export function describePipeline(pipeline: DescribedPipeline): PipelineDescription {
  const functions = pipeline.sortedFunctions;
  const info = pipeline.info();
  const dims = functions.some((f) => f.mapspec !== undefined)
    ? sweepLayout(pipeline, functions).dims
    : new Map<string, readonly string[]>();
  const required = new Set(info.requiredInputs);
  const leaves = new Set(info.outputs);
  const given = pipeline.options.inputs ?? {};
  const inputs = [...info.inputs]
    .sort((a, b) => Number(required.has(b)) - Number(required.has(a)))
    .map((name): InputDescription => {
      const readers = functions.filter((f) => f.inputs.includes(name));
      const schemas = readers.flatMap((f) => {
        const param = f.call.params.find((p) => p.graph === name);
        const schema = param && f.schema.inputs ? own(f.schema.inputs, param.arg) : undefined;
        return schema ? [schema] : [];
      });
      return {
        name,
        description:
          own(given, name) ??
          readers.map((f) => own(f.inputDescriptions, name)).find((d) => d !== undefined) ??
          schemas.map(schemaDescription).find((d) => d !== undefined),
        type: schemas.map(schemaType).find((t) => t !== undefined),
        required: required.has(name),
        default: required.has(name) ? undefined : defaultOf(readers, name),
        readBy: readers.map((f) => f.name),
        axes: dims.get(name),
      };
    });
  const outputs = functions.flatMap((f) =>
    f.outputs.map(
      (name): OutputDescription => ({
        name,
        producedBy: f.name,
        description: f.description,
        type: f.outputs.length === 1 && f.schema.output ? schemaType(f.schema.output) : undefined,
        mapspec: f.mapspec,
        axes: dims.get(name) ?? [],
        leaf: leaves.has(name),
      }),
    ),
  );
  return {
    name: pipeline.name,
    description: pipeline.options.description,
    inputs,
    outputs,
    functions: functions.map((f) => ({
      name: f.name,
      description: f.description,
      inputs: f.inputs,
      outputs: f.outputs,
      mapspec: f.mapspec,
      variant: f.variant,
    })),
  };
}

/** The first default a reader declares: its value when known, else its source text. */
function defaultOf(readers: readonly AnyPipeFunc[], name: string): DefaultDescription | undefined {
  for (const f of readers) {
    const param = f.call.params.find((p) => p.graph === name);
    const d = param?.default;
    if (d === undefined || d.kind === "none") continue;
    if (d.kind === "value" || d.known) return { value: d.value, text: preview(d.value) };
    return { text: d.source };
  }
  return undefined;
}

function preview(value: unknown): string {
  const text = inspect(value, {
    depth: 1,
    maxArrayLength: 5,
    maxStringLength: 60,
    breakLength: Infinity,
  });
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** A JSON Schema as far as the type hint reads it. @internal */
export interface JsonSchemaLike {
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly items?: JsonSchemaLike;
  readonly anyOf?: readonly JsonSchemaLike[];
  readonly description?: string;
}

/**
 * The schema's JSON Schema (Standard JSON Schema, as Zod 4 and others offer it), or
 * undefined: converters throw on what JSON Schema cannot say (a `bigint`, a transform).
 * @internal `pipeweave mcp` gives agents the inputs' schemas with it.
 */
export function jsonSchemaOf(schema: StandardSchemaV1): JsonSchemaLike | undefined {
  const converter = (
    schema["~standard"] as {
      readonly jsonSchema?: { readonly input?: (o: { target: string }) => unknown };
    }
  ).jsonSchema;
  if (typeof converter?.input !== "function") return undefined;
  try {
    const json = converter.input({ target: "draft-2020-12" });
    return typeof json === "object" && json !== null ? (json as JsonSchemaLike) : undefined;
  } catch {
    return undefined;
  }
}

function schemaDescription(schema: StandardSchemaV1): string | undefined {
  const json = jsonSchemaOf(schema);
  if (typeof json?.description === "string") return json.description;
  // Libraries without Standard JSON Schema often keep a `.description` (Zod 3, ArkType).
  const text = (schema as { readonly description?: unknown }).description;
  return typeof text === "string" ? text : undefined;
}

/** A short type hint such as `number`, `string[]`, `"a" | "b"`, or undefined. */
function schemaType(schema: StandardSchemaV1): string | undefined {
  const json = jsonSchemaOf(schema);
  return json ? typeOfJson(json) : undefined;
}

function typeOfJson(json: JsonSchemaLike): string | undefined {
  if (json.const !== undefined) return JSON.stringify(json.const);
  if (Array.isArray(json.enum)) return json.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (Array.isArray(json.anyOf)) {
    const parts = json.anyOf.map(typeOfJson);
    return parts.every((p) => p !== undefined) ? parts.join(" | ") : undefined;
  }
  const type = json.type;
  if (type === "array") {
    const item = json.items ? typeOfJson(json.items) : undefined;
    return item === undefined ? "array" : item.includes(" ") ? `(${item})[]` : `${item}[]`;
  }
  if (typeof type === "string") return type;
  if (Array.isArray(type)) return type.join(" | ");
  return undefined;
}
