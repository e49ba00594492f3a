/**
 * `map(..., { dashboard })`: the page, its state as JSON and as server-sent events while the
 * sweep runs, the latest errors with their element index, the final state after the run.
 */
import { describe, expect, it, vi } from "vitest";
import {
  type Dashboard,
  type NdArray,
  Pipeline,
  pipefunc,
  type RunStatus,
} from "../../src/index.ts";
import { events, raw, routeOf, whenReady } from "./http.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function slowPipeline(name: string) {
  const square = pipefunc(
    { output: "y", mapspec: "x[i] -> y[i]" },
    async ({ x }: { x: number }) => {
      await sleep(25);
      if (x === 3) throw new Error(`no square of ${x}`);
      return x * x;
    },
  );
  const count = pipefunc(
    { output: "n", mapspec: "y[:] -> n" },
    ({ y }: { y: NdArray<number> }) => y.size,
  );
  return new Pipeline([square, count], { name });
}

interface MapState {
  readonly kind: "map";
  readonly status: RunStatus;
}

const xs = Array.from({ length: 60 }, (_, i) => i);

describe("map(..., { dashboard })", () => {
  it("serves the graph, then sends the run's progress as it rises, errors with their index, and the end", async () => {
    let dashboard: Dashboard | undefined;
    const ready = new Promise<Dashboard>((resolve) => {
      const run = slowPipeline("squares").map(
        { x: xs },
        {
          errors: "continue",
          concurrency: 2,
          dashboard: {
            onReady: (d) => {
              dashboard = d;
              resolve(d);
            },
          },
        },
      );
      void run.then(() => undefined);
    });
    const d = await ready;
    expect(d.host).toBe("127.0.0.1");
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);

    const page = await raw(d.url, new URL(d.url).pathname + new URL(d.url).search);
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(page.headers["referrer-policy"]).toBe("no-referrer");
    expect(page.body.match(/<g class="node function"/g)).toHaveLength(2);
    expect(page.body).toContain("new EventSource(");

    const states = (await events(
      d.url,
      (s) => (s as MapState).status.state !== "running",
    )) as MapState[];
    const last = states.at(-1)!.status;
    expect(last.state).toBe("done");
    expect(last.pipeline).toBe("squares");
    const y = last.functions.find((f) => f.name === "y")!;
    expect(y).toMatchObject({ state: "done", done: 59, failed: 1, total: 60 });
    // The counts rose while the page listened: more than one distinct count was sent.
    const counts = new Set(states.map((s) => s.status.functions[0]!.done));
    expect(counts.size).toBeGreaterThan(1);
    // While y ran with elements done, it had an ETA at its own pace; n, pending, had none.
    const going = states.find(
      (s) => s.status.functions[0]!.state === "running" && s.status.functions[0]!.done > 0,
    );
    expect(going?.status.functions[0]?.etaMs).toBeGreaterThanOrEqual(0);
    expect(going?.status.functions[1]?.etaMs).toBeNull();
    expect(going?.status.etaMs).toBeGreaterThanOrEqual(going?.status.functions[0]?.etaMs ?? 0);
    expect(last.functions[0]?.etaMs).toBeNull();
    // n is masked (its input holds a failed element): skipped, not failed, no error of its own.
    expect(last.functions.find((f) => f.name === "n")).toMatchObject({
      done: 0,
      failed: 0,
      skipped: 1,
    });
    expect(last.failedElements).toBe(1);
    expect(last.errors).toEqual([
      { name: "y", index: [3], message: "no square of 3", at: expect.any(String) },
    ]);

    // After the run the dashboard still answers, with the final state.
    const status = await raw(
      d.url,
      new URL(routeOf(d.url, "/status")).pathname + new URL(d.url).search,
    );
    expect(status.status).toBe(200);
    expect(JSON.parse(status.body).status.state).toBe("done");
    await dashboard?.close();
  });

  it("prints its URL on stderr when no onReady is given", async () => {
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      await slowPipeline("printed").map({ x: [1, 2] }, { dashboard: true, progress: false });
      const printed = write.mock.calls.map((c) => String(c[0])).join("");
      expect(printed).toMatch(
        /pipeweave dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}\n/,
      );
    } finally {
      write.mockRestore();
    }
  });

  it("shows a failed run as failed, with its error", async () => {
    let url = "";
    const bad = pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
      if (x === 2) throw new Error("two is bad");
      return x;
    });
    const run = new Pipeline([bad], { name: "fails" }).map(
      { x: [0, 1, 2, 3] },
      {
        dashboard: {
          onReady: (d) => {
            url = d.url;
          },
        },
      },
    );
    await expect(run).rejects.toThrow("two is bad");
    const status = await raw(url, `/status${new URL(url).search}`);
    const state = JSON.parse(status.body) as MapState;
    expect(state.status.state).toBe("failed");
    expect(state.status.error).toContain("two is bad");
    expect(state.status.errors?.[0]).toMatchObject({ name: "y", index: [2] });
  });

  it("estimates the end of functions running side by side by the later one, not their sum", async () => {
    const make = (output: string) =>
      pipefunc(
        { output, mapspec: `x[i] -> ${output}[i]`, version: "t" },
        async ({ x }: { x: number }) => {
          await sleep(25);
          return x;
        },
      );
    const { options: onReady, ready: started } = whenReady();
    const run = new Pipeline([make("a"), make("b")], { name: "side by side" }).map(
      { x: xs },
      { concurrency: 2, dashboard: onReady },
    );
    const d = await started;
    const states = (await events(d.url, (s) => {
      const f = (s as MapState).status.functions;
      return f.every((g) => g.state === "running" && typeof g.etaMs === "number" && g.done > 0);
    })) as MapState[];
    await run;
    const status = states.at(-1)!.status;
    const [a, b] = status.functions;
    expect(status.etaMs).toBe(Math.max(a!.etaMs!, b!.etaMs!));
    expect(status.etaMs).toBeLessThan(a!.etaMs! + b!.etaMs!);
    await d.close();
  });
});
