/**
 * The dashboard's page: the HTML graph view with a live layer. The layer's script opens the
 * server-sent events of the page's own origin and redraws progress from each state it gets;
 * every text goes in with `textContent`, never as markup.
 */
import { escapeHtml, graphPage } from "../viz/html.ts";
import type { GraphModel } from "../viz/html-model.ts";

/** The state a dashboard sends: a sweep's run status, or a stream's statistics. */
export type DashboardState =
  | { readonly kind: "map"; readonly status: unknown; readonly problem?: string }
  | { readonly kind: "stream"; readonly stats: unknown };

/**
 * The `code` of the warning (`process.emitWarning`) raised when the dashboard cannot draw its
 * graph and serves the run's progress without it.
 */
export const DASHBOARD_GRAPH_WARNING = "PIPEWEAVE_DASHBOARD_GRAPH";

/**
 * The dashboard page drawing `model` and following the events of kind `kind`. A graph that
 * cannot be drawn costs the page its drawing, never the run it watches: the page then shows the
 * run's figures and errors without the graph, and a warning says why.
 */
export function dashboardPage(model: GraphModel, kind: DashboardState["kind"]): string {
  const live = (note: string) => ({
    header:
      `<span id="run-state" class="pill" data-state="connecting">connecting</span>` +
      `<span id="run-figures"></span>${note}`,
    footer:
      `<section id="errors" data-kind="${escapeHtml(kind)}" hidden><h2>Latest errors</h2>` +
      `<ol id="error-list"></ol></section>`,
    css: LIVE_CSS,
    script: LIVE_SCRIPT,
  });
  try {
    return graphPage({ model, ...live("") });
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.emitWarning(
      `The dashboard cannot draw the graph of "${model.name}" (${reason}); it shows the run's ` +
        "progress and errors without it. The run itself is not affected.",
      { type: "PipeweaveWarning", code: DASHBOARD_GRAPH_WARNING },
    );
    const note = `<span id="graph-note">graph not drawn: ${escapeHtml(reason.split("\n")[0]!)}</span>`;
    return graphPage({ model: { name: model.name, functions: [] }, ...live(note) });
  }
}

const LIVE_CSS = `
.pill{padding:2px 10px;border-radius:10px;font-weight:600;font-size:12px;background:#eaeef2;color:#1f2328}
.pill[data-state=running]{background:#ddf4ff;color:#0969da}
.pill[data-state=done]{background:#dafbe1;color:#1a7f37}
.pill[data-state=failed],.pill[data-state=aborted]{background:#ffebe9;color:#cf222e}
.pill[data-state=stale]{background:#fff8c5;color:#9a6700}
#run-figures{color:#57606a;font-variant-numeric:tabular-nums}
#graph-note{color:#9a6700}
.node .bar-track{fill:#eaeef2;stroke:none}
.node .bar-done{fill:#2da44e;stroke:none}
.node .bar-failed{fill:#cf222e;stroke:none}
.node .bar-buffer{fill:#bf8700;stroke:none}
.node text.live{font:11px ui-monospace,monospace;fill:#57606a;font-weight:400;paint-order:stroke;stroke:#fafafa;stroke-width:4px}
.node.state-running rect.box{stroke:#0969da;stroke-width:2}
.node.state-done rect.box{stroke:#1a7f37}
.node.state-failed rect.box{stroke:#cf222e;stroke-width:2}
#errors{border-top:1px solid #d0d7de;background:#fff;max-height:30vh;overflow:auto;padding:4px 12px}
#errors h2{font-size:13px;margin:4px 0}
#error-list{margin:0;padding-left:20px;font:12px ui-monospace,monospace}
#error-list li{margin:2px 0;white-space:pre-wrap;word-break:break-all}
`;

const LIVE_SCRIPT = `
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("pipeweave-data").textContent);
  var kind = document.getElementById("errors").getAttribute("data-kind");
  var NS = "http://www.w3.org/2000/svg";
  var byName = {};
  var order = [];
  data.nodes.forEach(function (n) {
    if (n.kind !== "function") return;
    var g = document.querySelector('.node[data-id="' + n.id + '"]');
    if (!g) return;
    var box = g.querySelector("rect");
    box.classList.add("box");
    var x = +box.getAttribute("x"), y = +box.getAttribute("y");
    var w = +box.getAttribute("width"), h = +box.getAttribute("height");
    function rect(cls, ry) {
      var r = document.createElementNS(NS, "rect");
      r.setAttribute("class", cls);
      r.setAttribute("x", x + 4);
      r.setAttribute("y", ry);
      r.setAttribute("width", 0);
      r.setAttribute("height", 4);
      g.appendChild(r);
      return r;
    }
    var track = rect("bar-track", y + h - 7);
    track.setAttribute("width", w - 8);
    var live = { g: g, width: w - 8, done: rect("bar-done", y + h - 7), failed: rect("bar-failed", y + h - 7) };
    var label = document.createElementNS(NS, "text");
    label.setAttribute("class", "live");
    label.setAttribute("x", x + w / 2);
    label.setAttribute("y", y + h + 13);
    label.setAttribute("text-anchor", "middle");
    g.appendChild(label);
    live.label = label;
    if (kind === "stream") {
      var buf = rect("bar-buffer", y - 6);
      live.buffer = buf;
    }
    byName[n.name] = live;
    order.push(live);
  });
  var pill = document.getElementById("run-state");
  var figures = document.getElementById("run-figures");
  var errorsBox = document.getElementById("errors");
  var errorList = document.getElementById("error-list");
  function time(ms) {
    if (ms === null || ms === undefined) return "—";
    var s = Math.round(ms / 1000);
    if (s < 60) return s + "s";
    var m = Math.floor(s / 60);
    if (m < 60) return m + "m " + (s % 60) + "s";
    return Math.floor(m / 60) + "h " + (m % 60) + "m";
  }
  function setState(state) {
    pill.textContent = state;
    pill.setAttribute("data-state", state);
  }
  function setBar(live, done, failed, total) {
    var scale = total > 0 ? live.width / total : 0;
    live.done.setAttribute("width", Math.min(live.width, done * scale));
    live.failed.setAttribute("x", +live.done.getAttribute("x") + Math.min(live.width, done * scale));
    live.failed.setAttribute("width", Math.min(live.width, failed * scale));
  }
  function setNodeState(live, state) {
    ["pending", "running", "done", "failed"].forEach(function (s) { live.g.classList.remove("state-" + s); });
    live.g.classList.add("state-" + state);
    live.g.setAttribute("data-state", state);
  }
  function showErrors(list) {
    errorList.textContent = "";
    (list || []).slice().reverse().forEach(function (e) {
      var li = document.createElement("li");
      li.textContent = e;
      errorList.appendChild(li);
    });
    errorsBox.hidden = !list || list.length === 0;
  }
  function showMap(message) {
    var s = message.status;
    if (!s) { setState("unreadable"); figures.textContent = message.problem || ""; return; }
    setState(s.state);
    var done = 0, failed = 0, total = 0;
    s.functions.forEach(function (f) {
      done += f.done; failed += f.failed; total += f.total;
      var live = byName[f.name];
      if (!live) return;
      setBar(live, f.done, f.failed, f.total);
      setNodeState(live, f.state);
      live.g.setAttribute("data-done", f.done);
      live.g.setAttribute("data-failed", f.failed);
      live.g.setAttribute("data-total", f.total);
      live.label.textContent = f.done + " / " + f.total + (f.failed ? " · " + f.failed + " failed" : "") + " · " + time(f.elapsedMs) +
        (typeof f.etaMs === "number" ? " · ETA " + time(f.etaMs) : "");
    });
    var text = done + " / " + total + " elements";
    if (failed) text += " · " + failed + " failed";
    text += " · elapsed " + time(s.elapsedMs);
    if (s.state === "running") text += " · ETA " + time(s.etaMs);
    if (s.state === "stale") text += " · its process is gone: resume it with map(..., { resume: true })";
    if (s.error) text += " · " + s.error;
    figures.textContent = text;
    showErrors((s.errors || []).map(function (e) {
      return e.name + "[" + e.index.join(", ") + "]: " + e.message;
    }));
  }
  function showStream(message) {
    var s = message.stats;
    setState(s.state);
    s.stages.forEach(function (st, i) {
      var live = order[i];
      if (!live) return;
      var seen = st.out + st.failed + st.skipped + st.passed;
      setBar(live, st.out + st.skipped + st.passed, st.failed, Math.max(st.in, seen, 1));
      live.buffer.setAttribute("width", st.capacity > 0 ? live.width * Math.min(1, st.buffered / st.capacity) : 0);
      setNodeState(live, s.state === "running" ? (st.busy > 0 || st.buffered > 0 ? "running" : "pending") : (st.failed ? "failed" : "done"));
      live.g.setAttribute("data-in", st.in);
      live.g.setAttribute("data-out", st.out);
      live.g.setAttribute("data-failed", st.failed);
      live.g.setAttribute("data-buffered", st.buffered);
      live.label.textContent = "in " + st.in + " · out " + st.out + (st.failed ? " · failed " + st.failed : "") + " · buffer " + st.buffered + "/" + st.capacity;
    });
    figures.textContent = s.source.items + " items in · " + s.output + " out · elapsed " + time(s.elapsedMs) + (s.error ? " · " + s.error : "");
    showErrors(s.errors.map(function (e) { return e.stage + " (attempts " + e.attempts + "): " + e.message; }));
  }
  var token = new URLSearchParams(location.search).get("token") || "";
  var events = new EventSource("events?token=" + encodeURIComponent(token));
  var ended = false;
  events.onmessage = function (ev) {
    var message = JSON.parse(ev.data);
    if (message.kind === "map") showMap(message); else showStream(message);
    ended = pill.getAttribute("data-state") !== "running" && pill.getAttribute("data-state") !== "idle";
    document.body.setAttribute("data-updates", String(+(document.body.getAttribute("data-updates") || 0) + 1));
  };
  events.onerror = function () {
    var text = figures.textContent;
    if (!ended && text.slice(-12) !== "disconnected") figures.textContent = text + " · disconnected";
  };
})();
`;
