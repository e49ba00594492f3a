import { describe, expectTypeOf, it } from "vitest";
import {
  type GatheredResults,
  gatherMaps,
  type LaunchedMaps,
  launchMaps,
  type MapResults,
  type MapRun,
  type MapRunEnd,
  type MapRunEvent,
  type MapSummary,
  type MapsStatus,
  type OutputResult,
  Pipeline,
  pipefunc,
  type RunStatus,
} from "../../src/index.ts";

const p = new Pipeline([
  pipefunc({ output: "c", mapspec: "a[i] -> c[i]" }, ({ a }: { a: number }) => `${a}`),
]);
const q = new Pipeline([pipefunc({ output: "d" }, ({ b }: { b: number }) => b > 0)]);

describe("mapAsync's types", () => {
  it("types the run's result as map's", () => {
    const run = p.mapAsync({ a: [1] });
    expectTypeOf(run.result()).toEqualTypeOf(p.map({ a: [1] }));
    expectTypeOf(run.result()).resolves.toHaveProperty("c");
    expectTypeOf(p.mapAsync({ a: [1] }, { returnResults: false })).toEqualTypeOf<
      MapRun<MapSummary>
    >();
    expectTypeOf(run.status()).toEqualTypeOf<RunStatus>();
    expectTypeOf(run.done).toEqualTypeOf<Promise<MapRunEnd>>();
    expectTypeOf(run.cancel).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(run.events()).toEqualTypeOf<AsyncIterableIterator<MapRunEvent>>();
  });

  it("narrows events by their type", () => {
    const event = {} as MapRunEvent;
    if (event.type === "elements-done") expectTypeOf(event.failed).toEqualTypeOf<number>();
    if (event.type === "run-ended") {
      expectTypeOf(event.state).toEqualTypeOf<"done" | "failed" | "aborted">();
    }
    // @ts-expect-error: no such event
    if (event.type === "element-done") return;
  });

  it("accepts the map options, start, and per-output chunkSize and storage", () => {
    p.mapAsync(
      { a: [1] },
      { start: false, chunkSize: { c: (n) => n / 2 }, storage: { c: "zarr" } },
    );
    // @ts-expect-error: not a storage kind
    p.map({ a: [1] }, { storage: { c: "disk" } });
    // @ts-expect-error: a chunk size is a number or a function of the elements
    p.map({ a: [1] }, { chunkSize: { c: "big" } });
  });
});

describe("launchMaps and gatherMaps types", () => {
  it("types each launched run and its gathered results by place", () => {
    const launched = launchMaps(
      [{ pipeline: p, inputs: { a: [1] } }, q.mapAsync({ b: 1 }, { start: false })],
      { concurrency: 2 },
    );
    expectTypeOf(launched.status()).toEqualTypeOf<MapsStatus>();
    const pRun = p.mapAsync({ a: [1] });
    const qRun = q.mapAsync({ b: 1 });
    expectTypeOf(launched.runs[0]).toEqualTypeOf(pRun);
    const gathered = gatherMaps(launched);
    expectTypeOf(gathered).resolves.toEqualTypeOf<
      [Awaited<ReturnType<typeof pRun.result>>, Awaited<ReturnType<typeof qRun.result>>]
    >();
    expectTypeOf(gathered).resolves.toHaveProperty("0").toHaveProperty("c");
    expectTypeOf<GatheredResults<[MapRun<number>]>>().toEqualTypeOf<[number]>();
    expectTypeOf(launched).toMatchTypeOf<LaunchedMaps<readonly MapRun<unknown>[]>>();
    expectTypeOf<MapResults<{ c: string }>["c"]>().toEqualTypeOf<OutputResult<string>>();
  });
});
