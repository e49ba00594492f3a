/** The options of `slurm()`, their defaults, and the checks they pass when it is called. */
import { InvalidOptionError } from "../errors.ts";

/** Options of `slurm()`. */
export interface SlurmExecutorOptions {
  /**
   * The partition jobs go to when a function's `resources` name none.
   * @defaultValue the cluster's default partition
   */
  readonly partition?: string;
  /**
   * Elements per array task, when `map` is not given its own `chunkSize`. Each task starts a
   * Node process on a node (a second or so), so larger chunks cost less per element; smaller
   * ones spread over more of the cluster at once.
   * @defaultValue map's choice: about 8 chunks per slot of `capacity`, at most 1024
   */
  readonly chunkSize?: number;
  /**
   * Times an element whose array task failed, was cancelled, passed its time limit or lost
   * its node is submitted again; after that it fails the map with an `ExecutorError`.
   * @defaultValue 2
   */
  readonly retries?: number;
  /** How often `squeue` and the run folder are read, in milliseconds. @defaultValue 500 */
  readonly pollMs?: number;
  /**
   * Array tasks to keep queued or running: `map` keeps twice as many chunks in flight.
   * @defaultValue 256
   */
  readonly capacity?: number;
  /**
   * The command an array task runs, before its arguments (`worker <module>#<name> --slurm`):
   * give it where the nodes' Node or pipeweave is elsewhere than on this machine.
   * @defaultValue this process's Node and pipeweave's CLI (with tsx's loader when pipeweave
   *   runs from its TypeScript source)
   */
  readonly command?: readonly string[];
}

/** The defaults of {@link SlurmExecutorOptions}. */
export const DEFAULTS = Object.freeze({ retries: 2, pollMs: 500, capacity: 256 });

/**
 * Refuses options that cannot work, naming the option.
 *
 * @throws {@link InvalidOptionError} for a partition that is no name, a chunk size, capacity
 *   or poll interval below 1, negative retries, or an empty command.
 */
export function checkOptions(options: SlurmExecutorOptions): void {
  const { partition, chunkSize, retries, pollMs, capacity, command } = options;
  if (partition !== undefined && (typeof partition !== "string" || !/^[\w.-]+$/.test(partition))) {
    throw new InvalidOptionError(
      "partition",
      `Expected \`partition\` to be a partition's name (letters, digits, "_", "-", "."), got ` +
        `${JSON.stringify(partition)}. Leave it out for the cluster's default partition.`,
    );
  }
  for (const [name, value] of [
    ["chunkSize", chunkSize],
    ["capacity", capacity],
    ["pollMs", pollMs],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      throw new InvalidOptionError(
        name,
        `Expected \`${name}\` to be an integer from 1 and up, got \`${String(value)}\` (${typeof value}).`,
      );
    }
  }
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0)) {
    throw new InvalidOptionError(
      "retries",
      `Expected \`retries\` to be an integer from 0 and up, got \`${String(retries)}\` (${typeof retries}). ` +
        `Leave it out for ${DEFAULTS.retries}.`,
    );
  }
  if (
    command !== undefined &&
    !(Array.isArray(command) && command.length > 0 && command.every((c) => typeof c === "string"))
  ) {
    throw new InvalidOptionError(
      "command",
      "Expected `command` to be a non-empty array of strings (the program and its first " +
        `arguments), got ${JSON.stringify(command)}. Leave it out for this Node and pipeweave.`,
    );
  }
}
