/**
 * Records keyed by user-chosen names (inputs, outputs, renames, defaults). A name may be
 * `constructor`, `toString` or `__proto__`: plain `record[name]` would read what
 * `Object.prototype` has under that name, and `record[name] = v` would set the prototype.
 */

/** The record's own value under `key`, never one inherited from `Object.prototype`. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Sets `key` as an own enumerable property, `__proto__` included. */
export function setOwn<T>(record: Record<string, T>, key: string, value: NoInfer<T>): void {
  if (key === "__proto__") {
    Object.defineProperty(record, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else record[key] = value;
}

/**
 * Whether `value` has a field `key` of its own or from its class, as a returned object
 * carries its outputs; what every object inherits from `Object.prototype` does not count.
 */
export function hasField(value: object, key: string): boolean {
  for (let o: object | null = value; o !== null && o !== Object.prototype; ) {
    if (Object.hasOwn(o, key)) return true;
    o = Object.getPrototypeOf(o) as object | null;
  }
  return false;
}

/**
 * A name as the key of an object literal in generated code. `"__proto__": v` in a literal
 * sets the prototype instead of making a property, so that one name is a computed key.
 */
export function literalKey(name: string): string {
  return name === "__proto__" ? '["__proto__"]' : JSON.stringify(name);
}

/**
 * Whether every plain object already answers to `name` (`constructor`, `toString`,
 * `__proto__` …). An argument of such a name that is left out would not be `undefined` in
 * the function's destructuring pattern, so its default there would not apply: it is passed
 * as an explicit `undefined` instead.
 */
export function isInheritedName(name: string): boolean {
  return name in Object.prototype;
}
