/** JSON Schemas of a pipeline's inputs, from its functions' Standard Schemas where they give one. */
import { own, setOwn } from "../_internal/own.ts";
import { jsonSchemaOf } from "../graph/describe.ts";
import type { AnyPipeFunc } from "../graph/types.ts";

/**
 * Each root input's JSON Schema, taken from the first function reading it whose schema converts
 * (Standard JSON Schema); inputs without one are left out.
 */
export function inputJsonSchemas(
  functions: readonly AnyPipeFunc[],
  inputs: readonly string[],
): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  for (const name of inputs) {
    for (const f of functions) {
      const param = f.call.params.find((p) => p.graph === name);
      const schema = param && f.schema.inputs ? own(f.schema.inputs, param.arg) : undefined;
      const json = schema ? jsonSchemaOf(schema) : undefined;
      if (json !== undefined) {
        setOwn(schemas, name, json);
        break;
      }
    }
  }
  return schemas;
}
