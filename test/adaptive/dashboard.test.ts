/**
 * `pipeline.adaptive(..., { dashboard })`: the live drawing of a sweep running in this
 * process, sent as points arrive, and still served, final, after the sweep.
 */
import { describe, expect, it, vi } from "vitest";
import { type Dashboard, Pipeline, pipefunc } from "../../src/index.ts";
import { events, raw, routeOf } from "../dashboard/http.ts";

interface AdaptiveState {
  readonly kind: string;
  readonly output: string;
  readonly points: number;
  readonly caption: string;
  readonly svg: string;
}

/** `y = x²`, whose calls after the first `open` wait for `gate`. */
function gated(open: number, gate: Promise<void>): Pipeline {
  let calls = 0;
  return new Pipeline([
    pipefunc({ output: "y" }, async ({ x }: { x: number }) => {
      if (calls++ >= open) await gate;
      return x * x;
    }),
  ]);
}

describe("pipeline.adaptive(..., { dashboard })", () => {
  it("serves the drawing, redraws it as points arrive, and keeps the final one after the sweep", async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let ready: (d: Dashboard) => void = () => {};
    const served = new Promise<Dashboard>((r) => {
      ready = r;
    });
    const sweep = gated(5, gate).adaptive({
      dimensions: { x: [-1, 1] },
      output: "y",
      goal: { points: 20 },
      dashboard: { onReady: (d) => ready(d) },
    });
    const d = await served;
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}$/);
    const page = await raw(d.url, new URL(d.url).pathname + new URL(d.url).search);
    expect(page.status).toBe(200);
    expect(page.body).toContain("new EventSource(");

    // Held at 5 points: the page is sent that drawing, then the rest once the gate opens.
    const early = (await events(
      d.url,
      (s) => (s as AdaptiveState).points === 5,
    )) as AdaptiveState[];
    const at5 = early.at(-1)!;
    expect(at5).toMatchObject({ kind: "adaptive", output: "y", points: 5 });
    expect(at5.caption).toMatch(/^5 points · loss [\d.e-]+ · goal 20 points$/);
    expect(at5.svg.match(/class="point"/g)).toHaveLength(5);
    release();
    const result = await sweep;
    expect(result.points).toHaveLength(20);

    const status = await raw(
      d.url,
      new URL(routeOf(d.url, "/status")).pathname + new URL(d.url).search,
    );
    expect(status.status).toBe(200);
    const last = JSON.parse(status.body) as AdaptiveState;
    expect(last.points).toBe(20);
    expect(last.svg.match(/class="point"/g)).toHaveLength(20);
    await d.close();
  });

  it("prints its URL on stderr when no onReady is given, and needs no run folder", async () => {
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      const result = await new Pipeline([
        pipefunc({ output: "y" }, ({ x }: { x: number }) => x),
      ]).adaptive({ dimensions: { x: [0, 1] }, output: "y", goal: { points: 3 }, dashboard: true });
      expect(result.points).toHaveLength(3);
      const printed = write.mock.calls.map((c) => String(c[0])).join("");
      expect(printed).toMatch(
        /pipeweave dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}\n/,
      );
    } finally {
      write.mockRestore();
    }
  });
});
