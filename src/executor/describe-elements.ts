/** How executors' errors name the elements of a chunk, as the map's outputs index them. */
import { unravelIndex } from "../map/ndarray.ts";

/** Elements a message lists before it counts the rest. */
const LISTED_ELEMENTS = 8;

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
