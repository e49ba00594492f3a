import { BatchResultError, InvalidArgumentError, InvalidOptionError } from "../errors.ts";
import { type Channel, DONE, EMPTY } from "./channel.ts";
import type { StageTally } from "./monitor.ts";
import { Err, isErr, isOkWrapper } from "./result.ts";
import type { Call, RunControl } from "./run-stage.ts";
import { SKIP } from "./skip.ts";
import type { Stage } from "./stage.ts";

/** Options of {@link batch}. */
export interface BatchOptions {
  /** Items per batch: a batch goes out as soon as it has this many. */
  readonly size: number;
  /**
   * Longest wait, from a batch's first item, before it goes out partial. Without it a batch
   * waits until it is full (or the stream ends). @defaultValue none
   */
  readonly maxWaitMs?: number;
  /** Items that may wait in front of the stage. @defaultValue 1 */
  readonly buffer?: number;
  /** Name in errors and summaries. @defaultValue `"batch"` */
  readonly name?: string;
}

/** Options of {@link unbatch}. */
export interface UnbatchOptions {
  /** Arrays that may wait in front of the stage. @defaultValue 1 */
  readonly buffer?: number;
  /** Name in errors and summaries. @defaultValue `"unbatch"` */
  readonly name?: string;
}

const TIMEOUT: unique symbol = Symbol("timeout");

function checkBuffer(buffer: unknown, what: string): number {
  if (typeof buffer !== "number" || !Number.isInteger(buffer) || buffer < 0) {
    throw new InvalidOptionError(
      "buffer",
      `Expected \`buffer\` of ${what} to be an integer from 0 up, got \`${String(buffer)}\` ` +
        `(${typeof buffer}).`,
    );
  }
  return buffer;
}

function plainOptions(name: string, buffer: number): Stage<never, unknown>["options"] {
  return {
    name,
    workers: 1,
    buffer,
    retries: 1,
    timeoutMs: undefined,
    ordered: true,
    threads: false,
    batched: false,
  };
}

/**
 * A stage that groups items into arrays of `size`: a batch goes out when it is full, or
 * partial once its first item has waited `maxWaitMs`, and the rest goes out when the stream
 * ends. Items keep their order. `Err`s of earlier stages are passed on at once, alone, not
 * put in a batch. A full downstream makes it wait, so backpressure holds across it.
 *
 * @param options - `size`, `maxWaitMs`, `buffer`, `name`.
 * @returns The stage, for `pipe()`.
 * @throws InvalidOptionError when `size` is not an integer from 1 up or `maxWaitMs` not a
 *   positive number.
 * @example
 * ```ts
 * await stream(rows)
 *   .pipe(batch({ size: 100, maxWaitMs: 50 }), pool({ batched: true }, insertRows), unbatch())
 *   .run();
 * ```
 */
export function batch<T>(options: BatchOptions): Stage<T, T[]> {
  const { size, maxWaitMs, buffer = 1, name = "batch" } = options;
  if (typeof size !== "number" || !Number.isInteger(size) || size < 1) {
    throw new InvalidOptionError(
      "size",
      `Expected \`size\` of batch() to be an integer from 1 up, got \`${String(size)}\` ` +
        `(${typeof size}).`,
    );
  }
  if (
    maxWaitMs !== undefined &&
    !(typeof maxWaitMs === "number" && Number.isFinite(maxWaitMs) && maxWaitMs > 0)
  ) {
    throw new InvalidOptionError(
      "maxWaitMs",
      `Expected \`maxWaitMs\` of batch() to be a positive number of milliseconds, got ` +
        `\`${String(maxWaitMs)}\` (${typeof maxWaitMs}).`,
    );
  }
  return {
    options: plainOptions(name, checkBuffer(buffer, "batch()")),
    work: { kind: "batch", size, maxWaitMs },
  };
}

/**
 * A stage that puts out each element of the arrays it takes, in order: the opposite of
 * {@link batch}, and the way to flatten what a `batched: true` stage puts out. `Err`s, alone
 * or inside an array, are passed on as `Err`s.
 *
 * @param options - `buffer`, `name`.
 * @returns The stage, for `pipe()`.
 * @example
 * ```ts
 * await stream([[1, 2], [3]]).pipe(unbatch<number>()).toArray(); // [1, 2, 3]
 * ```
 */
export function unbatch<T>(options: UnbatchOptions = {}): Stage<readonly T[], T> {
  const { buffer = 1, name = "unbatch" } = options;
  return {
    options: plainOptions(name, checkBuffer(buffer, "unbatch()")),
    work: { kind: "unbatch" },
  };
}

/** Runs a batch stage: one loop, since a batch's order is its items' order. */
export async function batchLoop(
  size: number,
  maxWaitMs: number | undefined,
  input: Channel<unknown>,
  output: Channel<unknown>,
  control: RunControl,
  tally: StageTally | undefined,
): Promise<void> {
  let items: unknown[] = [];
  // A take that lost the race with the timer is kept for the next round: it still gets the
  // next item, which must not be lost.
  let pending: Promise<unknown> | undefined;
  let deadline: Promise<typeof TIMEOUT> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stopTimer = () => {
    clearTimeout(timer);
    timer = undefined;
    deadline = undefined;
  };
  control.onCancel(stopTimer);
  const emit = async (value: unknown) => {
    if (tally) {
      tally.busy++;
      tally.out++;
    }
    if (!output.tryPut(value)) await output.put(value);
    if (tally) tally.busy--;
  };
  const flush = async () => {
    stopTimer();
    const full = items;
    items = [];
    await emit(full);
  };
  try {
    for (;;) {
      let item: unknown = pending ? EMPTY : input.tryTake();
      if (item === EMPTY) {
        pending ??= input.take();
        item = deadline ? await Promise.race([pending, deadline]) : await pending;
        if (item === TIMEOUT) {
          await flush();
          continue;
        }
        pending = undefined;
      }
      if (item === DONE) {
        if (items.length > 0 && !control.signal.aborted) await flush();
        return;
      }
      if (tally) tally.in++;
      if (isErr(item)) {
        if (tally) tally.passed++;
        if (!output.tryPut(item)) await output.put(item);
        continue;
      }
      items.push(item);
      if (items.length >= size) await flush();
      else if (items.length === 1 && maxWaitMs !== undefined) {
        deadline = new Promise((resolve) => {
          timer = setTimeout(() => resolve(TIMEOUT), maxWaitMs);
        });
      }
    }
  } finally {
    stopTimer();
  }
}

/** Runs an unbatch stage. */
export async function unbatchLoop(
  input: Channel<unknown>,
  output: Channel<unknown>,
  tally: StageTally | undefined,
): Promise<void> {
  for (;;) {
    let item = input.tryTake();
    if (item === EMPTY) item = await input.take();
    if (item === DONE) return;
    if (tally) tally.in++;
    if (!Array.isArray(item)) {
      // An Err passes; anything else was not a batch, and goes on as it is.
      if (tally) {
        if (isErr(item)) tally.passed++;
        else tally.out++;
      }
      if (!output.tryPut(item)) await output.put(item);
      continue;
    }
    for (const value of item) {
      if (tally) {
        if (isErr(value)) tally.passed++;
        else tally.out++;
      }
      if (!output.tryPut(value)) await output.put(value);
    }
  }
}

/**
 * A `batched: true` worker's call: the handler's attempts take the whole batch, and what
 * they give is spread over its items, one result each.
 */
export function batchedCall(call: Call, name: string, tally: StageTally | undefined): Call {
  const spread = (batch: readonly unknown[], value: unknown): unknown => {
    if (value === SKIP) return SKIP;
    if (isErr(value)) {
      const { error, attempts } = value;
      return batch.map((item) => Err(error, { item, stage: name, attempts: attempts ?? 1 }));
    }
    if (!Array.isArray(value) || value.length !== batch.length) {
      const error = new BatchResultError(
        name,
        batch.length,
        Array.isArray(value) ? value.length : -1,
      );
      return batch.map((item) => Err(error, { item, stage: name, attempts: 1 }));
    }
    const out: unknown[] = [];
    for (let k = 0; k < batch.length; k++) {
      const v = value[k];
      if (v === SKIP) {
        // Dropped here, so the monitor counts it here: the array it leaves holds no trace.
        if (tally) tally.skipped++;
        continue;
      }
      if (isOkWrapper(v)) out.push(v.value);
      else if (isErr(v) && v.stage === undefined) {
        out.push(Err(v.error, { item: batch[k], stage: name, attempts: 1, ...v }));
      } else out.push(v);
    }
    return out;
  };
  return (batch) => {
    if (!Array.isArray(batch)) {
      return Err(
        new InvalidArgumentError(
          "item",
          `Stage "${name}" (batched: true) takes arrays of items, got ${typeof batch}. Put ` +
            "batch({ size }) before it.",
        ),
        { item: batch, stage: name, attempts: 0 },
      );
    }
    const out = call(batch);
    return typeof (out as { then?: unknown } | null)?.then === "function"
      ? (out as PromiseLike<unknown>).then((v) => spread(batch, v))
      : spread(batch, out);
  };
}
