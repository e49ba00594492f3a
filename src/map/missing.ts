/**
 * Marker of a masked sweep element: one that failed under `errors: "continue"`, or depends on
 * one that did. `Symbol.for` keeps it identical across module copies and worker threads.
 */
export const MISSING: unique symbol = Symbol.for("pipeweave.missing") as never;

/** The type of {@link MISSING}. */
export type Missing = typeof MISSING;

/** True when `value` is the {@link MISSING} marker. */
export function isMissing(value: unknown): value is Missing {
  return value === MISSING;
}
