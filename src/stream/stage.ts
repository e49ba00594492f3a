import { InvalidArgumentError, InvalidOptionError, UndeclaredHandlerError } from "../errors.ts";
import { type BackoffOptions, type ResolvedBackoff, resolveBackoff } from "./backoff.ts";
import { type BreakerOptions, type ResolvedBreaker, resolveBreaker } from "./breaker.ts";
import { handlerReference } from "./define-handler.ts";
import { RateLimiter, type RateOptions, resolveRate } from "./rate-limit.ts";
import {
  type RedisStageOptions,
  type ResolvedRedisStage,
  resolveRedisStage,
} from "./redis-stage.ts";
import type { Err, Result } from "./result.ts";
import type { Skip } from "./skip.ts";
import type { WorkerState } from "./worker-state.ts";

/** What a handler gets besides its item and state. */
export interface AttemptContext {
  /** Aborted when the attempt times out (`timeoutMs`) or the stream is cancelled. */
  readonly signal: AbortSignal;
  /** This attempt's number, from 1. */
  readonly attempt: number;
}

/**
 * A stage's function: one item in, one value out (or a promise of one). Throwing (or
 * rejecting) retries the item up to `retries` attempts in all; returning `SKIP` drops it;
 * returning `Err(...)` fails it at once.
 */
export type Handler<I, O> = (
  item: I,
  state: WorkerState,
  context: AttemptContext,
) => O | Skip | Err | Result<O> | PromiseLike<O | Skip | Err | Result<O>>;

/** Options of {@link pool}, {@link mix} and {@link fork}. */
export interface PoolOptions {
  /** Name in errors and summaries. @defaultValue the handler's name, else `stage <n>` */
  readonly name?: string;
  /** Items handled at once, each by its own worker with its own `WorkerState`. @defaultValue 1 */
  readonly workers?: number;
  /**
   * Items that may wait in front of the stage. A full buffer makes the previous stage (or the
   * source) wait: memory stays bounded whatever the speeds. @defaultValue 1
   */
  readonly buffer?: number;
  /** Attempts per item in all (1 = no retry). @defaultValue 1 */
  readonly retries?: number;
  /** Milliseconds per attempt before it counts as failed (its `signal` aborts). @defaultValue none */
  readonly timeoutMs?: number;
  /**
   * Emit items in the order they came in, even when later ones finish first. A worker whose
   * item is done early waits for its turn, so no more than `workers` items are held.
   * @defaultValue false
   */
  readonly ordered?: boolean;
  /**
   * Run the handler on worker threads, `workers` attempts at once, on the process's shared
   * pool (the one `map` uses: started on first use, kept warm between runs, idle threads ended
   * after `ThreadExecutor.configureShared`'s timeout). The handler must be declared with
   * `defineHandler` so each thread can import it; items and results cross threads by
   * structured clone, and each thread keeps its own `WorkerState` for the run. Retries and
   * `timeoutMs` work as usual; a timed-out attempt ends its thread (a fresh one takes its
   * place), so inside a thread `context.signal` never aborts.
   * @defaultValue false
   */
  readonly threads?: boolean;
  /**
   * Send every item to `workers` copies of the handler (each with its own state) and combine
   * their results with this function, as {@link fork} does. @defaultValue none
   */
  readonly fork?: (results: readonly unknown[]) => unknown;
  /**
   * Wait between retries, growing from `initialMs` by `factor` up to `maxMs`, with jitter;
   * see {@link BackoffOptions}. `{}` takes every default. Cancelling the stream ends a wait at
   * once. @defaultValue none: a retry starts at once
   */
  readonly backoff?: BackoffOptions;
  /**
   * Whether a failed attempt is worth another: `(error, attempt) => boolean`, `attempt` being
   * the one that failed (from 1). False makes the item an `Err` at once, whatever `retries`
   * says (a 404 will not heal). @defaultValue every failure is retried
   */
  readonly retryIf?: (error: unknown, attempt: number) => boolean;
  /**
   * At most `perSecond` attempts a second, `burst` at once, over all the stage's workers: a
   * `{ perSecond, burst }` of the stage's own (one bucket per run), or a {@link RateLimiter}
   * from `rateLimiter()` that several stages or streams share. Each attempt (retries too)
   * takes a token just before its handler is called. @defaultValue none
   */
  readonly rate?: RateOptions | RateLimiter;
  /**
   * A circuit breaker over the stage's failed attempts; see {@link BreakerOptions}. An open
   * circuit fails items at once with a `CircuitOpenError` in their `Err`. @defaultValue none
   */
  readonly breaker?: BreakerOptions;
  /**
   * The handler takes a whole batch (an array from `batch()`) and returns an array with one
   * result per item, in order: a value, an `Err` (that item fails) or `SKIP` (that item is
   * dropped). The stage puts out arrays of the items' results, `Err`s with their item and
   * stage filled in; `unbatch()` flattens them. A throw fails the batch's attempt (it is
   * retried as a whole); once the retries are spent, every item is an `Err`.
   * @defaultValue false
   */
  readonly batched?: boolean;
  /**
   * Run the handler on `pipeweave worker <module>#<handler>` processes through BullMQ: each
   * attempt is a job on `queue`, `workers` jobs out at once at most (so backpressure holds
   * end to end), with the same contract as `threads: true` (the handler declared with
   * `defineHandler`, a `WorkerState` per worker process and run, items and results
   * v8-serialised). Retries, `timeoutMs`, `ordered`, `rate` and `breaker` work on this side
   * as usual. A worker killed mid-item loses its job's lock and BullMQ gives the job to
   * another worker (after the workers' `--lock-duration`), so every item comes out once.
   * @defaultValue none: the handler runs in this process
   */
  readonly redis?: RedisStageOptions;
}

/** A stage's settled options. */
export interface ResolvedPoolOptions {
  readonly name: string | undefined;
  readonly workers: number;
  readonly buffer: number;
  readonly retries: number;
  readonly timeoutMs: number | undefined;
  readonly ordered: boolean;
  readonly threads: boolean;
  readonly backoff?: ResolvedBackoff;
  readonly retryIf?: (error: unknown, attempt: number) => boolean;
  /** A shared limiter, or a rate for a bucket of each run's own. */
  readonly rate?: RateLimiter | { readonly perSecond: number; readonly burst: number };
  readonly breaker?: ResolvedBreaker;
  readonly batched: boolean;
  readonly redis?: ResolvedRedisStage;
}

/** How a stage's worker turns an item into a value. */
export type StageKind =
  | { readonly kind: "pool"; readonly handler: Handler<unknown, unknown> }
  | { readonly kind: "mix"; readonly handlers: readonly Handler<unknown, unknown>[] }
  | {
      readonly kind: "fork";
      readonly handlers: readonly Handler<unknown, unknown>[];
      readonly merge: (results: readonly unknown[]) => unknown;
    }
  | { readonly kind: "batch"; readonly size: number; readonly maxWaitMs: number | undefined }
  | { readonly kind: "unbatch" };

const IN: unique symbol = Symbol("in");
const OUT: unique symbol = Symbol("out");

/**
 * One step of a stream, made by {@link pool}, {@link mix} or {@link fork}: items of type `I`
 * in, `O` out. A stage is a description; every run of a stream starts its own workers.
 */
export interface Stage<I, O> {
  /** Phantom types of the items in and out; never set. */
  readonly [IN]?: (item: I) => void;
  readonly [OUT]?: O;
  readonly options: ResolvedPoolOptions;
  readonly work: StageKind;
}

/** Any stage, for `pipe(...stages)` lists. */
export type AnyStage = Stage<never, unknown>;

/**
 * Tells whether a value is a stage made by {@link pool}, {@link mix} or {@link fork}.
 *
 * @param value - Anything.
 * @returns True for stages.
 */
export function isStage(value: unknown): value is AnyStage {
  if (typeof value !== "object" || value === null) return false;
  const { options, work } = value as Partial<Stage<never, unknown>>;
  return (
    typeof options === "object" &&
    options !== null &&
    typeof work === "object" &&
    work !== null &&
    (work.kind === "pool" ||
      work.kind === "mix" ||
      work.kind === "fork" ||
      work.kind === "batch" ||
      work.kind === "unbatch")
  );
}

/** A handler as `mix` and `fork` take it. */
export type StageFunction<I> = (item: I, state: WorkerState, context: AttemptContext) => unknown;

/** The return type of a function type. */
type ReturnOf<F> = F extends (...args: never[]) => infer R ? R : never;

/** The item type every handler of `H` accepts: the intersection of their first parameters. */
export type ItemOf<H extends readonly StageFunction<never>[]> = {
  [K in keyof H]: (
    item: H[K] extends (item: infer I, ...rest: never[]) => unknown ? I : never,
  ) => void;
}[number] extends (item: infer I) => void
  ? I
  : never;

/** What a handler's promise resolves to, without SKIP, Err or the Ok wrapper. */
export type HandlerOutput<R> =
  Awaited<R> extends infer V
    ? V extends Skip | Err
      ? never
      : V extends Result<infer T>
        ? T
        : V
    : never;

const DEFAULTS = Object.freeze({
  workers: 1,
  buffer: 1,
  retries: 1,
  ordered: false,
  threads: false,
  batched: false,
});

function resolveOptions(options: PoolOptions, what: string): ResolvedPoolOptions {
  const merged = { ...DEFAULTS, ...options };
  const count = (key: "workers" | "buffer" | "retries", min: number, value: unknown): number => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      throw new InvalidOptionError(
        key,
        `Expected \`${key}\` of ${what} to be an integer from ${min} up, got \`${String(value)}\` ` +
          `(${typeof value}).`,
      );
    }
    return value;
  };
  if (
    merged.timeoutMs !== undefined &&
    !(typeof merged.timeoutMs === "number" && merged.timeoutMs > 0)
  ) {
    throw new InvalidOptionError(
      "timeoutMs",
      `Expected \`timeoutMs\` of ${what} to be a positive number of milliseconds, got ` +
        `\`${String(merged.timeoutMs)}\` (${typeof merged.timeoutMs}).`,
    );
  }
  if (merged.retryIf !== undefined && typeof merged.retryIf !== "function") {
    throw new InvalidOptionError(
      "retryIf",
      `Expected \`retryIf\` of ${what} to be a function (error, attempt) => boolean, got ` +
        `${typeof merged.retryIf}.`,
    );
  }
  const { rate } = merged;
  if (merged.redis !== undefined && merged.threads) {
    throw new InvalidOptionError(
      "redis",
      `${what} cannot take both \`threads: true\` and \`redis\`: a stage's handler runs on this ` +
        "machine's threads or on Redis workers. Keep one of them.",
    );
  }
  return {
    name: merged.name,
    workers: count("workers", 1, merged.workers),
    buffer: count("buffer", 0, merged.buffer),
    retries: count("retries", 1, merged.retries),
    timeoutMs: merged.timeoutMs,
    ordered: merged.ordered,
    threads: merged.threads,
    batched: merged.batched === true,
    ...(merged.backoff === undefined ? {} : { backoff: resolveBackoff(merged.backoff, what) }),
    ...(merged.retryIf === undefined ? {} : { retryIf: merged.retryIf }),
    ...(rate === undefined
      ? {}
      : { rate: rate instanceof RateLimiter ? rate : resolveRate(rate, what, "rate.") }),
    ...(merged.breaker === undefined ? {} : { breaker: resolveBreaker(merged.breaker, what) }),
    ...(merged.redis === undefined ? {} : { redis: resolveRedisStage(merged.redis) }),
  };
}

/** Threads load handlers by module reference, so each must have been declared. */
function checkDeclared(
  handlers: readonly unknown[],
  stage: string | undefined,
  options: ResolvedPoolOptions,
): void {
  for (const h of handlers) {
    if (!handlerReference(h as object)) {
      throw new UndeclaredHandlerError(
        stage ?? ((h as { name?: string }).name || "unnamed"),
        options.redis ? "Redis workers" : "threads",
      );
    }
  }
}

function batchedFork(what: string): InvalidOptionError {
  return new InvalidOptionError(
    "batched",
    `${what} cannot be \`batched\`: its merge combines one item's results. Batch the ` +
      "handlers' work inside one pool({ batched: true }) stage instead.",
  );
}

function checkHandler(handler: unknown, what: string): void {
  if (typeof handler !== "function") {
    throw new InvalidArgumentError(
      "handler",
      `Expected the handler of ${what} to be a function, got ${typeof handler}.`,
    );
  }
}

/**
 * A stage of `workers` copies of one handler sharing a bounded input buffer: pipevine's
 * `@work_pool`.
 *
 * @param options - Workers, buffer, retries, timeout, order, threads; see {@link PoolOptions}.
 * @param handler - `(item, state, { signal, attempt }) => value`, sync or async.
 * @returns The stage, for `stream(...).pipe(stage)`.
 * @throws TypeError when an option is out of range or the handler is not a function.
 * @throws UndeclaredHandlerError with `threads: true` when the handler was not declared with
 *   `defineHandler`.
 * @example
 * ```ts
 * const fetchAll = pool({ workers: 8, buffer: 16, retries: 3, timeoutMs: 5_000 }, (url: string, _s, { signal }) =>
 *   fetch(url, { signal }).then((r) => r.text()),
 * );
 * ```
 */
export function pool<I, R>(
  options: PoolOptions,
  handler: (item: I, state: WorkerState, context: AttemptContext) => R,
): Stage<I, HandlerOutput<R>> {
  const resolved = resolveOptions(options, "pool()");
  checkHandler(handler, "pool()");
  const named = {
    ...resolved,
    name: resolved.name ?? handlerReference(handler)?.name ?? (handler.name || undefined),
  };
  if (resolved.threads || resolved.redis) checkDeclared([handler], named.name, resolved);
  if (options.fork) {
    if (resolved.batched) throw batchedFork("pool({ fork })");
    return {
      options: { ...named, workers: 1 },
      work: {
        kind: "fork",
        handlers: Array.from({ length: resolved.workers }, () => handler as never),
        merge: options.fork,
      },
    };
  }
  return { options: named, work: { kind: "pool", handler: handler as never } };
}

/**
 * A stage whose workers run different handlers over one shared input buffer, one worker per
 * handler: each item goes to whichever is free (pipevine's `mix_pool`).
 *
 * @param options - As {@link pool}; `workers` is the number of handlers.
 * @param handlers - At least one handler.
 * @returns The stage.
 * @throws TypeError when `handlers` is empty or holds a non-function.
 * @example
 * ```ts
 * const mirrors = mix({ buffer: 8, retries: 2 }, [fromEurope, fromAmerica]);
 * ```
 */
export function mix<const H extends readonly StageFunction<never>[]>(
  options: Omit<PoolOptions, "workers" | "fork">,
  handlers: H,
): Stage<ItemOf<H>, HandlerOutput<ReturnOf<H[number]>>> {
  if (!Array.isArray(handlers) || handlers.length === 0) {
    throw new InvalidArgumentError(
      "handlers",
      "Expected mix() to get a non-empty array of handlers.",
    );
  }
  for (const h of handlers) checkHandler(h, "mix()");
  const resolved = resolveOptions({ ...options, workers: handlers.length }, "mix()");
  if (resolved.threads || resolved.redis) checkDeclared(handlers, resolved.name, resolved);
  return { options: resolved, work: { kind: "mix", handlers: handlers as never } };
}

/**
 * A stage that gives every item to all `handlers` at once and combines their results with
 * `merge`: pipevine's fork. If any handler fails (after its retries) the item is an `Err`.
 *
 * @param merge - Combines the handlers' results, in handler order.
 * @param handlers - At least one handler.
 * @param options - As {@link pool}; `workers` is the number of items in flight.
 * @returns The stage.
 * @throws TypeError when `handlers` is empty or `merge` is not a function.
 * @example
 * ```ts
 * const both = fork(([a, b]) => ({ ...a, ...b }), [lookupPrice, lookupStock]);
 * ```
 */
export function fork<const H extends readonly StageFunction<never>[], M>(
  merge: (results: { -readonly [K in keyof H]: HandlerOutput<ReturnOf<H[K]>> }) => M,
  handlers: H,
  options: Omit<PoolOptions, "fork"> = {},
): Stage<ItemOf<H>, Awaited<M>> {
  checkHandler(merge, "fork() (merge)");
  if (!Array.isArray(handlers) || handlers.length === 0) {
    throw new InvalidArgumentError(
      "handlers",
      "Expected fork() to get a non-empty array of handlers.",
    );
  }
  for (const h of handlers) checkHandler(h, "fork()");
  const resolved = resolveOptions(options, "fork()");
  if (resolved.batched) throw batchedFork("fork()");
  if (resolved.threads || resolved.redis) checkDeclared(handlers, resolved.name, resolved);
  return {
    options: resolved,
    work: { kind: "fork", handlers: handlers as never, merge: merge as never },
  };
}
