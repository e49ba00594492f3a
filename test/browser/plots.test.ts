/**
 * Plots in headless Chromium: `toHtml(results)` draws a numeric output with two axes as a
 * heatmap and one with one axis as a line, its coordinates as the axes' tick labels and a
 * failed element as a marked cell whose tooltip holds its error; the dashboard fills its plots
 * in while the sweep runs, without a reload.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NdArray, Pipeline, pipefunc } from "../../src/index.ts";
import { whenReady } from "../dashboard/http.ts";
import { chromiumAvailable, launchChromium, type TestBrowser } from "./chromium.ts";

const available = chromiumAvailable("the plots' browser tests");
const dir = mkdtempSync(join(tmpdir(), "pipeweave-browser-plots-"));
let browser: TestBrowser;

beforeAll(async () => {
  if (available) browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * z = a·b over a grid, failing at a = 2, b = 30, each element waiting for the gate of its a;
 * m sums each row of z.
 */
function gridPipeline(gateOf: (a: number) => Promise<void> = () => Promise.resolve()) {
  const grid = pipefunc(
    { output: "z", mapspec: "a[i], b[j] -> z[i, j]", version: "1" },
    async ({ a, b }: { a: number; b: number }) => {
      await gateOf(a);
      if (a === 2 && b === 30) throw new RangeError(`diverged at a=${a}, b=${b}`);
      return a * b;
    },
  );
  const rows = pipefunc(
    { output: "m", mapspec: "z[i, :] -> m[i]" },
    ({ z }: { z: NdArray<number> }) => z.values().reduce((s, v) => s + v, 0),
  );
  return new Pipeline([grid, rows], { name: "grid" });
}

const inputs = { a: [1, 2, 3], b: [10, 20, 30, 40] };

const ticks = (page: Page, output: string, axis: "x" | "y") =>
  page.locator(`figure[data-output="${output}"] text.tick.${axis}`).allTextContents();

describe.runIf(available)("plots in Chromium", () => {
  it("toHtml(results) draws a heatmap and a line over the coordinates, failed cells marked with their error", async () => {
    const pipeline = gridPipeline();
    const results = await pipeline.map(inputs, { errors: "continue", progress: false });
    const file = join(dir, "results.html");
    writeFileSync(file, pipeline.toHtml(results));
    const { page, errors } = await browser.page();
    try {
      await page.goto(pathToFileURL(file).href);
      const z = page.locator('figure[data-output="z"]');
      expect(await z.getAttribute("data-kind")).toBe("heatmap");
      expect(await z.locator("rect.cell").count()).toBe(12);
      expect(await z.getAttribute("data-filled")).toBe("12");
      // Columns along b, rows along a: the tick labels are the coordinates.
      expect(await ticks(page, "z", "x")).toEqual(["10", "20", "30", "40"]);
      expect(await ticks(page, "z", "y")).toEqual(["1", "2", "3"]);
      const failed = z.locator('rect.cell[data-state="f"]');
      expect(await failed.count()).toBe(1);
      expect(await failed.getAttribute("data-at")).toBe("6");
      expect(await failed.locator("title").textContent()).toBe(
        "z at a = 2 (i 1) · b = 30 (j 2)\nfailed: diverged at a=2, b=30",
      );
      expect(await z.locator('rect.cell[data-at="0"] title').textContent()).toBe(
        "z at a = 1 (i 0) · b = 10 (j 0)\n10",
      );
      // The line: m[1] read the failed element, so it was skipped.
      const m = page.locator('figure[data-output="m"]');
      expect(await m.getAttribute("data-kind")).toBe("line");
      expect(await ticks(page, "m", "x")).toEqual(["1", "2", "3"]);
      expect(await m.locator("circle.point").count()).toBe(2);
      const skipped = m.locator('.mark[data-state="s"]');
      expect(await skipped.locator("title").textContent()).toBe(
        "m at a = 2 (i 1)\nskipped: an input it reads failed",
      );
      // The line breaks at the skipped point: two pieces of one point each, nothing drawn across.
      expect(await m.locator("path.line").getAttribute("d")).toMatch(
        /^M[\d.]+,[\d.]+ M[\d.]+,[\d.]+$/,
      );
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("the dashboard fills its plots in as elements finish, without a reload", async () => {
    // The first three rows wait for one gate, the last three for another.
    const opens: (() => void)[] = [];
    const gates = [0, 1].map(() => new Promise<void>((r) => opens.push(r)));
    const { options, ready } = whenReady();
    const wide = { a: [1, 2, 3, 4, 5, 6], b: [10, 20, 30, 40, 50, 60] };
    const run = gridPipeline((a) => gates[a <= 3 ? 0 : 1]!).map(wide, {
      errors: "continue",
      concurrency: 2,
      progress: false,
      dashboard: options,
    });
    const dashboard = await ready;
    const { page, errors } = await browser.page();
    try {
      await page.goto(dashboard.url);
      const z = page.locator('figure[data-output="z"]');
      await z.waitFor();
      expect(await z.getAttribute("data-filled")).toBe("0");
      expect(await ticks(page, "z", "x")).toEqual(["10", "20", "30", "40", "50", "60"]);
      expect(await ticks(page, "z", "y")).toEqual(["1", "2", "3", "4", "5", "6"]);
      // Every count of filled cells the page draws from now on (page code as text: the
      // project compiles without DOM types).
      await page.evaluate(`{
        const figure = document.querySelector('figure[data-output="z"]');
        window.filled = [];
        new MutationObserver(() => window.filled.push(Number(figure.getAttribute("data-filled"))))
          .observe(figure, { attributes: true, attributeFilter: ["data-filled"] });
      }`);
      opens[0]!();
      // The first half is drawn while the second still waits.
      await page.locator('figure[data-output="z"][data-filled="18"]').waitFor();
      expect(await z.locator('rect.cell[data-state="."]').count()).toBe(18);
      expect(await z.locator('rect.cell[data-at="35"]').getAttribute("data-state")).toBe(".");
      opens[1]!();
      await page.locator('#run-state[data-state="done"]').waitFor({ timeout: 30_000 });
      await run;
      await page.locator('figure[data-output="z"][data-filled="36"]').waitFor();
      const filled = (await page.evaluate("window.filled")) as number[];
      // It filled in steps, never going back.
      expect(filled, filled.join(",")).toContain(18);
      expect(filled).toEqual([...filled].sort((a, b) => a - b));
      const failed = z.locator('rect.cell[data-state="f"]');
      expect(await failed.count()).toBe(1);
      expect(await failed.locator("title").textContent()).toContain(
        "failed: diverged at a=2, b=30",
      );
      // The line of row sums appears once its function has run, its skipped point marked.
      const m = page.locator('figure[data-output="m"]');
      await m.locator('.mark[data-state="s"]').waitFor();
      expect(await ticks(page, "m", "x")).toEqual(["1", "2", "3", "4", "5", "6"]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await dashboard.close();
    }
  });
});
