/** The pipeline-wide options checked once when a pipeline is made. */
import { closestNames } from "../_internal/closest.ts";
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

/**
 * Checks the pipeline's `description` and `inputs` descriptions: text, keyed by names some
 * function reads (a misspelt key would otherwise describe nothing, silently).
 */
export function pipelineDescriptions(options: PipelineOptions, read: Iterable<string>): void {
  const where = `Pipeline "${options.name ?? "pipeline"}"`;
  const description: unknown = options.description;
  if (description !== undefined && typeof description !== "string") {
    throw new InvalidOptionError(
      "description",
      `${where} has \`description\` ${String(description)} (${typeof description}); expected text.`,
    );
  }
  const inputs: unknown = options.inputs;
  if (inputs === undefined) return;
  if (typeof inputs !== "object" || inputs === null || Array.isArray(inputs)) {
    throw new InvalidOptionError(
      "inputs",
      `${where} has \`inputs\` ${Array.isArray(inputs) ? "an array" : String(inputs)}; expected ` +
        'descriptions by input name, such as inputs: { a: "the amplitude" }.',
    );
  }
  const known = new Set(read);
  for (const [name, text] of Object.entries(inputs)) {
    if (!known.has(name)) {
      const hint = closestNames(name, known, 1).map((c) => ` Did you mean "${c}"?`)[0] ?? "";
      throw new InvalidOptionError(
        "inputs",
        `${where} describes input "${name}", which no function reads. Fix the key in ` +
          `\`inputs\`.${hint}`,
      );
    }
    if (typeof text !== "string") {
      throw new InvalidOptionError(
        "inputs",
        `${where} has a ${typeof text} as the description of input "${name}"; expected text.`,
      );
    }
  }
}
