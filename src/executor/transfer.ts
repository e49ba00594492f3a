import { NdArray } from "../map/ndarray.ts";
import { NO_VALUE } from "./invoke.ts";

// Values crossing to a worker thread go through the structured clone algorithm, which drops
// class prototypes and refuses symbols: NdArrays and the "no value" marker travel as tags.
const TAG = "__pipeweave";

interface Tagged {
  readonly [TAG]: "ndarray" | "none";
  readonly json?: ReturnType<NdArray<unknown>["toJSON"]>;
}

/** Prepares a value for postMessage. */
export function encode(value: unknown): unknown {
  if (value === NO_VALUE) return { [TAG]: "none" } satisfies Tagged;
  if (value instanceof NdArray) return { [TAG]: "ndarray", json: value.toJSON() } satisfies Tagged;
  return value;
}

/** Restores a value encoded by {@link encode}. */
export function decode(value: unknown): unknown {
  if (value === null || typeof value !== "object" || !(TAG in value)) return value;
  const tagged = value as Tagged;
  if (tagged[TAG] === "none") return NO_VALUE;
  return NdArray.fromJSON(tagged.json!);
}
