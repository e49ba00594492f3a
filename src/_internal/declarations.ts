/**
 * Things a worker (thread or process) rebuilds by importing the module that declared them:
 * pipelines (`definePipeline`) and stream handlers (`defineHandler`). Declaring at a module's
 * top level makes importing the module enough to find the thing again by its reference.
 */

/** Where a worker finds a declared thing: the declaring module and the name given there. */
export interface DeclarationReference {
  /** `import.meta.url` of the declaring module. */
  readonly module: string;
  /** The declared name. */
  readonly name: string;
}

interface Table {
  readonly byKey: Map<string, object>;
  readonly refs: WeakMap<object, DeclarationReference>;
}

// On globalThis so that every copy of this module in a process (source and dist, or two
// bundles) shares one table: the worker finds what the user's module declared.
const KEY = Symbol.for("pipeweave.declarations");
const tables: Map<string, Table> =
  ((globalThis as Record<symbol, unknown>)[KEY] as Map<string, Table> | undefined) ?? new Map();
(globalThis as Record<symbol, unknown>)[KEY] = tables;

function tableOf(kind: string): Table {
  let table = tables.get(kind);
  if (!table) {
    table = { byKey: new Map(), refs: new WeakMap() };
    tables.set(kind, table);
  }
  return table;
}

const keyOf = (ref: DeclarationReference) => `${ref.module}#${ref.name}`;

/**
 * Declares `make()` under `module#name`, once per process or thread: a second call returns
 * the first value.
 */
export function declare<T extends object>(
  kind: string,
  ref: DeclarationReference,
  make: () => T,
): T {
  const table = tableOf(kind);
  const existing = table.byKey.get(keyOf(ref));
  if (existing) return existing as T;
  const value = make();
  table.byKey.set(keyOf(ref), value);
  table.refs.set(value, { module: ref.module, name: ref.name });
  return value;
}

/** The reference `value` was declared with, if it was. */
export function declaredReference(kind: string, value: object): DeclarationReference | undefined {
  return tables.get(kind)?.refs.get(value);
}

/**
 * Imports the declaring module (which declares the thing as a side effect) and returns what
 * it declared under that name, or undefined when it declares nothing so named.
 */
export async function resolveDeclaration(
  kind: string,
  ref: DeclarationReference,
): Promise<object | undefined> {
  const found = tableOf(kind).byKey.get(keyOf(ref));
  if (found) return found;
  await import(ref.module);
  return tableOf(kind).byKey.get(keyOf(ref));
}
