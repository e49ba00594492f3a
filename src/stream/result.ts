/**
 * Errors as values. A stream item that failed is an {@link Err}; later stages pass it by and
 * the run's summary lists it. Handlers may also return `Err(...)` themselves to fail an item
 * without retrying, or `Ok(value)` to emit a value that is itself a result.
 */

const OK = Symbol.for("pipeweave.ok");
const ERR = Symbol.for("pipeweave.err");

/** A successful result holding `value`. */
export interface Ok<T> {
  readonly [OK]: true;
  readonly ok: true;
  readonly value: T;
}

/** A failed item: the error, and where it failed when a stage made it. */
export interface Err<E = unknown> {
  readonly [ERR]: true;
  readonly ok: false;
  /** What the handler threw (or passed to `Err`). */
  readonly error: E;
  /** The item the stage was given, when a stage recorded it. */
  readonly item?: unknown;
  /** The stage's name, when a stage recorded it. */
  readonly stage?: string;
  /** Attempts made before giving up (1 when the handler returned an `Err`). */
  readonly attempts?: number;
}

/** A value or a failure. */
export type Result<T, E = unknown> = Ok<T> | Err<E>;

/**
 * Wraps a successful value.
 *
 * @param value - The value.
 * @returns `{ ok: true, value }`.
 * @example
 * ```ts
 * unwrap(Ok(3)); // 3
 * ```
 */
export function Ok<T>(value: T): Ok<T> {
  return { [OK]: true, ok: true, value };
}

/**
 * Makes a failure. Returned from a stage handler, it fails the item at once (no retry).
 *
 * @param error - What went wrong.
 * @param where - The item and stage, filled in by the stage when you leave them out.
 * @returns `{ ok: false, error, … }`.
 * @example
 * ```ts
 * pool({}, (n: number) => (n < 0 ? Err(new RangeError("negative")) : Math.sqrt(n)));
 * ```
 */
export function Err<E>(
  error: E,
  where: { readonly item?: unknown; readonly stage?: string; readonly attempts?: number } = {},
): Err<E> {
  return { [ERR]: true, ok: false, error, ...where };
}

/**
 * Tells whether a value is a success: anything but an {@link Err}. A stream's successful items
 * are plain values, not `Ok` wrappers, so `isOk` is true for them as for an `Ok`, and
 * `isOk(x) === !isErr(x)` for every `x`.
 *
 * @param value - Anything, for example an item of a stream or a result.
 * @returns False for failures, true for everything else.
 * @example
 * ```ts
 * const values = (await stream(ids).pipe(fetchItem).toArray()).filter(isOk); // no Errs
 * ```
 */
export function isOk<T>(value: T): value is Exclude<T, Err> {
  return !isErr(value);
}

/**
 * Tells whether a value is an `Ok` wrapper (not a plain value), for the stages that unwrap it.
 *
 * @internal
 * @param value - Anything.
 * @returns True for results made by `Ok`.
 */
export function isOkWrapper(value: unknown): value is Ok<unknown> {
  return typeof value === "object" && value !== null && (value as Ok<unknown>)[OK] === true;
}

/**
 * Tells whether a value is an {@link Err}: a failed stream item or a failed result.
 *
 * @param value - Anything, for example an item of a stream.
 * @returns True for failures.
 */
export function isErr(value: unknown): value is Err {
  return typeof value === "object" && value !== null && (value as Err)[ERR] === true;
}

/**
 * The value of an `Ok`, or a plain stream value unchanged; throws the error of an `Err`.
 *
 * @param value - A result or a stream item.
 * @returns The value.
 * @throws The `Err`'s error.
 * @example
 * ```ts
 * for await (const item of stream(urls).pipe(fetchAll)) console.log(unwrap(item));
 * ```
 */
export function unwrap<T>(value: Result<T> | T): T {
  if (isErr(value)) throw value.error;
  if (isOkWrapper(value)) return value.value as T;
  return value as T;
}

/**
 * The value of an `Ok`, or a plain stream value unchanged; `fallback` for an `Err`.
 *
 * @param value - A result or a stream item.
 * @param fallback - What to give instead of a failure.
 * @returns The value, or `fallback`.
 * @example
 * ```ts
 * const scores = (await stream(ids).pipe(score).toArray()).map((s) => unwrapOr(s, 0));
 * ```
 */
export function unwrapOr<T, F>(value: Result<T> | T, fallback: F): T | F {
  if (isErr(value)) return fallback;
  if (isOkWrapper(value)) return value.value as T;
  return value as T;
}
