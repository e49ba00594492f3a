import { describe, expectTypeOf, it } from "vitest";
import {
  defineHandler,
  Err,
  type Err as ErrType,
  fork,
  type HandlerOutput,
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
});
