/**
 * The HTML view's inline stylesheet and script. The script reads the embedded JSON, never
 * writes HTML from it (text goes in with `textContent`), and fetches nothing.
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
main{flex:1;display:flex;min-height:0}
#graph{flex:1;height:100%;cursor:grab;user-select:none;touch-action:none}
#graph.dragging{cursor:grabbing}
.node{cursor:pointer}
.node rect{stroke-width:1.2}
.node.input rect{fill:#ddf4ff;stroke:#54aeff}
.node.function rect{fill:#fff;stroke:#57606a}
.node.output rect{fill:#dafbe1;stroke:#4ac26b}
.node.selected rect{stroke:#cf222e;stroke-width:2.5}
.node text{text-anchor:middle;font:12px ui-monospace,monospace;fill:#1f2328}
.node text.title{font-weight:600}
.node text.sub{fill:#57606a}
.node text.mapspec{fill:#8250df}
.edge{fill:none;stroke:#8c959f;stroke-width:1.2}
.edge.hot{stroke:#cf222e;stroke-width:2}
marker path{fill:#8c959f}
.edge-label{text-anchor:middle;font:10px ui-monospace,monospace;fill:#57606a;paint-order:stroke;stroke:#fafafa;stroke-width:3px}
#details{width:340px;overflow:auto;border-left:1px solid #d0d7de;background:#fff;padding:8px 12px}
#details h2{font-size:14px;margin:4px 0 8px;word-break:break-all}
#details dt{font-weight:600;margin-top:8px}
#details dd{margin:2px 0 0 0;font:12px ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
`;

export const PAGE_SCRIPT = `
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("pipeweave-data").textContent);
  var byId = {};
  data.nodes.forEach(function (n) { byId[n.id] = n; });
  var svg = document.getElementById("graph");
  var full = { x: 0, y: 0, w: +svg.dataset.width, h: +svg.dataset.height };
  var box = { x: 0, y: 0, w: full.w, h: full.h };
  function apply() { svg.setAttribute("viewBox", box.x + " " + box.y + " " + box.w + " " + box.h); }
  function fit() { box = { x: full.x, y: full.y, w: full.w, h: full.h }; apply(); }
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
  svg.addEventListener("pointerup", function (ev) {
    var d = drag;
    drag = null;
    svg.classList.remove("dragging");
    if (d && !d.moved) {
      var hit = document.elementFromPoint(ev.clientX, ev.clientY);
      var g = hit && hit.closest ? hit.closest(".node") : null;
      if (g) select(g.getAttribute("data-id"));
    }
  });
  svg.addEventListener("keydown", function (ev) {
    var g = ev.target && ev.target.closest ? ev.target.closest(".node") : null;
    if (g && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); select(g.getAttribute("data-id")); }
  });
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
    var g = document.querySelector('.node[data-id="' + id + '"]');
    if (g) g.classList.add("selected");
    Array.prototype.forEach.call(document.querySelectorAll(".edge"), function (e) {
      if (e.getAttribute("data-from") === id || e.getAttribute("data-to") === id) e.classList.add("hot");
    });
    panel.textContent = "";
    panel.appendChild(el("h2", n.name));
    var dl = el("dl");
    var d = n.details;
    var rows = [["kind", d.kind]];
    if (d.kind === "function") {
      rows.push(["inputs", show(d.inputs)], ["outputs", show(d.outputs)], ["defaults", show(d.defaults)],
        ["bound", show(d.bound)], ["mapspec", show(d.mapspec)], ["axes", show(d.axes)],
        ["cache", d.cache ? "on" : "off"]);
      if (d.scope !== undefined) rows.push(["scope", d.scope]);
      if (d.nested) rows.push(["nested functions", show(d.nested)]);
      if (d.profile) rows.push(["profile", show(d.profile)]);
      else rows.push(["profile", "no figures (profile the pipeline and run it)"]);
    }
    rows.forEach(function (r) { dl.appendChild(el("dt", r[0])); dl.appendChild(el("dd", String(r[1]))); });
    panel.appendChild(dl);
    panel.hidden = false;
  }
  fit();
})();
`;
