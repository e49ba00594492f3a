/** The slurm executor's errors, and how they name SLURM's states and a task's elements. */
import { type ErrorMessage, ExecutorError } from "../errors.ts";

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
