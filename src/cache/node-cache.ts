import { serialize } from "node:v8";
import { setOwn } from "../_internal/own.ts";
import { unstorable } from "../_internal/storable.ts";
import { CacheValueError, InvalidOptionError } from "../errors.ts";
import { NO_VALUE } from "../executor/invoke.ts";
import { isThenable } from "../graph/engine.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import { UncopyableValue } from "./copy.ts";
import { callKey, identityOf } from "./key.ts";
import { type CacheOptions, createStore } from "./options.ts";
import { CACHE_MISS, CACHE_SKIPPED_WARNING, type CacheStats, type CacheStore } from "./store.ts";
import { isCacheUnavailable } from "./unavailable.ts";

/**
 * A pipeline's cache: the store (opened on first use), hit and miss counts, and calls through
 * it. Shared by `run`, `runAll` and `map`.
 */
export class NodeCache {
  readonly #options: CacheOptions;
  #store: CacheStore | undefined;
  #hits = 0;
  #misses = 0;
  /** Functions told that a result of theirs was not cached (see #skip). */
  readonly #skipped = new Set<string>();

  /** @param options - Which store; it is opened on first use. */
  constructor(options: CacheOptions) {
    this.#options = options;
    // Made now, so a wrong option fails when the pipeline is made, not on first use (a Redis
    // store connects on its first command).
    this.#store = createStore(options);
  }

  get store(): CacheStore {
    this.#store ??= createStore(this.#options);
    return this.#store;
  }

  /**
   * The key of a call of `f`. Graph runs and sweeps key a call alike, so they share entries.
   *
   * @param values - The arguments in `f.call.params` order.
   * @throws {@link CacheKeyError} naming the node and an argument without a stable form.
   */
  key(f: AnyPipeFunc, values: readonly unknown[]): string {
    const args: Record<string, unknown> = {};
    const params = f.call.params;
    for (let i = 0; i < params.length; i++) {
      // An argument left to the function's own default is keyed as absent.
      if (values[i] !== NO_VALUE) setOwn(args, params[i]!.arg, values[i]);
    }
    return callKey(f.name, identityOf(f), f.cacheKey ? { cacheKey: f.cacheKey(args) } : args);
  }

  /** The cached value or CACHE_MISS, counting the hit or miss. */
  lookup(key: string): unknown {
    const found = this.store.get(key);
    if (isThenable(found)) return Promise.resolve(found).then((v) => this.#count(v));
    return this.#count(found);
  }

  #count(found: unknown): unknown {
    if (found === CACHE_MISS) this.#misses++;
    else this.#hits++;
    return found;
  }

  /**
   * Stores a computed value.
   *
   * @throws {@link CacheValueError} naming the node when the store cannot keep the value.
   */
  save(f: AnyPipeFunc, key: string, value: unknown, computeMs: number): void | Promise<void> {
    if (this.store.serializes) {
      // A value v8 cannot serialize at all (a function) goes on to the store, which refuses it.
      const changed = unstorable(value, "result");
      if (changed !== undefined && serializes(value)) return this.#skip(f, changed);
    }
    const fail = (error: unknown): never => {
      // Redis being away is not about the value; the error says so itself.
      if (isCacheUnavailable(error)) throw error;
      const reason =
        error instanceof UncopyableValue
          ? `${error.path === "" ? "it" : `\`${error.path}\``} is ${error.what}, which the ` +
            "cache cannot copy (a hit must never share a mutable object with its caller)"
          : (error as Error).message.replace(/\.$/, "");
      throw new CacheValueError(f.name, this.store.type, reason, error);
    };
    try {
      const pending = this.store.set(key, value, computeMs);
      return isThenable(pending) ? Promise.resolve(pending).then(undefined, fail) : undefined;
    } catch (error) {
      return fail(error);
    }
  }

  /**
   * Leaves a result uncached that the store would give back changed, saying so once per
   * function: a plain object on a later hit where this call returned a class instance would
   * be a silent wrong result, and refusing would fail everyday code (a fitted model).
   */
  #skip(f: AnyPipeFunc, changed: string): void {
    if (this.#skipped.has(f.name)) return;
    this.#skipped.add(f.name);
    process.emitWarning(
      `Results of "${f.name}" are not kept in the ${this.store.type} cache: ${changed}, ` +
        "and a hit must return what the call did. Return plain data to cache them there, or " +
        'use cache: { type: "lru" } (memory stores copy class instances).',
      { type: "PipeweaveWarning", code: CACHE_SKIPPED_WARNING },
    );
  }

  /**
   * Calls `compute` unless the cache has the result; stores what it computes.
   *
   * @param values - The arguments in `f.call.params` order.
   * @param sync - The caller cannot wait: an asynchronous store is an error.
   */
  call(f: AnyPipeFunc, values: readonly unknown[], compute: () => unknown, sync: boolean): unknown {
    const key = this.key(f, values);
    const found = this.lookup(key);
    if (isThenable(found)) {
      if (sync) {
        Promise.resolve(found).catch(() => {});
        throw new InvalidOptionError(
          "cache",
          `"${f.name}" is cached in a ${this.store.type} cache, which answers asynchronously: ` +
            "use run() or runAll() instead of runSync().",
        );
      }
      return Promise.resolve(found).then((v) =>
        v === CACHE_MISS ? this.#compute(f, key, compute) : v,
      );
    }
    return found === CACHE_MISS ? this.#compute(f, key, compute) : found;
  }

  #compute(f: AnyPipeFunc, key: string, compute: () => unknown): unknown {
    const started = performance.now();
    const result = compute();
    const store = (value: unknown) => {
      const pending = this.save(f, key, value, performance.now() - started);
      return pending ? pending.then(() => value) : value;
    };
    return isThenable(result) ? Promise.resolve(result).then(store) : store(result);
  }

  async stats(): Promise<CacheStats> {
    return { hits: this.#hits, misses: this.#misses, size: await this.store.size() };
  }

  async clear(): Promise<void> {
    await this.store.clear();
    this.#hits = 0;
    this.#misses = 0;
  }

  async close(): Promise<void> {
    await this.#store?.close?.();
    this.#store = undefined;
  }
}

function serializes(value: unknown): boolean {
  try {
    serialize(value);
    return true;
  } catch {
    return false;
  }
}
