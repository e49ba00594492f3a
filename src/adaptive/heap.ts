/**
 * A binary max-heap of scored entries. Learners push a fresh entry whenever a loss changes and
 * skip stale ones when they pop (lazy deletion), which keeps ask and tell at O(log n) instead
 * of rescanning every interval.
 */
export class MaxHeap<T> {
  readonly #scores: number[] = [];
  readonly #items: T[] = [];

  get size(): number {
    return this.#scores.length;
  }

  push(score: number, item: T): void {
    const scores = this.#scores;
    const items = this.#items;
    let i = scores.length;
    scores.push(score);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (scores[parent]! >= score) break;
      scores[i] = scores[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    scores[i] = score;
    items[i] = item;
  }

  /** The best entry's item, or undefined when empty. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** The best entry's score, or -Infinity when empty. */
  peekScore(): number {
    return this.#scores[0] ?? Number.NEGATIVE_INFINITY;
  }

  pop(): T | undefined {
    const scores = this.#scores;
    const items = this.#items;
    if (scores.length === 0) return undefined;
    const top = items[0];
    const lastScore = scores.pop()!;
    const lastItem = items.pop()!;
    const n = scores.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && scores[right]! > scores[left]! ? right : left;
        if (scores[child]! <= lastScore) break;
        scores[i] = scores[child]!;
        items[i] = items[child]!;
        i = child;
      }
      scores[i] = lastScore;
      items[i] = lastItem;
    }
    return top;
  }

  clear(): void {
    this.#scores.length = 0;
    this.#items.length = 0;
  }
}
