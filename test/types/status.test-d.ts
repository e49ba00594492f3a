import { describe, expectTypeOf, it } from "vitest";
import {
  type FunctionStatus,
  type ListRunsOptions,
  listRuns,
  type RunState,
  type RunStatus,
  runStatus,
  STALE_AFTER_MS,
} from "../../src/index.ts";

describe("run status types", () => {
  it("types runStatus and listRuns with the status file's shape", () => {
    expectTypeOf(runStatus).toEqualTypeOf<(folder: string) => RunStatus>();
    expectTypeOf(listRuns).parameter(1).toEqualTypeOf<ListRunsOptions | undefined>();
    expectTypeOf(listRuns).returns.toEqualTypeOf<RunStatus[]>();
    expectTypeOf(STALE_AFTER_MS).toEqualTypeOf<number>();
    expectTypeOf<RunStatus["state"]>().toEqualTypeOf<RunState>();
    expectTypeOf<RunState>().toEqualTypeOf<
      "queued" | "running" | "done" | "failed" | "aborted" | "stale" | "corrupt"
    >();
    expectTypeOf<RunStatus["functions"]>().toEqualTypeOf<readonly FunctionStatus[]>();
    expectTypeOf<FunctionStatus["state"]>().toEqualTypeOf<
      "pending" | "running" | "done" | "failed"
    >();
    expectTypeOf<RunStatus["etaMs"]>().toEqualTypeOf<number | null>();
  });
});
