import { GCProfiler } from "node:v8";

/**
 * Highest values of a series over its suffixes. Keeps only the entries larger than every later
 * one, so `since(mark)` reads the first kept entry after the mark, and the list stays short.
 */
class SuffixMax {
  readonly #seqs: number[] = [];
  readonly #values: number[] = [];

  push(seq: number, value: number): void {
    while (this.#values.length > 0 && this.#values[this.#values.length - 1]! <= value) {
      this.#values.pop();
      this.#seqs.pop();
    }
    this.#seqs.push(seq);
    this.#values.push(value);
  }

  /** The highest value pushed with a sequence number above `mark`, or -Infinity. */
  since(mark: number): number {
    let best = Number.NEGATIVE_INFINITY;
    for (let i = this.#seqs.length - 1; i >= 0 && this.#seqs[i]! > mark; i--) {
      best = this.#values[i]!;
    }
    return best;
  }

  clear(): void {
    this.#seqs.length = 0;
    this.#values.length = 0;
  }
}

/** Memory in use just before the collections of a call, bytes; -Infinity when none ran. */
export interface GcPeak {
  /** Highest V8 heap use before a collection. */
  readonly heap: number;
  /** Highest V8 heap plus external memory (ArrayBuffers, Buffers …) before a collection. */
  readonly total: number;
}

/**
 * Watches garbage collections for any number of calls in flight with one V8 GC profiler, and
 * tells each call the highest memory use seen just before a collection during it. Memory held
 * by JavaScript objects and ArrayBuffers only goes down at a collection, so these figures, with
 * the use at a call's start and end, give its peak exactly.
 *
 * One profiler serves all calls: V8 runs a callback per started profiler at every collection,
 * and starting or stopping one costs time linear in how many are started, so a profiler per
 * overlapping call would make a concurrent sweep quadratic. A collection is credited to a call
 * only when it ran after the call began: at each start and end the profiler is read and
 * restarted while calls overlap, and otherwise runs from a call's start to its end.
 */
export class GcPeaks {
  #profiler: GCProfiler | undefined;
  /** Calls between `begin` and `end`. */
  #open = 0;
  /** Collections seen while calls were open. */
  #seq = 0;
  readonly #heap = new SuffixMax();
  readonly #total = new SuffixMax();

  /** A call starts; returns the mark to pass to `end`. */
  begin(): number {
    if (this.#open++ > 0) this.#read(true);
    else this.#start();
    return this.#seq;
  }

  /** The call that began at `mark` ended: the peaks of the collections since. */
  end(mark: number): GcPeak {
    const stillOpen = --this.#open > 0;
    this.#read(stillOpen);
    const peak = { heap: this.#heap.since(mark), total: this.#total.since(mark) };
    if (!stillOpen) {
      this.#heap.clear();
      this.#total.clear();
    }
    return peak;
  }

  #start(): void {
    // A fresh profiler per stretch: restarting a stopped one is not documented.
    this.#profiler = new GCProfiler();
    this.#profiler.start();
  }

  #read(restart: boolean): void {
    const statistics = this.#profiler?.stop()?.statistics ?? [];
    this.#profiler = undefined;
    for (const { beforeGC } of statistics) {
      const { usedHeapSize, externalMemory } = beforeGC.heapStatistics;
      this.#seq++;
      this.#heap.push(this.#seq, usedHeapSize);
      this.#total.push(this.#seq, usedHeapSize + externalMemory);
    }
    if (restart) this.#start();
  }
}
