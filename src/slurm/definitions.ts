/**
 * The name and definition hash of each pipeline the coordinator sends to SLURM, loaded once:
 * every job carries the hash, and a task whose own pipeline hashes otherwise refuses it.
 */
import { type PipelineReference, resolveReference } from "../map/define.ts";
import { definitionHash } from "../redis/protocol.ts";
import { slurmError } from "./messages.ts";

/** Pipelines' names and definition hashes, by module and export. */
export class Definitions {
  readonly #loaded = new Map<string, Promise<{ name: string; hash: string }>>();

  /**
   * The pipeline's name and definition hash, as the coordinator loads it.
   *
   * @throws {@link ExecutorError} (as a rejection) when its module cannot be loaded.
   */
  of(ref: PipelineReference): Promise<{ name: string; hash: string }> {
    const key = `${ref.module}#${ref.name}`;
    let definition = this.#loaded.get(key);
    if (!definition) {
      definition = resolveReference(ref).then(
        (pipeline) => ({ name: pipeline.name, hash: definitionHash(pipeline) }),
        (error: unknown) => {
          throw slurmError(
            `cannot load pipeline "${ref.name}" from ${ref.module} to hash its definition: ` +
              `${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
        },
      );
      this.#loaded.set(key, definition);
    }
    return definition;
  }
}
