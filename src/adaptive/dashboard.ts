/**
 * The live dashboard of an adaptive run folder (`serveDashboard(runFolder)` on a folder an
 * adaptive sweep writes): the drawing and the progress against the goal, redrawn as points
 * are stored, by this process or another.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { type Dashboard, type DashboardOptions, startDashboard } from "../dashboard/server.ts";
import { caption, drawAdaptive } from "./draw.ts";
import { readAdaptive } from "./load.ts";
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
  let size = -1;
  let message: unknown;
  const snapshot = () => {
    let now = 0;
    try {
      now = statSync(join(runFolder, POINTS_FILE)).size;
    } catch {
      now = 0;
    }
    // Redrawn only when points were appended since the last drawing.
    if (now === size && message !== undefined) return message;
    size = now;
    const result = readAdaptive(runFolder);
    const goal = goalText(readStore(runFolder).settings.goal);
    message = {
      kind: "adaptive",
      output: result.output,
      points: result.points.length,
      caption: caption(result, goal),
      svg: drawAdaptive(result, goal),
    };
    return message;
  };
  return startDashboard(
    {
      page: PAGE,
      snapshot,
    },
    options,
  );
}

function goalText(goal: Readonly<Record<string, number>> | undefined): string | undefined {
  if (!goal) return undefined;
  if (goal.points !== undefined) return `${goal.points} points`;
  if (goal.seconds !== undefined) return `${goal.seconds} s`;
  if (goal.loss !== undefined) return `loss ${goal.loss}`;
  return undefined;
}
