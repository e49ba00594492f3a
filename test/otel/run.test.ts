import { trace } from "@opentelemetry/api";
import { afterEach, describe, expect, it } from "vitest";
import { Pipeline, pipefunc } from "../../src/index.ts";
import { ATTRIBUTES } from "../../src/otel/names.ts";
import { recordSpans, unregister } from "./in-memory.ts";

const add = pipefunc({ output: "c", name: "add" }, ({ a, b }: { a: number; b: number }) => a + b);
const double = pipefunc({ output: "d", name: "double" }, ({ c }: { c: number }) => 2 * c);

afterEach(unregister);

describe("tracing graph runs", () => {
  it("makes a span for the run and one per function call under it", async () => {
    const rec = recordSpans();
    const p = new Pipeline([add, double], { name: "calc" });
    expect(await p.run("d", { a: 1, b: 2 }, { tracing: rec.tracer })).toBe(6);
    const run = rec.one("run calc");
    expect(run.attributes[ATTRIBUTES.pipeline]).toBe("calc");
    expect(run.attributes[ATTRIBUTES.outputs]).toEqual(["d"]);
    const children = rec.childrenOf(run).map((s) => s.name);
    expect(children.sort()).toEqual(["function add", "function double"]);
    const fn = rec.one("function double");
    expect(fn.attributes[ATTRIBUTES.function]).toBe("double");
    expect(fn.attributes[ATTRIBUTES.outputs]).toEqual(["d"]);
    expect(fn.spanContext().traceId).toBe(run.spanContext().traceId);
  });

  it("traces runSync and runAll, and a pipeline-wide option a run can turn off", () => {
    const rec = recordSpans();
    const p = new Pipeline([add, double], { name: "calc", tracing: rec.tracer });
    expect(p.runSync("d", { a: 1, b: 2 })).toBe(6);
    expect(rec.spans().map((s) => s.name)).toContain("run calc");
    rec.reset();
    p.runAllSync({ a: 1, b: 2 });
    expect(rec.one("run calc").attributes[ATTRIBUTES.outputs]).toEqual(["c", "d"]);
    rec.reset();
    expect(p.runSync("d", { a: 1, b: 2 }, { tracing: false })).toBe(6);
    expect(rec.spans()).toEqual([]);
  });

  it("records a failure on the function's and the run's span with the typed code", async () => {
    const rec = recordSpans();
    const boom = pipefunc({ output: "d", name: "boom" }, ({ c }: { c: number }): number => {
      throw new RangeError(`bad ${c}`);
    });
    const p = new Pipeline([add, boom], { name: "calc" });
    await expect(p.run("d", { a: 1, b: 2 }, { tracing: rec.tracer })).rejects.toThrow(/bad 3/);
    const fn = rec.one("function boom");
    expect(fn.status.code).toBe(2);
    expect(fn.status.message).toBe("bad 3");
    expect(fn.events.map((e) => e.name)).toEqual(["exception"]);
    const run = rec.one("run calc");
    expect(run.status.code).toBe(2);
    expect(run.attributes[ATTRIBUTES.errorCode]).toBe("E_NODE_FAILED");
    expect(rec.one("function add").status.code).toBe(0);
  });

  it("marks cache hits, where the function is not called", async () => {
    const rec = recordSpans();
    let calls = 0;
    const slow = pipefunc({ output: "x", name: "slow", cache: true }, ({ a }: { a: number }) => {
      calls++;
      return a * 10;
    });
    const p = new Pipeline([slow], { name: "cached" });
    await p.run("x", { a: 1 }, { tracing: rec.tracer });
    await p.run("x", { a: 1 }, { tracing: rec.tracer });
    expect(calls).toBe(1);
    const spans = rec.spans().filter((s) => s.name === "function slow");
    expect(spans.map((s) => s.attributes[ATTRIBUTES.cacheHit])).toEqual([undefined, true]);
  });

  it("with tracing: true uses the registered provider, and nests the function's own spans", async () => {
    const rec = recordSpans({ global: true });
    const inner = pipefunc({ output: "y", name: "inner" }, async ({ a }: { a: number }) => {
      await new Promise((r) => setTimeout(r, 1));
      trace.getTracer("user").startSpan("user work").end();
      return a + 1;
    });
    const p = new Pipeline([inner], { name: "nested" });
    const outer = trace.getTracer("user");
    await outer.startActiveSpan("caller", async (span) => {
      await p.run("y", { a: 1 }, { tracing: true });
      span.end();
    });
    const caller = rec.one("caller");
    const run = rec.one("run nested");
    expect(run.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    const fn = rec.one("function inner");
    expect(rec.one("user work").parentSpanContext?.spanId).toBe(fn.spanContext().spanId);
  });

  it("refuses a tracing value that is not one", () => {
    const p = new Pipeline([add], { name: "calc" });
    expect(() => p.runSync("c", { a: 1, b: 2 }, { tracing: 3 as never })).toThrow(
      expect.objectContaining({ code: "E_INVALID_OPTION", option: "tracing" }),
    );
    expect(() => p.runSync("c", { a: 1, b: 2 }, { tracing: { detail: "every" as never } })).toThrow(
      expect.objectContaining({ option: "tracing.detail" }),
    );
  });
});
