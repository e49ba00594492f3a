import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { deserialize, serialize } from "node:v8";
import { PipeweaveError, RegistryConflictError, RegistryValueError } from "../errors.ts";
import type { RunListener } from "../graph/events.ts";

/** Options of a pipeline's persistent registry. */
export interface RegistryOptions {
  /** Folder holding one file per stored output; created when missing. */
  readonly path: string;
}

/** Where a registry name lives: a runtime constant in memory, or an output stored on disk. */
export type Placement = "memory" | "disk";

/** A view of a pipeline's registry, from {@link Pipeline.openRegistry}. */
export interface Registry {
  /** Every name: constants, then stored outputs. */
  keys(): string[];
  /** True when `name` is a constant or a stored output. */
  has(name: string): boolean;
  /** The constant or the stored value (read from disk), or `undefined` when absent. */
  get(name: string): unknown;
  /** Where each name lives. */
  readonly placement: Readonly<Record<string, Placement>>;
  /**
   * Deletes a stored output so the next run recomputes it. Returns false when none was stored.
   * Constants live in the pipeline's options and are not deleted here.
   */
  delete(name: string): boolean;
  /** Deletes every stored output. */
  clear(): void;
  /** Ends this view; later calls throw. */
  close(): void;
}

const SUFFIX = ".v8";

/** The registry behind a pipeline: the listener that stores, and the values runs restore. */
export interface RegistryStore {
  /** Writes each finished node's outputs. */
  readonly listener: RunListener;
  /** Constants plus stored outputs (read lazily), for one run. */
  values(constants: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>>;
  /** An inspection view. */
  open(constants: Readonly<Record<string, unknown>>): Registry;
}

/**
 * Opens (creating if needed) the registry folder.
 *
 * Each output is one file named after it, written to a temporary name and renamed into
 * place, so a crash or a concurrent process never leaves a half-written entry: readers see
 * the old value or the new one.
 *
 * @throws {@link RegistryConflictError} when a constant's name is also a stored output.
 */
export function openRegistryStore(
  options: RegistryOptions,
  constants: Readonly<Record<string, unknown>>,
): RegistryStore {
  const dir = options.path;
  mkdirSync(dir, { recursive: true });
  const fileOf = (name: string) => join(dir, encodeURIComponent(name) + SUFFIX);
  const stored = (): string[] =>
    readdirSync(dir)
      .filter((f) => f.endsWith(SUFFIX) && !f.startsWith("."))
      .map((f) => decodeURIComponent(f.slice(0, -SUFFIX.length)));
  const read = (name: string): unknown => deserialize(readFileSync(fileOf(name)));
  const checkConflicts = (names: readonly string[]) => {
    const clash = names.filter((n) => Object.hasOwn(constants, n));
    if (clash.length > 0) throw new RegistryConflictError(clash, dir);
  };
  checkConflicts(stored());

  const write = (node: string, name: string, value: unknown) => {
    const reason = unstorable(value, new Set());
    let bytes: Buffer;
    try {
      if (reason) throw new Error(reason);
      bytes = serialize(value);
    } catch (error) {
      throw new RegistryValueError(node, name, (error as Error).message);
    }
    const temp = join(
      dir,
      `.${encodeURIComponent(name)}.${process.pid}.${randomBytes(6).toString("hex")}`,
    );
    writeFileSync(temp, bytes);
    renameSync(temp, fileOf(name));
  };

  return {
    listener: {
      onNodeEnd: (call) => {
        for (const [name, value] of Object.entries(call.outputs ?? {})) {
          write(call.node.name, name, value);
        }
      },
    },
    values(current) {
      const names = stored();
      if (names.length === 0) return current;
      checkConflicts(names);
      const out: Record<string, unknown> = { ...current };
      for (const name of names) {
        Object.defineProperty(out, name, {
          enumerable: true,
          configurable: true,
          get() {
            const value = read(name);
            Object.defineProperty(out, name, { value, enumerable: true });
            return value;
          },
        });
      }
      return out;
    },
    open(current) {
      let closed = false;
      const live = () => {
        if (closed) {
          throw new PipeweaveError(
            "E_REGISTRY_CLOSED",
            `The registry view of "${dir}" is closed. Call pipeline.openRegistry() again.`,
          );
        }
      };
      return {
        keys() {
          live();
          return [...Object.keys(current), ...stored()];
        },
        has(name) {
          live();
          return Object.hasOwn(current, name) || existsSync(fileOf(name));
        },
        get(name) {
          live();
          if (Object.hasOwn(current, name)) return current[name];
          return existsSync(fileOf(name)) ? read(name) : undefined;
        },
        get placement() {
          live();
          const out: Record<string, Placement> = {};
          for (const k of Object.keys(current)) out[k] = "memory";
          for (const k of stored()) out[k] = "disk";
          return out;
        },
        delete(name) {
          live();
          if (!existsSync(fileOf(name))) return false;
          rmSync(fileOf(name));
          return true;
        },
        clear() {
          live();
          for (const name of stored()) rmSync(fileOf(name), { force: true });
        },
        close() {
          closed = true;
        },
      };
    },
  };
}

const CLONEABLE: readonly (abstract new (...args: never[]) => unknown)[] = [
  Date,
  RegExp,
  ArrayBuffer,
  DataView,
  Error,
  Boolean,
  Number,
  String,
];

/**
 * Why `value` would not come back as it went in, or undefined. `v8.serialize` accepts class
 * instances but restores them as plain objects; storing one would silently change its type.
 */
function unstorable(value: unknown, seen: Set<object>): string | undefined {
  if (typeof value === "function") return `a function (${value.name || "anonymous"})`;
  if (typeof value === "symbol") return "a symbol";
  if (value === null || typeof value !== "object" || seen.has(value)) return undefined;
  seen.add(value);
  if (ArrayBuffer.isView(value) || CLONEABLE.some((c) => value instanceof c)) return undefined;
  let children: Iterable<unknown>;
  if (Array.isArray(value)) children = value;
  else if (value instanceof Map) children = [...value.keys(), ...value.values()];
  else if (value instanceof Set) children = value.values();
  else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      return `a ${value.constructor?.name ?? "class"} instance, which would come back as a plain object`;
    }
    children = Object.values(value);
  }
  for (const child of children) {
    const reason = unstorable(child, seen);
    if (reason) return reason;
  }
  return undefined;
}
