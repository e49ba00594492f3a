/**
 * What a store does with stored files it cannot read, or cannot vouch for: a file that is not
 * whole (truncated, garbage) is always a RunFolderCorruptError; a whole one that its run did
 * not write there, or that changed since, is refused when results are read and computed again
 * (with a warning) when a run resumes.
 */
import { resolve } from "node:path";
import { RunFolderCorruptError } from "../../errors.ts";

/**
 * The `code` of the warning (`process.emitWarning`) a store raises when, opened to resume a
 * run, it finds stored elements its run did not write there (copied from another position,
 * output or run) or that changed since it wrote them, and computes them again; filter on it
 * with `process.on("warning", …)`.
 */
export const STORE_UNTRUSTED_WARNING = "PIPEWEAVE_STORE_UNTRUSTED";

/**
 * What opening a store does with a stored chunk or element it cannot vouch for: `"recompute"`
 * leaves its elements unset and warns once (a resumed run computes them again);
 * `"refuse"` throws (reading results, where a value must be right or an error).
 */
export type UntrustedPolicy = "recompute" | "refuse";

/** How many files a warning names; it counts the rest. */
const NAMED = 3;

/** The files of one store's folder that its opening found untrusted, reported per policy. */
export class UntrustedFiles {
  readonly #folder: string;
  readonly #output: string;
  readonly #policy: UntrustedPolicy;
  readonly #found: { readonly path: string; readonly reason: string }[] = [];

  /**
   * @param folder - The store's folder.
   * @param output - The output's name, for messages.
   * @param policy - Refuse (throw) or recompute (warn).
   */
  constructor(folder: string, output: string, policy: UntrustedPolicy) {
    this.#folder = folder;
    this.#output = output;
    this.#policy = policy;
  }

  /**
   * Records a file whose elements must not be read.
   *
   * @param path - The file.
   * @param what - What it is (`chunk`, `element file`), for the message.
   * @param reason - Why it cannot be trusted.
   * @throws {@link RunFolderCorruptError} naming it, under the `"refuse"` policy.
   */
  add(path: string, what: string, reason: string): void {
    if (this.#policy === "refuse") {
      throw corruptStoreError(
        this.#folder,
        path,
        `${what} of output "${this.#output}" ${reason}, so its elements are not read ` +
          "(a resumed map computes them again)",
      );
    }
    this.#found.push({ path, reason });
  }

  /** Emits one warning naming the files recorded, when there are any. */
  warn(): void {
    const found = this.#found;
    if (found.length === 0) return;
    const named = found.slice(0, NAMED).map((f) => `"${f.path}" (${f.reason})`);
    if (found.length > NAMED) named.push(`${found.length - NAMED} more`);
    const one = found.length === 1;
    process.emitWarning(
      `The run folder's output "${this.#output}" has ${found.length} stored ` +
        `file${one ? "" : "s"} that this run did not write there, or that changed since: ` +
        `${named.join(", ")}. ${one ? "Its" : "Their"} elements are computed again.`,
      { type: "PipeweaveWarning", code: STORE_UNTRUSTED_WARNING },
    );
  }
}

/**
 * The error for a corrupt file of a store. A store's folder sits at
 * `<runFolder>/outputs/<output>`, so the run folder is two levels up.
 *
 * @param folder - The store's folder.
 * @param path - The corrupt file.
 * @param reason - What is wrong with it.
 * @param cause - The underlying error.
 * @returns A {@link RunFolderCorruptError} naming the run folder and the file.
 */
export function corruptStoreError(
  folder: string,
  path: string,
  reason: string,
  cause?: unknown,
): RunFolderCorruptError {
  return new RunFolderCorruptError(resolve(folder, "..", ".."), path, reason, cause);
}
