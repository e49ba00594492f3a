/**
 * The dashboard of several sweeps at once (`launchMaps(..., { dashboard })`): one row per run,
 * its state and one progress bar per function, from the statuses the runs keep.
 */
import type { RunStatus } from "../status/types.ts";
import { escapeHtml } from "../viz/html.ts";
import { type DashboardOptions, type ServedDashboard, startDashboard } from "./server.ts";

/** What the runs dashboard sends its page: every run's status, in the order launched. */
export interface RunsDashboardState {
  readonly kind: "runs";
  readonly runs: readonly RunStatus[];
}

/**
 * Serves the dashboard of the runs `statuses` reads, on 127.0.0.1 by default (see
 * {@link DashboardOptions}); release it once they are over.
 */
export function startRunsDashboard(
  title: string,
  statuses: () => readonly RunStatus[],
  options: DashboardOptions = {},
): Promise<ServedDashboard> {
  return startDashboard(
    {
      page: runsPage(title),
      snapshot: (): RunsDashboardState => ({ kind: "runs", runs: statuses() }),
    },
    options,
  );
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;width:100%}td,th{padding:.3em .6em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
.bar{display:inline-block;width:12em;height:.8em;background:#eee;margin-right:.5em}.bar span{display:block;height:100%;background:#4a8}
.failed{color:#b22}.aborted,.stale,.queued{color:#a70}.running{color:#07a}.done{color:#383}`;

/** The page: a table of runs, redrawn from each state the event stream sends. */
function runsPage(title: string): string {
  const script = `(function(){
  var body = document.getElementById("runs");
  function cell(row, text, cls){ var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; row.appendChild(td); return td; }
  function draw(state){
    body.textContent = "";
    state.runs.forEach(function(run, k){
      var row = document.createElement("tr");
      cell(row, String(k + 1));
      cell(row, run.pipeline);
      cell(row, run.runFolder || "(memory)");
      cell(row, run.state, run.state);
      var fns = cell(row, "");
      run.functions.forEach(function(f){
        var line = document.createElement("div");
        var bar = document.createElement("span"); bar.className = "bar";
        var fill = document.createElement("span");
        fill.style.width = (f.total > 0 ? Math.round(100 * (f.done + f.failed + f.skipped) / f.total) : 0) + "%";
        bar.appendChild(fill); line.appendChild(bar);
        line.appendChild(document.createTextNode(f.name + " " + f.done + "/" + f.total + (f.failed ? " (" + f.failed + " failed)" : "")));
        fns.appendChild(line);
      });
      cell(row, run.error || "", "failed");
      body.appendChild(row);
    });
  }
  var token = new URLSearchParams(location.search).get("token") || "";
  var events = new EventSource("events?token=" + encodeURIComponent(token));
  events.onmessage = function(ev){ draw(JSON.parse(ev.data)); };
})();`;
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    `<style>${STYLE}</style></head><body><h1>${escapeHtml(title)}</h1>` +
    "<table><thead><tr><th>#</th><th>pipeline</th><th>run folder</th><th>state</th>" +
    "<th>functions</th><th>error</th></tr></thead><tbody id=runs></tbody></table>" +
    `<script>${script}</script></body></html>`
  );
}
