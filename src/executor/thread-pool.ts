/**
 * The process's shared worker-thread pools: one per worker configuration that must differ
 * between threads (entry file, Node flags, resource limits). A pool starts no thread until a
 * task arrives, grows to the largest size asked of it, and ends a thread once it has been idle
 * for the idle timeout. Idle threads never keep the process alive (piscina unrefs them), so a
 * script ends after its last map without closing anything.
 */
import type { TransferListItem } from "node:worker_threads";
import type { Piscina } from "piscina";
import { piscina } from "../_internal/piscina.ts";
import { InvalidOptionError } from "../errors.ts";
import { workerExecArgv, workerFile } from "./worker-runtime.ts";

/** What every thread of one pool shares. Two requests with equal configurations share a pool. */
export interface PoolConfig {
  /** URL of the worker entry. */
  readonly filename: string;
  readonly execArgv: readonly string[];
  /** Node's `Worker` `resourceLimits`, in megabytes. */
  readonly resourceLimits?: Readonly<Record<string, number | undefined>>;
}

/**
 * The configuration of pipeweave's threads: the one entry that runs map chunks and stream
 * attempts alike, so map calls and stream runs share a pool.
 *
 * @param resourceLimits - Node's `Worker` `resourceLimits`, in megabytes, when any.
 */
export function poolConfig(resourceLimits?: PoolConfig["resourceLimits"]): PoolConfig {
  const filename = workerFile(import.meta.url, "pool-worker");
  return {
    filename,
    execArgv: workerExecArgv(filename),
    ...(resourceLimits ? { resourceLimits: { ...resourceLimits } } : {}),
  };
}

/** Settings of every shared pool. */
export interface SharedPoolSettings {
  /**
   * How long a thread of a shared pool may sit idle before it ends, in milliseconds. Threads
   * that end are started again (and load their modules again) by the next task that needs
   * them. `Infinity` keeps them for the process's life (they still do not keep it alive).
   *
   * @defaultValue `30_000`
   */
  readonly idleTimeoutMs?: number;
}

/** The idle timeout of shared threads when none is configured. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

let idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS;
const pools = new Map<string, SharedPool>();
/** Instances replaced (the pool grew, was reconfigured or closed), until their threads end. */
const retiring = new Set<Instance>();

/** One piscina instance of a pool and the tasks it still holds (queued or running). */
interface Instance {
  readonly piscina: Piscina;
  tasks: number;
  isRetired: boolean;
  /** Resolved once a retired instance's threads have ended. */
  readonly ended: Promise<void>;
  readonly end: () => void;
}

/**
 * One configuration's pool. Piscina fixes a pool's size and idle timeout when it is made, so
 * growing or reconfiguring replaces the instance: the old one keeps every task it was given
 * (queued or running) and ends its threads once the last is done.
 */
class SharedPool {
  readonly #config: PoolConfig;
  #current: Instance | undefined;
  #size = 0;

  constructor(config: PoolConfig) {
    this.#config = config;
  }

  /** Runs a task on the pool, grown to at least `threads` threads first. */
  async run<R>(threads: number, task: unknown, options: RunOptions): Promise<R> {
    const instance = this.#instance(threads);
    instance.tasks++;
    try {
      const { signal, transferList } = options;
      return (await instance.piscina.run(task, {
        ...(signal ? { signal } : {}),
        ...(transferList ? { transferList: [...transferList] } : {}),
      })) as R;
    } finally {
      instance.tasks--;
      if (instance.isRetired && instance.tasks === 0) instance.end();
    }
  }

  #instance(threads: number): Instance {
    if (this.#current && this.#size >= threads) return this.#current;
    this.retire();
    this.#size = Math.max(this.#size, threads);
    const { filename, execArgv, resourceLimits } = this.#config;
    const pool = new (piscina().Piscina)({
      filename,
      execArgv: [...execArgv],
      // No thread until a task needs one; each task that finds none free starts one, up to
      // the size, so a pool grows to what is asked of it at once and no further.
      minThreads: 0,
      maxThreads: this.#size,
      idleTimeout: idleTimeoutMs,
      ...(resourceLimits ? { resourceLimits: { ...resourceLimits } } : {}),
    });
    let end = () => {};
    const ended = new Promise<void>((resolve) => {
      end = () => {
        pool.destroy().then(resolve, resolve);
      };
    });
    this.#current = { piscina: pool, tasks: 0, isRetired: false, ended, end };
    return this.#current;
  }

  /** Lets the current instance finish its tasks and end; the next task makes a new one. */
  retire(): void {
    const old = this.#current;
    if (!old) return;
    this.#current = undefined;
    old.isRetired = true;
    retiring.add(old);
    void old.ended.then(() => retiring.delete(old));
    if (old.tasks === 0) old.end();
  }
}

/** What a task may be posted with. */
export interface RunOptions {
  readonly signal?: AbortSignal;
  /** Objects moved to the thread with the task rather than copied (ports, buffers). */
  readonly transferList?: readonly TransferListItem[] | undefined;
}

const keyOf = (config: PoolConfig) =>
  JSON.stringify([config.filename, config.execArgv, config.resourceLimits ?? null]);

/** A way to run tasks on the shared pool of one configuration. */
export interface SharedPoolHandle {
  /**
   * Runs a task on the pool, grown to at least `threads` threads first.
   *
   * @returns What the worker entry returned.
   */
  run<R>(threads: number, task: unknown, options?: RunOptions): Promise<R>;
}

/**
 * The shared pool for `config`. Nothing starts until the first task; the pool is looked up
 * for each task, so a handle keeps working after {@link closeSharedPools}.
 */
export function sharedPool(config: PoolConfig): SharedPoolHandle {
  const key = keyOf(config);
  return {
    run: (threads, task, options = {}) => {
      let pool = pools.get(key);
      if (!pool) {
        pool = new SharedPool(config);
        pools.set(key, pool);
      }
      return pool.run(threads, task, options);
    },
  };
}

/**
 * Sets how every shared pool treats idle threads. Pools made before go on with their running
 * tasks and then end; the next task starts a pool with the new settings.
 *
 * @throws InvalidOptionError when `idleTimeoutMs` is not a number from 0 up.
 */
export function configureSharedPools(settings: SharedPoolSettings): void {
  const ms = settings.idleTimeoutMs;
  if (ms === undefined) return;
  if (typeof ms !== "number" || Number.isNaN(ms) || ms < 0) {
    throw new InvalidOptionError(
      "idleTimeoutMs",
      `Expected \`idleTimeoutMs\` to be a number of milliseconds from 0 up (Infinity keeps ` +
        `idle threads), got \`${String(ms)}\` (${typeof ms}).`,
    );
  }
  // Timers take at most 2^31 - 1 ms (a longer one fires at once): longer is for ever.
  idleTimeoutMs = ms > 2 ** 31 - 1 ? Number.POSITIVE_INFINITY : ms;
  for (const pool of pools.values()) pool.retire();
}

/**
 * Ends every shared thread once the tasks already given to it are done; the next task starts
 * a fresh pool. Resolves when the threads have exited.
 */
export async function closeSharedPools(): Promise<void> {
  for (const pool of pools.values()) pool.retire();
  pools.clear();
  await Promise.all([...retiring].map((instance) => instance.ended));
}
