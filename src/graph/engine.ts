/**
 * The services compiled runners call: error wrapping, promise tracking, output splitting and
 * the instrumented call path (listeners, validation). Shared by every way of running a graph.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { hasField, isInheritedName, own, setOwn } from "../_internal/own.ts";
import type { NodeCache } from "../cache/node-cache.ts";
import { isCacheUnavailable } from "../cache/unavailable.ts";
import {
  AsyncInSyncRunError,
  CacheKeyError,
  NodeExecutionError,
  PipeweaveError,
  ValidationError,
} from "../errors.ts";
import { NO_VALUE } from "../executor/invoke.ts";
import type { RunnerEnv } from "./compile.ts";
import type { NodeCall, RunListener } from "./events.ts";
import { splitsResult } from "./pipe-func.ts";
import type { AnyPipeFunc } from "./types.ts";

/** Errors already wrapped for a node, so an outer frame never wraps them twice. */
const wrapped = new WeakSet<object>();
const noop = () => {};

function tag<E extends object>(error: E): E {
  wrapped.add(error);
  return error;
}

/** True for promises and other thenables. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value instanceof Promise ||
    (value !== null &&
      typeof value === "object" &&
      typeof (value as { then?: unknown }).then === "function")
  );
}

/** Arguments as the function received them, keyed by name (positional ones by input name). */
export function namedArguments(node: AnyPipeFunc, args: unknown): Record<string, unknown> {
  if (node.call.style === "object") return (args ?? {}) as Record<string, unknown>;
  const list = (args ?? []) as readonly unknown[];
  const out: Record<string, unknown> = {};
  node.inputs.forEach((name, i) => {
    setOwn(out, name, list[i]);
  });
  return out;
}

/** Arguments in `call.params` order, as `map` holds them. */
function argumentValues(node: AnyPipeFunc, args: unknown): readonly unknown[] {
  if (node.call.style === "positional") return args as readonly unknown[];
  const source = args as Record<string, unknown>;
  return node.call.params.map((p) => (Object.hasOwn(source, p.arg) ? source[p.arg] : NO_VALUE));
}

/** Arguments keyed by graph name (bound arguments left out), for listeners. */
function graphInputs(node: AnyPipeFunc, args: unknown): Record<string, unknown> {
  if (node.call.style === "positional") return namedArguments(node, args);
  const source = args as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const p of node.call.params) {
    if (Object.hasOwn(source, p.arg)) setOwn(out, p.graph, source[p.arg]);
  }
  return out;
}

/** Splits a function's returned value into its declared outputs, in order. */
export function splitOutputs(node: AnyPipeFunc, result: unknown): unknown[] {
  const { outputs, rawOutputs, outputPicker } = node.call;
  if (outputPicker) return outputs.map((name) => outputPicker(result, name));
  if (Array.isArray(result)) {
    if (result.length < outputs.length) {
      throw new TypeError(
        `returned an array of ${result.length} values for ${outputs.length} outputs ` +
          `(${outputs.join(", ")}); return one value per output`,
      );
    }
    return outputs.map((_, k) => result[k]);
  }
  if (result !== null && typeof result === "object") {
    const record = result as Record<string, unknown>;
    const absent = rawOutputs.filter((k) => !hasField(record, k));
    if (absent.length > 0) {
      throw new TypeError(
        `returned an object without ${absent.map((k) => `"${k}"`).join(", ")}; return a tuple ` +
          "or an object keyed by every output name, or pass outputPicker",
      );
    }
    return rawOutputs.map((k) => record[k]);
  }
  throw new TypeError(
    `returned ${String(result)} but declares ${outputs.length} outputs (${outputs.join(", ")}); ` +
      "return a tuple or an object keyed by the output names",
  );
}

/** Outputs by graph name, for listeners. */
function namedOutputs(node: AnyPipeFunc, result: unknown): Record<string, unknown> {
  const { outputs } = node.call;
  if (outputs.length === 0) return {};
  if (!splitsResult(node.call)) return { [outputs[0]!]: result };
  const parts = splitOutputs(node, result);
  return Object.fromEntries(outputs.map((name, k) => [name, parts[k]]));
}

/** Wraps an error thrown by `node` into a {@link NodeExecutionError} (once). */
export function wrapNodeError(node: AnyPipeFunc, error: unknown, args: unknown): unknown {
  if (error !== null && typeof error === "object" && wrapped.has(error)) return error;
  // The cache failing is not the function failing: it reaches the caller as is.
  if (isCacheUnavailable(error)) return tag(error);
  return tag(new NodeExecutionError(node.name, namedArguments(node, args), error));
}

/** What the env needs beyond the plan. */
export interface EnvOptions {
  /** Listeners active for this run. */
  readonly listeners: readonly RunListener[];
  /** Check declared schemas. */
  readonly validate: boolean;
  /** The pipeline's cache, for functions with `cache: true`. */
  readonly cache: NodeCache | undefined;
  /** A sync run: a cache that answers asynchronously is an error. */
  readonly sync: boolean;
}

/**
 * Builds the env for a compiled plan.
 *
 * @param steps - The function of each plan step.
 * @param values - Constants the generated code references.
 * @param options - Listeners and validation.
 */
export function createEnv(
  steps: readonly AnyPipeFunc[],
  values: unknown[],
  options: EnvOptions,
): RunnerEnv {
  const cache = options.cache;
  const fail = (step: number, error: unknown, args: unknown): unknown =>
    step < 0 ? error : wrapNodeError(steps[step]!, error, args);
  const active = steps.map((node) =>
    options.listeners.filter((l) => (l.filter ? l.filter(node) : true)),
  );
  const hits = active.map((ls) => ls.filter((l) => l.onCacheHit));
  return {
    fns: steps.map((s) => s.call.fn),
    values,
    fail,
    asyncInSync(step, promise) {
      promise.then(undefined, noop);
      return tag(new AsyncInSyncRunError(steps[step]!.name));
    },
    track(step, promise, args) {
      const tracked = Promise.resolve(promise).then(undefined, (e: unknown) => {
        throw fail(step, e, args);
      });
      tracked.catch(noop);
      return tracked;
    },
    split(step, result) {
      return splitOutputs(steps[step]!, result);
    },
    call(step, args) {
      const node = steps[step]!;
      if (!cache || !node.cache)
        return instrumentedCall(node, args, active[step]!, options.validate);
      let computed = false;
      const compute = () => {
        computed = true;
        return instrumentedCall(node, args, active[step]!, options.validate);
      };
      try {
        const value = cache.call(node, argumentValues(node, args), compute, options.sync);
        if (hits[step]!.length > 0) {
          const told = () => {
            if (!computed)
              for (const l of hits[step]!) l.onCacheHit!(node, graphInputs(node, args));
          };
          if (isThenable(value)) Promise.resolve(value).then(told, noop);
          else told();
        }
        return value;
      } catch (error) {
        // A key that cannot be made is the user's problem to see as is.
        throw error instanceof CacheKeyError ? tag(error) : error;
      }
    },
  };
}

/**
 * Calls one element of a sweep the way `run` calls a node when instrumented: declared schemas
 * checked, listeners told, with the element's `index`. Unlike `run`, errors are thrown as the
 * function threw them (a {@link ValidationError} carries the index): `map` adds the index.
 *
 * @param values - Argument values in `call.params` order (`NO_VALUE` leaves one out).
 * @returns The function's result, or a promise of it.
 */
export function callElement(
  node: AnyPipeFunc,
  values: readonly unknown[],
  listeners: readonly RunListener[],
  validate: boolean,
  index: readonly number[],
): unknown {
  const { call } = node;
  let args: unknown;
  if (call.style === "positional") args = values.map((v) => (v === NO_VALUE ? undefined : v));
  else {
    const named: Record<string, unknown> = {};
    call.params.forEach((p, i) => {
      if (values[i] !== NO_VALUE) setOwn(named, p.arg, values[i]);
      // Left out, `constructor` would read Object.prototype's in the pattern, not its default.
      else if (isInheritedName(p.arg)) setOwn(named, p.arg, undefined);
    });
    for (const k of Object.keys(call.bound)) setOwn(named, k, call.bound[k]);
    args = named;
  }
  return instrumentedCall(node, args, listeners, validate, index);
}

/**
 * Tells listeners about a sweep element that ran elsewhere (a thread, another machine), once
 * its result is back: `onNodeStart`, then `onNodeEnd` or `onNodeError`, with `remote: true`.
 */
export function reportRemoteCall(
  node: AnyPipeFunc,
  values: readonly unknown[],
  listeners: readonly RunListener[],
  index: readonly number[],
  outcome: { readonly ok: boolean; readonly value?: unknown; readonly error?: unknown },
  durationMs: number,
): void {
  const record: NodeCall = {
    node,
    inputs: graphValues(node, values),
    startedAt: Date.now() - durationMs,
    durationMs,
    outputs: undefined,
    error: undefined,
    index,
    remote: true,
  };
  for (const l of listeners) l.onNodeStart?.(record);
  let outputs: Record<string, unknown> | undefined;
  let error = outcome.error;
  if (outcome.ok) {
    try {
      outputs = namedOutputs(node, outcome.value);
    } catch (splitError) {
      // A result that does not split into the outputs fails its element (map records it).
      error = splitError;
    }
  }
  if (outputs) {
    record.outputs = outputs;
    for (const l of listeners) l.onNodeEnd?.(record);
  } else {
    record.error = error;
    for (const l of listeners) l.onNodeError?.(record);
  }
}

/** Tells listeners that a sweep element's value came from the cache (it was not called). */
export function reportCacheHit(
  node: AnyPipeFunc,
  values: readonly unknown[],
  listeners: readonly RunListener[],
  index: readonly number[],
): void {
  for (const l of listeners) l.onCacheHit?.(node, graphValues(node, values), index);
}

/** Arguments in `call.params` order keyed by graph name, as listeners see them. */
function graphValues(node: AnyPipeFunc, values: readonly unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  node.call.params.forEach((p, i) => {
    if (values[i] !== NO_VALUE) setOwn(out, p.graph, values[i]);
  });
  return out;
}

function instrumentedCall(
  node: AnyPipeFunc,
  args: unknown,
  listeners: readonly RunListener[],
  validate: boolean,
  index?: readonly number[],
): unknown {
  if (validate && node.schema.inputs) {
    const checked = validateInputs(node, args, index);
    if (checked)
      return checked.then(() => callWithListeners(node, args, listeners, validate, index));
  }
  return callWithListeners(node, args, listeners, validate, index);
}

function callWithListeners(
  node: AnyPipeFunc,
  args: unknown,
  listeners: readonly RunListener[],
  validate: boolean,
  index: readonly number[] | undefined,
): unknown {
  const record: NodeCall = {
    node,
    inputs: listeners.length > 0 ? graphInputs(node, args) : {},
    startedAt: Date.now(),
    durationMs: 0,
    outputs: undefined,
    error: undefined,
    ...(index ? { index } : {}),
  };
  for (const l of listeners) l.onNodeStart?.(record);
  const t0 = performance.now();
  const failed = (error: unknown): never => {
    record.durationMs = performance.now() - t0;
    record.error = error;
    for (const l of listeners) l.onNodeError?.(record);
    throw index ? error : wrapNodeError(node, error, args);
  };
  const done = (result: unknown): unknown => {
    record.durationMs = performance.now() - t0;
    const finish = () => {
      if (listeners.length > 0) {
        record.outputs = namedOutputs(node, result);
        try {
          for (const l of listeners) l.onNodeEnd?.(record);
        } catch (error) {
          // A listener's own typed error (a registry that cannot store a value) is the
          // user's problem to see as is, not as a failure of the node's function.
          if (error instanceof PipeweaveError) throw tag(error);
          throw index ? error : wrapNodeError(node, error, args);
        }
      }
      return result;
    };
    if (validate && node.schema.output) {
      // An invalid result ends the call as a failure, so listeners see it end.
      const invalid = (error: unknown): never => {
        record.error = error;
        for (const l of listeners) l.onNodeError?.(record);
        throw error;
      };
      let checked: Promise<void> | undefined;
      try {
        checked = checkValue(node, "return", node.schema.output, result, index);
      } catch (error) {
        return invalid(error);
      }
      if (checked) return checked.then(finish, invalid);
    }
    return finish();
  };
  let result: unknown;
  try {
    const fn = node.call.fn as (...a: unknown[]) => unknown;
    const scope = scopeOf(listeners);
    if (scope) {
      result = scope.within!(record, () =>
        node.call.style === "object" ? fn(args) : fn(...(args as unknown[])),
      );
    } else result = node.call.style === "object" ? fn(args) : fn(...(args as unknown[]));
  } catch (error) {
    return failed(error);
  }
  if (isThenable(result)) return Promise.resolve(result).then(done, failed);
  return done(result);
}

/** The first listener with a scope to call functions in (tracing), if any. */
function scopeOf(listeners: readonly RunListener[]): RunListener | undefined {
  for (const l of listeners) if (l.within) return l;
  return undefined;
}

/** Validates every declared input; returns a promise only when a schema is async. */
function validateInputs(
  node: AnyPipeFunc,
  args: unknown,
  index: readonly number[] | undefined,
): Promise<void> | undefined {
  const named = namedArguments(node, args);
  const pending: Promise<void>[] = [];
  for (const [name, schema] of Object.entries(node.schema.inputs ?? {})) {
    const p = checkValue(node, name, schema, own(named, name), index);
    if (p) pending.push(p);
  }
  return pending.length > 0 ? Promise.all(pending).then(noop) : undefined;
}

function checkValue(
  node: AnyPipeFunc,
  argument: string,
  schema: StandardSchemaV1,
  value: unknown,
  index: readonly number[] | undefined,
): Promise<void> | undefined {
  const result = schema["~standard"].validate(value);
  const check = (r: StandardSchemaV1.Result<unknown>) => {
    if (r.issues) {
      throw tag(
        new ValidationError(
          node.name,
          argument,
          r.issues.map((i) => ({
            message: i.message,
            path: (i.path ?? []).map((seg) => (typeof seg === "object" ? seg.key : seg)),
          })),
          index,
        ),
      );
    }
  };
  if (result instanceof Promise) return result.then(check);
  check(result as StandardSchemaV1.Result<unknown>);
  return undefined;
}
