/** The pipeline-wide options checked once when a pipeline is made. */
import { InvalidOptionError } from "../errors.ts";
import { type ResolvedResources, type Resources, resolveResources } from "../executor/resources.ts";
import type { PipelineOptions } from "./pipeline.ts";

/** The pipeline's default `resources`, checked; undefined when it has none. */
export function pipelineResources(options: PipelineOptions): ResolvedResources | undefined {
  const resources: unknown = options.resources;
  if (resources === undefined) return undefined;
  const where = `pipeline "${options.name ?? "pipeline"}"`;
  if (typeof resources === "function") {
    throw new InvalidOptionError(
      "resources",
      `The resources of ${where} are a function; a pipeline's resources are fixed defaults ` +
        'such as { cpus: 1, memory: "2GB" }. Give the function whose needs depend on its ' +
        "inputs a resources function of its own (pipefunc({ ..., resources: (args) => ... })).",
    );
  }
  return resolveResources(resources as Resources, where);
}

/** The pipeline's `captures`, checked; undefined when it declares none. */
export function pipelineCaptures(
  options: PipelineOptions,
): Readonly<Record<string, unknown>> | undefined {
  const captures: unknown = options.captures;
  if (captures === undefined) return undefined;
  if (typeof captures !== "object" || captures === null || Array.isArray(captures)) {
    throw new InvalidOptionError(
      "captures",
      `Pipeline "${options.name ?? "pipeline"}" has \`captures\` ` +
        `${Array.isArray(captures) ? "an array" : `${String(captures)} (${typeof captures})`}; ` +
        "expected an object of the captured values by name, such as captures: { K, SCALE }.",
    );
  }
  return Object.keys(captures).length > 0
    ? (captures as Readonly<Record<string, unknown>>)
    : undefined;
}
