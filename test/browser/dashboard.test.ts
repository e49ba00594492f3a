/**
 * The live dashboard in headless Chromium: the graph drawn, progress rising to done without a
 * reload, the latest errors listed, a stale run shown as stale, a stream's stages with their
 * counts and buffer fill, and no console error.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
      expect(await y.locator("text.live").textContent()).toContain("79 / 80 · 1 failed");
      expect(await page.locator("#errors").isVisible()).toBe(true);
      expect(await page.locator("#error-list li").first().textContent()).toBe(
        "y[3]: no square of 3",
      );
      // A click still shows a node's details.
      await y.click();
      await expect.poll(() => page.locator("#details").textContent()).toContain("x[i] -> y[i]");
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
      expect(await store.locator("text.live").textContent()).toContain("buffer 6/6");
      open();
      await page.locator('#run-state[data-state="done"]').waitFor({ timeout: 30_000 });
      expect((await run).count).toBe(30);
      expect(await store.getAttribute("data-in")).toBe("30");
      expect(await store.getAttribute("data-out")).toBe("29");
      expect(await store.getAttribute("data-failed")).toBe("1");
      expect(await store.locator("text.live").textContent()).toBe(
        "in 30 · out 29 · failed 1 · buffer 0/6",
      );
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
