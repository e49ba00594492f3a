/**
 * The live dashboard of an adaptive sweep: of a run folder (`serveDashboard(runFolder)` on a
 * folder an adaptive sweep writes, by this process or another), or of a sweep running here
 * (`dashboard: true`): the drawing and the progress against the goal, redrawn as points
 * settle.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import {
  type Dashboard,
  type DashboardOptions,
  type DashboardSource,
  type ServedDashboard,
  startDashboard,
} from "../dashboard/server.ts";
import { caption, drawAdaptive } from "./draw.ts";
import { readAdaptive } from "./load.ts";
import type { AdaptiveResult } from "./result.ts";
import { POINTS_FILE, readStore } from "./store.ts";

/** The page: an empty plot that each message from the server replaces. */
const PAGE =
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pipeweave · adaptive</title>` +
  `<style>body{font-family:sans-serif;margin:24px;color:#222}#progress{margin:8px 0}</style></head>` +
  `<body><h1 id="title">Adaptive sweep</h1><div id="progress">waiting for points…</div>` +
  `<div id="plot"></div><script>
(function () {
  var token = new URLSearchParams(location.search).get("token") || "";
  var events = new EventSource("events?token=" + encodeURIComponent(token));
  events.onmessage = function (ev) {
    var m = JSON.parse(ev.data);
    document.getElementById("title").textContent = 'Adaptive sweep of "' + m.output + '"';
    document.getElementById("progress").textContent = m.caption;
    // The server builds the SVG from numbers and escaped labels only.
    document.getElementById("plot").innerHTML = m.svg;
    document.body.setAttribute("data-points", String(m.points));
    document.body.setAttribute("data-updates", String(+(document.body.getAttribute("data-updates") || 0) + 1));
  };
})();
</script></body></html>`;

/** Whether `runFolder` holds an adaptive sweep. */
export function isAdaptiveFolder(runFolder: string): boolean {
  try {
    readStore(runFolder);
    return true;
  } catch {
    return false;
  }
}

/**
 * Serves the live dashboard of the adaptive sweep in `runFolder`.
 *
 * @throws {@link RunFolderNotFoundError} when the folder holds no adaptive sweep.
 */
export async function serveAdaptiveDashboard(
  runFolder: string,
  options: DashboardOptions = {},
): Promise<Dashboard> {
  readStore(runFolder);
  // Redrawn only when points were appended since the last drawing.
  const version = () => {
    try {
      return statSync(join(runFolder, POINTS_FILE)).size;
    } catch {
      return 0;
    }
  };
  const view = () => ({
    result: readAdaptive(runFolder),
    goal: goalText(readStore(runFolder).settings.goal),
  });
  return startDashboard(adaptiveSource(view, version), options);
}

/**
 * Serves the live dashboard of a sweep running in this process (`pipeline.adaptive(...,
 * { dashboard: true })`): drawn from its learners and points, no run folder needed.
 *
 * @param view - The sweep as far as it got, and its goal in words.
 * @param version - Changes whenever a point settles (the points and failures counted).
 */
export function startAdaptiveDashboard(
  view: () => AdaptiveView,
  version: () => number,
  options: DashboardOptions,
): Promise<ServedDashboard> {
  return startDashboard(adaptiveSource(view, version), options);
}

/** What an adaptive dashboard draws. */
export interface AdaptiveView {
  readonly result: AdaptiveResult;
  readonly goal: string | undefined;
}

/** The page and its state, drawn again only when `version` changed since the last drawing. */
function adaptiveSource(view: () => AdaptiveView, version: () => number): DashboardSource {
  let drawn = -1;
  let message: unknown;
  return {
    page: PAGE,
    snapshot() {
      const now = version();
      if (now === drawn && message !== undefined) return message;
      drawn = now;
      const { result, goal } = view();
      message = {
        kind: "adaptive",
        output: result.output,
        points: result.points.length,
        caption: caption(result, goal),
        svg: drawAdaptive(result, goal),
      };
      return message;
    },
  };
}

function goalText(goal: Readonly<Record<string, number>> | undefined): string | undefined {
  if (!goal) return undefined;
  if (goal.points !== undefined) return `${goal.points} points`;
  if (goal.seconds !== undefined) return `${goal.seconds} s`;
  if (goal.loss !== undefined) return `loss ${goal.loss}`;
  return undefined;
}
