/**
 * Which elements of a running function are settled (stored, masked or failed), so a function
 * reading them element by element can start on each as soon as it is, instead of waiting for
 * the whole function (see the scheduler).
 */
export class Readiness {
  readonly #settled: Uint8Array;
  readonly #waiters = new Map<number, () => void>();
  readonly #signal: AbortSignal;

  /**
   * @param size - Elements of the function.
   * @param signal - The run's signal: an abort wakes every waiter (the run is stopping).
   */
  constructor(size: number, signal: AbortSignal) {
    this.#settled = new Uint8Array(size);
    this.#signal = signal;
    signal.addEventListener("abort", () => this.#wakeAll(), { once: true });
  }

  isSettled(e: number): boolean {
    return this.#settled[e] === 1;
  }

  settle(e: number): void {
    this.#settled[e] = 1;
    const wake = this.#waiters.get(e);
    if (wake) {
      this.#waiters.delete(e);
      wake();
    }
  }

  /** Resolves once element `e` is settled, or the run stops. */
  wait(e: number): Promise<void> {
    if (this.#settled[e] === 1 || this.#signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const before = this.#waiters.get(e);
      this.#waiters.set(
        e,
        before
          ? () => {
              before();
              resolve();
            }
          : resolve,
      );
    });
  }

  #wakeAll(): void {
    for (const wake of this.#waiters.values()) wake();
    this.#waiters.clear();
  }
}
