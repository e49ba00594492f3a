/**
 * The dashboard's plots over its event stream: a plot whole when a page connects, then only
 * the cells that settled since; a failed element's cell with its error; the same plots from a
 * run folder, read from its stores, its inputs' values as coordinates.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Pipeline, pipefunc, serveDashboard } from "../../src/index.ts";
import type { PlotCells, PlotMessage } from "../../src/viz/plot.ts";
import { events, whenReady } from "./http.ts";

const dir = mkdtempSync(join(tmpdir(), "pipeweave-dashboard-plots-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface State {
  readonly status: { readonly state: string } | null;
  readonly plots: readonly PlotMessage[];
}

const xs = Array.from({ length: 40 }, (_, i) => i / 10);

/** Squares of x, each waiting for its gate to open. */
function squares(gates?: readonly Promise<void>[]) {
  return new Pipeline(
    [
      pipefunc(
        { output: "y", mapspec: "x[i] -> y[i]", version: "1" },
        async ({ x }: { x: number }) => {
          await gates?.[Math.round(x * 10)];
          if (x === 0.3) throw new Error(`no square of ${x}`);
          return x * x;
        },
      ),
    ],
    { name: "squares" },
  );
}

/** A plot's cells after every message, applied in order as the page does. */
function applied(states: readonly State[], output: string) {
  let cells:
    | { values: (number | null)[]; states: string[]; notes: Record<number, string> }
    | undefined;
  const patches: PlotCells[] = [];
  for (const s of states) {
    for (const m of s.plots) {
      if (m.output !== output || !m.cells) continue;
      const c = m.cells;
      if (c.at === null) {
        cells = { values: [...c.values], states: [...c.states], notes: {} };
      } else patches.push(c);
      const list = c.at ?? c.values.map((_, k) => k);
      list.forEach((at, k) => {
        cells!.values[at] = c.values[k]!;
        cells!.states[at] = c.states[k]!;
        if (c.notes[k] !== undefined) cells!.notes[at] = c.notes[k];
      });
    }
  }
  return { cells: cells!, patches };
}

describe("the dashboard's plots", () => {
  it("sends a plot whole once, then only the cells that settled, the failed one with its error", async () => {
    const opens: (() => void)[] = [];
    const gates = xs.map(() => new Promise<void>((r) => opens.push(r)));
    const { options, ready } = whenReady();
    const run = squares(gates).map(
      { x: xs },
      { errors: "continue", concurrency: 40, progress: false, dashboard: options },
    );
    const d = await ready;
    // Each state the page is sent lets ten more elements finish.
    let opened = 0;
    const states = (await events(d.url, (s) => {
      for (const open of opens.slice(opened, opened + 10)) open();
      opened += 10;
      return (s as State).status?.state === "done";
    })) as State[];
    await run;
    await d.close();
    const { cells, patches } = applied(states, "y");
    expect(cells.states.join("")).toBe(`vvvf${"v".repeat(36)}`);
    expect(cells.values[2]).toBeCloseTo(0.04);
    expect(cells.notes).toEqual({ 3: "no square of 0.3" });
    // Filled in steps: several patches, each listing only cells new to it.
    expect(patches.length).toBeGreaterThan(1);
    const sent = patches.flatMap((p) => p.at ?? []);
    expect(new Set(sent).size).toBe(sent.length);
    expect(patches.every((p) => p.at !== null && p.at.length < xs.length)).toBe(true);
    const spec = states.flatMap((s) => s.plots).find((m) => m.output === "y" && m.spec)?.spec;
    expect(spec?.kind).toBe("line");
    expect(spec?.axes[0]?.coords[0]?.name).toBe("x");
    expect(spec?.axes[0]?.coords[0]?.labels.slice(0, 4)).toEqual(["0", "0.1", "0.2", "0.3"]);
  });

  it("plots a run folder's outputs from its stores, with its inputs as coordinates", async () => {
    const runFolder = join(dir, "run");
    await squares().map({ x: xs.slice(0, 5) }, { runFolder, errors: "continue", progress: false });
    const d = await serveDashboard(runFolder, { onReady: () => {} });
    try {
      const states = (await events(d.url, (s) =>
        (s as State).plots.some((p) => p.output === "y" && p.cells),
      )) as State[];
      const { cells } = applied(states, "y");
      expect(cells.states.join("")).toBe("vvvfv");
      expect(cells.values).toEqual([
        0,
        0.010000000000000002,
        0.04000000000000001,
        null,
        0.16000000000000003,
      ]);
      // The error the run status keeps names the failed element.
      expect(cells.notes).toEqual({ 3: "no square of 0.3" });
      const spec = states.flatMap((s) => s.plots).find((m) => m.spec)?.spec;
      expect(spec?.axes[0]?.coords).toEqual([
        { name: "x", labels: ["0", "0.1", "0.2", "0.3", "0.4"] },
      ]);
    } finally {
      await d.close();
    }
  });
});
