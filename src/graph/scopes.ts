import { setOwn } from "../_internal/own.ts";
import { DuplicateInputError } from "../errors.ts";

/** True when `key` names a scope (`"s"` of `"s.a"`) and `value` is the object holding its inputs. */
export function isScope(key: string, value: unknown, names: ReadonlySet<string>): boolean {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const prefix = `${key}.`;
  for (const n of names) if (n.startsWith(prefix)) return true;
  return false;
}

/**
 * `{ scope: { a: 1 } }` -> `{ "scope.a": 1 }` for keys that are scopes (pipefunc accepts both
 * forms).
 *
 * @param inputs - Inputs as the caller gave them.
 * @param names - Every name of the pipeline, to tell scopes from values that are objects.
 * @throws {@link DuplicateInputError} when one input is given both flat and nested.
 */
export function flattenScopes(
  inputs: Readonly<Record<string, unknown>>,
  names: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const scopeOf = new Map<string, string>();
  const put = (key: string, value: unknown, scope: string | undefined) => {
    if (Object.hasOwn(out, key)) throw new DuplicateInputError(key, scope ?? scopeOf.get(key)!);
    if (scope !== undefined) scopeOf.set(key, scope);
    setOwn(out, key, value);
  };
  for (const [k, v] of Object.entries(inputs)) {
    if (!names.has(k) && isScope(k, v, names)) {
      for (const [inner, value] of Object.entries(v as Record<string, unknown>)) {
        put(`${k}.${inner}`, value, k);
      }
    } else put(k, v, undefined);
  }
  return out;
}

/** True when some key of `inputs` is a scope object that {@link flattenScopes} would expand. */
export function hasScopes(
  inputs: Readonly<Record<string, unknown>>,
  names: ReadonlySet<string>,
): boolean {
  for (const k in inputs) if (!names.has(k) && isScope(k, inputs[k], names)) return true;
  return false;
}
