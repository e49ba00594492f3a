/**
 * Draws an adaptive sweep as SVG: in 1-D each learner's curve (one per vector component)
 * through its points, with the points marked; in 2-D the triangulation coloured by value with
 * the points on top. `toHtml()` and the dashboard show the same drawing.
 */
import type { Learner1D } from "./learner1d.ts";
import type { Learner2D } from "./learner2d.ts";
import type { AdaptiveResult } from "./result.ts";

const WIDTH = 640;
const HEIGHT = 400;
const PAD = 44;
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"];
/** Viridis, sampled: the colour scale of 2-D values. */
const VIRIDIS = ["#440154", "#414487", "#2a788e", "#22a884", "#7ad151", "#fde725"];

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (v: number) => (Number.isFinite(v) ? Number(v.toFixed(2)) : 0);

function colourOf(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  const mix = (k: number) =>
    Math.round(
      Number.parseInt(a.slice(k, k + 2), 16) * (1 - f) + Number.parseInt(b.slice(k, k + 2), 16) * f,
    )
      .toString(16)
      .padStart(2, "0");
  return `#${mix(1)}${mix(3)}${mix(5)}`;
}

/** A caption: points, loss and the goal when known. */
export function caption(result: AdaptiveResult, goal?: string): string {
  const loss = result.loss();
  const parts = [
    `${result.points.length} points`,
    `loss ${Number.isFinite(loss) ? loss.toPrecision(3) : "∞"}`,
  ];
  if (result.failures.length > 0) parts.push(`${result.failures.length} failed`);
  if (goal) parts.push(`goal ${goal}`);
  return parts.join(" · ");
}

/**
 * The sweep as one SVG element (text, safe to put in a page: every label is escaped).
 *
 * @param result - The sweep, finished or as far as it got.
 * @param goal - The goal in words, for the caption.
 */
export function drawAdaptive(result: AdaptiveResult, goal?: string): string {
  const body = result.dimensions.length === 1 ? draw1D(result) : draw2D(result);
  const title = escapeHtml(caption(result, goal));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="adaptive" viewBox="0 0 ${WIDTH} ${HEIGHT}" ` +
    `width="${WIDTH}" height="${HEIGHT}" data-points="${result.points.length}">` +
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>` +
    `<text class="caption" x="${PAD}" y="20" font-size="13" font-family="sans-serif">${title}</text>` +
    body +
    "</svg>"
  );
}

function axes(
  xLabel: string,
  yLabel: string,
  x: readonly [number, number],
  y: readonly [number, number],
): string {
  const bottom = HEIGHT - PAD;
  return (
    `<g class="axes" font-size="11" font-family="sans-serif" fill="#333">` +
    `<line x1="${PAD}" y1="${bottom}" x2="${WIDTH - PAD}" y2="${bottom}" stroke="#999"/>` +
    `<line x1="${PAD}" y1="${PAD}" x2="${PAD}" y2="${bottom}" stroke="#999"/>` +
    `<text x="${PAD}" y="${bottom + 16}">${escapeHtml(String(num(x[0])))}</text>` +
    `<text x="${WIDTH - PAD}" y="${bottom + 16}" text-anchor="end">${escapeHtml(String(num(x[1])))}</text>` +
    `<text x="${WIDTH / 2}" y="${bottom + 30}" text-anchor="middle">${escapeHtml(xLabel)}</text>` +
    `<text x="${PAD - 6}" y="${bottom}" text-anchor="end">${escapeHtml(String(num(y[0])))}</text>` +
    `<text x="${PAD - 6}" y="${PAD + 4}" text-anchor="end">${escapeHtml(String(num(y[1])))}</text>` +
    `<text x="12" y="${HEIGHT / 2}" transform="rotate(-90 12 ${HEIGHT / 2})" text-anchor="middle">${escapeHtml(yLabel)}</text>` +
    "</g>"
  );
}

function draw1D(result: AdaptiveResult): string {
  const [lo, hi] = result.bounds[0]!;
  const series = result.learners.map((l) => (l as Learner1D).data());
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const data of series) {
    for (const d of data) {
      for (const v of typeof d.y === "number" ? [d.y] : d.y) {
        if (!Number.isFinite(v)) continue;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
  }
  if (!(min <= max)) {
    min = 0;
    max = 1;
  }
  if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  const sx = (x: number) => num(PAD + ((x - lo) / (hi - lo)) * (WIDTH - 2 * PAD));
  const sy = (y: number) => num(HEIGHT - PAD - ((y - min) / (max - min)) * (HEIGHT - 2 * PAD));
  let out = axes(result.dimensions[0]!, result.output, [lo, hi], [min, max]);
  let colour = 0;
  series.forEach((data, k) => {
    const width =
      data.length > 0 && typeof data[0]!.y !== "number"
        ? (data[0]!.y as readonly number[]).length
        : 1;
    const label = result.mapped.length > 0 ? escapeHtml(JSON.stringify(result.selections[k])) : "";
    for (let c = 0; c < width; c++) {
      const value = (y: number | readonly number[]) => (typeof y === "number" ? y : y[c]!);
      const stroke = COLOURS[colour++ % COLOURS.length]!;
      const d = data.map((p, i) => `${i === 0 ? "M" : "L"}${sx(p.x)},${sy(value(p.y))}`).join("");
      out += `<g class="curve" data-learner="${k}"><title>${label}</title>`;
      if (d) out += `<path d="${d}" fill="none" stroke="${stroke}" stroke-width="1.5"/>`;
      for (const p of data) {
        out += `<circle class="point" cx="${sx(p.x)}" cy="${sy(value(p.y))}" r="2" fill="${stroke}"/>`;
      }
      out += "</g>";
    }
  });
  return out;
}

function draw2D(result: AdaptiveResult): string {
  const [[x0, x1], [y0, y1]] = result.bounds as [
    readonly [number, number],
    readonly [number, number],
  ];
  // One panel per learner, side by side.
  const panels = result.learners.length;
  const panelWidth = (WIDTH - 2 * PAD) / panels;
  let out = "";
  result.learners.forEach((learner, k) => {
    const l = learner as Learner2D;
    const triangles = l.triangles();
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const t of triangles) {
      for (const v of t) {
        if (Number.isFinite(v[2])) {
          min = Math.min(min, v[2]);
          max = Math.max(max, v[2]);
        }
      }
    }
    const span = max > min ? max - min : 1;
    const left = PAD + k * panelWidth;
    const size = Math.min(panelWidth - 8, HEIGHT - 2 * PAD);
    const sx = (x: number) => num(left + ((x - x0) / (x1 - x0)) * size);
    const sy = (y: number) => num(PAD + size - ((y - y0) / (y1 - y0)) * size);
    out += `<g class="panel" data-learner="${k}">`;
    for (const t of triangles) {
      const mean = (t[0]![2] + t[1]![2] + t[2]![2]) / 3;
      const points = t.map((v) => `${sx(v[0])},${sy(v[1])}`).join(" ");
      const fill = colourOf((mean - min) / span);
      out += `<polygon class="triangle" points="${points}" fill="${fill}" stroke="${fill}" stroke-width="0.3"/>`;
    }
    for (const p of l.data()) {
      out += `<circle class="point" cx="${sx(p.x)}" cy="${sy(p.y)}" r="1.2" fill="#fff" stroke="#000" stroke-width="0.3"/>`;
    }
    const label =
      result.mapped.length > 0 ? JSON.stringify(result.selections[k]) : `${result.output}`;
    out +=
      `<text x="${left}" y="${PAD + size + 16}" font-size="11" font-family="sans-serif">` +
      `${escapeHtml(label)} · ${escapeHtml(result.dimensions[0]!)} ∈ [${num(x0)}, ${num(x1)}], ` +
      `${escapeHtml(result.dimensions[1]!)} ∈ [${num(y0)}, ${num(y1)}]</text></g>`;
  });
  return out;
}

/**
 * A self-contained HTML page of the drawing (no network needed to open it).
 *
 * @param result - The sweep.
 * @param goal - The goal in words, for the caption.
 */
export function adaptivePage(result: AdaptiveResult, goal?: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
    `<title>${escapeHtml(`Adaptive sweep of ${result.output}`)}</title>` +
    `<style>body{font-family:sans-serif;margin:24px;color:#222}</style></head><body>` +
    `<h1>${escapeHtml(`Adaptive sweep of "${result.output}"`)}</h1>` +
    `<div id="plot">${drawAdaptive(result, goal)}</div></body></html>`
  );
}
