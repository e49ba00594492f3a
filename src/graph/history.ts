import { setOwn } from "../_internal/own.ts";
import type { NodeCall, RunListener } from "./events.ts";

/** One executed function, as recorded with `history: true`. */
export interface HistoryEntry {
  /** The function's name. */
  readonly node: string;
  /** Its inputs by graph name, snapshotted when it ran. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** Its outputs by graph name, snapshotted when it returned. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Wall-clock start, milliseconds since the epoch. */
  readonly startedAt: number;
  /** Duration in milliseconds. */
  readonly durationMs: number;
  /** The element's index when the call was one element of a `map`. */
  readonly index?: readonly number[];
}

/**
 * Records each executed function of the last run. Values are copied with `structuredClone`
 * when the function ran, so later mutation cannot rewrite history; values it cannot copy
 * (functions, sockets, class instances holding them) are kept by reference.
 */
export class HistoryRecorder {
  #entries: HistoryEntry[] = [];
  readonly #inputs = new WeakMap<NodeCall, Readonly<Record<string, unknown>>>();

  /** The listener to attach to the engine. */
  readonly listener: RunListener = {
    onNodeStart: (call) => {
      this.#inputs.set(call, snapshot(call.inputs));
    },
    onNodeEnd: (call) => {
      this.#entries.push({
        node: call.node.name,
        inputs: this.#inputs.get(call) ?? {},
        outputs: snapshot(call.outputs ?? {}),
        startedAt: call.startedAt,
        durationMs: call.durationMs,
        ...(call.index ? { index: call.index } : {}),
      });
    },
  };

  /** Entries of the current (or last) run, in completion order. */
  get entries(): readonly HistoryEntry[] {
    return this.#entries;
  }

  /** Starts a new run's history. */
  reset(): void {
    this.#entries = [];
  }
}

function snapshot(values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    let copy = v;
    try {
      copy = structuredClone(v);
    } catch {
      // Not cloneable: recorded by reference.
    }
    setOwn(out, k, copy);
  }
  return out;
}
