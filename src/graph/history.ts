import { setOwn } from "../_internal/own.ts";
import type { NodeCall, RunListener } from "./events.ts";

/**
 * Where a history entry's outputs came from: `"computed"` when the function ran,
 * `"registry"` when the run restored them from the pipeline's registry instead.
 */
export type HistorySource = "computed" | "registry";

/**
 * One function of a run, as recorded with `history: true`: each function that ran, and each
 * function whose outputs the run restored from the registry instead of running it.
 */
export interface HistoryEntry {
  /** The function's name. */
  readonly node: string;
  /** Where its outputs came from: `"registry"` when restored, not run. */
  readonly source: HistorySource;
  /**
   * Its inputs by graph name, snapshotted when it ran; `{}` for a restored function, which
   * read none.
   */
  readonly inputs: Readonly<Record<string, unknown>>;
  /**
   * Its outputs by graph name, snapshotted when it returned; for a restored function, the
   * outputs the run read from the registry.
   */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Wall-clock start, milliseconds since the epoch (when restored: when the run began). */
  readonly startedAt: number;
  /** Duration in milliseconds (0 when restored). */
  readonly durationMs: number;
  /** The element's index when the call was one element of a `map`. */
  readonly index?: readonly number[];
}

/**
 * Records each executed (or restored) function of the last run. Values are copied with
 * `structuredClone` when the function ran, so later mutation cannot rewrite history; values it
 * cannot copy (functions, sockets, class instances holding them) are kept by reference.
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
        source: "computed",
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

  /** Records a function whose outputs the run restored from the registry, before it starts. */
  restored(node: string, outputs: Readonly<Record<string, unknown>>): void {
    this.#entries.push({
      node,
      source: "registry",
      inputs: {},
      outputs: snapshot(outputs),
      startedAt: Date.now(),
      durationMs: 0,
    });
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
