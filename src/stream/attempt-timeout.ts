import { StageTimeoutError } from "../errors.ts";

/**
 * The controllers of one worker's attempts that run under `timeoutMs`. Cancelling the stream
 * aborts them from one hook per worker instead of one listener per attempt on the stream's
 * signal: a listener per attempt is left behind by every attempt whose promise never settles,
 * and each further `addEventListener` on that signal costs more than the last.
 */
export class TimedAttempts {
  readonly #live = new Set<AbortController>();
  readonly #stage: string;
  readonly #ms: number;

  /**
   * @param stage - The stage's name, for the timeout error.
   * @param ms - Its `timeoutMs`.
   */
  constructor(stage: string, ms: number) {
    this.#stage = stage;
    this.#ms = ms;
  }

  /** Aborts every attempt still running, with the stream's reason. */
  abortAll(reason: unknown): void {
    for (const controller of this.#live) controller.abort(reason);
    this.#live.clear();
  }

  /**
   * Settles like `value`, or rejects with a {@link StageTimeoutError} after `timeoutMs` and
   * aborts `controller`. An attempt started after the stream was cancelled is aborted at once.
   */
  race(
    value: PromiseLike<unknown>,
    controller: AbortController,
    attempt: number,
    stream: AbortSignal,
  ): Promise<unknown> {
    if (stream.aborted) controller.abort(stream.reason);
    else this.#live.add(controller);
    return new Promise((resolve, reject) => {
      new Race(this.#live, this.#stage, this.#ms, attempt, controller, resolve, reject).watch(
        value,
      );
    });
  }
}

/**
 * One attempt against its timer. Whichever comes first settles it and drops every reference
 * it holds, so a handler promise that never settles (yet stays reachable, say from a hung
 * socket) keeps only this emptied object alive, not the attempt's item, timer or controller.
 */
class Race {
  #live: Set<AbortController> | undefined;
  #controller: AbortController | undefined;
  #resolve: ((value: unknown) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    live: Set<AbortController>,
    stage: string,
    ms: number,
    attempt: number,
    controller: AbortController,
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
  ) {
    this.#live = live;
    this.#controller = controller;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#timer = setTimeout(() => {
      const error = new StageTimeoutError(stage, ms, attempt);
      const abort = this.#controller;
      const fail = this.#reject;
      this.#clear();
      abort?.abort(error);
      fail?.(error);
    }, ms);
  }

  watch(value: PromiseLike<unknown>): void {
    // A late rejection after the timeout lands here too, so it is never unhandled.
    Promise.resolve(value).then(
      (v) => {
        const resolve = this.#resolve;
        this.#clear();
        resolve?.(v);
      },
      (error: unknown) => {
        const reject = this.#reject;
        this.#clear();
        reject?.(error);
      },
    );
  }

  #clear(): void {
    clearTimeout(this.#timer);
    if (this.#controller) this.#live?.delete(this.#controller);
    this.#live = undefined;
    this.#controller = undefined;
    this.#resolve = undefined;
    this.#reject = undefined;
    this.#timer = undefined;
  }
}
