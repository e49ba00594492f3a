/**
 * `stream.run({ dashboard })`: each stage's items in, out and failed and its buffer's fill,
 * sent as the stream runs, and the final counts after it.
 */
import { describe, expect, it } from "vitest";
import { pool, StreamMonitor, type StreamStats, stream } from "../../src/index.ts";
import { events, raw, whenReady } from "./http.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface StreamState {
  readonly kind: "stream";
  readonly stats: StreamStats;
}

function twoStages() {
  return stream(Array.from({ length: 40 }, (_, i) => i)).pipe(
    pool({ name: "parse", workers: 2, buffer: 4 }, async (x: number) => {
      await sleep(5);
      return x;
    }),
    pool({ name: "enrich", buffer: 8 }, async (x: number) => {
      await sleep(15);
      if (x % 10 === 3) throw new Error(`cannot enrich ${x}`);
      return x;
    }),
  );
}

describe("stream.run({ dashboard })", () => {
  it("serves the stages as a graph and sends their counts and buffer fill as the stream runs", async () => {
    const { options: onReady, ready: started } = whenReady();
    const run = twoStages().run({ dashboard: onReady });
    const dashboard = await started;
    const page = await raw(dashboard.url, `/${new URL(dashboard.url).search}`);
    expect(page.status).toBe(200);
    // One node per stage, the source as an input and the results as an output.
    expect(page.body.match(/<g class="node function"/g)).toHaveLength(2);
    expect(page.body).toContain("<title>parse</title>");
    expect(page.body).toContain("<title>enrich</title>");
    const states = (await events(
      dashboard.url,
      (s) => (s as StreamState).stats.state !== "running",
    )) as StreamState[];
    const summary = await run;
    expect(summary.count).toBe(40);
    // Mid-run, the slow stage's buffer filled up behind it.
    const fullest = Math.max(...states.map((s) => s.stats.stages[1]?.buffered ?? 0));
    expect(fullest).toBeGreaterThan(1);
    expect(states.some((s) => s.stats.state === "running" && s.stats.output > 0)).toBe(true);
    const last = states.at(-1)!.stats;
    expect(last.state).toBe("done");
    expect(last.stages.map((s) => [s.name, s.in, s.out, s.failed])).toEqual([
      ["parse", 40, 40, 0],
      ["enrich", 40, 36, 4],
    ]);
    expect(last.errors.map((e) => e.message)).toEqual([
      "cannot enrich 3",
      "cannot enrich 13",
      "cannot enrich 23",
      "cannot enrich 33",
    ]);
    await dashboard.close();
  });

  it("counts through the monitor it is given", async () => {
    const monitor = new StreamMonitor();
    let url = "";
    await twoStages().toArray({
      monitor,
      dashboard: {
        onReady: (d) => {
          url = d.url;
        },
      },
    });
    expect(monitor.stats().stages[0]?.in).toBe(40);
    const status = await raw(url, `/status${new URL(url).search}`);
    expect(JSON.parse(status.body).stats).toEqual(JSON.parse(JSON.stringify(monitor.stats())));
  });

  it("serves iterate() too, and ends when the consumer breaks out", async () => {
    let url = "";
    let seen = 0;
    for await (const _ of twoStages().iterate({
      dashboard: {
        onReady: (d) => {
          url = d.url;
        },
      },
    })) {
      if (++seen === 5) break;
    }
    const status = await raw(url, `/status${new URL(url).search}`);
    const stats = (JSON.parse(status.body) as StreamState).stats;
    expect(stats.state).toBe("done");
    expect(stats.output).toBe(5);
  });

  it("shows each stage's retries and circuit, and its backoff, rate and breaker", async () => {
    let url = "";
    const flaky = pool(
      {
        name: "flaky",
        retries: 3,
        backoff: { initialMs: 1, jitter: "none" },
        rate: { perSecond: 1_000, burst: 10 },
        breaker: { failures: 4, cooldownMs: 60_000 },
      },
      (_x: number) => {
        throw new Error("down");
      },
    );
    await stream([1, 2, 3])
      .pipe(flaky)
      .run({
        dashboard: {
          onReady: (d) => {
            url = d.url;
          },
        },
      });
    const status = await raw(url, `/status${new URL(url).search}`);
    const stage = (JSON.parse(status.body) as StreamState).stats.stages[0];
    // Item 1: three attempts; item 2: the fourth failure opens the circuit; item 3 fails fast.
    expect(stage).toMatchObject({ retried: 3, circuit: "open", circuitOpened: 1, failed: 3 });
    const page = await raw(url, `/${new URL(url).search}`);
    expect(page.body).toContain("1 ms × 2 ≤ 10000 ms, jitter none");
    expect(page.body).toContain("1000/s, burst 10");
    expect(page.body).toContain("4 failures in 10000 ms, cooldown 60000 ms");
    expect(page.body).toContain("circuit ");
  });
});
