/**
 * Returned by a stage handler, drops the item: nothing is passed downstream and it is not an
 * error.
 *
 * @example
 * ```ts
 * const evens = pool({}, (n: number) => (n % 2 === 0 ? n : SKIP));
 * ```
 */
export const SKIP: unique symbol = Symbol.for("pipeweave.skip") as never;

/** The type of {@link SKIP}. */
export type Skip = typeof SKIP;
