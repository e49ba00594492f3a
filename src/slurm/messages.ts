/** The slurm executor's errors, and how they name SLURM's states and a task's elements. */
import { type ErrorMessage, ExecutorError } from "../errors.ts";
import { unravelIndex } from "../map/ndarray.ts";

/** Elements a message lists before it counts the rest. */
const LISTED_ELEMENTS = 8;

/** An `ExecutorError` of the slurm executor: "The slurm executor " then `text`. */
export function slurmError(
  text: ErrorMessage,
  options: ConstructorParameters<typeof ExecutorError>[2] = {},
): ExecutorError {
  const head = "The slurm executor ";
  const message: ErrorMessage =
    typeof text === "string" ? head + text : (name) => head + text(name);
  return new ExecutorError("slurm", message, options);
}

/** SLURM's state and reason in words: `TIMEOUT (TimeLimit)`. */
export function describeReason(state: string, reason: string | undefined): string {
  return reason && reason !== "None" ? `${state} (${reason})` : state;
}

/** "elements [4], [5] and 3 more", as the map's outputs index them. */
export function describeElements(
  indexes: readonly number[],
  shape: readonly number[] | undefined,
): string {
  const shown = indexes
    .slice(0, LISTED_ELEMENTS)
    .map((i) => `[${(shape ? unravelIndex(shape, i) : [i]).join(", ")}]`);
  const more = indexes.length - shown.length;
  const list = more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
  return `${indexes.length === 1 ? "element" : "elements"} ${list}`;
}
