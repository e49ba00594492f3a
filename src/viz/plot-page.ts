/**
 * The plots' part of a page: a strip of figures below the graph, one per plotted output, drawn
 * as inline SVG by the page's own script (no library, nothing fetched). `toHtml(results)`
 * embeds its plots whole; the dashboard sends them over its event stream, new cells as they
 * settle. Every text goes in with `textContent`, never as markup.
 */
import { HUMAN_SCRIPT } from "../_internal/human.ts";
import type { MapResultsMembers } from "../map/results.ts";
import { type PlotMessage, plotsOfResults } from "./plot.ts";
import type { PipelineView } from "./view.ts";

/** What a page built on the graph page adds for its plots (see `GraphPageOptions`). */
export interface PlotPageParts {
  readonly footer: string;
  readonly css: string;
  readonly script: string;
}

/**
 * The plots' markup, style and script: `plots` embedded (a finished sweep), or none to be
 * filled by {@link PLOTS_GLOBAL}`.apply(messages)` (the dashboard's live script calls it).
 */
export function plotPageParts(plots?: readonly PlotMessage[]): PlotPageParts {
  const data =
    plots === undefined
      ? ""
      : `<script type="application/json" id="pipeweave-plots">${escapeJson(plots)}</script>`;
  return {
    footer: `<section id="plots" aria-label="results" hidden><div class="plot-list"></div></section>${data}`,
    css: PLOT_CSS,
    script: PLOT_SCRIPT,
  };
}

/**
 * The plots of a sweep's `results` as a page shows them below the pipeline's graph: every
 * mapped output with one axis as a line, with two as a heatmap, when its elements are numbers;
 * failed elements marked, their errors in the tooltips.
 */
export function resultPlotParts(view: PipelineView, results: MapResultsMembers): PlotPageParts {
  const producers = new Map<string, string>();
  for (const f of view.sortedFunctions) for (const o of f.outputs) producers.set(o, f.name);
  return plotPageParts(plotsOfResults(results, producers));
}

/** JSON safe inside a `<script>` element (no `</script>` or `<!--` can appear in it). */
function escapeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => {
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
}

/** The global the plot script defines: `{ apply(messages) }`. */
export const PLOTS_GLOBAL = "pipeweavePlots";

const PLOT_CSS = `
#plots{flex:none;border-top:1px solid #d0d7de;background:#fff;padding:6px 12px;overflow-x:auto}
#plots .plot-list{display:flex;gap:16px}
#plots figure{margin:0;flex:none;width:400px}
#plots figcaption{font-size:12px;color:#57606a;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
#plots figcaption b{color:#1f2328;font-family:ui-monospace,monospace}
#plots svg{display:block;width:400px;height:230px}
#plots .frame{fill:#fff;stroke:#d0d7de}
#plots .tick{font:10px ui-monospace,monospace;fill:#57606a}
#plots .tick.x{text-anchor:middle}
#plots .tick.y{text-anchor:end}
#plots .axis-title{font:11px system-ui,sans-serif;fill:#1f2328;text-anchor:middle}
#plots .grid{stroke:#eaeef2}
#plots .line{fill:none;stroke:#0969da;stroke-width:1.5}
#plots .point{fill:#0969da}
#plots .mark.failed{stroke:#cf222e;stroke-width:2;fill:none}
#plots .mark.skipped,#plots .mark.unknown,#plots .mark.odd{stroke:#8c959f;stroke-width:1.2;fill:#fff}
#plots .cell{stroke:#fff;stroke-width:.5}
#plots .cell[data-state="."]{fill:#f6f8fa}
#plots .cell[data-state=f]{fill:#ffebe9;stroke:#cf222e;stroke-width:1.5}
#plots .cell[data-state=s],#plots .cell[data-state=m],#plots .cell[data-state=x]{fill:#d0d7de}
#plots .cross{stroke:#cf222e;stroke-width:1.2;pointer-events:none}
#plots .legend-label{font:10px ui-monospace,monospace;fill:#57606a}
`;

const PLOT_SCRIPT = `
var ${PLOTS_GLOBAL} = (function () {
  "use strict";
  ${HUMAN_SCRIPT}
  // The graph's own namespace: the page names no address, not even the SVG namespace's.
  var NS = document.getElementById("graph").namespaceURI;
  var W = 400, H = 230;
  var section = document.getElementById("plots");
  var list = section.querySelector(".plot-list");
  var views = {};
  // Heatmaps made so far: each one's colour scale gets its own id.
  var made = 0;
  var VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  function svgEl(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, cls, x, y, content) {
    var t = svgEl("text", { "class": cls, x: x, y: y }, parent);
    t.textContent = content;
    return t;
  }
  function tip(parent, content) {
    var t = svgEl("title", {}, parent);
    t.textContent = content;
    return t;
  }
  function colour(f) {
    var p = Math.max(0, Math.min(1, f)) * (VIRIDIS.length - 1);
    var k = Math.min(VIRIDIS.length - 2, Math.floor(p)), r = p - k;
    var a = VIRIDIS[k], b = VIRIDIS[k + 1];
    return "rgb(" + a.map(function (v, i) { return Math.round(v + (b[i] - v) * r); }).join(",") + ")";
  }
  // Round steps (1, 2 or 5 times a power of ten) covering [lo, hi] in about four.
  function niceTicks(lo, hi) {
    var raw = (hi - lo) / 4, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
    var step = (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p, out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }
  function extent(view) {
    var lo = Infinity, hi = -Infinity;
    for (var c = 0; c < view.values.length; c++) {
      if (view.states[c] !== "v") continue;
      lo = Math.min(lo, view.values[c]); hi = Math.max(hi, view.values[c]);
    }
    if (lo === Infinity) return [0, 1];
    if (lo === hi) { var d = Math.abs(lo) * 0.1 || 1; return [lo - d, hi + d]; }
    return [lo, hi];
  }
  // Which cells along an axis of n cells get a tick, so that labels of about \`chars\` fit in \`room\` pixels.
  function tickCells(n, room, chars) {
    var fit = Math.max(1, Math.floor(room / (chars * 6.2 + 10))), step = Math.ceil(n / fit), out = [];
    for (var c = 0; c < n; c += step) out.push(c);
    return out;
  }
  function first(label) { return label.split(" \\u2026 ")[0]; }
  // Of the cells \`tickCells\` picked, those whose labels do not touch the one before (cells
  // placed by their coordinates' values may sit close together).
  function apart(cells, xOf, labels) {
    var end = -Infinity;
    return cells.filter(function (c) {
      var half = first(labels[c]).length * 3.1, x = xOf(c);
      if (x - half < end + 6) return false;
      end = x + half;
      return true;
    });
  }
  function widest(labels, cells) { return cells.reduce(function (m, c) { return Math.max(m, first(labels[c]).length); }, 1); }
  function axisTitle(axis) {
    var names = axis.coords.map(function (c) { return c.name; });
    return (names[0] === axis.dim ? axis.dim : names.join(", ") + " (" + axis.dim + ")") + (axis.bin > 1 ? " \\u00b7 " + formatCount(axis.bin) + " per cell" : "");
  }
  function where(spec, cell) {
    var index = spec.axes.length === 1 ? [cell] : [Math.floor(cell / spec.axes[1].cells), cell % spec.axes[1].cells];
    return spec.axes.map(function (axis, k) {
      return axis.coords.map(function (c) { return c.name + " = " + c.labels[index[k]]; }).join(", ") +
        (axis.coords[0].name === axis.dim ? "" : " (" + axis.dim + " " + (axis.bin > 1 ? formatCount(index[k] * axis.bin) + "\\u2026" : formatCount(index[k])) + ")");
    }).join(" \\u00b7 ");
  }
  function describe(view, cell) {
    var state = view.states[cell], note = view.notes[cell];
    var what = state === "v" ? (view.binned ? "mean " : "") + formatNumber(view.values[cell])
      : state === "f" ? "failed: " + note
      : state === "s" ? "skipped: an input it reads failed"
      : state === "m" ? "not computed: failed, or skipped because an input failed"
      : state === "x" ? note
      : "not computed yet";
    return view.spec.output + " at " + where(view.spec, cell) + "\\n" + what;
  }
  function create(spec) {
    var figure = document.createElement("figure");
    figure.className = "plot";
    figure.setAttribute("data-output", spec.output);
    figure.setAttribute("data-kind", spec.kind);
    var caption = document.createElement("figcaption");
    var name = document.createElement("b");
    name.textContent = spec.output;
    caption.appendChild(name);
    var note = document.createElement("span");
    caption.appendChild(note);
    figure.appendChild(caption);
    var svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, role: "img" });
    tip(svg, spec.output + " over " + spec.axes.map(axisTitle).join(" and "));
    figure.appendChild(svg);
    list.appendChild(figure);
    var n = spec.axes.reduce(function (m, a) { return m * a.cells; }, 1);
    var view = {
      spec: spec, figure: figure, svg: svg, note: note, cells: n,
      values: new Array(n).fill(null), states: new Array(n).fill("."), notes: {},
      binned: spec.axes.some(function (a) { return a.bin > 1; }), range: null
    };
    if (spec.kind === "line") createLine(view); else createHeatmap(view);
    return view;
  }
  function createLine(view) {
    var axis = view.spec.axes[0], n = axis.cells;
    var box = { x0: 64, x1: W - 14, y0: 10, y1: H - 44 };
    view.box = box;
    svgEl("rect", { "class": "frame", x: box.x0, y: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0 }, view.svg);
    var pos = axis.positions, lo = 0, hi = n - 1;
    if (pos) { lo = Math.min(pos[0], pos[n - 1]); hi = Math.max(pos[0], pos[n - 1]); }
    var pad = 8;
    view.x = function (c) {
      var t = n === 1 || hi === lo ? 0.5 : ((pos ? pos[c] : c) - lo) / (hi - lo);
      return box.x0 + pad + t * (box.x1 - box.x0 - 2 * pad);
    };
    var labels = axis.coords[0].labels;
    var cells = tickCells(n, box.x1 - box.x0, 6);
    cells = apart(tickCells(n, box.x1 - box.x0, widest(labels, cells)), view.x, labels);
    cells.forEach(function (c) {
      var x = view.x(c);
      svgEl("line", { "class": "grid", x1: x, x2: x, y1: box.y1, y2: box.y1 + 4 }, view.svg);
      text(view.svg, "tick x", x, box.y1 + 15, first(labels[c]));
    });
    text(view.svg, "axis-title", (box.x0 + box.x1) / 2, H - 8, axisTitle(axis));
    view.dynamic = svgEl("g", {}, view.svg);
  }
  function drawLine(view) {
    var box = view.box, g = view.dynamic, range = extent(view);
    while (g.firstChild) g.removeChild(g.firstChild);
    var y = function (v) { return box.y1 - 6 - (v - range[0]) / (range[1] - range[0]) * (box.y1 - box.y0 - 12); };
    niceTicks(range[0], range[1]).forEach(function (v) {
      if (y(v) < box.y0 - 0.5 || y(v) > box.y1 + 0.5) return;
      svgEl("line", { "class": "grid", x1: box.x0, x2: box.x1, y1: y(v), y2: y(v) }, g);
      text(g, "tick y", box.x0 - 4, y(v) + 3, formatNumber(v));
    });
    var d = "", pen = false, points = view.cells <= 100;
    for (var c = 0; c < view.cells; c++) {
      var s = view.states[c], x = view.x(c);
      if (s === "v") {
        d += (pen ? " L" : " M") + x.toFixed(1) + "," + y(view.values[c]).toFixed(1);
        pen = true;
        if (points) tip(svgEl("circle", { "class": "point", cx: x, cy: y(view.values[c]), r: 2.5, "data-at": c, "data-state": s }, g), describe(view, c));
        continue;
      }
      pen = false;
      if (s === ".") continue;
      var at = box.y1 - 6;
      var mark = s === "f"
        ? svgEl("path", { "class": "mark failed", d: "M" + (x - 4) + "," + (at - 4) + " L" + (x + 4) + "," + (at + 4) + " M" + (x - 4) + "," + (at + 4) + " L" + (x + 4) + "," + (at - 4) }, g)
        : svgEl("circle", { "class": "mark " + (s === "s" ? "skipped" : s === "m" ? "unknown" : "odd"), cx: x, cy: at, r: 3 }, g);
      mark.setAttribute("data-at", c);
      mark.setAttribute("data-state", s);
      tip(mark, describe(view, c));
    }
    svgEl("path", { "class": "line", d: d.trim() }, g);
  }
  function createHeatmap(view) {
    var rows = view.spec.axes[0], cols = view.spec.axes[1];
    var box = { x0: 70, x1: W - 60, y0: 10, y1: H - 44 };
    view.box = box;
    var w = (box.x1 - box.x0) / cols.cells, h = (box.y1 - box.y0) / rows.cells;
    view.rects = [];
    for (var r = 0; r < rows.cells; r++) {
      for (var c = 0; c < cols.cells; c++) {
        var rect = svgEl("rect", { "class": "cell", x: box.x0 + c * w, y: box.y0 + r * h, width: w, height: h, "data-at": r * cols.cells + c, "data-state": "." }, view.svg);
        view.rects.push({ rect: rect, title: tip(rect, ""), cross: null });
      }
    }
    view.cellSize = { w: w, h: h };
    var xl = cols.coords[0].labels, xc = tickCells(cols.cells, box.x1 - box.x0, 6);
    xc = tickCells(cols.cells, box.x1 - box.x0, widest(xl, xc));
    xc.forEach(function (c) { text(view.svg, "tick x", box.x0 + (c + 0.5) * w, box.y1 + 14, first(xl[c])); });
    // Rows get a label every 13 pixels at most.
    var yl = rows.coords[0].labels, step = Math.max(1, Math.ceil(13 / h)), yc = [];
    for (var k = 0; k < rows.cells; k += step) yc.push(k);
    // Row labels left of the cells: a long one is cut, its whole text in its cells' tooltips.
    yc.forEach(function (r) {
      var label = first(yl[r]);
      text(view.svg, "tick y", box.x0 - 4, box.y0 + (r + 0.5) * h + 3, label.length > 10 ? label.slice(0, 9) + "\\u2026" : label);
    });
    text(view.svg, "axis-title", (box.x0 + box.x1) / 2, H - 8, axisTitle(cols));
    var yt = text(view.svg, "axis-title", 0, 0, axisTitle(rows));
    yt.setAttribute("transform", "translate(12," + (box.y0 + box.y1) / 2 + ") rotate(-90)");
    // The colour scale: a gradient from the lowest value (bottom) to the highest.
    var id = "pw-scale-" + (++made);
    var grad = svgEl("linearGradient", { id: id, x1: 0, y1: 1, x2: 0, y2: 0 }, svgEl("defs", {}, view.svg));
    for (var s = 0; s <= 4; s++) svgEl("stop", { offset: s / 4, "stop-color": colour(s / 4) }, grad);
    svgEl("rect", { x: box.x1 + 10, y: box.y0, width: 10, height: box.y1 - box.y0, fill: "url(#" + id + ")" }, view.svg);
    view.legendHi = text(view.svg, "legend-label", box.x1 + 24, box.y0 + 8, "");
    view.legendLo = text(view.svg, "legend-label", box.x1 + 24, box.y1, "");
  }
  function paintCell(view, c) {
    var cell = view.rects[c], s = view.states[c], range = view.range;
    cell.rect.setAttribute("data-state", s);
    if (s === "v") cell.rect.setAttribute("style", "fill:" + colour((view.values[c] - range[0]) / (range[1] - range[0])));
    else cell.rect.removeAttribute("style");
    cell.title.textContent = describe(view, c);
    if (s === "f" && !cell.cross && view.cellSize.w >= 6 && view.cellSize.h >= 6) {
      var x = +cell.rect.getAttribute("x"), y = +cell.rect.getAttribute("y"), w = view.cellSize.w, h = view.cellSize.h, i = Math.min(w, h) * 0.25;
      cell.cross = svgEl("path", { "class": "cross", d: "M" + (x + i) + "," + (y + i) + " L" + (x + w - i) + "," + (y + h - i) + " M" + (x + i) + "," + (y + h - i) + " L" + (x + w - i) + "," + (y + i) }, view.svg);
    }
  }
  function drawHeatmap(view, changed) {
    var range = extent(view);
    var all = !view.range || view.range[0] !== range[0] || view.range[1] !== range[1];
    view.range = range;
    view.legendHi.textContent = formatNumber(range[1]);
    view.legendLo.textContent = formatNumber(range[0]);
    (all ? view.rects.map(function (_, c) { return c; }) : changed).forEach(function (c) { paintCell(view, c); });
  }
  function update(view, cells) {
    var at = cells.at;
    for (var k = 0; k < cells.values.length; k++) {
      var c = at ? at[k] : k;
      view.values[c] = cells.values[k];
      view.states[c] = cells.states.charAt(k);
      if (cells.notes[k] !== undefined) view.notes[c] = cells.notes[k]; else delete view.notes[c];
    }
    var changed = at || view.values.map(function (_, c) { return c; });
    if (view.spec.kind === "line") drawLine(view); else drawHeatmap(view, changed);
    var filled = 0, failed = 0;
    view.states.forEach(function (s) { if (s !== ".") filled++; if (s === "f") failed++; });
    view.figure.setAttribute("data-filled", filled);
    view.figure.setAttribute("data-failed", failed);
    view.note.textContent = " \\u00b7 " + (view.spec.kind === "line" ? "line" : "heatmap") + " \\u00b7 " +
      formatCount(filled) + " of " + formatCount(view.cells) + " " + (view.binned ? "cells" : "elements") +
      (failed ? " \\u00b7 " + formatCount(failed) + " failed" : "");
  }
  function apply(messages) {
    (messages || []).forEach(function (m) {
      var view = views[m.output];
      if (m.dropped !== undefined) {
        if (view) { list.removeChild(view.figure); delete views[m.output]; }
        return;
      }
      if (m.spec && (!view || JSON.stringify(view.spec) !== JSON.stringify(m.spec))) {
        if (view) list.removeChild(view.figure);
        view = views[m.output] = create(m.spec);
      }
      if (view && m.cells) update(view, m.cells);
    });
    section.hidden = Object.keys(views).length === 0;
  }
  var embedded = document.getElementById("pipeweave-plots");
  if (embedded) apply(JSON.parse(embedded.textContent));
  return { apply: apply };
})();
`;
