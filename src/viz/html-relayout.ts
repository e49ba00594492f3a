/**
 * The part of the HTML view's script that makes room for open panels. A nested function's
 * panel opens beside its node, and the graph is laid out again around it from the layout
 * computed in Node: whatever is right of the node on its rank moves right by the panel's width,
 * and every rank below moves down as far as the panel reaches below the node's rank. Edges run
 * straight down through the rank they enter or leave there, so none passes under the panel.
 *
 * Why here and not in Node: any set of panels can be open at once (and panels inside panels),
 * so Node would have to lay out 2^k graphs for k nested functions; moving what is right of and
 * below a panel composes for any set, costs nothing until a panel opens, and keeps the order and
 * the routes dagre chose, so the graph does not jump about when a panel opens.
 */

/** Height of an inner graph panel's title bar. */
export const PANEL_HEADER = 24;

/** Space between a nested function's node and its panel. */
export const PANEL_GAP = 28;

/**
 * Defines `relayout()`, which places every open panel and moves the graph around them, and
 * returns the drawing's new size and each open panel's box (`{ x, y, w, h }`) in the top
 * graph's coordinates. It runs inside the page script, which defines `svg`.
 *
 * A level (the graph, or a panel's inner graph) is read from its markup the first time it is
 * laid out: each node's first `<rect>`, each edge's `d` and each label's `x` and `y`. A node is
 * moved by a `transform` on its group, so what a page built on this one drew inside the group
 * moves too.
 */
export const RELAYOUT_SCRIPT = `
  var GAP = ${PANEL_GAP}, HEADER = ${PANEL_HEADER}, EPS = 0.5;
  var levels = {};
  function each(root, selector, f) { return Array.prototype.map.call(root.querySelectorAll(selector), f); }
  function at(e, name) { return +e.getAttribute(name); }
  function isOpen(id) { var p = document.getElementById("nested-" + id); return !!p && p.classList.contains("open"); }
  function level(key) {
    if (levels[key]) return levels[key];
    var panel = key === "" ? null : document.getElementById("nested-" + key);
    var root = panel ? panel.querySelector(":scope > .inner-graph") : document.getElementById("viewport");
    var nodes = each(root, ":scope > .node, :scope > .inner-node", function (g) {
      var r = g.querySelector("rect");
      return { id: g.getAttribute("data-id"), el: g, x: at(r, "x"), y: at(r, "y"), w: at(r, "width"), h: at(r, "height"), nested: g.hasAttribute("data-nested") };
    });
    var edges = each(root, ":scope > .edge, :scope > .inner-edge", function (p) {
      var v = (p.getAttribute("d").match(/-?[0-9.]+/g) || []).map(Number), pts = [];
      for (var i = 0; i + 1 < v.length; i += 2) pts.push({ x: v[i], y: v[i + 1] });
      return { el: p, from: p.getAttribute("data-from"), to: p.getAttribute("data-to"), pts: pts };
    });
    var labels = each(root, ":scope > .edge-label", function (t) { return { el: t, x: at(t, "x"), y: at(t, "y") }; });
    // A row: the nodes of one rank, which share their middle.
    var rows = [];
    nodes.slice().sort(function (a, b) { return a.y + a.h / 2 - (b.y + b.h / 2); }).forEach(function (n) {
      var mid = n.y + n.h / 2, last = rows[rows.length - 1];
      if (last && Math.abs(last.mid - mid) < EPS) { last.top = Math.min(last.top, n.y); last.bottom = Math.max(last.bottom, n.y + n.h); }
      else rows.push({ mid: mid, top: n.y, bottom: n.y + n.h });
    });
    var L = {
      key: key, nodes: nodes, edges: edges, labels: labels, rows: rows,
      width: panel ? at(root, "data-width") : +svg.dataset.width,
      height: panel ? at(root, "data-height") : +svg.dataset.height,
      minWidth: panel ? at(panel, "data-min-width") : 0
    };
    var ext = extent(nodes, function (n) { return n; }, edges.map(function (e) { return e.pts; }), []);
    L.right = ext.right; L.bottom = ext.bottom;
    levels[key] = L;
    return L;
  }
  function extent(nodes, box, lines, panels) {
    var e = { right: 0, bottom: 0 };
    function grow(r, b) { e.right = Math.max(e.right, r); e.bottom = Math.max(e.bottom, b); }
    nodes.forEach(function (n) { var q = box(n); grow(q.x + n.w, q.y + n.h); });
    lines.forEach(function (pts) { pts.forEach(function (p) { grow(p.x, p.y); }); });
    panels.forEach(function (p) { grow(p.x + p.w, p.y + p.h); });
    return e;
  }
  // The level's layout with its open panels in place, each opened beside its node.
  function arrange(key) {
    var L = level(key);
    var pos = {};
    L.nodes.forEach(function (n) { pos[n.id] = { x: n.x, y: n.y }; });
    var lines = L.edges.map(function (e) { return e.pts; });
    var labels = L.labels;
    var rows = L.rows.map(function (r) { return { mid: r.mid, top: r.top, bottom: r.bottom }; });
    var panels = [];
    // Top to bottom, left to right: a panel then never has to move for one opened after it.
    L.nodes.filter(function (n) { return n.nested && isOpen(n.id); })
      .sort(function (a, b) { return a.y + a.h / 2 - (b.y + b.h / 2) || a.x - b.x; })
      .forEach(function (n) {
        var inner = arrange(n.id);
        var q = pos[n.id], right = q.x + n.w;
        var w = Math.max(inner.width, inner.minWidth), h = inner.height + HEADER;
        var k = 0;
        while (Math.abs(rows[k].mid - (q.y + n.h / 2)) >= EPS) k++;
        var row = rows[k], dx = GAP + w, dy = Math.max(0, q.y + h - row.bottom);
        // The rows beside it (none: a bound no edge passes).
        var above = k > 0 ? rows[k - 1].bottom : row.top, below = k + 1 < rows.length ? rows[k + 1].top : row.bottom;
        var inRow = function (p) { return p.y >= row.top - EPS && p.y <= row.bottom + EPS; };
        var moved = {};
        L.nodes.forEach(function (m) {
          var p = pos[m.id], mid = p.y + m.h / 2;
          var s = { x: Math.abs(mid - row.mid) < EPS && p.x >= right ? dx : 0, y: mid > row.bottom ? dy : 0 };
          moved[m.id] = s;
          p.x += s.x;
          p.y += s.y;
        });
        lines = lines.map(function (pts, i) {
          // Bends where the edge meets this row and the rows beside it, so that it runs straight
          // down through this row and slants only in the empty space between rows.
          var out = [pts[0]];
          for (var j = 1; j < pts.length; j++) {
            var a = pts[j - 1], b = pts[j];
            if (b.y > a.y) {
              var cut = function (y) { return { x: a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y), y: y }; };
              var mid = cut(row.mid).x;
              if (a.y < above - EPS && b.y > above + EPS) out.push(cut(above));
              if (a.y < row.top - EPS && b.y >= row.top - EPS) out.push({ x: inRow(b) ? b.x : mid, y: row.top });
              if (a.y <= row.bottom + EPS && b.y > row.bottom + EPS) out.push({ x: inRow(a) ? a.x : mid, y: row.bottom });
              if (a.y < below - EPS && b.y > below + EPS) out.push(cut(below));
            }
            out.push(b);
          }
          // An edge's ends move with their nodes; its bends in this row move right with what is
          // right of the node, and those at or below the row's bottom move down.
          var e = L.edges[i], last = out.length - 1;
          return out.map(function (p, j) {
            var s = j === 0 ? moved[e.from] : j === last ? moved[e.to]
              : { x: inRow(p) && p.x > right + EPS ? dx : 0, y: p.y >= row.bottom - EPS ? dy : 0 };
            return s.x || s.y ? { x: p.x + s.x, y: p.y + s.y } : p;
          });
        });
        // A label is on the rank in the middle of its edge, which may be this row.
        labels = labels.map(function (l) {
          var s = { x: inRow(l) && l.x > right + EPS ? dx : 0, y: l.y > row.bottom + EPS ? dy : 0 };
          return s.x || s.y ? { x: l.x + s.x, y: l.y + s.y } : l;
        });
        row.bottom = Math.max(row.bottom, q.y + h);
        for (var r = k + 1; r < rows.length; r++) { rows[r].mid += dy; rows[r].top += dy; rows[r].bottom += dy; }
        panels.push({ id: n.id, x: right + GAP, y: q.y, w: w, h: h, base: inner.minWidth, inner: inner });
      });
    var ext = extent(L.nodes, function (n) { return pos[n.id]; }, lines, panels);
    return {
      key: key, pos: pos, lines: lines, labels: labels, panels: panels, minWidth: L.minWidth,
      width: L.width + Math.max(0, ext.right - L.right), height: L.height + Math.max(0, ext.bottom - L.bottom)
    };
  }
  function r1(v) { return String(Math.round(v * 10) / 10); }
  function set(e, name, value) {
    if (value === null) e.removeAttribute(name);
    else if (e.getAttribute(name) !== value) e.setAttribute(name, value);
  }
  function move(dx, dy) { return dx || dy ? "translate(" + r1(dx) + "," + r1(dy) + ")" : null; }
  function pathOf(pts) {
    var d = [], last = "";
    pts.forEach(function (p) { var s = r1(p.x) + "," + r1(p.y); if (s !== last) d.push(s); last = s; });
    return "M" + d.join(" L");
  }
  // Writes a level's layout into its markup, its origin at (ox, oy) in the top graph.
  function draw(res, ox, oy, boxes) {
    var L = levels[res.key];
    L.nodes.forEach(function (n) { var q = res.pos[n.id]; set(n.el, "transform", move(q.x - n.x, q.y - n.y)); });
    L.edges.forEach(function (e, i) { set(e.el, "d", pathOf(res.lines[i])); });
    L.labels.forEach(function (l, i) { set(l.el, "x", r1(res.labels[i].x)); set(l.el, "y", r1(res.labels[i].y)); });
    res.panels.forEach(function (p) {
      var el = document.getElementById("nested-" + p.id);
      var x = ox + p.x, y = oy + p.y, frame = el.querySelector(":scope > .frame");
      set(el, "transform", move(x, y) || "translate(0,0)");
      set(frame, "width", r1(p.w));
      set(frame, "height", r1(p.h));
      set(el.querySelector(":scope > .close"), "transform", move(p.w - p.base, 0));
      boxes[p.id] = { x: x, y: y, w: p.w, h: p.h };
      draw(p.inner, x, y + HEADER, boxes);
    });
  }
  function relayout() {
    var res = arrange("");
    var boxes = {};
    draw(res, 0, 0, boxes);
    svg.dataset.width = r1(res.width);
    svg.dataset.height = r1(res.height);
    return { width: res.width, height: res.height, panels: boxes };
  }
`;
