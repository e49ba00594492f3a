import type { Tracer } from "@opentelemetry/api";
import { describe, expectTypeOf, it } from "vitest";
import {
  type MapOptions,
  Pipeline,
  pipefunc,
  type RunOptions,
  type TracingOption,
} from "../../src/index.ts";
import { ATTRIBUTES, SPAN_NAMES } from "../../src/otel/index.ts";

declare const tracer: Tracer;

describe("tracing option types", () => {
  it("takes an OpenTelemetry Tracer, true, or { tracer, detail }", () => {
    expectTypeOf(tracer).toExtend<TracingOption>();
    expectTypeOf(true).toExtend<TracingOption>();
    expectTypeOf({ tracer, detail: "chunk" as const }).toExtend<TracingOption>();
    expectTypeOf({ detail: "every" as const }).not.toExtend<TracingOption>();
    expectTypeOf<RunOptions["tracing"]>().toEqualTypeOf<TracingOption | undefined>();
    expectTypeOf<MapOptions["tracing"]>().toEqualTypeOf<TracingOption | undefined>();
  });

  it("is accepted by run, map and the pipeline", () => {
    const f = pipefunc({ output: "y" }, ({ x }: { x: number }) => x + 1);
    const p = new Pipeline([f], { tracing: tracer });
    expectTypeOf(
      p.run("y", { x: 1 }, { tracing: { tracer, detail: "function" } }),
    ).resolves.toBeNumber();
    // @ts-expect-error: a number is not a tracing option
    p.runSync("y", { x: 1 }, { tracing: 1 });
  });

  it("names spans from strings", () => {
    expectTypeOf(SPAN_NAMES.element).toEqualTypeOf<(fn: string) => string>();
    expectTypeOf(ATTRIBUTES.index).toEqualTypeOf<"pipeweave.index">();
  });
});
