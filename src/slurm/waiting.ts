/**
 * The chunks the map handed the slurm executor, waiting for their elements' results, and the
 * results that came before any chunk asked for them (a resumed run's earlier tasks).
 */
import type { ItemResult } from "../executor/types.ts";

/** A chunk waiting for its results. */
export interface Request {
  readonly output: string;
  readonly remaining: Set<number>;
  readonly results: ItemResult[];
  readonly resolve: (results: ItemResult[]) => void;
  readonly reject: (error: unknown) => void;
}

/** Chunks waiting, by output then element; results found early, likewise. */
export class Waiting {
  readonly #waiting = new Map<string, Map<number, Request>>();
  readonly #found = new Map<string, Map<number, ItemResult>>();

  /** Whether any chunk still waits for an element. */
  get busy(): boolean {
    return [...this.#waiting.values()].some((w) => w.size > 0);
  }

  /** Forgets the results found for an earlier run. */
  clearFound(): void {
    this.#found.clear();
  }

  /** The chunks waiting for elements of `output`, by element. */
  of(output: string): Map<number, Request> {
    let waiting = this.#waiting.get(output);
    if (!waiting) {
      waiting = new Map();
      this.#waiting.set(output, waiting);
    }
    return waiting;
  }

  /** Whether a chunk waits for this element. */
  has(output: string, index: number): boolean {
    return this.#waiting.get(output)?.has(index) === true;
  }

  /** The result found early for this element, taken (each is handed out once). */
  takeFound(output: string, index: number): ItemResult | undefined {
    const found = this.#found.get(output);
    const result = found?.get(index);
    if (result) found!.delete(index);
    return result;
  }

  /** Hands one element's result to the chunk waiting for it (the first result wins). */
  deliver(output: string, result: ItemResult): void {
    const waiting = this.#waiting.get(output);
    const request = waiting?.get(result.index);
    if (!request) {
      let found = this.#found.get(output);
      if (!found) {
        found = new Map();
        this.#found.set(output, found);
      }
      if (!found.has(result.index)) found.set(result.index, result);
      return;
    }
    waiting!.delete(result.index);
    if (!request.remaining.delete(result.index)) return;
    request.results.push(result);
    if (request.remaining.size === 0) request.resolve(request.results);
  }

  /** Rejects the chunks waiting for these elements of `output`. */
  fail(output: string, elements: readonly number[], error: unknown): void {
    const waiting = this.#waiting.get(output);
    if (!waiting) return;
    const rejected = new Set<Request>();
    for (const e of elements) {
      const request = waiting.get(e);
      if (!request) continue;
      rejected.add(request);
    }
    for (const request of rejected) {
      for (const e of request.remaining) waiting.delete(e);
      request.reject(error);
    }
  }

  /** Rejects every chunk waiting. */
  failAll(error: unknown): void {
    for (const [output, waiting] of this.#waiting) this.fail(output, [...waiting.keys()], error);
  }
}
