/**
 * The adaptive drawing in headless Chromium: `result.toHtml()` opened from a file (1-D curve
 * with its points, 2-D coloured triangulation), and the live dashboard of an adaptive run
 * folder redrawing as a resumed sweep stores more points.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dashboard, Pipeline, pipefunc, serveDashboard } from "../../src/index.ts";
import { tempFolders } from "../temp-folders.ts";
import { chromiumAvailable, launchChromium, type TestBrowser } from "./chromium.ts";

const scratch = tempFolders("pipeweave-adaptive-html-");
const wave = new Pipeline([
  pipefunc({ output: "y" }, ({ x }: { x: number }) => [Math.sin(5 * x), Math.cos(5 * x)]),
]);
const bowl = new Pipeline([
  pipefunc({ output: "z" }, ({ x, y }: { x: number; y: number }) => x * x + y * y),
]);
const line = new Pipeline([pipefunc({ output: "y" }, ({ x }: { x: number }) => Math.tanh(10 * x))]);

describe.runIf(chromiumAvailable("the adaptive drawing tests"))("adaptive drawing", () => {
  let chromium: TestBrowser;
  beforeAll(async () => {
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
  });

  it("draws a 1-D sweep as a curve per vector component through its points", async () => {
    const result = await wave.adaptive({
      dimensions: { x: [0, 2] },
      output: "y",
      goal: { points: 40 },
    });
    const file = join(scratch(), "wave.html");
    writeFileSync(file, result.toHtml());
    const { page, errors } = await chromium.page();
    await page.goto(pathToFileURL(file).href);
    expect(await page.locator("svg.adaptive path").count()).toBe(2);
    expect(await page.locator("svg.adaptive circle.point").count()).toBe(80);
    expect(await page.locator("svg.adaptive .caption").textContent()).toContain("40 points · loss");
    expect(errors).toEqual([]);
  });

  it("draws a 2-D sweep as a coloured triangulation with the points on top", async () => {
    const result = await bowl.adaptive({
      dimensions: { x: [-1, 1], y: [-1, 1] },
      output: "z",
      goal: { points: 50 },
    });
    const file = join(scratch(), "bowl.html");
    writeFileSync(file, result.toHtml());
    const { page, errors } = await chromium.page();
    await page.goto(pathToFileURL(file).href);
    const triangles = page.locator("svg.adaptive polygon.triangle");
    expect(await triangles.count()).toBe(
      result.learners[0]!.size > 0 ? await triangles.count() : 0,
    );
    expect(await triangles.count()).toBeGreaterThan(50);
    const fills = new Set(
      await triangles.evaluateAll((els) => els.map((e) => e.getAttribute("fill"))),
    );
    expect(fills.size).toBeGreaterThan(5);
    expect(await page.locator("svg.adaptive circle.point").count()).toBe(50);
    expect(errors).toEqual([]);
  });

  it("shows an adaptive run folder live, redrawn as more points are stored", async () => {
    const runFolder = join(scratch(), "run");
    const options = { dimensions: { x: [-1, 1] as const }, output: "y", runFolder };
    await line.adaptive({ ...options, goal: { points: 20 } });
    const dashboard = await serveDashboard(runFolder);
    try {
      const { page, errors } = await chromium.page();
      await page.goto(dashboard.url);
      await page.locator('body[data-points="20"]').waitFor();
      expect(await page.locator("#plot circle.point").count()).toBe(20);
      await line.adaptive({ ...options, goal: { points: 35 }, resume: true });
      await page.locator('body[data-points="35"]').waitFor();
      expect(await page.locator("#plot circle.point").count()).toBe(35);
      expect(await page.locator("#progress").textContent()).toContain("35 points");
      expect(errors).toEqual([]);
    } finally {
      await dashboard.close();
    }
  });

  it("shows a sweep running in this process live with dashboard: true, no run folder", async () => {
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let calls = 0;
    const held = new Pipeline([
      pipefunc({ output: "y" }, async ({ x }: { x: number }) => {
        if (calls++ >= 10) await gate;
        return Math.tanh(10 * x);
      }),
    ]);
    let ready: (d: Dashboard) => void = () => {};
    const served = new Promise<Dashboard>((r) => {
      ready = r;
    });
    const sweep = held.adaptive({
      dimensions: { x: [-1, 1] },
      output: "y",
      goal: { points: 30 },
      dashboard: { onReady: (d) => ready(d) },
    });
    const dashboard = await served;
    try {
      const { page, errors } = await chromium.page();
      await page.goto(dashboard.url);
      await page.locator('body[data-points="10"]').waitFor();
      expect(await page.locator("#plot circle.point").count()).toBe(10);
      release();
      await sweep;
      await page.locator('body[data-points="30"]').waitFor();
      expect(await page.locator("#plot circle.point").count()).toBe(30);
      expect(await page.locator("#progress").textContent()).toContain("30 points");
      expect(errors).toEqual([]);
    } finally {
      release();
      await dashboard.close();
    }
  });
});
