/**
 * What produced a registry entry, and whether a run may restore it.
 *
 * Each stored output carries a record: the producing node's identity (as caches key it:
 * name, outputs, source, bound values, defaults, captures, version) and a digest of every
 * input value it read, taken when it was called, plus a digest of the output itself. A run
 * restores an output only when its producer's identity is unchanged and every input it
 * would read now has the recorded digest. An input that is another node's output is
 * checked against that node's own entry, whose recorded output digest must match: so a
 * stale or missing upstream entry makes everything downstream of it recompute, and a record
 * never needs to be trusted for more than the values it names.
 *
 * Digests come from the values themselves, taken as each node is called, so two runs at once
 * with other inputs each record exactly what they computed from.
 */
import { serialize } from "node:v8";
import { own, setOwn } from "../_internal/own.ts";
import { unstorable } from "../_internal/storable.ts";
import { identityOf, stableHash } from "../cache/key.ts";
import { bytesDigest } from "../cache/numeric-key.ts";
import { CacheKeyError } from "../errors.ts";
import { type Graph, isConfigName } from "../graph/graph.ts";
import type { ParamSpec } from "../graph/pipe-func.ts";
import { ALL, lookupConfig } from "../graph/plan.ts";
import type { AnyPipeFunc } from "../graph/types.ts";

/** What a stored entry records about how it was made. */
export interface EntryRecord {
  /** The output the entry holds. */
  readonly output: string;
  /** The producing node's name. */
  readonly node: string;
  /** The producing node's identity, or null for a node that has none (never restored). */
  readonly identity: string | null;
  /** Digest of each input the node read, by graph name; null for a value without one. */
  readonly inputs: Readonly<Record<string, string | null>>;
  /** Digest of the stored value. */
  readonly hash: string;
}

/** The stored entries of one run, read as the run needs them. */
export interface RegistrySession {
  /** Output names with a file in the registry (listed when the session began). */
  readonly names: ReadonlySet<string>;
  /**
   * The entry's record; undefined when it is gone, not a file, or written by the previous
   * format (which recorded nothing, so it is never restored).
   * @throws {@link RegistryCorruptError} when the file cannot be read as an entry.
   */
  record(name: string): EntryRecord | undefined;
}

/**
 * The digest of a value a node read or returned; undefined when it has none: no stable form
 * (a class instance, a function) and no exact v8 form either.
 */
function valueDigest(value: unknown): string | undefined {
  const stable = stableHash(value);
  if (stable !== undefined) return stable;
  if (unstorable(value, "value") !== undefined) return undefined;
  try {
    return `v8:${bytesDigest(serialize(value))}`;
  } catch {
    return undefined;
  }
}

/**
 * The digest of an input: a runtime constant with a stable form (plain data) by its value, one
 * without (a connection, a client) by its name only, so that a new connection object on each
 * run does not make every reader recompute forever. Any other value by {@link valueDigest}.
 */
function inputDigest(
  name: string,
  value: unknown,
  constants: Readonly<Record<string, unknown>>,
): string | undefined {
  if (Object.hasOwn(constants, name) && constants[name] === value) {
    return stableHash(value) ?? `constant:${name}`;
  }
  return valueDigest(value);
}

/** Digests of the inputs of a call, by graph name, as a record keeps them. */
export function inputDigests(
  node: AnyPipeFunc,
  inputs: Readonly<Record<string, unknown>>,
  constants: Readonly<Record<string, unknown>>,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const p of node.call.params) {
    setOwn(out, p.graph, inputDigest(p.graph, own(inputs, p.graph), constants) ?? null);
  }
  return out;
}

const identities = new WeakMap<AnyPipeFunc, string | null>();

/**
 * The identity a node's entries record: the one its cache keys use ({@link identityOf}). A
 * node whose bound values or defaults have no stable form has none: its outputs are stored
 * but never restored, as nothing says they came from the same code.
 *
 * @throws {@link UndeclaredCaptureError} / {@link InvalidOptionError} as {@link identityOf}.
 */
export function storedIdentity(f: AnyPipeFunc): string | null {
  let identity = identities.get(f);
  if (identity === undefined) {
    try {
      identity = identityOf(f);
    } catch (error) {
      if (!(error instanceof CacheKeyError)) throw error;
      identity = null;
    }
    identities.set(f, identity);
  }
  return identity;
}

/** What one run asks for. */
export interface RestoreRequest {
  /** What the run computes: an output or side-effect node, several, or every function. */
  readonly target: string | readonly string[] | typeof ALL;
  /** The caller's inputs, scopes flattened. */
  readonly given: Readonly<Record<string, unknown>>;
  /** The pipeline's runtime constants. */
  readonly constants: Readonly<Record<string, unknown>>;
  /** The pipeline's config, for `config.<path>` inputs. */
  readonly config: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The stored outputs a run may take from the registry instead of computing them, found from
 * its target backwards: an output whose entry is current is restored and what it was made
 * from is not visited; a stale one is recomputed, and so are the outputs it feeds. Outputs no
 * function of the pipeline produces are read as inputs, as they are (their record is not
 * checked: nothing here could recompute them).
 *
 * Only the records the run needs are read, so a corrupt entry elsewhere does not fail it.
 *
 * @returns Each name the run may read from the registry, with its record (undefined for an
 *   output no function here produces).
 * @throws {@link RegistryCorruptError} for a record on the way that cannot be read.
 */
export function restorable(
  graph: Graph,
  request: RestoreRequest,
  session: RegistrySession,
): Map<string, EntryRecord | undefined> {
  const { given, constants, config } = request;
  const found = new Map<string, EntryRecord | undefined>();
  for (const name of session.names) {
    if (!graph.producer.has(name) && !Object.hasOwn(constants, name)) found.set(name, undefined);
  }
  const current = new Map<string, EntryRecord | null>();
  const digests = new Map<string, string | undefined>();

  /** The digest the value of `p` would have in this run; undefined when unknown. */
  const expected = (p: ParamSpec): string | undefined => {
    const name = p.graph;
    if (Object.hasOwn(given, name))
      return memo(name, () => inputDigest(name, given[name], constants));
    if (Object.hasOwn(constants, name)) {
      return memo(name, () => inputDigest(name, constants[name], constants));
    }
    const producer = graph.producer.get(name);
    if (producer === undefined && found.has(name)) return session.record(name)?.hash;
    if (isConfigName(name)) return memo(name, () => valueDigest(lookupConfig(config, name).value));
    if (producer !== undefined) return restore(name)?.hash;
    const value =
      p.default.kind === "value"
        ? p.default.value
        : p.default.kind === "own"
          ? undefined
          : graph.defaults.get(name);
    return valueDigest(value);
  };
  const memo = (name: string, digest: () => string | undefined): string | undefined => {
    if (!digests.has(name)) digests.set(name, digest());
    return digests.get(name);
  };

  /** The record of `name` when its entry is current, else undefined. */
  const restore = (name: string): EntryRecord | undefined => {
    const known = current.get(name);
    if (known !== undefined) return known ?? undefined;
    const f = graph.functions[graph.producer.get(name)!]!;
    const record = session.record(name);
    let ok =
      record !== undefined &&
      record.output === name &&
      record.node === f.name &&
      record.identity !== null &&
      record.identity === storedIdentity(f) &&
      Object.keys(record.inputs).length === f.call.params.length;
    for (let k = 0; ok && k < f.call.params.length; k++) {
      const p = f.call.params[k]!;
      const digest = expected(p);
      ok = digest !== undefined && own(record!.inputs, p.graph) === digest;
    }
    current.set(name, ok ? record! : null);
    return ok ? record : undefined;
  };

  const visited = new Set<number>();
  const visitFunction = (i: number): void => {
    if (visited.has(i)) return;
    visited.add(i);
    for (const p of graph.functions[i]!.call.params) visitName(p.graph);
  };
  const visitName = (name: string): void => {
    if (Object.hasOwn(given, name) || Object.hasOwn(constants, name)) return;
    const i = graph.producer.get(name);
    if (i === undefined) return;
    const record = restore(name);
    if (record) found.set(name, record);
    else visitFunction(i);
  };
  const visitTarget = (name: string): void => {
    const i = graph.byName.get(name);
    if (graph.producer.has(name)) visitName(name);
    else if (i !== undefined && graph.functions[i]!.outputs.length === 0) visitFunction(i);
  };

  const { target } = request;
  if (target === ALL) {
    graph.functions.forEach((f, i) => {
      if (f.outputs.length === 0) visitFunction(i);
      else for (const o of f.outputs) visitName(o);
    });
  } else if (typeof target === "string") visitTarget(target);
  else for (const name of target) visitTarget(name);
  return found;
}
