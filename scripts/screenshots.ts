/**
 * The screenshots in docs/, taken in headless Chromium at 1280×800: run with
 * `npx tsx scripts/screenshots.ts` (all of them) or `npx tsx scripts/screenshots.ts graph`.
 * Each screenshot is one function in `SHOTS`; add one there to add a screenshot.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { type NdArray, Pipeline, pipefunc, pool, stream } from "../src/index.ts";
import { launchChromium, type TestBrowser } from "../test/browser/chromium.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Takes one screenshot with `browser`; `scratch` is a folder for files it needs to write. */
type Shot = (browser: TestBrowser, scratch: string) => Promise<Buffer>;

/** A pipeline with what the HTML view draws: mapped functions, a nested one, defaults, bound values. */
function spectraPipeline() {
  const simulate = pipefunc(
    { output: "signal", mapspec: "seed[i], noise[j] -> signal[i, j]", defaults: { length: 1024 } },
    ({ seed, noise, length }: { seed: number; noise: number; length: number }) =>
      Array.from({ length }, (_, t) => Math.sin(seed * t) + noise * Math.cos(7 * t)),
  );
  const detrend = pipefunc(
    { output: "flat", mapspec: "signal[i, j] -> flat[i, j]" },
    ({ signal }: { signal: number[] }) => {
      const mean = signal.reduce((a, b) => a + b, 0) / signal.length;
      return signal.map((v) => v - mean);
    },
  );
  const taper = pipefunc(
    { output: "windowed", name: "window", mapspec: "flat[i, j] -> windowed[i, j]" },
    ({ flat, kind = "hann" }: { flat: number[]; kind?: string }) =>
      flat.map((v, t) => (kind === "hann" ? v * Math.sin((Math.PI * t) / flat.length) ** 2 : v)),
  );
  const spectrum = pipefunc(
    { output: "power", mapspec: "windowed[i, j] -> power[i, j]", cache: true },
    ({ windowed }: { windowed: number[] }) => windowed.map((v) => v * v),
  );
  const peak = pipefunc(
    { output: "peak", mapspec: "power[i, j] -> peak[i, j]", bound: { sampleRate: 48_000 } },
    ({ power, sampleRate }: { power: number[]; sampleRate: number }) =>
      (power.indexOf(Math.max(...power)) * sampleRate) / power.length,
  );
  const summary = pipefunc(
    { output: "report" },
    ({ peak, seed }: { peak: NdArray<number>; seed: NdArray<number> }) => ({
      peaks: peak.values().length,
      seeds: seed.values().length,
    }),
  );
  const noiseFloor = pipefunc(
    { output: "floor", mapspec: "power[i, :] -> floor[i]" },
    ({ power }: { power: NdArray<number[]> }) => Math.min(...power.values().flat()),
  );
  return new Pipeline([simulate, detrend, taper, spectrum, peak, noiseFloor, summary], {
    name: "spectra",
  }).nest(["flat", "windowed", "power"], "preprocess");
}

/** The HTML view: the nested function opened, an inner function selected. */
const graph: Shot = async (browser, scratch) => {
  const file = join(scratch, "graph.html");
  writeFileSync(file, spectraPipeline().toHtml());
  const { page, errors } = await browser.page();
  await page.goto(pathToFileURL(file).href);
  await node(page, "node", "preprocess").locator(".toggle").click();
  await node(page, "inner-node", "window").click();
  if (errors.length > 0) throw new Error(`The page reported errors: ${errors.join("; ")}`);
  const png = await page.screenshot({ type: "png" });
  await page.close();
  return png;
};

/** The live dashboard of a sweep, caught mid-run: one function done, one going, errors listed. */
const dashboard: Shot = async (browser) => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const simulate = pipefunc(
    { output: "signal", mapspec: "seed[i], noise[j] -> signal[i, j]", version: "1" },
    async ({ seed, noise }: { seed: number; noise: number }) => {
      await sleep(4);
      return seed + noise;
    },
  );
  const fit = pipefunc(
    { output: "model", mapspec: "signal[i, j] -> model[i, j]", version: "1" },
    async ({ signal }: { signal: number }) => {
      await sleep(150);
      if (signal % 17 === 3) throw new RangeError(`fit diverged for signal ${signal}`);
      return signal / 2;
    },
  );
  const score = pipefunc(
    { output: "score", mapspec: "model[i, :] -> score[i]" },
    ({ model }: { model: NdArray<number> }) => model.size,
  );
  const pipeline = new Pipeline([simulate, fit, score], { name: "fits" });
  let url = "";
  const controller = new AbortController();
  const run = pipeline
    .map(
      {
        seed: Array.from({ length: 12 }, (_, i) => i),
        noise: Array.from({ length: 20 }, (_, j) => j * 5),
      },
      {
        errors: "continue",
        concurrency: 8,
        progress: false,
        signal: controller.signal,
        dashboard: {
          onReady: (d) => {
            url = d.url;
          },
        },
      },
    )
    .catch(() => undefined);
  // Caught when about half of the fits are done.
  const png = await shootLive(browser, () => url, "model", "data-done", 110);
  controller.abort();
  await run;
  return png;
};

/**
 * `toHtml(results)` of a finished sweep: a resonance's amplitude over frequency and damping as
 * a heatmap (one fit diverged, its cell marked), and its peak per damping as a line.
 */
const plot: Shot = async (browser, scratch) => {
  const response = pipefunc(
    { output: "amplitude", mapspec: "damping[i], frequency[j] -> amplitude[i, j]" },
    ({ damping, frequency }: { damping: number; frequency: number }) => {
      if (damping === 0.05 && frequency === 1.1) {
        throw new RangeError(`solver diverged at damping ${damping}, frequency ${frequency}`);
      }
      return 1 / Math.sqrt((1 - frequency ** 2) ** 2 + (2 * damping * frequency) ** 2);
    },
  );
  const peak = pipefunc(
    { output: "peak", mapspec: "amplitude[i, :] -> peak[i]" },
    ({ amplitude }: { amplitude: NdArray<number> }) => Math.max(...amplitude.values()),
  );
  const pipeline = new Pipeline([response, peak], { name: "resonance" });
  const round = (v: number) => Math.round(v * 100) / 100;
  const results = await pipeline.map(
    {
      damping: [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7],
      frequency: Array.from({ length: 31 }, (_, k) => round(0.5 + k * 0.05)),
    },
    { errors: "continue", progress: false },
  );
  const file = join(scratch, "plot.html");
  writeFileSync(file, pipeline.toHtml(results));
  const { page, errors } = await browser.page();
  await page.goto(pathToFileURL(file).href);
  if (errors.length > 0) throw new Error(`The page reported errors: ${errors.join("; ")}`);
  const png = await page.screenshot({ type: "png" });
  await page.close();
  return png;
};

/** A stream's dashboard mid-run: a fast stage, a slow one with its buffer full, failures. */
const streamDashboard: Shot = async (browser) => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let url = "";
  const controller = new AbortController();
  const run = stream(Array.from({ length: 400 }, (_, i) => `line ${i}`))
    .pipe(
      pool({ name: "parse", workers: 2, buffer: 8 }, async (line: string) => {
        await sleep(2);
        return Number(line.slice(5));
      }),
      pool({ name: "enrich", workers: 4, buffer: 16, retries: 2 }, async (n: number) => {
        await sleep(40);
        if (n % 23 === 5) throw new Error(`lookup timed out for record ${n}`);
        return { n, square: n * n };
      }),
      pool({ name: "store", buffer: 4 }, async (row: { n: number }) => {
        await sleep(5);
        return row.n;
      }),
    )
    .run({
      signal: controller.signal,
      dashboard: {
        onReady: (d) => {
          url = d.url;
        },
      },
    })
    .catch(() => undefined);
  const png = await shootLive(browser, () => url, "enrich", "data-in", 120);
  controller.abort();
  await run;
  return png;
};

/**
 * Opens a live dashboard once `url()` gives its address, waits until the function node `name`
 * has `attribute` at `atLeast` or more, selects it and takes the screenshot.
 */
async function shootLive(
  browser: TestBrowser,
  url: () => string,
  name: string,
  attribute: string,
  atLeast: number,
): Promise<Buffer> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  while (url() === "") await sleep(10);
  const { page, errors } = await browser.page();
  await page.goto(url());
  const target = node(page, "node", name);
  while (Number(await target.getAttribute(attribute)) < atLeast) await sleep(50);
  await target.click();
  if (errors.length > 0) throw new Error(`The page reported errors: ${errors.join("; ")}`);
  const png = await page.screenshot({ type: "png" });
  await page.close();
  return png;
}

/** The function node (`node`, or `inner-node` inside a panel) titled `name`. */
function node(page: Page, cls: string, name: string) {
  return page
    .locator(`g.${cls}.function`)
    .filter({ has: page.locator(`title:text-is("${name}")`) });
}

/** Every screenshot, by its name on the command line and the file it writes. */
const SHOTS: Readonly<Record<string, { file: string; take: Shot }>> = {
  graph: { file: "docs/graph.png", take: graph },
  dashboard: { file: "docs/dashboard.png", take: dashboard },
  plot: { file: "docs/plot.png", take: plot },
  stream: { file: "docs/stream-dashboard.png", take: streamDashboard },
};

async function main(names: readonly string[]): Promise<void> {
  const unknown = names.filter((n) => !Object.hasOwn(SHOTS, n));
  if (unknown.length > 0) {
    throw new Error(
      `Unknown screenshot ${unknown.map((n) => `"${n}"`).join(", ")}. Choose from ${Object.keys(SHOTS).join(", ")}.`,
    );
  }
  const scratch = mkdtempSync(join(tmpdir(), "pipeweave-screenshots-"));
  const browser = await launchChromium();
  try {
    for (const name of names.length > 0 ? names : Object.keys(SHOTS)) {
      const shot = SHOTS[name]!;
      const out = join(root, shot.file);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, await shot.take(browser, scratch));
      console.log(`wrote ${shot.file}`);
    }
  } finally {
    await browser.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main(process.argv.slice(2));
