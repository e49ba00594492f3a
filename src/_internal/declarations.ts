/**
 * Things a worker (thread or process) rebuilds by importing the module that declared them:
 * pipelines (`definePipeline`) and stream handlers (`defineHandler`). Declaring at a module's
 * top level makes importing the module enough to find the thing again by its reference.
 */

import { AsyncLocalStorage } from "node:async_hooks";

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

/** What this thread shares with every copy of this module in it (source and dist, bundles). */
interface Shared {
  readonly tables: Map<string, Table>;
  /** Set while a worker imports a declaring module: the module's URL. */
  readonly importing: AsyncLocalStorage<string>;
  /** Called when something is declared, or when an importing module suspends a run. */
  readonly watchers: Set<() => void>;
  /** Modules whose evaluation reached a run that a worker's import suspended. */
  readonly suspended: Set<string>;
}

// On globalThis so that every copy of this module in a process (source and dist, or two
// bundles) shares one table: the worker finds what the user's module declared.
const KEY = Symbol.for("pipeweave.declarations.v2");
const shared: Shared = ((globalThis as Record<symbol, unknown>)[KEY] as Shared | undefined) ?? {
  tables: new Map(),
  importing: new AsyncLocalStorage<string>(),
  watchers: new Set(),
  suspended: new Set(),
};
(globalThis as Record<symbol, unknown>)[KEY] = shared;

function tableOf(kind: string): Table {
  let table = shared.tables.get(kind);
  if (!table) {
    table = { byKey: new Map(), refs: new WeakMap() };
    shared.tables.set(kind, table);
  }
  return table;
}

const keyOf = (ref: DeclarationReference) => `${ref.module}#${ref.name}`;

const notify = () => {
  for (const watcher of [...shared.watchers]) watcher();
};

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
  notify();
  return value;
}

/** The reference `value` was declared with, if it was. */
export function declaredReference(kind: string, value: object): DeclarationReference | undefined {
  return shared.tables.get(kind)?.refs.get(value);
}

/**
 * Whether the caller runs inside the evaluation of a module that a pipeweave worker is
 * importing to find a declaration: the module's own top-level code, which in the main thread
 * started the run that started the worker.
 */
export function isWorkerImport(): boolean {
  return shared.importing.getStore() !== undefined;
}

/**
 * What a run started by a worker's import of its module returns: a promise that never
 * settles, so the module's top level stops there and starts nothing (no pool, no stream, no
 * nested worker), while the worker takes what the module declared before that line.
 */
export function suspendedRun<T>(): Promise<T> {
  const module = shared.importing.getStore();
  if (module !== undefined) {
    shared.suspended.add(module);
    notify();
  }
  return new Promise<T>(() => undefined);
}

/**
 * Imports the declaring module (which declares the thing as a side effect) and returns what
 * it declared under that name, or undefined when it declares nothing so named.
 *
 * A module may also run the pipeline at its top level (`await p.map(...)` after
 * `definePipeline`): that run is suspended in the worker ({@link suspendedRun}), so the
 * import never finishes, and the declaration is taken as soon as it is made.
 *
 * @throws TypeError when the module suspends a run before declaring the name.
 */
export async function resolveDeclaration(
  kind: string,
  ref: DeclarationReference,
): Promise<object | undefined> {
  const table = tableOf(kind);
  const key = keyOf(ref);
  const found = table.byKey.get(key);
  if (found) return found;
  let watcher: (() => void) | undefined;
  const declared = new Promise<object>((resolve, reject) => {
    watcher = () => {
      const value = table.byKey.get(key);
      if (value) resolve(value);
      else if (shared.suspended.has(ref.module)) {
        reject(
          new TypeError(
            `Module ${ref.module} runs a pipeline or stream at its top level before it declares ` +
              `"${ref.name}", so a worker importing it never reaches the declaration. Declare ` +
              "everything workers need before the first run in the module.",
          ),
        );
      }
    };
    shared.watchers.add(watcher);
    watcher();
  });
  const loaded = shared.importing
    .run(ref.module, () => import(ref.module))
    .then(() => table.byKey.get(key));
  // Whichever settles first answers; the other may settle later, or never.
  loaded.catch(() => undefined);
  declared.catch(() => undefined);
  try {
    return await Promise.race([declared, loaded]);
  } finally {
    shared.watchers.delete(watcher!);
  }
}

/** A thing declared while a module was being imported: its kind, reference and value. */
export interface Declared {
  readonly kind: string;
  readonly ref: DeclarationReference;
  readonly value: object;
}

/** How a worker's import of a module went: see {@link importAsWorker}. */
export type WorkerImport =
  | {
      /** The module's evaluation completed: its exports can be read. */
      readonly completed: true;
      readonly namespace: Readonly<Record<string, unknown>>;
      /** What the module (and the modules it imported) declared during the import. */
      readonly declared: readonly Declared[];
    }
  | {
      /**
       * The module reached a run at its top level, which the import suspended: the import
       * never completes, so its exports cannot be read; only what it declared before that.
       */
      readonly completed: false;
      readonly declared: readonly Declared[];
    };

/**
 * Imports a module as a worker process does (`pipeweave worker`): any run its top level starts
 * is suspended ({@link suspendedRun}), as in a worker thread, so the process serving a module
 * that also runs its pipeline never starts that run itself. Resolves as soon as the module's
 * evaluation completes or suspends a run, with what it declared meanwhile.
 *
 * @throws What the module's evaluation threw before it completed or suspended.
 */
export async function importAsWorker(moduleUrl: string): Promise<WorkerImport> {
  // What was declared before, so that the rest was declared by this import. (A diff of the
  // tables rather than a record kept by `declare`: every copy of this module in the process
  // shares the tables, not necessarily the same code.)
  const before = new Set<object>();
  for (const table of shared.tables.values())
    for (const value of table.byKey.values()) before.add(value);
  const declaredSince = (): Declared[] => {
    const found: Declared[] = [];
    for (const [kind, table] of shared.tables) {
      for (const value of table.byKey.values()) {
        const ref = table.refs.get(value);
        if (ref && !before.has(value)) found.push({ kind, ref, value });
      }
    }
    return found;
  };
  let watcher: (() => void) | undefined;
  const suspended = new Promise<undefined>((resolve) => {
    watcher = () => {
      if (shared.suspended.has(moduleUrl)) resolve(undefined);
    };
    shared.watchers.add(watcher);
    watcher();
  });
  const loaded = shared.importing.run(moduleUrl, () => import(moduleUrl)) as Promise<
    Record<string, unknown>
  >;
  // Whichever settles first answers; the other may settle later, or never.
  loaded.catch(() => undefined);
  try {
    const namespace = await Promise.race([loaded, suspended]);
    return namespace === undefined
      ? { completed: false, declared: declaredSince() }
      : { completed: true, namespace, declared: declaredSince() };
  } finally {
    shared.watchers.delete(watcher!);
  }
}
