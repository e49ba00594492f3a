import { describe, expectTypeOf, it } from "vitest";
import {
  defineHandler,
  Err,
  type Err as ErrType,
  fork,
  type HandlerOutput,
  isOk,
  mix,
  Ok,
  pool,
  type Result,
  SKIP,
  type Skip,
  type Stage,
  type Stream,
  type StreamSummary,
  stream,
  unwrap,
  unwrapOr,
  WorkerState,
} from "../../src/index.ts";

describe("stream types", () => {
  it("types each stage by its handler, stripping SKIP, Err and the Ok wrapper", () => {
    expectTypeOf(pool({}, (n: number) => String(n))).toEqualTypeOf<Stage<number, string>>();
    expectTypeOf(pool({}, async (n: number) => n * 2)).toEqualTypeOf<Stage<number, number>>();
    expectTypeOf(pool({}, (n: number) => (n > 0 ? n : SKIP))).toEqualTypeOf<
      Stage<number, number>
    >();
    expectTypeOf(
      pool({}, (s: string) => (s ? Ok(s.length) : Err(new Error("empty")))),
    ).toEqualTypeOf<Stage<string, number>>();
    expectTypeOf<HandlerOutput<Promise<Result<Date> | Skip>>>().toEqualTypeOf<Date>();
  });

  it("chains pipe() by output type and yields values or Errs", () => {
    const s = stream([1, 2, 3]).pipe(
      pool({}, (n: number) => `${n}`),
      pool({ workers: 2 }, async (t: string) => t.length > 1),
    );
    expectTypeOf(s).toEqualTypeOf<Stream<boolean>>();
    expectTypeOf(s.toArray()).resolves.toEqualTypeOf<(boolean | ErrType)[]>();
    expectTypeOf(s.run()).resolves.toEqualTypeOf<StreamSummary>();
    expectTypeOf(stream(s).pipe(pool({}, (b: boolean) => !b))).toEqualTypeOf<Stream<boolean>>();
  });

  it("rejects a stage whose input does not match the previous output", () => {
    const strings = pool({}, (t: string) => t.toUpperCase());
    // @ts-expect-error numbers flow into a stage that takes strings
    stream([1, 2]).pipe(strings);
    const numbers = pool({}, (n: number) => n);
    // @ts-expect-error the second stage takes numbers, the first gives strings
    stream(["a"]).pipe(strings, numbers);
  });

  it("types mix by the handlers' shared item and joined outputs, fork by its merge", () => {
    expectTypeOf(mix({}, [(n: number) => n, (n: number) => `${n}`])).toEqualTypeOf<
      Stage<number, number | string>
    >();
    const merged = fork(
      ([a, b]) => {
        expectTypeOf(a).toEqualTypeOf<number>();
        expectTypeOf(b).toEqualTypeOf<string>();
        return { a, b };
      },
      [(n: number) => n * 2, async (n: number) => `${n}`],
    );
    expectTypeOf(merged).toEqualTypeOf<Stage<number, { a: number; b: string }>>();
  });

  it("keeps a declared handler's type for threaded stages", () => {
    const h = defineHandler(import.meta.url, "types-only", (n: number) => ({ n }));
    expectTypeOf(h).toEqualTypeOf<(n: number) => { n: number }>();
    expectTypeOf(pool({ threads: true }, h)).toEqualTypeOf<Stage<number, { n: number }>>();
  });

  it("unwraps results", () => {
    const r: Result<number> = Ok(1);
    expectTypeOf(unwrap(r)).toEqualTypeOf<number>();
  });

  it("types a stream without a source by its item type, and keeps it through pipe()", () => {
    expectTypeOf(stream<number>()).toEqualTypeOf<Stream<number, number>>();
    const inner = stream<number>().pipe(pool({}, (n: number) => `${n}`));
    expectTypeOf(inner).toEqualTypeOf<Stream<string, number>>();
    // Still a Stream<string> wherever one is expected.
    expectTypeOf(inner).toExtend<Stream<string>>();
    expectTypeOf(stream([1])).not.toExtend<Stream<number, number>>();
  });

  it("types a nested stream as a stage: its items in, its outputs out", () => {
    const inner = stream<number>().pipe(pool({}, (n: number) => `${n}`));
    expectTypeOf(stream([1, 2]).pipe(inner)).toEqualTypeOf<Stream<string>>();
    expectTypeOf(
      stream(["a"]).pipe(
        pool({}, (t: string) => t.length),
        inner,
        pool({}, (t: string) => t === "1"),
      ),
    ).toEqualTypeOf<Stream<boolean>>();
    const wide = stream<number | string>().pipe(pool({}, (x: number | string) => [x]));
    expectTypeOf(stream([1]).pipe(wide)).toEqualTypeOf<Stream<(number | string)[]>>();
    expectTypeOf(
      stream<number>().pipe(
        inner,
        pool({}, (t: string) => t.length),
      ),
    ).toEqualTypeOf<Stream<number, number>>();
  });

  it("rejects a nested stream whose items do not match, or that has its own source", () => {
    const toText = pool({}, (n: number) => `${n}`);
    const identity = pool({}, (n: number) => n);
    const inner = stream<number>().pipe(toText);
    // @ts-expect-error strings flow into a nested stream that takes numbers
    stream(["a"]).pipe(inner);
    // @ts-expect-error the nested stream gives strings, the next stage takes numbers
    stream([1]).pipe(inner, identity);
    // @ts-expect-error the first stage gives strings, the nested stream takes numbers
    stream([1]).pipe(toText, inner);
    // @ts-expect-error a stream with its own source is not a stage
    stream([1]).pipe(stream([2]).pipe(pool({}, (n: number) => n)));
  });

  it("narrows with isOk, and types unwrapOr and WorkerState.get with a fallback", () => {
    const item = 1 as number | ErrType;
    if (isOk(item)) expectTypeOf(item).toEqualTypeOf<number>();
    else expectTypeOf(item).toEqualTypeOf<ErrType>();
    const result = Ok("a") as Result<string>;
    if (isOk(result)) expectTypeOf(result.value).toEqualTypeOf<string>();
    expectTypeOf(unwrapOr(item, 0)).toEqualTypeOf<number>();
    expectTypeOf(unwrapOr(item, null)).toEqualTypeOf<number | null>();
    expectTypeOf(unwrapOr(result, "")).toEqualTypeOf<string>();
    expectTypeOf(unwrapOr(1 as number | ErrType<RangeError>, 0)).toEqualTypeOf<number>();
    const state = new WorkerState("s", 0);
    expectTypeOf(state.get("k")).toEqualTypeOf<unknown>();
    expectTypeOf(state.get("k", 0)).toEqualTypeOf<number>();
    expectTypeOf(state.get<"fast" | "slow">("mode", "fast")).toEqualTypeOf<"fast" | "slow">();
    expectTypeOf(state.get<Map<string, number>>("k", new Map())).toEqualTypeOf<
      Map<string, number>
    >();
  });
});
