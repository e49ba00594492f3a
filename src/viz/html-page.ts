import { RELAYOUT_SCRIPT } from "./html-relayout.ts";

/**
 * The HTML view's inline stylesheet and script. The script reads the embedded JSON, never
 * writes HTML from it (text goes in with `textContent`), and fetches nothing.
 *
 * A node's box is styled as its first `<rect>` child only, so the shapes a page built on this
 * one adds to a node (the dashboard's progress bars) keep their own style.
 */

export const PAGE_CSS = `
*{box-sizing:border-box}
html,body{margin:0;height:100%;font:13px system-ui,sans-serif;color:#1f2328;background:#fafafa}
body{display:flex;flex-direction:column}
header{display:flex;align-items:center;gap:16px;padding:6px 12px;border-bottom:1px solid #d0d7de;background:#fff}
h1{font-size:15px;margin:0}
.legend{display:flex;gap:8px}
.key{padding:1px 8px;border:1px solid;border-radius:9px;font-size:11px}
.key.input{background:#ddf4ff;border-color:#54aeff}
.key.function{background:#fff;border-color:#57606a;border-radius:3px}
.key.output{background:#dafbe1;border-color:#4ac26b}
#fit{font:12px system-ui,sans-serif;padding:2px 10px;border:1px solid #d0d7de;border-radius:6px;background:#f6f8fa;color:#1f2328;cursor:pointer}
#fit:hover{background:#eaeef2}
main{flex:1;display:flex;min-height:0}
#graph{flex:1;height:100%;cursor:grab;user-select:none;touch-action:none}
#graph.dragging{cursor:grabbing}
.node,.inner-node{cursor:pointer}
.node:focus,.inner-node:focus,.toggle:focus{outline:none}
.node>rect:first-child,.inner-node>rect:first-child{stroke-width:1.2}
.node.input>rect:first-child,.inner-node.input>rect:first-child{fill:#ddf4ff;stroke:#54aeff}
.node.function>rect:first-child,.inner-node.function>rect:first-child{fill:#fff;stroke:#57606a}
.node.output>rect:first-child{fill:#dafbe1;stroke:#4ac26b}
.node[data-nested]>rect:first-child,.inner-node[data-nested]>rect:first-child{stroke-dasharray:5 2}
.node:focus-visible>rect:first-child,.inner-node:focus-visible>rect:first-child{stroke:#0969da;stroke-width:2}
.node.selected>rect:first-child,.inner-node.selected>rect:first-child{stroke:#cf222e;stroke-width:2.5}
.node text,.inner-node text{text-anchor:middle;font:12px ui-monospace,monospace;fill:#1f2328}
.node text.title,.inner-node text.title{font-weight:600}
.node text.sub,.inner-node text.sub{fill:#57606a}
.node text.mapspec,.inner-node text.mapspec{fill:#8250df}
.node .toggle rect,.inner-node .toggle rect{fill:#f6f8fa;stroke:#57606a;stroke-width:1}
.node .toggle text,.inner-node .toggle text{font:bold 13px ui-monospace,monospace;fill:#1f2328}
.node .toggle:hover rect,.inner-node .toggle:hover rect,.node.expanded .toggle rect,.inner-node.expanded .toggle rect{fill:#ddf4ff;stroke:#0969da}
.node .toggle:focus-visible rect,.inner-node .toggle:focus-visible rect{stroke:#0969da;stroke-width:2.5}
.edge,.inner-edge{fill:none;stroke:#8c959f;stroke-width:1.2}
.edge.hot,.inner-edge.hot{stroke:#cf222e;stroke-width:2}
.nested-panel{display:none}
.nested-panel.open{display:inline}
.nested-panel .frame{fill:#f6f8fa;stroke:#0969da;stroke-width:1.5;filter:drop-shadow(0 3px 6px rgba(31,35,40,.25))}
.nested-panel .connector{fill:none;stroke:#0969da;stroke-width:1.5;stroke-dasharray:4 3}
.nested-panel .panel-title{font:600 12px system-ui,sans-serif;fill:#0969da}
.nested-panel .close{cursor:pointer}
.nested-panel .close:focus{outline:none}
.nested-panel .close rect{fill:#f6f8fa;stroke:#0969da;stroke-width:1}
.nested-panel .close:hover rect,.nested-panel .close:focus-visible rect{fill:#ddf4ff;stroke-width:2}
.nested-panel .close text{text-anchor:middle;font:bold 13px ui-monospace,monospace;fill:#0969da}
marker path{fill:#8c959f}
.edge-label{text-anchor:start;font:10px ui-monospace,monospace;fill:#57606a;paint-order:stroke;stroke:#fafafa;stroke-width:3px}
#details{width:340px;overflow:auto;border-left:1px solid #d0d7de;background:#fff;padding:8px 12px}
#details h2{font-size:14px;margin:4px 0 8px;overflow-wrap:break-word}
#details dt{font-weight:600;margin-top:8px}
#details dd{margin:2px 0 0 0;font:12px ui-monospace,monospace;white-space:pre-wrap;overflow-wrap:break-word}
`;

export const PAGE_SCRIPT = `
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("pipeweave-data").textContent);
  var byId = {};
  data.nodes.concat(data.inner || []).forEach(function (n) { byId[n.id] = n; });
  var svg = document.getElementById("graph");
  var full = { x: 0, y: 0, w: +svg.dataset.width, h: +svg.dataset.height };
  var box = { x: 0, y: 0, w: full.w, h: full.h };
  function apply() { svg.setAttribute("viewBox", box.x + " " + box.y + " " + box.w + " " + box.h); }
  function union(a, b) {
    var x = Math.min(a.x, b.x), y = Math.min(a.y, b.y);
    return { x: x, y: y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
  }
  // The whole graph, open panels included.
  function fit() {
    box = { x: full.x, y: full.y, w: full.w, h: full.h };
    apply();
  }
  // relayout(), from html-relayout.ts.
${RELAYOUT_SCRIPT}
  // What the svg shows of the graph: the viewBox and the margins its aspect ratio leaves.
  function visible() {
    var r = svg.getBoundingClientRect();
    if (!r.width || !r.height) return box;
    var s = Math.max(box.w / r.width, box.h / r.height);
    return { x: box.x - (r.width * s - box.w) / 2, y: box.y - (r.height * s - box.h) / 2, w: r.width * s, h: r.height * s };
  }
  function toGraph(ev) {
    var r = svg.getBoundingClientRect();
    var s = Math.max(box.w / r.width, box.h / r.height);
    var ox = (r.width * s - box.w) / 2, oy = (r.height * s - box.h) / 2;
    return { x: box.x - ox + (ev.clientX - r.left) * s, y: box.y - oy + (ev.clientY - r.top) * s, s: s };
  }
  svg.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var p = toGraph(ev);
    var k = Math.exp(ev.deltaY * 0.0015);
    var w = Math.min(Math.max(box.w * k, 20), full.w * 20 + 1000);
    k = w / box.w;
    box = { x: p.x - (p.x - box.x) * k, y: p.y - (p.y - box.y) * k, w: box.w * k, h: box.h * k };
    apply();
  }, { passive: false });
  var drag = null;
  svg.addEventListener("pointerdown", function (ev) {
    if (ev.button !== 0) return;
    drag = { x: ev.clientX, y: ev.clientY, box: box, moved: false, s: toGraph(ev).s };
    svg.setPointerCapture(ev.pointerId);
  });
  svg.addEventListener("pointermove", function (ev) {
    if (!drag) return;
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; svg.classList.add("dragging"); }
    box = { x: drag.box.x - dx * drag.s, y: drag.box.y - dy * drag.s, w: drag.box.w, h: drag.box.h };
    apply();
  });
  function up(e, selector) { return e && e.closest ? e.closest(selector) : null; }
  // What a click or a key on element e does: close a panel, open or close one, or select a node.
  function act(e) {
    var close = up(e, ".close");
    if (close) { toggle(up(close, ".nested-panel").getAttribute("data-for"), false); return true; }
    var g = up(e, ".node,.inner-node");
    if (g && up(e, ".toggle")) toggle(g.getAttribute("data-id"));
    else if (g) select(g.getAttribute("data-id"));
    return !!g;
  }
  svg.addEventListener("pointerup", function (ev) {
    var d = drag;
    drag = null;
    svg.classList.remove("dragging");
    if (d && !d.moved) act(document.elementFromPoint(ev.clientX, ev.clientY));
  });
  svg.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" && ev.key !== " ") return;
    if (act(ev.target)) ev.preventDefault();
  });
  function nodeEl(id) { return document.querySelector('.node[data-id="' + id + '"],.inner-node[data-id="' + id + '"]'); }
  // Marks a nested function's inner graph open or closed; closing also closes the panels inside it.
  function setOpen(id, open) {
    var panel = document.getElementById("nested-" + id);
    var g = nodeEl(id);
    if (!panel || !g) return;
    var t = g.querySelector(".toggle");
    panel.classList.toggle("open", open);
    g.classList.toggle("expanded", open);
    if (t) {
      t.setAttribute("aria-expanded", String(open));
      t.lastChild.textContent = open ? "\\u2212" : "+";
    }
    if (!open) {
      Array.prototype.forEach.call(document.querySelectorAll(".nested-panel.open"), function (p) {
        if (p.getAttribute("data-for").indexOf(id + "-") === 0) setOpen(p.getAttribute("data-for"), false);
      });
    }
  }
  function holds(v, b) { return b.x >= v.x - 1 && b.y >= v.y - 1 && b.x + b.w <= v.x + v.w + 1 && b.y + b.h <= v.y + v.h + 1; }
  // Opens or closes a panel and lays the graph out again around the open ones. A view of the
  // whole graph stays one; a view zoomed in stays where it is, widened to show an opened panel.
  function toggle(id, open) {
    var panel = document.getElementById("nested-" + id);
    if (!panel || !nodeEl(id)) return;
    if (open === undefined) open = !panel.classList.contains("open");
    var whole = holds(visible(), full);
    setOpen(id, open);
    var placed = relayout();
    full = { x: 0, y: 0, w: placed.width, h: placed.height };
    var b = placed.panels[id];
    if (whole) fit();
    else if (open && b) {
      b = { x: b.x - 8, y: b.y - 8, w: b.w + 16, h: b.h + 16 };
      if (!holds(visible(), b)) { box = union(box, b); apply(); }
    }
  }
  document.getElementById("fit").addEventListener("click", fit);
  var panel = document.getElementById("details");
  function el(tag, text) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; }
  function show(v) {
    if (v === null || v === undefined) return "—";
    if (typeof v === "string") return v;
    if (Array.isArray(v)) return v.length ? v.join(", ") : "—";
    var keys = Object.keys(v);
    if (!keys.length) return "—";
    return keys.map(function (k) {
      var x = v[k];
      return k + ": " + (typeof x === "string" ? x : Array.isArray(x) ? x.map(function (a) { return a === null ? "·" : a; }).join(", ") : JSON.stringify(x));
    }).join("\\n");
  }
  function select(id) {
    var n = byId[id];
    if (!n) return;
    Array.prototype.forEach.call(document.querySelectorAll(".selected,.hot"), function (e) { e.classList.remove("selected"); e.classList.remove("hot"); });
    var g = nodeEl(id);
    if (g) g.classList.add("selected");
    Array.prototype.forEach.call(document.querySelectorAll(".edge,.inner-edge"), function (e) {
      if (e.getAttribute("data-from") === id || e.getAttribute("data-to") === id) e.classList.add("hot");
    });
    panel.textContent = "";
    panel.appendChild(el("h2", n.name));
    var dl = el("dl");
    var d = n.details;
    var rows = [["kind", d.kind]];
    if (d.parent !== undefined) rows.push(["inside", d.parent]);
    if (d.description !== undefined) rows.push(["description", d.description]);
    if (d.kind === "input") {
      if (d.type !== undefined) rows.push(["type", d.type]);
      if (d.default !== undefined) rows.push(["default", d.default]);
    }
    if (d.kind === "stage") {
      rows.push(["stage", d.stage], ["workers", d.workers], ["buffer", d.buffer], ["retries", d.retries],
        ["timeout", d.timeoutMs === null ? "none" : d.timeoutMs + " ms"], ["ordered", d.ordered ? "yes" : "no"],
        ["threads", d.threads ? "yes" : "no"]);
    }
    if (d.kind === "function") {
      // A graph read from a run folder knows no defaults, bound values or cache setting.
      rows.push(["inputs", show(d.inputs)], ["outputs", show(d.outputs)]);
      if (d.inputDescriptions !== undefined) rows.push(["input descriptions", show(d.inputDescriptions)]);
      if (d.defaults !== undefined) rows.push(["defaults", show(d.defaults)]);
      if (d.bound !== undefined) rows.push(["bound", show(d.bound)]);
      rows.push(["mapspec", show(d.mapspec)], ["axes", show(d.axes)]);
      if (d.cache !== undefined) rows.push(["cache", d.cache ? "on" : "off"]);
      if (d.scope !== undefined) rows.push(["scope", d.scope]);
      if (d.variant !== undefined) rows.push(["variant", d.variant]);
      if (d.nested) rows.push(["nested functions", show(d.nested)]);
      if (d.profile) rows.push(["profile", show(d.profile)]);
      else if (d.parent === undefined && d.cache !== undefined) rows.push(["profile", "no figures (profile the pipeline and run it)"]);
    }
    rows.forEach(function (r) { dl.appendChild(el("dt", r[0])); dl.appendChild(el("dd", String(r[1]))); });
    panel.appendChild(dl);
    panel.hidden = false;
  }
  fit();
})();
`;
