/** Returned by {@link Channel.tryTake} when no item is ready. */
export const EMPTY: unique symbol = Symbol("empty");
/** Returned by a take once the channel is closed and drained, or cancelled. */
export const DONE: unique symbol = Symbol("done");

interface Putter<T> {
  readonly item: T;
  readonly resolve: () => void;
}

/**
 * A bounded FIFO between two stages: at most `capacity` items wait in it, and a producer that
 * finds it full waits (holding its item) until a consumer takes one. Capacity 0 is a
 * rendezvous: an item passes only straight into a waiting consumer's hands.
 *
 * The `try*` methods are synchronous fast paths; the async ones are used only when those
 * cannot proceed, so a flowing stream allocates no promise per item.
 */
export class Channel<T> {
  readonly capacity: number;
  #items: T[] = [];
  #head = 0;
  readonly #takers: ((item: T | typeof DONE) => void)[] = [];
  readonly #putters: Putter<T>[] = [];
  readonly #waitRoom: (() => void)[] = [];
  #closed = false;
  #cancelled = false;
  readonly #hold: boolean;
  #held: (() => void) | undefined;

  /**
   * @param capacity - Items that may wait in the channel (0 for a rendezvous).
   * @param hold - Keep the producer of the last item taken waiting until the next take: the
   *   consumer's current item still counts against the producer, so a slow consumer loop
   *   body holds the whole stream back (used between the last stage and the consumer).
   */
  constructor(capacity: number, hold = false) {
    this.capacity = capacity;
    this.#hold = hold;
  }

  /** Items waiting in the channel. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Whether a put would be accepted at once. */
  get hasRoom(): boolean {
    return this.#takers.length > 0 || this.size < this.capacity || this.#cancelled;
  }

  /** Puts `item` if that needs no waiting; returns false when the caller must `put`. */
  tryPut(item: T): boolean {
    if (this.#cancelled) return true;
    if (this.#hold) return false;
    const taker = this.#takers.shift();
    if (taker) {
      taker(item);
      return true;
    }
    if (this.size < this.capacity) {
      this.#items.push(item);
      return true;
    }
    return false;
  }

  /** Puts `item`, waiting for room. Resolves at once (dropping it) once cancelled. */
  put(item: T): Promise<void> {
    if (this.tryPut(item)) return Promise.resolve();
    if (this.#hold) {
      const taker = this.#takers.shift();
      if (taker) {
        taker(item);
        return new Promise((resolve) => {
          this.#held = resolve;
        });
      }
    }
    return new Promise((resolve) => this.#putters.push({ item, resolve }));
  }

  /** Waits until a put would be accepted at once (or the channel is cancelled). */
  room(): Promise<void> | undefined {
    if (this.hasRoom) return undefined;
    // A rendezvous or full channel gets room when a consumer takes: wait by putting nothing.
    return new Promise((resolve) => this.#waitRoom.push(resolve));
  }

  /** Takes the next item, or EMPTY when the caller must `take`, or DONE at the end. */
  tryTake(): T | typeof EMPTY | typeof DONE {
    if (this.#held) {
      const release = this.#held;
      this.#held = undefined;
      release();
    }
    if (this.#cancelled) return DONE;
    if (this.#head < this.#items.length) {
      const item = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as T;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      const putter = this.#putters.shift();
      if (putter) {
        this.#items.push(putter.item);
        putter.resolve();
      } else if (this.#waitRoom.length > 0 && this.size <= this.capacity >> 1) {
        // Wake a waiting source only once the channel is half empty, so it refills in a burst
        // rather than one promise per item.
        this.#notifyRoom();
      }
      return item;
    }
    const putter = this.#putters.shift();
    if (putter) {
      if (this.#hold) this.#held = putter.resolve;
      else putter.resolve();
      return putter.item;
    }
    if (this.#closed) return DONE;
    this.#notifyRoom();
    return EMPTY;
  }

  /** Takes the next item, waiting for one; DONE once closed and drained, or cancelled. */
  take(): Promise<T | typeof DONE> {
    const item = this.tryTake();
    if (item !== EMPTY) return Promise.resolve(item);
    return new Promise((resolve) => {
      this.#takers.push(resolve);
      this.#notifyRoom();
    });
  }

  /** No more puts: takers get the remaining items, then DONE. */
  close(): void {
    this.#closed = true;
    if (this.size === 0 && this.#putters.length === 0) {
      for (const taker of this.#takers.splice(0)) taker(DONE);
    }
  }

  /** Drops every item; waiting producers resume, consumers get DONE from now on. */
  cancel(): void {
    this.#cancelled = true;
    this.#closed = true;
    this.#items = [];
    this.#head = 0;
    for (const taker of this.#takers.splice(0)) taker(DONE);
    for (const putter of this.#putters.splice(0)) putter.resolve();
    this.#held?.();
    this.#held = undefined;
    this.#notifyRoom();
  }

  #notifyRoom(): void {
    if (this.#waitRoom.length === 0 || !this.hasRoom) return;
    for (const resolve of this.#waitRoom.splice(0)) resolve();
  }
}
