/**
 * Pieces of user-written text (names, lists, a whole mapspec) cut down for an error message:
 * a message is read by a person and stays a few lines long, whatever size of input caused it.
 */

/** Characters of one name shown in a message. */
export const NAME_CHARS = 60;
/** Items of one list shown in a message. */
export const LIST_ITEMS = 8;

/**
 * `text`, or its first characters and "…" when it is longer than `max`. A surrogate pair is
 * never split.
 */
export function clip(text: string, max = NAME_CHARS): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * Up to `max` items formatted and joined by ", ", then "… N more" for the rest; formats only
 * the items it shows.
 */
export function boundedList<T>(
  items: readonly T[],
  format: (item: T) => string,
  max = LIST_ITEMS,
): string {
  const shown = items.length <= max ? items : items.slice(0, max);
  const text = shown.map((item) => format(item)).join(", ");
  return items.length <= max ? text : `${text}, … ${items.length - max} more`;
}
