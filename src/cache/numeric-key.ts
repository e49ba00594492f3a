/**
 * Key forms of large numeric arguments: a hash of their bytes in one pass, instead of a text
 * form of every element. A cache hit with a 1,000-element array costs its key, so this is
 * what makes such hits cheap.
 */
import * as crypto from "node:crypto";

/**
 * Arrays shorter than this keep the element-by-element form: it is as cheap for them, and
 * keys of small arguments stay readable and as they were.
 */
export const MIN_HASHED_NUMBERS = 16;

/** Elements copied and hashed at a time: 8 KiB, which stays in the CPU's first-level cache. */
const CHUNK = 1024;

/** `crypto.hash` (Node 20.12+): a one-shot digest, without a Hash object's cost per call. */
const oneShot = (crypto as { hash?: typeof crypto.hash }).hash;

/** The SHA-256 of `bytes` in base64url (43 characters). */
export const bytesDigest: (bytes: Uint8Array) => string =
  oneShot === undefined
    ? (bytes) => crypto.createHash("sha256").update(bytes).digest("base64url")
    : (bytes) => oneShot("sha256", bytes, "base64url");

/**
 * The buffer elements are copied into, taken while in use: a getter or Proxy trap run by
 * reading an element may build another key, which then gets a buffer of its own.
 */
let spare: Float64Array | undefined = new Float64Array(CHUNK);

/**
 * The form of an array of numbers only, of at least {@link MIN_HASHED_NUMBERS} elements:
 * `[#` and the SHA-256 of its elements as float64 bytes, `]`. Undefined for any other array
 * (one with another value or a hole), which takes the element-by-element form.
 *
 * It keeps the distinctions of that form: -0 and 0 differ (their bytes do), every NaN is
 * one value (written as one NaN, whatever its payload), and the form starts with `[`, so
 * it never equals a typed array's, and `#`, which no element's form starts with.
 */
export function numbersForm(array: readonly unknown[]): string | undefined {
  const length = array.length;
  if (length < MIN_HASHED_NUMBERS) return undefined;
  const buffer = spare ?? new Float64Array(CHUNK);
  spare = undefined;
  const bytes = new Uint8Array(buffer.buffer);
  let hash: crypto.Hash | undefined;
  for (let start = 0; start < length; start += CHUNK) {
    const count = Math.min(CHUNK, length - start);
    for (let j = 0; j < count; j++) {
      const x: unknown = array[start + j];
      if (typeof x !== "number") {
        spare = buffer;
        return undefined;
      }
      // biome-ignore lint/suspicious/noSelfCompare: x !== x is the NaN test, without a call.
      buffer[j] = x === x ? x : Number.NaN;
    }
    const chunk = count === CHUNK ? bytes : bytes.subarray(0, count * 8);
    if (start === 0 && count === length) {
      spare = buffer;
      return `[#${bytesDigest(chunk)}]`;
    }
    hash ??= crypto.createHash("sha256");
    hash.update(chunk);
  }
  spare = buffer;
  return `[#${hash!.digest("base64url")}]`;
}
