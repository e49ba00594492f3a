/**
 * `load`'s `select`: part of a mapped output, picked by axis name before the size cap applies,
 * so an agent can read a result too large to return whole piece by piece.
 */
import { InvalidArgumentError } from "../errors.ts";
import { NdArray, unravelIndex } from "../map/ndarray.ts";

/**
 * Per axis name: an index, which fixes the axis and drops it, or `[start, end]`, which keeps
 * the elements from `start` up to but not including `end` (as `Array.prototype.slice`: a
 * negative number counts from the end, an `end` past the axis stops at its end). Axes not
 * named are kept whole.
 */
export type Selection = Readonly<Record<string, number | readonly [number, number]>>;

/**
 * The part of `array` that `select` names: a smaller array, or the element itself when every
 * axis is fixed by an index.
 *
 * @param array - The mapped output.
 * @param select - The selection, as the tool received it (checked here).
 * @param what - The output and run, for messages (`output "y" of run "first"`).
 * @throws {@link InvalidArgumentError} naming an axis the output does not have (with its
 *   axes), or an index outside its axis, or a value that is neither an index nor a range.
 */
export function selectFrom(array: NdArray<unknown>, select: unknown, what: string): unknown {
  if (typeof select !== "object" || select === null || Array.isArray(select)) {
    throw new InvalidArgumentError(
      "select",
      `Expected \`select\` to be an object { axis: index or [start, end] }, got ` +
        `${JSON.stringify(select)}. For example ${example(array)}.`,
    );
  }
  const axes =
    `its axes are ${array.dims.map((d) => `"${d}"`).join(", ") || "(none)"} ` +
    `(shape [${array.shape.join(", ")}])`;
  const unknown = Object.keys(select).filter((k) => !array.dims.includes(k));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `select.${unknown[0]}`,
      `The ${what} has no axis ${unknown.map((k) => `"${k}"`).join(", ")}; ${axes}. ` +
        "Select along those names.",
    );
  }
  const fixed: Record<string, number> = {};
  const ranges = new Map<number, readonly [number, number]>();
  for (const [dim, value] of Object.entries(select as Record<string, unknown>)) {
    const axis = array.dims.indexOf(dim);
    const length = array.shape[axis]!;
    if (Number.isInteger(value)) {
      const i = (value as number) < 0 ? (value as number) + length : (value as number);
      if (i < 0 || i >= length) {
        throw new InvalidArgumentError(
          `select.${dim}`,
          `Index ${String(value)} is outside axis "${dim}" of the ${what}, which has length ` +
            `${length}; ${axes}. Pass an index from 0 to ${length - 1} (or -${length} to -1).`,
        );
      }
      fixed[dim] = i;
    } else if (isRange(value)) {
      ranges.set(axis, [
        clamp(value[0], length),
        Math.max(clamp(value[0], length), clamp(value[1], length)),
      ]);
    } else {
      throw new InvalidArgumentError(
        `select.${dim}`,
        `Expected \`select.${dim}\` to be an integer index or a range [start, end] of ` +
          `integers, got ${JSON.stringify(value)}. For example ${example(array)}.`,
      );
    }
  }
  const ranged = ranges.size === 0 ? array : cut(array, ranges);
  const picked = Object.keys(fixed).length === 0 ? ranged : ranged.slice(fixed);
  return picked.ndim === 0 ? picked.get() : picked;
}

/** The elements of `array` within each axis's `[start, end)` (axes not in `ranges` whole). */
function cut(
  array: NdArray<unknown>,
  ranges: ReadonlyMap<number, readonly [number, number]>,
): NdArray<unknown> {
  const starts = array.shape.map((_, axis) => ranges.get(axis)?.[0] ?? 0);
  const shape = array.shape.map((length, axis) => {
    const range = ranges.get(axis);
    return range ? range[1] - range[0] : length;
  });
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Array<unknown>(size);
  for (let n = 0; n < size; n++) {
    const index = unravelIndex(shape, n);
    data[n] = array.get(...index.map((i, axis) => i + starts[axis]!));
  }
  return new NdArray(shape, array.dims, data);
}

function isRange(value: unknown): value is readonly [number, number] {
  return Array.isArray(value) && value.length === 2 && value.every((v) => Number.isInteger(v));
}

/** A `slice` bound within `[0, length]`. */
function clamp(bound: number, length: number): number {
  return bound < 0 ? Math.max(0, bound + length) : Math.min(bound, length);
}

function example(array: NdArray<unknown>): string {
  const [first, second] = array.dims;
  if (first === undefined) return "{} (the output has no axes)";
  return second === undefined
    ? `{ "${first}": 0 } or { "${first}": [0, 10] }`
    : `{ "${first}": 0, "${second}": [0, 10] }`;
}
