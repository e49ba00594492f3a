import { trace } from "@opentelemetry/api";
import { describe, expectTypeOf, it } from "vitest";
import {
  type BackoffOptions,
  batch,
  type CircuitState,
  pool,
  type RateLimiter,
  rateLimiter,
  type Stage,
  type Stream,
  stream,
  unbatch,
} from "../../src/index.ts";

describe("stream option types", () => {
  it("types batch and unbatch by the items they group and flatten", () => {
    expectTypeOf(batch<number>({ size: 2 })).toEqualTypeOf<Stage<number, number[]>>();
    expectTypeOf(unbatch<string>()).toEqualTypeOf<Stage<readonly string[], string>>();
    const s = stream([1, 2, 3]).pipe(
      batch({ size: 2 }),
      pool({ batched: true }, (xs: readonly number[]) => xs.map(String)),
      unbatch(),
    );
    expectTypeOf(s).toEqualTypeOf<Stream<string>>();
  });

  it("takes a shared limiter or a rate of the stage's own, and checks the backoff", () => {
    const quota = rateLimiter({ perSecond: 10, burst: 2 });
    expectTypeOf(quota).toEqualTypeOf<RateLimiter>();
    expectTypeOf(quota.acquire).returns.toEqualTypeOf<Promise<void>>();
    pool({ rate: quota, backoff: { jitter: "equal" } }, (x: number) => x);
    pool({ rate: { perSecond: 5 }, retryIf: (_e, attempt) => attempt < 3 }, (x: number) => x);
    // @ts-expect-error jitter is one of "full", "equal", "none"
    const bad: BackoffOptions = { jitter: "half" };
    void bad;
    expectTypeOf<CircuitState>().toEqualTypeOf<"closed" | "open" | "half-open">();
  });

  it("traces with true, an OpenTelemetry Tracer or { tracer }, and nothing else", () => {
    const s = stream([1, 2]).pipe(pool({}, (x: number) => x));
    const tracer = trace.getTracer("app");
    void s.run({ tracing: true });
    void s.toArray({ tracing: tracer });
    s.iterate({ tracing: { tracer } });
    // @ts-expect-error tracing is a boolean, a Tracer or { tracer?, detail? }
    void s.run({ tracing: "on" });
  });
});
