/**
 * A counting semaphore of `size` slots, taken several at a time: what lets a chunk of
 * elements that need 2 cpus hold 2 of a pool's threads while it runs. Waiters are served in
 * the order they came, so a chunk needing many slots is never overtaken for ever by chunks
 * needing fewer.
 */
export class Slots {
  #free: number;
  readonly #waiting: { readonly n: number; readonly resolve: () => void }[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  /**
   * Takes `n` slots (at most the size), once they are free and every earlier waiter is served.
   *
   * @returns Undefined when taken at once (no promise on the fast path), else a promise
   *   resolved once taken.
   */
  acquire(n: number): Promise<void> | undefined {
    if (this.#waiting.length === 0 && this.#free >= n) {
      this.#free -= n;
      return undefined;
    }
    return new Promise<void>((resolve) => this.#waiting.push({ n, resolve }));
  }

  /** Gives back `n` slots; the waiters they now suffice for take them, in order. */
  release(n: number): void {
    this.#free += n;
    while (this.#waiting.length > 0 && this.#free >= this.#waiting[0]!.n) {
      const next = this.#waiting.shift()!;
      this.#free -= next.n;
      next.resolve();
    }
  }
}
