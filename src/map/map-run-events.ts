/**
 * The events of a {@link MapRun} as async iterables: one queue per `events()` call, fed by the
 * run's progress listener, bounded however slowly its consumer reads.
 */
import type { ProgressListener } from "./events.ts";

/** How a {@link MapRun} ended: as its `done` resolves and its last event says. */
export type MapRunEndState = "done" | "failed" | "aborted";

/** One event of a {@link MapRun}, as `for await (const event of run.events())` reads it. */
export type MapRunEvent =
  | {
      /** A function's elements are about to run. */
      readonly type: "function-started";
      readonly function: string;
      /** Its elements in all (1 for a function called once). */
      readonly total: number;
      /** Those already stored (a resumed run), not computed again. */
      readonly done: number;
    }
  | {
      /**
       * Elements of a function settled since its previous `elements-done`: `done` counts them
       * all, `failed` those whose call failed, `skipped` those masked because an input failed.
       */
      readonly type: "elements-done";
      readonly function: string;
      readonly done: number;
      readonly failed: number;
      readonly skipped: number;
    }
  | {
      /** An element's call failed (told before the `elements-done` that counts it). */
      readonly type: "element-failed";
      readonly function: string;
      /** Its position along the function's axes (empty for a function called once). */
      readonly index: readonly number[];
      readonly error: unknown;
    }
  | {
      /** A function's elements are all settled (or it stopped). */
      readonly type: "function-ended";
      readonly function: string;
    }
  | {
      /** The run is over, its run folder unlocked: always the last event. */
      readonly type: "run-ended";
      readonly state: MapRunEndState;
      /** Why it failed or was aborted. */
      readonly error?: unknown;
    };

/**
 * `element-failed` events kept waiting for a slow consumer; later ones are dropped (the
 * `elements-done` events still count them).
 */
export const MAX_WAITING_FAILURES = 1000;

type Waiting = MapRunEvent | ElementsDone;

interface ElementsDone {
  type: "elements-done";
  function: string;
  done: number;
  failed: number;
  skipped: number;
}

/** One consumer's queue. */
class EventQueue implements AsyncIterableIterator<MapRunEvent> {
  readonly #waiting: Waiting[] = [];
  /** The `elements-done` still waiting per function, which later counts are added to. */
  readonly #pendingDone = new Map<string, ElementsDone>();
  #failures = 0;
  #ended = false;
  #wake: ((result: IteratorResult<MapRunEvent>) => void) | undefined;

  constructor(readonly detach: (queue: EventQueue) => void) {}

  push(event: MapRunEvent): void {
    if (this.#ended) return;
    if (event.type === "elements-done") {
      // A consumer that lags gets the counts summed, not one event per batch: the queue holds
      // at most one `elements-done` per function.
      const waiting = this.#pendingDone.get(event.function);
      if (waiting) {
        waiting.done += event.done;
        waiting.failed += event.failed;
        waiting.skipped += event.skipped;
        return;
      }
    }
    if (event.type === "run-ended") this.#ended = true;
    if (this.#wake && this.#waiting.length === 0) {
      const wake = this.#wake;
      this.#wake = undefined;
      wake({ value: event, done: false });
      if (this.#ended) this.detach(this);
      return;
    }
    if (event.type === "element-failed") {
      if (this.#failures >= MAX_WAITING_FAILURES) return;
      this.#failures++;
    }
    const entry: Waiting = event.type === "elements-done" ? { ...event } : event;
    if (entry.type === "elements-done") this.#pendingDone.set(entry.function, entry);
    this.#waiting.push(entry);
  }

  next(): Promise<IteratorResult<MapRunEvent>> {
    const event = this.#waiting.shift();
    if (event) {
      if (event.type === "elements-done") this.#pendingDone.delete(event.function);
      if (event.type === "element-failed") this.#failures--;
      return Promise.resolve({ value: event, done: false });
    }
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  return(): Promise<IteratorResult<MapRunEvent>> {
    // A consumer that breaks out stops receiving; the run goes on.
    this.#ended = true;
    this.#waiting.length = 0;
    this.#pendingDone.clear();
    this.detach(this);
    this.#wake?.({ value: undefined, done: true });
    this.#wake = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<MapRunEvent> {
    return this;
  }
}

/** The events of one run, told to every queue open on them. */
export class MapRunEvents {
  readonly #queues = new Set<EventQueue>();
  #end: MapRunEvent | undefined;

  /** The progress listener that feeds the queues. */
  readonly listener: ProgressListener = {
    onNodeStart: (node, total, done) =>
      this.#emit({ type: "function-started", function: node, total, done }),
    onProgress: (node, done, failed, skipped) =>
      this.#emit({ type: "elements-done", function: node, done, failed, skipped }),
    onError: (node, index, error) =>
      this.#emit({ type: "element-failed", function: node, index: index.slice(), error }),
    onNodeEnd: (node) => this.#emit({ type: "function-ended", function: node }),
  };

  /** A new queue: the events from now on, or only `run-ended` once the run is over. */
  open(): AsyncIterableIterator<MapRunEvent> {
    const queue = new EventQueue((q) => this.#queues.delete(q));
    if (this.#end) queue.push(this.#end);
    else this.#queues.add(queue);
    return queue;
  }

  /** Tells every queue the run ended, and closes them. */
  end(state: MapRunEndState, error?: unknown): void {
    this.#end = { type: "run-ended", state, ...(error === undefined ? {} : { error }) };
    this.#emit(this.#end);
    this.#queues.clear();
  }

  #emit(event: MapRunEvent): void {
    for (const q of this.#queues) q.push(event);
  }
}
