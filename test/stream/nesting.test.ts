import { describe, expect, it } from "vitest";
import { fork, InvalidArgumentError, isErr, mix, pool, stream } from "../../src/index.ts";
import { caught } from "../caught.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Lets every pending promise and I/O callback run, so a stream settles where it waits. */
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe("stream nesting: a stream without a source as a stage", () => {
  it("runs a nested stream's stages on the parent's items, in order, between the parent's stages", async () => {
    const calls: string[] = [];
    const inner = stream<number>().pipe(
      pool({ name: "inc" }, (n: number) => {
        calls.push(`inc ${n}`);
        return n + 1;
      }),
      pool({ name: "label" }, (n: number) => {
        calls.push(`label ${n}`);
        return `#${n}`;
      }),
    );
    const out = await stream([1, 2, 3])
      .pipe(
        pool({}, (n: number) => n * 10),
        inner,
        pool({}, (s: string) => `${s}!`),
      )
      .toArray();
    expect(out).toEqual(["#11!", "#21!", "#31!"]);
    expect(calls.filter((c) => c.startsWith("inc"))).toEqual(["inc 10", "inc 20", "inc 30"]);
    expect(calls.filter((c) => c.startsWith("label"))).toEqual([
      "label 11",
      "label 21",
      "label 31",
    ]);
    expect(stream([1]).pipe(inner).length).toBe(2);
  });

  it("gives a nested stream's stages their own workers and retries", async () => {
    let active = 0;
    let peak = 0;
    const attempts = new Map<number, number>();
    const inner = stream<number>().pipe(
      pool({ workers: 3, buffer: 4 }, async (n: number) => {
        active++;
        peak = Math.max(peak, active);
        await sleep(5);
        active--;
        return n;
      }),
      pool({ retries: 3, name: "flaky" }, (n: number) => {
        const k = (attempts.get(n) ?? 0) + 1;
        attempts.set(n, k);
        if (k < 3) throw new Error(`flaky ${n}`);
        return n;
      }),
    );
    const out = await stream(range(12)).pipe(inner).toArray();
    expect(peak).toBe(3);
    expect([...out].sort((a, b) => Number(a) - Number(b))).toEqual(range(12));
    expect([...attempts.values()]).toEqual(Array(12).fill(3));
  });

  it("bounds the source by a nested stage's own buffer", async () => {
    let pulled = 0;
    function* counting() {
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield i;
      }
    }
    const inner = stream<number>().pipe(pool({ buffer: 6 }, (n: number) => n));
    const it = stream(counting()).pipe(inner).iterate();
    expect(await it.next()).toEqual({ done: false, value: 0 });
    await settle();
    // Further ahead than a one-item buffer allows (the consumer's item, the worker's, one
    // waiting), never further than six waiting.
    expect(pulled).toBeGreaterThan(1 + 1 + 1);
    expect(pulled).toBeLessThanOrEqual(1 + 1 + 6);
    await it.return?.();
  });

  it("lets Errs from earlier stages pass through a nested stream, and fails its own items as Errs", async () => {
    const seen: number[] = [];
    const inner = stream<number>().pipe(
      pool({ name: "inner-check" }, (n: number) => {
        seen.push(n);
        if (n === 3) throw new RangeError("three");
        return n;
      }),
    );
    const out = await stream([1, 2, 3, 4])
      .pipe(
        pool({ name: "outer-check" }, (n: number) => {
          if (n === 2) throw new RangeError("two");
          return n;
        }),
        inner,
      )
      .toArray();
    expect(seen).toEqual([1, 3, 4]);
    expect(out[0]).toBe(1);
    expect(out[1]).toMatchObject({ item: 2, stage: "outer-check", attempts: 1 });
    expect(out[2]).toMatchObject({ item: 3, stage: "inner-check", attempts: 1 });
    expect(out[3]).toBe(4);
    expect(out.filter(isErr)).toHaveLength(2);
  });

  it("nests a nested stream in another and reuses one in several parents", async () => {
    const double = stream<number>().pipe(pool({}, (n: number) => n * 2));
    const quadruple = stream<number>().pipe(double, double);
    const plusOne = stream<number>().pipe(
      pool({}, (n: number) => n + 1),
      quadruple,
    );
    expect(await stream([1, 2]).pipe(plusOne).toArray()).toEqual([8, 12]);
    expect(await stream([5]).pipe(double).toArray()).toEqual([10]);
    expect(await stream([5]).pipe(quadruple).toArray()).toEqual([20]);
    expect(double.length).toBe(1);
    expect(quadruple.length).toBe(2);
  });

  it("passes items straight through a nested stream with no stages", async () => {
    expect(await stream([1, 2]).pipe(stream<number>()).toArray()).toEqual([1, 2]);
  });

  it("refuses to run a stream without a source, saying how to use it", async () => {
    const inner = stream<number>().pipe(pool({}, (n: number) => n));
    const message = /has no source.*pipe\(\) of a stream that has one/;
    await expect(inner.run()).rejects.toMatchObject({
      code: "E_INVALID_ARGUMENT",
      argument: "this",
    });
    await expect(inner.run()).rejects.toThrow(message);
    await expect(inner.toArray()).rejects.toThrow(message);
    expect(() => inner.iterate()).toThrow(message);
    expect(() => inner[Symbol.asyncIterator]()).toThrow(message);
    expect(() => stream(inner)).toThrow(InvalidArgumentError);
    expect(() => stream(inner)).toThrow(message);
  });
});

describe("stream nesting: pipe() checks its arguments", () => {
  const stage = pool({}, (n: number) => n);
  const double = (n: number) => n * 2;

  it.each([
    [
      "a named function",
      [stage, double],
      "Argument 2 of pipe() is a function (double), not a stage. Wrap it with pool({}, double).",
    ],
    [
      "an anonymous function",
      [(n: number) => n],
      "Argument 1 of pipe() is a function, not a stage. Wrap it with pool({}, fn).",
    ],
    [
      "undefined",
      [stage, stage, undefined],
      "Argument 3 of pipe() is undefined, not a stage. Pass a stage made by pool(), mix() or " +
        "fork(), or a stream made by stream<T>().",
    ],
    [
      "null",
      [null],
      "Argument 1 of pipe() is null, not a stage. Pass a stage made by pool(), mix() or fork(), " +
        "or a stream made by stream<T>().",
    ],
    [
      "a number",
      [stage, 3],
      "Argument 2 of pipe() is a number (3), not a stage. Pass a stage made by pool(), mix() or " +
        "fork(), or a stream made by stream<T>().",
    ],
    [
      "a string",
      ["double"],
      'Argument 1 of pipe() is a string ("double"), not a stage. Pass a stage made by pool(), ' +
        "mix() or fork(), or a stream made by stream<T>().",
    ],
    [
      "an array of stages",
      [[stage, stage]],
      "Argument 1 of pipe() is an array, not a stage. Spread it: pipe(...stages).",
    ],
    [
      "a promise",
      [Promise.resolve(stage)],
      "Argument 1 of pipe() is a promise, not a stage. Await it first.",
    ],
    [
      "a plain object",
      [stage, { options: {}, work: {} }],
      "Argument 2 of pipe() is an object, not a stage. Pass a stage made by pool(), mix() or " +
        "fork(), or a stream made by stream<T>().",
    ],
    [
      "a stream with its own source",
      [stream([1, 2]).pipe(stage)],
      "Argument 1 of pipe() is a stream that reads its own source, not a stage. A nested " +
        "stream takes the parent's items: build it without a source, stream<T>().pipe(...stages).",
    ],
  ])("throws an InvalidArgumentError naming the position for %s", (_what, args, message) => {
    const pipe = stream([1, 2]).pipe as (...args: unknown[]) => unknown;
    const call = () => pipe.apply(stream([1, 2]), args);
    expect(call).toThrow(InvalidArgumentError);
    expect(call).toThrow(message);
    const position = args.findIndex((a) => a !== stage) + 1;
    expect(caught(call, InvalidArgumentError, "E_INVALID_ARGUMENT").argument).toBe(
      `pipe() argument ${position}`,
    );
  });

  it("accepts stages made by pool, mix and fork, and streams without a source", () => {
    const s = stream([1]).pipe(
      pool({}, (n: number) => n),
      mix({}, [(n: number) => n, (n: number) => n]),
      fork(([a]) => a, [(n: number) => n]),
      stream<number>().pipe(pool({}, (n: number) => n)),
    );
    expect(s.length).toBe(4);
  });
});
