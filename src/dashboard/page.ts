/**
 * The dashboard's page: the HTML graph view with a live layer. The layer's script opens the
 * server-sent events of the page's own origin and redraws progress from each state it gets;
 * every text goes in with `textContent`, never as markup.
 */
import { HUMAN_SCRIPT } from "../_internal/human.ts";
import { escapeHtml, graphPage } from "../viz/html.ts";
import type { GraphModel } from "../viz/html-model.ts";
import { PLOTS_GLOBAL, plotPageParts } from "../viz/plot-page.ts";

/** The state a dashboard sends: a sweep's run status, or a stream's statistics. */
export type DashboardState =
  | { readonly kind: "map"; readonly status: unknown; readonly problem?: string }
  | { readonly kind: "stream"; readonly stats: unknown };

/**
 * The `code` of the warning (`process.emitWarning`) raised when the dashboard cannot draw its
 * graph and serves the run's progress without it.
 */
export const DASHBOARD_GRAPH_WARNING = "PIPEWEAVE_DASHBOARD_GRAPH";

/** Room kept inside each function node for its counts (two lines) and progress bar. */
const RESERVE = { width: 200, height: 42 } as const;
/** A stream's stages also draw their buffer's fill. */
const STREAM_RESERVE = { width: 200, height: 48 } as const;

/**
 * The dashboard page drawing `model` and following the events of kind `kind`: each function's
 * counts and times drawn inside its node (no edge crosses them), and, for a sweep, the plots
 * of its numeric outputs below the graph and, once any function's elements went out as SLURM
 * jobs, each job's id and its array tasks' states. A graph that cannot be drawn costs the page its
 * drawing, never the run it watches: the page then shows the run's figures and errors without
 * the graph, and a warning says why.
 */
export function dashboardPage(model: GraphModel, kind: DashboardState["kind"]): string {
  const plots = kind === "map" ? plotPageParts() : undefined;
  const live = (note: string) => ({
    header:
      `<span id="run-state" class="pill" data-state="connecting">connecting</span>` +
      `<span id="run-figures"></span>${note}`,
    // The plots, the latest errors and the SLURM jobs side by side below the graph, so the graph keeps its height.
    footer:
      `<div id="below">${plots?.footer ?? ""}` +
      `<section id="errors" data-kind="${escapeHtml(kind)}" hidden><h2>Latest errors</h2>` +
      `<ol id="error-list"></ol></section>` +
      // Filled only for functions whose elements went out as SLURM jobs (the slurm() executor).
      (kind === "map"
        ? `<section id="jobs" hidden><h2>SLURM jobs</h2><ul id="job-list"></ul></section>`
        : "") +
      "</div>",
    css: LIVE_CSS + (plots?.css ?? ""),
    script: (plots?.script ?? "") + LIVE_SCRIPT,
    reserve: kind === "stream" ? STREAM_RESERVE : RESERVE,
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
.pill{padding:2px 10px;border-radius:10px;font-weight:600;font-size:12px;background:#eaeef2;color:#1f2328;white-space:nowrap}
.pill[data-state=running]{background:#ddf4ff;color:#0969da}
.pill[data-state=done]{background:#dafbe1;color:#1a7f37}
.pill[data-state=done][data-warning]{background:#fff8c5;color:#9a6700}
.pill[data-state=failed],.pill[data-state=aborted]{background:#ffebe9;color:#cf222e}
.pill[data-state=stale]{background:#fff8c5;color:#9a6700}
header{flex-wrap:wrap}
#run-figures{color:#57606a;font-variant-numeric:tabular-nums;display:flex;flex-wrap:wrap;column-gap:0;min-width:0}
#run-figures .fig{white-space:nowrap}
#run-figures .fig+.fig::before{content:"\\00a0\\00b7\\00a0"}
#run-figures .fig.failed{color:#cf222e}
#graph-note{color:#9a6700}
.node .bar-track{fill:#eaeef2;stroke:none}
.node .bar-done{fill:#2da44e;stroke:none}
.node .bar-failed{fill:#cf222e;stroke:none}
.node .bar-skipped{fill:#8c959f;stroke:none}
.node .bar-buffer{fill:#bf8700;stroke:none}
.node text.live{font:11px ui-monospace,monospace;fill:#57606a;font-weight:400}
.node text.live.counts{fill:#1f2328}
.node.state-running rect.box{stroke:#0969da;stroke-width:2}
.node.state-done rect.box{stroke:#1a7f37}
.node.state-done.has-failed rect.box{stroke:#bf8700;stroke-width:2}
.node.state-failed rect.box{stroke:#cf222e;stroke-width:2}
#below{flex:none;display:flex;max-height:40vh;border-top:1px solid #d0d7de;background:#fff}
#below #plots{flex:1 1 auto;min-width:0;border-top:none}
#errors{flex:1 1 320px;min-width:0;overflow:auto;padding:4px 12px}
#plots:not([hidden])+#errors{border-left:1px solid #d0d7de}
#errors h2{font-size:13px;margin:4px 0}
#error-list{margin:0;padding-left:20px;font:12px ui-monospace,monospace}
#error-list li{margin:2px 0;white-space:pre-wrap;overflow-wrap:break-word}
#jobs{flex:0 1 320px;min-width:0;overflow:auto;padding:4px 12px;border-left:1px solid #d0d7de}
#jobs h2{font-size:13px;margin:4px 0}
#job-list{margin:0;padding-left:20px;font:12px ui-monospace,monospace}
#job-list li{margin:2px 0;overflow-wrap:break-word}
#job-list .job-state{white-space:nowrap}
`;

const LIVE_SCRIPT = `
(function () {
  "use strict";
  ${HUMAN_SCRIPT}
  var data = JSON.parse(document.getElementById("pipeweave-data").textContent);
  var kind = document.getElementById("errors").getAttribute("data-kind");
  var plots = typeof ${PLOTS_GLOBAL} === "undefined" ? null : ${PLOTS_GLOBAL};
  var NS = "http://www.w3.org/2000/svg";
  var byName = {};
  var order = [];
  // Each function's live figures go in the room its node keeps below its text: two lines of
  // counts and times, then its progress bar (a stream's buffer bar above them).
  data.nodes.forEach(function (n) {
    if (n.kind !== "function") return;
    var g = document.querySelector('.node[data-id="' + n.id + '"]');
    if (!g) return;
    var box = g.querySelector("rect");
    box.classList.add("box");
    var x = +box.getAttribute("x"), y = +box.getAttribute("y");
    var w = +box.getAttribute("width"), h = +box.getAttribute("height");
    function rect(cls, ry, height) {
      var r = document.createElementNS(NS, "rect");
      r.setAttribute("class", cls);
      r.setAttribute("x", x + 6);
      r.setAttribute("y", ry);
      r.setAttribute("width", 0);
      r.setAttribute("height", height);
      g.appendChild(r);
      return r;
    }
    function line(cls, baseline) {
      var t = document.createElementNS(NS, "text");
      t.setAttribute("class", "live " + cls);
      t.setAttribute("x", x + w / 2);
      t.setAttribute("y", baseline);
      t.setAttribute("text-anchor", "middle");
      g.appendChild(t);
      return t;
    }
    var track = rect("bar-track", y + h - 9, 4);
    track.setAttribute("width", w - 12);
    var live = {
      g: g, width: w - 12,
      done: rect("bar-done", y + h - 9, 4), failed: rect("bar-failed", y + h - 9, 4), skipped: rect("bar-skipped", y + h - 9, 4),
      counts: line("counts", y + h - 28), times: line("times", y + h - 14)
    };
    if (kind === "stream") live.buffer = rect("bar-buffer", y + h - 45, 3);
    byName[n.name] = live;
    order.push(live);
  });
  var pill = document.getElementById("run-state");
  var figures = document.getElementById("run-figures");
  var errorsBox = document.getElementById("errors");
  var errorList = document.getElementById("error-list");
  var jobsBox = document.getElementById("jobs");
  var jobList = document.getElementById("job-list");
  function setText(t, text) {
    t.removeAttribute("textLength");
    t.removeAttribute("lengthAdjust");
    t.textContent = text;
    // A line wider than its node is drawn narrower, never past the node's sides.
    var room = +t.parentNode.querySelector("rect.box").getAttribute("width") - 8;
    if (text && t.getComputedTextLength && t.getComputedTextLength() > room) {
      t.setAttribute("textLength", room);
      t.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
  }
  function setState(state, failed) {
    pill.textContent = state === "done" && failed > 0 ? "done, " + formatCount(failed) + " failed" : state;
    pill.setAttribute("data-state", state);
    if (state === "done" && failed > 0) pill.setAttribute("data-warning", ""); else pill.removeAttribute("data-warning");
  }
  function setFigures(parts) {
    figures.textContent = "";
    parts.forEach(function (p) {
      if (!p) return;
      var span = document.createElement("span");
      span.className = "fig" + (p.cls ? " " + p.cls : "");
      span.textContent = p.text || p;
      figures.appendChild(span);
    });
  }
  function setBar(live, done, failed, skipped, total) {
    var scale = total > 0 ? live.width / total : 0, x = +live.done.getAttribute("x");
    var dw = Math.min(live.width, done * scale), fw = Math.min(live.width - dw, failed * scale);
    live.done.setAttribute("width", dw);
    live.failed.setAttribute("x", x + dw);
    live.failed.setAttribute("width", fw);
    live.skipped.setAttribute("x", x + dw + fw);
    live.skipped.setAttribute("width", Math.min(live.width - dw - fw, skipped * scale));
  }
  function setNodeState(live, state, hasFailed) {
    ["pending", "running", "done", "failed"].forEach(function (s) { live.g.classList.remove("state-" + s); });
    live.g.classList.add("state-" + state);
    live.g.classList.toggle("has-failed", !!hasFailed);
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
  // One line per SLURM job: "c  job 41: 3 tasks · 2 RUNNING, 1 PENDING" (as pipeweave status says).
  function showJobs(functions) {
    if (!jobList) return;
    jobList.textContent = "";
    var any = false;
    functions.forEach(function (f) {
      (f.jobs || []).forEach(function (j) {
        any = true;
        var li = document.createElement("li");
        li.setAttribute("data-function", f.name);
        li.setAttribute("data-job", j.job);
        li.appendChild(document.createTextNode(f.name + "  job " + j.job + ": " + formatCount(j.tasks) + (j.tasks === 1 ? " task" : " tasks")));
        Object.keys(j.states || {}).forEach(function (state, k) {
          var span = document.createElement("span");
          span.className = "job-state";
          span.setAttribute("data-state", state);
          span.textContent = (k === 0 ? " \u00b7 " : ", ") + formatCount(j.states[state]) + " " + state;
          li.appendChild(span);
        });
        jobList.appendChild(li);
      });
    });
    jobsBox.hidden = !any;
  }
  function showMap(message) {
    var s = message.status;
    if (plots && message.plots) plots.apply(message.plots);
    if (!s) { setState("unreadable", 0); setFigures([message.problem || ""]); return; }
    var done = 0, failed = 0, skipped = 0, total = 0;
    s.functions.forEach(function (f) {
      var fs = f.skipped || 0;
      done += f.done; failed += f.failed; skipped += fs; total += f.total;
      var live = byName[f.name];
      if (!live) return;
      setBar(live, f.done, f.failed, fs, f.total);
      setNodeState(live, f.state, f.failed > 0);
      live.g.setAttribute("data-done", f.done);
      live.g.setAttribute("data-failed", f.failed);
      live.g.setAttribute("data-skipped", fs);
      live.g.setAttribute("data-total", f.total);
      if (f.jobs && f.jobs.length) live.g.setAttribute("data-jobs", f.jobs.map(function (j) { return j.job; }).join(" "));
      else live.g.removeAttribute("data-jobs");
      setText(live.counts, formatCount(f.done) + " / " + formatCount(f.total) +
        (f.failed ? " \\u00b7 " + formatCount(f.failed) + " failed" : "") + (fs ? " \\u00b7 " + formatCount(fs) + " skipped" : ""));
      setText(live.times, f.state === "pending" ? "pending" : formatDuration(f.elapsedMs) +
        (typeof f.etaMs === "number" ? " \\u00b7 ETA " + formatDuration(f.etaMs) : ""));
    });
    setState(s.state, failed);
    setFigures([
      formatCount(done) + " / " + formatCount(total) + " elements",
      failed ? { text: formatCount(failed) + " failed", cls: "failed" } : null,
      skipped ? formatCount(skipped) + " skipped" : null,
      "elapsed " + formatDuration(s.elapsedMs),
      s.state === "running" && typeof s.etaMs === "number" ? "ETA " + formatDuration(s.etaMs) : null,
      s.state === "stale" ? "its process is gone: resume it with map(..., { resume: true })" : null,
      s.error ? s.error : null
    ]);
    showErrors((s.errors || []).map(function (e) {
      return e.name + "[" + e.index.join(", ") + "]: " + e.message;
    }));
    showJobs(s.functions);
  }
  function showStream(message) {
    var s = message.stats, failed = 0;
    s.stages.forEach(function (st, i) {
      failed += st.failed;
      var live = order[i];
      if (!live) return;
      var seen = st.out + st.failed + st.skipped + st.passed;
      setBar(live, st.out + st.skipped + st.passed, st.failed, 0, Math.max(st.in, seen, 1));
      live.buffer.setAttribute("width", st.capacity > 0 ? live.width * Math.min(1, st.buffered / st.capacity) : 0);
      setNodeState(live, s.state === "running" ? (st.busy > 0 || st.buffered > 0 ? "running" : "pending") : (st.failed ? "failed" : "done"), false);
      live.g.setAttribute("data-in", st.in);
      live.g.setAttribute("data-out", st.out);
      live.g.setAttribute("data-failed", st.failed);
      live.g.setAttribute("data-buffered", st.buffered);
      live.g.setAttribute("data-retried", st.retried || 0);
      if (st.circuit) live.g.setAttribute("data-circuit", st.circuit);
      setText(live.counts, "in " + formatCount(st.in) + " \\u00b7 out " + formatCount(st.out) + (st.failed ? " \\u00b7 failed " + formatCount(st.failed) : "") +
        (st.retried ? " \\u00b7 retried " + formatCount(st.retried) : "") + (st.circuit && st.circuit !== "closed" ? " \\u00b7 circuit " + st.circuit : ""));
      setText(live.times, "buffer " + formatCount(st.buffered) + "/" + formatCount(st.capacity));
    });
    setState(s.state, failed);
    setFigures([
      formatCount(s.source.items) + " items in",
      formatCount(s.output) + " out",
      failed ? { text: formatCount(failed) + " failed", cls: "failed" } : null,
      "elapsed " + formatDuration(s.elapsedMs),
      s.error ? s.error : null
    ]);
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
    if (ended || figures.querySelector(".disconnected")) return;
    var span = document.createElement("span");
    span.className = "fig disconnected";
    span.textContent = "disconnected";
    figures.appendChild(span);
  };
})();
`;
