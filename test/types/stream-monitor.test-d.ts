import { describe, expectTypeOf, it } from "vitest";
import {
  type CircuitState,
  type StageStats,
  type StreamErrorStats,
  StreamMonitor,
  type StreamRunOptions,
  type StreamStats,
  stream,
} from "../../src/index.ts";

describe("stream monitor types", () => {
  it("is an option of run, toArray and iterate", () => {
    const monitor = new StreamMonitor();
    expectTypeOf<StreamRunOptions["monitor"]>().toEqualTypeOf<StreamMonitor | undefined>();
    const s = stream([1, 2]);
    expectTypeOf(s.run).toBeCallableWith({ monitor });
    expectTypeOf(s.toArray).toBeCallableWith({ monitor, signal: new AbortController().signal });
    expectTypeOf(s.iterate).toBeCallableWith({ monitor });
    // @ts-expect-error a monitor is a StreamMonitor, not its figures
    void s.run({ monitor: monitor.stats() });
  });

  it("gives read-only figures with a closed set of states", () => {
    const stats = new StreamMonitor().stats();
    expectTypeOf(stats).toEqualTypeOf<StreamStats>();
    expectTypeOf(stats.state).toEqualTypeOf<"idle" | "running" | "done" | "failed" | "aborted">();
    expectTypeOf(stats.startedAt).toEqualTypeOf<string | null>();
    expectTypeOf(stats.stages).toEqualTypeOf<readonly StageStats[]>();
    expectTypeOf(stats.errors).toEqualTypeOf<readonly StreamErrorStats[]>();
    expectTypeOf(stats.error).toEqualTypeOf<string | undefined>();
    expectTypeOf<StageStats[keyof StageStats]>().toEqualTypeOf<
      string | number | CircuitState | null
    >();
    // @ts-expect-error figures are read-only
    stats.output = 1;
    // @ts-expect-error figures are read-only
    stats.stages[0]!.in = 1;
  });
});
