import { createSecretKey, type KeyObject } from "node:crypto";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  InvalidOptionError,
  isErr,
  MISSING,
  NdArray,
  NodeExecutionError,
  PipeweaveError,
  pool,
  stream,
  ThreadExecutor,
  UnclonableValueError,
} from "../../src/index.ts";
import { caught } from "../caught.ts";
import { echo, hog, rethrow, returns, throwing, thrown, throws } from "./fixtures/thread-values.ts";

const quiet = { progress: false } as const;
// One pool for the file: starting threads (each loads tsx and the fixture) is the slow part.
const threads = new ThreadExecutor({ threads: 1 });
const onThreads = { ...quiet, executor: threads } as const;
afterAll(() => threads.close());

/**
 * What a catch can observe of a thrown value: for an error, its nearest built-in or pipeweave
 * class, name, message, own enumerable fields, cause and aggregated errors.
 */
function shape(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  let proto = Object.getPrototypeOf(value) as object;
  while (!isKnown(proto)) proto = Object.getPrototypeOf(proto) as object;
  return {
    class: (proto as { constructor: { name: string } }).constructor.name,
    name: value.name,
    message: value.message,
    fields: { ...value },
    cause: "cause" in value ? shape(value.cause) : "(none)",
    errors: value instanceof AggregateError ? value.errors.map(shape) : "(none)",
  };
}

/** Error, a built-in subclass, or a pipeweave error class: what survives a thread. */
function isKnown(proto: object): boolean {
  const builtins = [EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError];
  return (
    proto === Error.prototype ||
    proto === AggregateError.prototype ||
    builtins.some((C) => C.prototype === proto) ||
    proto === PipeweaveError.prototype ||
    proto instanceof PipeweaveError
  );
}

describe("threads: values that cannot cross", () => {
  it.each([
    ["function", /^a function$/],
    ["holder", /^a Holder \(its \.f is a function\)$/],
    ["socket", /^a Socket/],
    ["weakmap", /^a WeakMap$/],
    ["symbol", /^a symbol/],
    ["nested", /^an object .*deep.* a function/],
  ])(
    "fails a returned %s with an UnclonableValueError naming node, output and type",
    async (kind, type) => {
      const error = await returns
        .map({ kind: ["number", kind] }, { ...onThreads, chunkSize: 2 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NodeExecutionError);
      expect((error as NodeExecutionError).index).toEqual([1]);
      const cause = (error as NodeExecutionError).cause as UnclonableValueError;
      expect(cause).toBeInstanceOf(UnclonableValueError);
      expect(cause.code).toBe("E_UNCLONABLE_VALUE");
      expect([cause.node, cause.output]).toEqual(["y", "y"]);
      expect(cause.type).toMatch(type);
      expect(cause.message).toMatch(/^"y" returned .* as "y", which cannot cross a thread/);
      expect(String(error)).not.toMatch(/\[object Object\]/);

      // With errors: "continue" the other element of the same chunk still arrives.
      const kept = await returns.map(
        { kind: ["number", kind] },
        { ...onThreads, chunkSize: 2, errors: "continue" },
      );
      expect(kept.y.array.toNested()).toEqual([42, MISSING]);
      expect(kept.errors.map((e) => e.index)).toEqual([[1]]);
      expect(kept.errors[0]!.error).toBeInstanceOf(UnclonableValueError);
    },
  );

  it("fails an argument that cannot be sent to a thread, naming the argument, and runs the rest", async () => {
    const kept = await echo.map(
      { x: [1, () => 1, new WeakMap(), 4] },
      { ...onThreads, chunkSize: 4, errors: "continue" },
    );
    expect(kept.y.array.toNested()).toEqual([1, MISSING, MISSING, 4]);
    expect(kept.errors.map((e) => e.index)).toEqual([[1], [2]]);
    const [fn, weak] = kept.errors.map((e) => e.error as UnclonableValueError);
    expect(fn).toBeInstanceOf(UnclonableValueError);
    expect([fn!.node, fn!.output, fn!.type]).toEqual(["y", "x", "a function"]);
    expect(fn!.message).toMatch(/^"y" received a function as "x"/);
    expect(weak!.type).toBe("a WeakMap");

    const error = await echo.map({ x: [1, Symbol("s")] }, onThreads).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NodeExecutionError);
    expect((error as NodeExecutionError).index).toEqual([1]);
    expect((error as NodeExecutionError).cause).toBeInstanceOf(UnclonableValueError);
  });
});

describe("threads: values shaped like the transfer encoding", () => {
  const lookalikes: [string, unknown][] = [
    ["none tag", { __pipeweave: "none" }],
    ["ndarray tag", { __pipeweave: "ndarray", json: { shape: [1], dims: ["i"], data: [1] } }],
    ["escape tag", { __pipeweave: "escaped", value: 3 }],
    ["unknown tag", { __pipeweave: "other" }],
    ["tag only", { __pipeweave: undefined }],
    ["array with the tag", Object.assign([1, 2], { __pipeweave: "none" })],
    ["nested", { inner: { __pipeweave: "none" } }],
  ];

  it.each(lookalikes)("round-trips a %s unchanged, as argument and result", async (_, value) => {
    const r = await echo.map({ x: [value, 0] }, onThreads);
    const back = r.y.array.data[0];
    expect(back).not.toBeInstanceOf(NdArray);
    expect(typeof back).toBe("object");
    expect(back).toEqual(value);
    expect(Object.keys(back as object)).toEqual(Object.keys(value as object));
  });

  it("carries typed arrays with their own memory, shared memory shared, and Node host objects", async () => {
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const key = createSecretKey(Buffer.from("secret"));
    const r = await echo.map({ x: [new Float64Array([1.5, 2]), shared, key] }, onThreads);
    const [floats, back, keyBack] = r.y.array.data as [Float64Array, Int32Array, KeyObject];
    expect(floats).toEqual(new Float64Array([1.5, 2]));
    expect(floats.buffer.byteLength).toBe(16);
    expect(back.buffer).toBeInstanceOf(SharedArrayBuffer);
    shared[0] = 7;
    expect(back[0]).toBe(7);
    expect(keyBack.export().toString()).toBe("secret");
  });

  it("still carries NdArrays and left-out arguments", async () => {
    const nd = new NdArray([2], ["k"], [5, 6]);
    const r = await echo.map({ x: [nd, 1] }, onThreads);
    expect(r.y.array.data[0]).toBeInstanceOf(NdArray);
    expect((r.y.array.data[0] as NdArray<number>).data).toEqual([5, 6]);
  });
});

describe("threads: thrown values keep their shape", () => {
  const kinds = Object.keys(thrown);

  it("gives the same error as inline for every kind of thrown value", async () => {
    const inline = await throws.map({ kind: kinds }, { ...quiet, errors: "continue" });
    const remote = await throws.map({ kind: kinds }, { ...onThreads, errors: "continue" });
    expect(remote.errors.map((e) => e.index)).toEqual(inline.errors.map((e) => e.index));
    for (const [k, kind] of kinds.entries()) {
      const a = inline.errors[k]!;
      const b = remote.errors[k]!;
      expect([kind, shape(b.error)]).toEqual([kind, shape(a.error)]);
      expect([kind, b.message]).toEqual([kind, a.message]);
    }
    const byKind = (kind: string) => remote.errors[kinds.indexOf(kind)]!.error;
    expect(byKind("plainObject")).toEqual({ code: 42, detail: "x" });
    expect(byKind("null")).toBeNull();
    expect(byKind("typeErrorWithCode")).toBeInstanceOf(TypeError);
    expect(byKind("errorWithFields")).toMatchObject({ code: "E_HTTP", status: 500 });
    const aggregate = byKind("aggregate") as AggregateError;
    expect(aggregate).toBeInstanceOf(AggregateError);
    expect(aggregate.errors[0]).toBeInstanceOf(RangeError);
    expect(aggregate.errors[1]).toMatchObject({ message: "b", status: 404 });
    expect((byKind("errorWithCause") as Error).cause).toMatchObject({ code: "E_INNER" });
    const option = byKind("pipeweave") as InvalidOptionError;
    expect(option).toBeInstanceOf(InvalidOptionError);
    expect(option.option).toBe("depth");
    expect((byKind("custom") as Error).stack).toMatch(/HttpError: unavailable/);
  });

  it("wraps the same cause in NodeExecutionError under errors: raise", async () => {
    for (const kind of ["plainObject", "errorWithFields", "aggregate"]) {
      const a = await throws.map({ kind: [kind] }, quiet).catch((e: unknown) => e);
      const b = await throws.map({ kind: [kind] }, onThreads).catch((e: unknown) => e);
      expect(b).toBeInstanceOf(NodeExecutionError);
      expect(shape((b as Error).cause)).toEqual(shape((a as Error).cause));
      expect((b as Error).message).toBe((a as Error).message);
    }
  });

  it("describes a thrown value that cannot be cloned instead of losing it", async () => {
    const r = await throws.map(
      { kind: ["unclonable", "ok"] },
      { ...onThreads, errors: "continue" },
    );
    expect(r.y.array.toNested()).toEqual([MISSING, 1]);
    const error = r.errors[0]!.error as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/detail: 'x'/);
    expect(error.message).toMatch(/could not be sent back from its thread/);
  });

  it("keeps plain thrown data identical to inline (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (value) => {
        const a = await rethrow.map({ x: [value] }, quiet).catch((e: unknown) => e);
        const b = await rethrow.map({ x: [value] }, onThreads).catch((e: unknown) => e);
        expect((b as Error).cause).toEqual((a as Error).cause);
        expect((b as Error).message).toBe((a as Error).message);
      }),
      { numRuns: 25 },
    );
  });
});

describe("threads: stream stages", () => {
  it("keeps the fields of errors thrown or returned as Err on a thread", async () => {
    const kinds = ["plainObject", "errorWithFields", "aggregate", "err:errorWithFields", "custom"];
    const out = await stream(kinds)
      .pipe(pool({ threads: true, ordered: true }, throwing))
      .toArray();
    const errors = out.map((o) => (isErr(o) ? shape(o.error) : o));
    const expected = kinds.map((k) => shape(thrown[k.replace("err:", "")]!()));
    expect(errors).toEqual(expected);
  });

  it("fails an item whose thrown value cannot be cloned, without losing the thread", async () => {
    const out = await stream(["unclonable", "string"])
      .pipe(pool({ threads: true, ordered: true }, throwing))
      .toArray();
    expect(out.every(isErr)).toBe(true);
    const [first, second] = out.map((o) => (isErr(o) ? o.error : o));
    expect(String((first as Error).message)).toMatch(/detail: 'x'/);
    expect(second).toBe("boom");
  });

  it("fails an item that cannot be sent to a thread, naming what refused", async () => {
    // A function where a string is declared: what crosses is checked at run time.
    const summary = await stream([(() => 1) as unknown as string])
      .pipe(pool({ threads: true, retries: 2 }, throwing))
      .run();
    const failure = summary.ok ? undefined : summary.errors[0];
    expect(failure?.attempts).toBe(1);
    const error = failure?.error as UnclonableValueError;
    expect(error).toBeInstanceOf(UnclonableValueError);
    expect([error.node, error.output, error.type]).toEqual(["throwing", "item", "a function"]);
    expect(error.message).toMatch(/^"throwing" received a function as "item"/);
  });
});

describe("threads: resource limits", () => {
  it("refuses a resource limit that is not a positive number, naming it", () => {
    const error = caught(
      () => new ThreadExecutor({ resourceLimits: { maxOldGenerationSizeMb: -1 } }),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(error.option).toBe("resourceLimits.maxOldGenerationSizeMb");
    expect(error.message).toMatch(/got `-1`/);
  });

  it("fails the elements of a thread that outgrows its heap with a clear error, then carries on", async () => {
    const limited = new ThreadExecutor({
      threads: 1,
      resourceLimits: { maxOldGenerationSizeMb: 48 },
    });
    try {
      const r = await hog.map(
        { mb: [0, 400, 0] },
        { ...quiet, executor: limited, chunkSize: 1, errors: "continue" },
      );
      expect(r.y.array.toNested()).toEqual([0, MISSING, 0]);
      const error = r.errors[0]!.error as Error & { code?: string };
      expect(r.errors[0]!.index).toEqual([1]);
      expect(error.code).toBe("ERR_WORKER_OUT_OF_MEMORY");
      expect(error.message).toMatch(/memory limit.*maxOldGenerationSizeMb: 48.*resourceLimits/s);
    } finally {
      await limited.close();
    }
  });
});
