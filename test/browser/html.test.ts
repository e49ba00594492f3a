/**
 * `pipeline.toHtml()` opened from a file in headless Chromium: what it draws, the details
 * panel, pan and zoom, nested functions opening and closing, no request leaving the file, and
 * a large graph drawn without overlapping nodes.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { oscillator } from "../../examples/oscillator.ts";
import { type AnyPipeFunc, Pipeline, pipefunc } from "../../src/index.ts";
import { randomPipeline } from "../reliability/fixtures/big-graphs.ts";
import { type Drawing, drawingProblems, READ_DRAWING } from "../viz/geometry.ts";
import { chromiumAvailable, launchChromium, type TestBrowser } from "./chromium.ts";

const double = pipefunc(
  { output: "y", mapspec: "x[i] -> y[i]", cache: true },
  ({ x }: { x: number }) => 2 * x,
);
const inc = pipefunc(
  { output: "z", mapspec: "y[i], k[i] -> z[i]" },
  ({ y, k = 1 }: { y: number; k?: number }) => y + k,
);
const total = pipefunc(
  { output: "sum", defaults: { offset: 1 }, bound: { scale: 3 } },
  ({ z, offset, scale }: { z: unknown; offset: number; scale: number }) => [z, offset, scale],
);
const report = pipefunc({ output: "text" }, ({ sum }: { sum: unknown }) => String(sum));
/** yz (double and inc nested), total, report. */
const pipeline = new Pipeline([double, inc, total, report], { name: "browser" }).nest(
  ["y", "z"],
  "yz",
);

/** What the page should draw for `p`, read from the pipeline itself. */
function expectedCounts(p: { readonly functions: readonly AnyPipeFunc[] }): {
  inputs: number;
  functions: number;
  outputs: number;
  edges: number;
} {
  const produced = new Set(p.functions.flatMap((f) => f.outputs));
  const read = new Set(p.functions.flatMap((f) => f.inputs));
  const inputs = [...read].filter((n) => !produced.has(n)).length;
  const outputs = [...produced].filter((n) => !read.has(n)).length;
  const edges = p.functions.reduce((sum, f) => sum + f.inputs.length, 0) + outputs;
  return { inputs, functions: p.functions.length, outputs, edges };
}

async function drawnCounts(page: Page): Promise<ReturnType<typeof expectedCounts>> {
  return {
    inputs: await page.locator("svg#graph g.node.input").count(),
    functions: await page.locator("svg#graph g.node.function").count(),
    outputs: await page.locator("svg#graph g.node.output").count(),
    edges: await page.locator("svg#graph path.edge").count(),
  };
}

/** The top-level node drawing `name` as a `kind`. */
function node(page: Page, kind: string, name: string) {
  return page.locator(`g.node.${kind}`).filter({ has: page.locator(`title:text-is("${name}")`) });
}

function innerNode(page: Page, kind: string, name: string) {
  return page
    .locator(`g.inner-node.${kind}`)
    .filter({ has: page.locator(`title:text-is("${name}")`) });
}

const viewBox = (page: Page) => page.locator("svg#graph").getAttribute("viewBox");

const available = chromiumAvailable("the HTML view's browser tests");

describe.skipIf(!available)("pipeline.toHtml() in Chromium", () => {
  const dir = mkdtempSync(join(tmpdir(), "pipeweave-html-"));
  let browser: TestBrowser;
  let opened: { page: Page; errors: string[] } | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    // Every test's page ran without a console error or an uncaught exception.
    const errors = opened?.errors ?? [];
    await opened?.page.close();
    opened = undefined;
    expect(errors).toEqual([]);
  });

  /** Writes `html` to a file and opens it from its file:// URL. */
  async function open(html: string, name: string): Promise<{ page: Page; url: string }> {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, html);
    opened = await browser.page();
    // A step that cannot happen (a covered toggle) fails with its reason before the test times out.
    opened.page.setDefaultTimeout(10_000);
    const url = pathToFileURL(file).href;
    await opened.page.goto(url);
    return { page: opened.page, url };
  }

  it("draws a node group per input, function and result, and a path per edge", async () => {
    const { page } = await open(pipeline.toHtml(), "counts");
    expect(await drawnCounts(page)).toEqual(expectedCounts(pipeline));
    // yz, sum, text; inputs x, k, offset; results y (nothing outside yz reads it) and text;
    // x→yz, k→yz, z→sum, offset→sum, sum→text, yz→y, text→text.
    expect(await drawnCounts(page)).toEqual({ inputs: 3, functions: 3, outputs: 2, edges: 7 });
    for (const rect of await page.locator("g.node > rect").all()) {
      const b = await rect.boundingBox();
      expect(b?.width).toBeGreaterThan(10);
      expect(b?.height).toBeGreaterThan(10);
    }
  });

  it("shows a function's inputs, outputs, defaults and mapspec when it is clicked", async () => {
    const { page } = await open(pipeline.toHtml(), "details");
    const details = page.locator("#details");
    await expect.poll(() => details.isVisible()).toBe(false);

    await node(page, "function", "sum").click();
    await expect.poll(() => details.isVisible()).toBe(true);
    expect(await details.locator("h2").textContent()).toBe("sum");
    const text = await details.innerText();
    expect(text).toMatch(/inputs\s+z, offset/);
    expect(text).toMatch(/outputs\s+sum/);
    expect(text).toMatch(/defaults\s+offset: 1/);
    expect(text).toMatch(/bound\s+scale: 3/);
    expect(await node(page, "function", "sum").getAttribute("class")).toContain("selected");

    await node(page, "function", "yz").click();
    expect(await details.locator("h2").textContent()).toBe("yz");
    const yz = await details.innerText();
    expect(yz).toMatch(/mapspec\s+x\[i\], k\[i\] -> y\[i\], z\[i\]/);
    expect(yz).toMatch(/nested functions\s+y, z/);
    // Clicking the node selects it but does not open it: only its toggle does.
    expect(await page.locator(".nested-panel").first().isVisible()).toBe(false);
  });

  it("shows the descriptions of a clicked function and of a clicked input", async () => {
    const described = new Pipeline(
      [
        pipefunc(
          { output: "y", description: "doubles x", inputDescriptions: { x: "the value" } },
          ({ x = 4 }: { x?: number }) => 2 * x,
        ),
      ],
      { name: "described" },
    );
    const { page } = await open(described.toHtml(), "described");
    const details = page.locator("#details");
    await node(page, "function", "y").click();
    await expect.poll(() => details.isVisible()).toBe(true);
    expect(await details.innerText()).toMatch(/description\s+doubles x/);
    await node(page, "input", "x").click();
    expect(await details.locator("h2").textContent()).toBe("x");
    const text = await details.innerText();
    expect(text).toMatch(/description\s+the value/);
    expect(text).toMatch(/default\s+4/);
  });

  it("zooms with the wheel, pans by dragging, and fit restores the whole graph", async () => {
    const { page } = await open(pipeline.toHtml(), "zoom");
    const svg = page.locator("svg#graph");
    const initial = await viewBox(page);
    const b = await svg.boundingBox();
    if (!b) throw new Error("the graph has no box");
    const cx = b.x + b.width / 2;
    const cy = b.y + b.height / 2;

    await page.mouse.move(cx, cy);
    await page.mouse.wheel(0, -400);
    await expect.poll(() => viewBox(page)).not.toBe(initial);
    const zoomed = (await viewBox(page))!.split(" ").map(Number);
    const start = initial!.split(" ").map(Number);
    // Zoomed in: a smaller part of the graph fills the view.
    expect(zoomed[2]).toBeLessThan(start[2]!);

    await page.locator("#fit").click();
    expect(await viewBox(page)).toBe(initial);

    // Drag from an empty spot (the svg's corner) to the right and down: the view moves left
    // and up in graph coordinates.
    await page.mouse.move(b.x + 5, b.y + 5);
    await page.mouse.down();
    await page.mouse.move(b.x + 65, b.y + 45, { steps: 5 });
    await page.mouse.up();
    const panned = (await viewBox(page))!.split(" ").map(Number);
    expect(panned[0]).toBeLessThan(start[0]!);
    expect(panned[1]).toBeLessThan(start[1]!);
    expect(panned.slice(2)).toEqual(start.slice(2));
    // A drag is not a click: nothing was selected.
    expect(await page.locator("#details").isVisible()).toBe(false);

    await page.locator("#fit").click();
    expect(await viewBox(page)).toBe(initial);
  });

  it("opens and closes a nested function's inner graph, whose functions show their details", async () => {
    const { page } = await open(pipeline.toHtml(), "nested");
    const yz = node(page, "function", "yz");
    const toggle = yz.locator(".toggle");
    const panel = page.locator(".nested-panel");
    expect(await panel.count()).toBe(1);
    expect(await panel.isVisible()).toBe(false);
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");

    await toggle.click();
    await expect.poll(() => panel.isVisible()).toBe(true);
    expect(await toggle.getAttribute("aria-expanded")).toBe("true");
    // double and inc, the group's inputs x and k, and x→double, y→inc, k→inc.
    expect(await panel.locator("g.inner-node.function").count()).toBe(2);
    expect(await panel.locator("g.inner-node.input").count()).toBe(2);
    expect(await panel.locator("path.inner-edge").count()).toBe(3);
    for (const rect of await panel.locator("g.inner-node > rect").all()) {
      expect((await rect.boundingBox())?.width).toBeGreaterThan(10);
    }
    // The outer graph's counts do not include the inner graph.
    expect(await drawnCounts(page)).toEqual(expectedCounts(pipeline));
    // The panel is drawn above the graph: the topmost element at an inner node's centre is it.
    const z = innerNode(page, "function", "z");
    const zBox = await z.boundingBox();
    if (!zBox) throw new Error("inner node z has no box");
    const topmost = await page.evaluate(
      ([x, y]) => {
        const hit = (globalThis as unknown as PageGlobals).document.elementFromPoint(x!, y!);
        return hit?.closest(".nested-panel")?.id ?? null;
      },
      [zBox.x + zBox.width / 2, zBox.y + zBox.height / 2],
    );
    expect(topmost).toBe(await panel.getAttribute("id"));

    await z.click();
    const details = page.locator("#details");
    expect(await details.locator("h2").textContent()).toBe("z");
    const text = await details.innerText();
    expect(text).toMatch(/inside\s+yz/);
    expect(text).toMatch(/inputs\s+y, k/);
    expect(text).toMatch(/outputs\s+z/);
    expect(text).toMatch(/defaults\s+k: 1/);
    expect(text).toMatch(/mapspec\s+y\[i\], k\[i\] -> z\[i\]/);
    expect(text).toMatch(/cache\s+off/);
    // Selecting an inner function does not close its panel.
    expect(await panel.isVisible()).toBe(true);

    await toggle.click();
    await expect.poll(() => panel.isVisible()).toBe(false);
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");
  });

  it("toggles a nested function from the keyboard with Enter and Space", async () => {
    const { page } = await open(pipeline.toHtml(), "keyboard");
    const toggle = node(page, "function", "yz").locator(".toggle");
    const panel = page.locator(".nested-panel");
    await toggle.focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => panel.isVisible()).toBe(true);
    await page.keyboard.press(" ");
    await expect.poll(() => panel.isVisible()).toBe(false);
    // Tab reaches the toggle right after its node.
    await node(page, "function", "yz").focus();
    await page.keyboard.press("Tab");
    expect(await toggle.evaluate((e) => e === (e as PageElement).ownerDocument.activeElement)).toBe(
      true,
    );
  });

  it("keeps several nested functions open at once, and closes inner panels with their parent", async () => {
    const twice = pipefunc(
      { output: "w", mapspec: "z[i] -> w[i]" },
      ({ z }: { z: number }) => 2 * z,
    );
    const a = pipefunc({ output: "a" }, ({ w }: { w: unknown }) => w);
    const b = pipefunc({ output: "b" }, ({ a }: { a: unknown }) => a);
    const p = new Pipeline([double, inc, twice, a, b], { name: "several" })
      .nest(["y", "z"], "inner")
      .nest(["z", "w"], "outer")
      .nest(["a", "b"], "ab");
    const { page } = await open(p.toHtml(), "several");
    await node(page, "function", "outer").locator(".toggle").click();
    await node(page, "function", "ab").locator(".toggle").click();
    const outerId = await node(page, "function", "outer").getAttribute("data-id");
    const abId = await node(page, "function", "ab").getAttribute("data-id");
    expect(await page.locator(`#nested-${outerId}`).isVisible()).toBe(true);
    expect(await page.locator(`#nested-${abId}`).isVisible()).toBe(true);

    // "inner" is drawn inside outer's panel, with its own toggle.
    const inner = innerNode(page, "function", "inner");
    await inner.locator(".toggle").click();
    const innerId = await inner.getAttribute("data-id");
    const innerPanel = page.locator(`#nested-${innerId}`);
    await expect.poll(() => innerPanel.isVisible()).toBe(true);
    expect(await innerPanel.locator("g.inner-node.function").count()).toBe(2);

    // Three panels open, one inside another: the graph made room for each of them.
    await expectClearDrawing(page);
    await expectEveryNodeSelectable(page);
    // A panel closes from its own close button too; the button takes Enter like the toggles.
    await page.locator(`#nested-${abId} .close`).focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator(`#nested-${abId}`).isVisible()).toBe(false);
    expect(await page.locator(`#nested-${outerId}`).isVisible()).toBe(true);
    expect(await innerPanel.isVisible()).toBe(true);
    await expectClearDrawing(page);

    // Closing outer closes the panel opened inside it.
    await node(page, "function", "outer").locator(".toggle").click();
    await expect.poll(() => innerPanel.isVisible()).toBe(false);
    expect(await page.locator(`#nested-${outerId}`).isVisible()).toBe(false);
    expect(
      await node(page, "function", "outer").locator(".toggle").getAttribute("aria-expanded"),
    ).toBe("false");
    expect(await inner.locator(".toggle").getAttribute("aria-expanded")).toBe("false");
  });

  it("draws edge labels as Chromium sets them clear of every edge and node", async () => {
    const step = (output: string | string[], inputs: string[]) =>
      pipefunc({ output, inputs }, (...args: unknown[]) => args);
    const p = new Pipeline([
      step(["lo", "hi", "mid"], ["xs"]),
      step("a", ["lo", "k"]),
      step("b", ["hi", "a"]),
      step("c", ["mid", "lo", "xs"]),
      step(["d1", "d2"], ["a", "b", "c"]),
      step("e", ["d1", "d2", "hi"]),
    ]);
    const { page } = await open(p.toHtml(), "labels");
    // lo→a, lo→c, hi→b, hi→e, mid→c, d1→e, d2→e: the edges from a function of several outputs.
    const labels = await page.locator("svg#graph .edge-label").allTextContents();
    expect(labels.sort()).toEqual(["d1", "d2", "hi", "hi", "lo", "lo", "mid"]);
    await expectClearDrawing(page);
  });

  it("opens a panel beside its node, moving what is right of it and below it: nothing covered", async () => {
    const { page } = await open(pipeline.toHtml(), "beside");
    const before = await drawn(page);
    const yz = node(page, "function", "yz");
    await yz.locator(".toggle").click();
    const yzBox = await yz.locator("rect").first().boundingBox();
    const panel = await page.locator(".nested-panel.open .frame").boundingBox();
    if (!yzBox || !panel) throw new Error("yz or its panel has no box");
    // Beside the node, its top at the node's top; the node itself did not move.
    expect(await yz.getAttribute("transform")).toBeNull();
    expect(panel.x).toBeGreaterThan(yzBox.x + yzBox.width);
    expect(Math.abs(panel.y - yzBox.y)).toBeLessThan(1);
    await expectClearDrawing(page);
    await expectEveryNodeSelectable(page);
    // Closed again, the graph is drawn as it was.
    await yz.locator(".toggle").click();
    expect(await drawn(page)).toEqual(before);
  });

  it("makes room for panels on one rank and below each other, and for an edge passing them", async () => {
    const step = (output: string, inputs: string[]) =>
      pipefunc({ output, inputs }, (...args: unknown[]) => args[0]);
    const p = new Pipeline(
      [
        step("l1", ["x"]),
        step("l2", ["l1"]),
        step("s", ["x"]),
        step("r1", ["x"]),
        step("r2", ["r1", "k"]),
        step("j1", ["l2", "r2"]),
        step("j2", ["j1", "s"]),
        step("far", ["x", "j2", "l2"]),
      ],
      { name: "panels" },
    )
      .nest(["l1", "l2"], "left")
      .nest(["r1", "r2"], "right")
      .nest(["j1", "j2"], "join");
    const { page } = await open(p.toHtml(), "panels");
    const before = await drawn(page);
    for (const name of ["left", "right", "join"]) {
      await node(page, "function", name).locator(".toggle").click();
      await expectClearDrawing(page);
    }
    await expectEveryNodeSelectable(page);
    // Closing one of them lays the graph out again around the others.
    await node(page, "function", "left").locator(".toggle").click();
    await expectClearDrawing(page);
    await expectEveryNodeSelectable(page);
    for (const name of ["right", "join"]) {
      await node(page, "function", name).locator(".toggle").click();
    }
    expect(await drawn(page)).toEqual(before);
  });

  it("renders the demo pipeline from file:// with the network off, requesting nothing else", async () => {
    const file = join(dir, "demo.html");
    writeFileSync(file, oscillator.toHtml());
    const url = pathToFileURL(file).href;
    opened = await browser.page();
    const { page } = opened;
    const context = page.context();
    await context.setOffline(true);
    const requested: string[] = [];
    page.on("request", (request) => {
      if (request.url() !== url) requested.push(request.url());
    });
    await context.route("**/*", async (route) => {
      const target = route.request().url();
      if (target !== url) requested.push(target);
      if (target.startsWith("file:")) await route.continue();
      else await route.abort();
    });
    await page.goto(url);
    expect(await drawnCounts(page)).toEqual(expectedCounts(oscillator));
    expect(await page.locator("g.node.function").count()).toBe(3);
    await node(page, "function", "settle").click();
    expect(await page.locator("#details").innerText()).toMatch(
      /mapspec\s+zeta\[i\], omega\[j\] -> settle\[i, j\]/,
    );
    expect(requested).toEqual([]);
  });

  it("draws 128 functions of chains and fan-in without two nodes overlapping", async () => {
    const p = layeredPipeline(8, 15);
    expect(p.functions.length).toBeGreaterThanOrEqual(120);
    const { page } = await open(p.toHtml(), "large");
    expect(await drawnCounts(page)).toEqual(expectedCounts(p));
    const boxes = await page.locator("g.node > rect").evaluateAll((rects) =>
      rects.map((r) => {
        const b = (r as unknown as { getBBox(): Rect }).getBBox();
        return { x: b.x, y: b.y, width: b.width, height: b.height };
      }),
    );
    const counts = expectedCounts(p);
    expect(boxes).toHaveLength(counts.inputs + counts.functions + counts.outputs);
    const overlaps: string[] = [];
    boxes.forEach((a, i) => {
      for (let j = i + 1; j < boxes.length; j++) {
        const b = boxes[j]!;
        if (
          a.x < b.x + b.width &&
          b.x < a.x + a.width &&
          a.y < b.y + b.height &&
          b.y < a.y + a.height
        ) {
          overlaps.push(`${i} and ${j}`);
        }
      }
    });
    expect(overlaps).toEqual([]);
    // Drawn on screen, not only laid out: the graph fits the view with a visible size.
    const first = await page.locator("g.node.function > rect").first().boundingBox();
    expect(first?.width).toBeGreaterThan(0);
  });

  it("prints what a 200-function pipeline costs: toHtml time, size, load time", async () => {
    const p = layeredPipeline(10, 20);
    expect(p.functions.length).toBeGreaterThanOrEqual(200);
    const start = performance.now();
    const html = p.toHtml();
    const built = performance.now() - start;
    const loadStart = performance.now();
    const { page } = await open(html, "huge");
    const functions = await page.locator("g.node.function").count();
    const loaded = performance.now() - loadStart;
    console.log(
      `toHtml, ${p.functions.length} functions: ${built.toFixed(0)} ms, ` +
        `${(html.length / 1024).toFixed(0)} KiB; opened in Chromium in ${loaded.toFixed(0)} ms`,
    );
    expect(functions).toBe(p.functions.length);
  });
  it("opens a random 2,000-function graph without an error, every node drawn inside the view", async () => {
    const p = randomPipeline(2000, 21);
    const counts = expectedCounts(p);
    const html = p.toHtml();
    const start = performance.now();
    const { page } = await open(html, "random-2000");
    const drawn = await drawnCounts(page);
    const opened = performance.now() - start;
    expect(drawn).toEqual(counts);
    // Each box has a size, and the first view (fit) holds them all.
    const outside = await page.locator("svg#graph").evaluate((svg) => {
      const [vx, vy, vw, vh] = svg.getAttribute("viewBox")!.split(" ").map(Number) as number[];
      const boxes = Array.from(svg.querySelectorAll("g.node > rect:first-child"), (r) =>
        (r as unknown as { getBBox(): Rect }).getBBox(),
      );
      return boxes.filter(
        (b) =>
          !(b.width > 0 && b.height > 0) ||
          b.x < vx! ||
          b.y < vy! ||
          b.x + b.width > vx! + vw! ||
          b.y + b.height > vy! + vh!,
      ).length;
    });
    expect(outside).toBe(0);
    console.log(
      `random DAG of 2,000 functions: ${(html.length / 1024).toFixed(0)} KiB, ` +
        `opened in Chromium with every node drawn in ${opened.toFixed(0)} ms`,
    );
  });
});

/** Every node's transform and every edge's path and label's place: what a relayout changes. */
async function drawn(page: Page): Promise<string[]> {
  return (await page.evaluate(`Array.from(
    document.querySelectorAll("#graph .node, #graph .inner-node, #graph .edge, #graph .inner-edge, #graph .edge-label"),
    (e) => ["transform", "d", "x", "y"].map((a) => e.getAttribute(a)).join(" "),
  )`)) as string[];
}

/** Nothing drawn on screen overlaps, and no edge crosses a box (see test/viz/geometry.ts). */
async function expectClearDrawing(page: Page): Promise<void> {
  const drawing = (await page.evaluate(READ_DRAWING)) as Drawing;
  expect(drawing.boxes.length).toBeGreaterThan(0);
  expect(drawingProblems(drawing)).toEqual([]);
}

/** A click on the middle of every node on screen selects that node and shows its details. */
async function expectEveryNodeSelectable(page: Page): Promise<void> {
  // The details panel narrows the graph: open it first, then fit, then read where nodes are.
  await page.locator("svg#graph g.node").first().click();
  await page.locator("#fit").click();
  const drawing = (await page.evaluate(READ_DRAWING)) as Drawing;
  const nodes = drawing.boxes.filter((b) => b.kind === "node");
  expect(nodes.length).toBeGreaterThan(3);
  for (const b of nodes) {
    await page.mouse.click(b.x + b.width / 2, b.y + b.height / 2);
    const selected = await page.evaluate(
      'Array.from(document.querySelectorAll("#graph .selected"), (e) => e.getAttribute("data-id"))',
    );
    expect(selected, `a click on "${b.name}"`).toEqual([b.id]);
    expect(await page.locator("#details h2").textContent()).toBe(b.name);
  }
}

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What the page functions above use of the browser's globals (the tests' lib has no DOM). */
interface PageElement {
  closest(selector: string): { id: string } | null;
  ownerDocument: { activeElement: unknown };
}
interface PageGlobals {
  document: { elementFromPoint(x: number, y: number): PageElement | null };
}

/**
 * `chains` chains of `length` functions each, every fifth link also reading the chain beside
 * it, and a fan-in tree joining the chains' ends pairwise into one result.
 */
function layeredPipeline(chains: number, length: number): Pipeline<readonly AnyPipeFunc[]> {
  const functions: AnyPipeFunc[] = [];
  for (let c = 0; c < chains; c++) {
    for (let k = 0; k < length; k++) {
      const inputs = k === 0 ? [`seed_${c}`] : [`c${c}_${k - 1}`];
      if (k > 0 && k % 5 === 0 && c > 0) inputs.push(`c${c - 1}_${k - 1}`);
      functions.push(
        pipefunc(
          { output: `c${c}_${k}`, name: `chain_${c}_step_${k}`, inputs },
          (...args: unknown[]) => args[0],
        ),
      );
    }
  }
  let level = Array.from({ length: chains }, (_, c) => `c${c}_${length - 1}`);
  let round = 0;
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const pair = level.slice(i, i + 2);
      const output = `join_${round}_${i / 2}`;
      functions.push(pipefunc({ output, inputs: pair }, (...args: unknown[]) => args[0]));
      next.push(output);
    }
    level = next;
    round++;
  }
  return new Pipeline(functions, { name: `chains ${chains}×${length}` });
}
