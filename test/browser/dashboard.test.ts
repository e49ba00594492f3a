/**
 * The live dashboard in headless Chromium: the graph drawn, progress rising to done without a
 * reload, the latest errors listed, a stale run shown as stale, a stream's stages with their
 * counts and buffer fill, and no console error.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NdArray, Pipeline, pipefunc, pool, serveDashboard, stream } from "../../src/index.ts";
import { whenReady } from "../dashboard/http.ts";
import { chromiumAvailable, launchChromium, type TestBrowser } from "./chromium.ts";

const available = chromiumAvailable("the dashboard's browser tests");
const dir = mkdtempSync(join(tmpdir(), "pipeweave-browser-dashboard-"));
let browser: TestBrowser;

beforeAll(async () => {
  if (available) browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Page code (as text: the project compiles without DOM types) listing every live figure of a
 * node that an edge crosses or that sticks out of its node's box.
 */
const CROSSED = `(() => {
  const problems = [];
  const segments = [...document.querySelectorAll("path.edge")].flatMap((p) => {
    const points = p.getAttribute("d").match(/-?[\\d.]+,-?[\\d.]+/g).map((xy) => xy.split(",").map(Number));
    return points.slice(1).map((b, k) => [points[k], b]);
  });
  // Whether the segment a-b meets the rectangle r (Liang-Barsky clipping).
  const meets = ([[x1, y1], [x2, y2]], r) => {
    let t0 = 0, t1 = 1;
    const dx = x2 - x1, dy = y2 - y1;
    for (const [p, q] of [[-dx, x1 - r.x], [dx, r.x + r.width - x1], [-dy, y1 - r.y], [dy, r.y + r.height - y1]]) {
      if (p === 0) { if (q < 0) return false; continue; }
      const t = q / p;
      if (p < 0) t0 = Math.max(t0, t); else t1 = Math.min(t1, t);
      if (t0 > t1) return false;
    }
    return true;
  };
  for (const text of document.querySelectorAll("g.node text.live")) {
    if (!text.textContent) continue;
    const b = text.getBBox();
    const box = text.parentNode.querySelector("rect.box").getBBox();
    const name = text.parentNode.querySelector("title").textContent + ": " + text.textContent;
    if (b.x < box.x || b.y < box.y || b.x + b.width > box.x + box.width || b.y + b.height > box.y + box.height) {
      problems.push(name + " sticks out of its node");
    }
    if (segments.some((s) => meets(s, b))) problems.push(name + " is crossed by an edge");
  }
  return problems;
})()`;

/**
 * Page code listing every word of the page's texts (header, details, errors, plot captions)
 * that is drawn on two lines: a word wrapped in its middle.
 */
const SPLIT_WORDS = `(() => {
  const split = [];
  for (const el of document.querySelectorAll("#run-figures, #details, #error-list, #plots figcaption")) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (lines.size > 1) split.push(m[0]);
      }
    }
  }
  return split;
})()`;

/** A sweep whose elements wait for `gate`, then `delay` ms each. */
function sweep(delay: number, gate: Promise<void> = Promise.resolve()) {
  const square = pipefunc(
    { output: "y", mapspec: "x[i] -> y[i]", version: "test" },
    async ({ x }: { x: number }) => {
      await gate;
      await sleep(delay);
      if (x === 3) throw new Error(`no square of ${x}`);
      return x * x;
    },
  );
  const total = pipefunc(
    { output: "total", mapspec: "y[:] -> total" },
    ({ y }: { y: NdArray<number> }) => y.size,
  );
  return new Pipeline([square, total], { name: "live squares" });
}

describe.runIf(available)("the dashboard in Chromium", () => {
  it("draws the graph and shows progress rising to done without a reload", async () => {
    const { options: onReady, ready } = whenReady();
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const run = sweep(20, gate).map(
      { x: Array.from({ length: 80 }, (_, i) => i) },
      { errors: "continue", concurrency: 2, progress: false, dashboard: onReady },
    );
    const dashboard = await ready;
    const { page, errors } = await browser.page();
    try {
      await page.goto(dashboard.url);
      expect(await page.locator("g.node.function").count()).toBe(2);
      expect(await page.locator("g.node.input").count()).toBe(1);
      expect(await page.locator("g.node.output").count()).toBe(1);
      expect(await page.locator("path.edge").count()).toBe(3);
      const y = page.locator('g.node.function:has(title:text-is("y"))');
      // The page's first state shows the run going, with part of its elements done.
      await page.locator("body[data-updates]").waitFor();
      // Elements wait at the gate until the page shows the run going with none done.
      expect(await page.locator("#run-state").textContent()).toBe("running");
      expect(await y.getAttribute("data-done")).toBe("0");
      // Every count the page draws from now on.
      // Every count the page draws from now on (page code as text: the project compiles without DOM types).
      await page.evaluate(`{
        const node = [...document.querySelectorAll("g.node.function")]
          .find((g) => g.querySelector("title").textContent === "y");
        window.seen = [];
        new MutationObserver(() => window.seen.push(node.getAttribute("data-done")))
          .observe(node, { attributes: true, attributeFilter: ["data-done"] });
      }`);
      open();
      await page.locator('#run-state[data-state="done"]').waitFor({ timeout: 30_000 });
      await run;
      // The same document (no reload: window.seen survived) now shows every element settled.
      expect(await y.getAttribute("data-done")).toBe("79");
      const seen = (await page.evaluate("window.seen")) as string[];
      const counts = [...new Set(seen.map(Number))];
      // It rose in steps: some count between none and all was drawn, and never went down.
      expect(
        counts.some((c) => c > 0 && c < 79),
        seen.join(","),
      ).toBe(true);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      expect(await y.getAttribute("data-failed")).toBe("1");
      expect(await y.getAttribute("data-state")).toBe("done");
      const bar = Number(await y.locator("rect.bar-done").getAttribute("width"));
      const track = Number(await y.locator("rect.bar-track").getAttribute("width"));
      expect(bar).toBeGreaterThan(0.9 * track);
      expect(await y.locator("text.live.counts").textContent()).toBe("79 / 80 · 1 failed");
      // total reads y whole: one element failed there, so total was skipped, not failed.
      const total = page.locator('g.node.function:has(title:text-is("total"))');
      expect(await total.locator("text.live.counts").textContent()).toBe("0 / 1 · 1 skipped");
      expect(await total.getAttribute("data-failed")).toBe("0");
      expect(await total.getAttribute("data-skipped")).toBe("1");
      // The run is done with a failure: said so, in the warning colour, not done's green.
      const pill = page.locator("#run-state");
      expect(await pill.textContent()).toBe("done, 1 failed");
      expect(
        await page.evaluate(
          'getComputedStyle(document.getElementById("run-state")).backgroundColor',
        ),
      ).toBe("rgb(255, 248, 197)");
      const figures = (await page.locator("#run-figures .fig").allTextContents()).join(" | ");
      expect(figures).toMatch(/^79 \/ 81 elements \| 1 failed \| 1 skipped \| elapsed \d/);
      expect(await page.evaluate(CROSSED)).toEqual([]);
      expect(await page.evaluate(SPLIT_WORDS)).toEqual([]);
      expect(await page.locator("#errors").isVisible()).toBe(true);
      // No function ran on SLURM: no jobs section.
      expect(await page.locator("#jobs").isVisible()).toBe(false);
      expect(await page.locator("#error-list li").first().textContent()).toBe(
        "y[3]: no square of 3",
      );
      // A click still shows a node's details.
      await y.click();
      await expect.poll(() => page.locator("#details").textContent()).toContain("x[i] -> y[i]");
      // Its details wrap between words only (the panel is narrow; a long line wraps).
      expect(await page.locator("#details").textContent()).toContain("profile the pipeline");
      expect(await page.evaluate(SPLIT_WORDS)).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await dashboard.close();
    }
  });

  it("shows a run folder whose process is gone as stale", async () => {
    const folder = join(dir, "stale");
    await sweep(0).map({ x: [0, 1, 2] }, { runFolder: folder, progress: false });
    const path = join(folder, "status.json");
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid;
    const status = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...status, state: "running", pid: gone }));
    const dashboard = await serveDashboard(folder, { onReady: () => {} });
    const { page, errors } = await browser.page();
    try {
      await page.goto(dashboard.url);
      await page.locator('#run-state[data-state="stale"]').waitFor();
      expect(await page.locator("#run-figures").textContent()).toContain("resume");
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await dashboard.close();
    }
  });

  it("lists each function's SLURM jobs with their task states, as the run folder keeps them", async () => {
    const folder = join(dir, "jobs");
    await sweep(0).map({ x: [0, 1, 2] }, { runFolder: folder, progress: false });
    // The record the slurm() executor keeps; a job of a function that ran elsewhere is none.
    mkdirSync(join(folder, "slurm"));
    writeFileSync(
      join(folder, "slurm", "jobs.json"),
      JSON.stringify([
        { node: "y", job: "41", tasks: 3, states: { COMPLETED: 2, CANCELLED: 1 } },
        { node: "y", job: "57", tasks: 1, states: { RUNNING: 1 } },
      ]),
    );
    const dashboard = await serveDashboard(folder, { onReady: () => {} });
    const { page, errors } = await browser.page();
    try {
      await page.goto(dashboard.url);
      await page.locator("#jobs:not([hidden])").waitFor();
      expect(await page.locator("#job-list li").allTextContents()).toEqual([
        "y  job 41: 3 tasks · 2 COMPLETED, 1 CANCELLED",
        "y  job 57: 1 task · 1 RUNNING",
      ]);
      const y = page.locator('g.node.function:has(title:text-is("y"))');
      expect(await y.getAttribute("data-jobs")).toBe("41 57");
      const total = page.locator('g.node.function:has(title:text-is("total"))');
      expect(await total.getAttribute("data-jobs")).toBeNull();
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await dashboard.close();
    }
  });

  it("shows only a refusal to a page without the token", async () => {
    const folder = join(dir, "tokened");
    await sweep(0).map({ x: [0, 1] }, { runFolder: folder, progress: false });
    const dashboard = await serveDashboard(folder, { onReady: () => {} });
    const { page } = await browser.page();
    try {
      const response = await page.goto(dashboard.url.replace(/token=.*/, "token=guess"));
      expect(response?.status()).toBe(403);
      expect(await page.locator("svg").count()).toBe(0);
    } finally {
      await page.close();
      await dashboard.close();
    }
  });

  it("shows a stream's stages: items in, out and failed, and a buffer filling behind a slow stage", async () => {
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const { options: onReady, ready: started } = whenReady();
    const run = stream(Array.from({ length: 30 }, (_, i) => i))
      .pipe(
        pool({ name: "parse", workers: 2 }, (x: number) => x),
        pool({ name: "store", buffer: 6 }, async (x: number) => {
          await gate;
          if (x === 4) throw new Error("disk full at 4");
          return x;
        }),
      )
      .run({ dashboard: onReady });
    const dashboard = await started;
    const { page, errors } = await browser.page();
    try {
      await page.goto(dashboard.url);
      expect(await page.locator("g.node.function").count()).toBe(2);
      expect(await page.locator("g.node.input").count()).toBe(1);
      expect(await page.locator("g.node.output").count()).toBe(1);
      const store = page.locator('g.node.function:has(title:text-is("store"))');
      // The store waits at the gate: its buffer fills to its capacity and the page shows it.
      await page.locator('g.node.function[data-buffered="6"]').waitFor();
      expect(Number(await store.locator("rect.bar-buffer").getAttribute("width"))).toBeGreaterThan(
        0,
      );
      expect(await store.locator("text.live.times").textContent()).toBe("buffer 6/6");
      open();
      await page.locator('#run-state[data-state="done"]').waitFor({ timeout: 30_000 });
      expect((await run).count).toBe(30);
      expect(await store.getAttribute("data-in")).toBe("30");
      expect(await store.getAttribute("data-out")).toBe("29");
      expect(await store.getAttribute("data-failed")).toBe("1");
      expect(await store.locator("text.live.counts").textContent()).toBe(
        "in 30 · out 29 · failed 1",
      );
      expect(await store.locator("text.live.times").textContent()).toBe("buffer 0/6");
      expect(await page.locator("#run-state").textContent()).toBe("done, 1 failed");
      expect(await page.evaluate(CROSSED)).toEqual([]);
      expect(await page.locator("#error-list li").first().textContent()).toBe(
        "store (attempts 1): disk full at 4",
      );
      await store.click();
      await expect.poll(() => page.locator("#details").textContent()).toContain("buffer6");
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await dashboard.close();
    }
  });
});
