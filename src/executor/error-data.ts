/**
 * Errors as plain data, so what a function threw on a worker thread (or another process)
 * reaches the caller as it would inline: a thrown string stays a string, a plain object stays
 * that object, an Error keeps its built-in class, name, message, stack, own fields
 * (`code`, `status`…), `cause` and an AggregateError's `errors`; pipeweave's own errors are
 * rebuilt as their class from `name` and `code`. Only a user-defined Error subclass comes back
 * as an `Error` (with its `name` and fields), since its class cannot travel.
 */
import { inspect } from "node:util";
import { thrownMessage } from "../_internal/thrown-message.ts";
import * as errorClasses from "../errors.ts";
import { PipeweaveError } from "../errors.ts";
import { describeUnclonable, isCloneable } from "./clone.ts";
import type { SerializedError } from "./types.ts";

// Causes and aggregated errors nest; a cycle (err.cause = err) stops here.
const MAX_DEPTH = 8;

const BUILTINS: Readonly<Record<string, ErrorConstructor>> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
};

/** Turns anything thrown into plain data that structured clone accepts. */
export function serializeError(error: unknown): SerializedError {
  return serialize(error, 0);
}

function serialize(error: unknown, depth: number): SerializedError {
  if (!(error instanceof Error)) return serializeThrown(error);
  const own = error as Error & { code?: unknown; cause?: unknown; errors?: unknown };
  const isAggregate = error instanceof AggregateError;
  const fields: Record<string, unknown> = {};
  let hasFields = false;
  for (const key of Object.keys(error)) {
    if (key === "name" || key === "message" || key === "stack" || key === "cause") continue;
    if (isAggregate && key === "errors") continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    // A field clone refuses (a request object, a callback) is left out, not the whole error.
    if (!isCloneable(value)) continue;
    fields[key] = value;
    hasFields = true;
  }
  const deeper = depth + 1 < MAX_DEPTH;
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    code: typeof own.code === "string" ? own.code : undefined,
    ...(hasFields ? { fields } : {}),
    ...(deeper && Object.hasOwn(error, "cause") ? { cause: serialize(own.cause, depth + 1) } : {}),
    ...(deeper && isAggregate && Array.isArray(own.errors)
      ? { errors: own.errors.map((e: unknown) => serialize(e, depth + 1)) }
      : {}),
  };
}

function serializeThrown(value: unknown): SerializedError {
  const base = { name: "Error", stack: undefined, code: undefined };
  if (isCloneable(value)) return { ...base, message: thrownMessage(value), thrown: { value } };
  return {
    ...base,
    message:
      `${inspect(value, { depth: 2, breakLength: Number.POSITIVE_INFINITY })} was thrown, and ` +
      `could not be sent back from its thread: ${describeUnclonable(value)} does not survive ` +
      "structured clone. Throw an Error, or plain data, instead.",
  };
}

/**
 * Rebuilds what {@link serializeError} took apart: the thrown value itself when it was not an
 * Error, otherwise an Error of the same built-in or pipeweave class with the same fields.
 */
export function deserializeError(data: SerializedError): unknown {
  if (data.thrown) return data.thrown.value;
  const options = data.cause ? { cause: deserializeError(data.cause) } : undefined;
  let error: Error;
  const Pipeweave = pipeweaveClass(data);
  if (Pipeweave) {
    // Constructors take context, not a message: build the instance around the data instead.
    error = Object.create(Pipeweave.prototype) as Error;
    define(error, "message", data.message);
    if (options) define(error, "cause", options.cause);
  } else if (data.name === "AggregateError") {
    error = new AggregateError((data.errors ?? []).map(deserializeError), data.message, options);
  } else {
    error = new (BUILTINS[data.name] ?? Error)(data.message, options);
  }
  if (error.name !== data.name) error.name = data.name;
  if (data.stack !== undefined) define(error, "stack", data.stack);
  if (data.fields) Object.assign(error, data.fields);
  else if (data.code !== undefined) Object.assign(error, { code: data.code });
  return error;
}

function define(error: Error, key: string, value: unknown): void {
  Object.defineProperty(error, key, { value, writable: true, configurable: true });
}

type ErrorClass = abstract new (...args: never[]) => PipeweaveError;

function pipeweaveClass(data: SerializedError): ErrorClass | undefined {
  if (data.code === undefined || !data.code.startsWith("E_")) return undefined;
  const candidate = (errorClasses as Readonly<Record<string, unknown>>)[data.name];
  if (typeof candidate !== "function") return undefined;
  const prototype = (candidate as { prototype?: unknown }).prototype;
  return prototype instanceof PipeweaveError || candidate === PipeweaveError
    ? (candidate as ErrorClass)
    : undefined;
}
