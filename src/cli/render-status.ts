/** The text forms of run statuses: `status` and `watch` draw one, `runs` lists many. */
import { isAbsolute, relative } from "node:path";
import type { FunctionStatus, RunState, RunStatus } from "../status/types.ts";
import { formatAge, formatCount, formatDuration, renderTable } from "./format.ts";
import type { Style } from "./style.ts";

/** The colour of a state; done with failed elements (`hasFailed`) is a warning. */
function paintState(
  text: string,
  state: RunState | FunctionStatus["state"],
  style: Style,
  hasFailed = false,
): string {
  switch (state) {
    case "done":
      return hasFailed ? style.yellow(text) : style.green(text);
    case "running":
      return style.cyan(text);
    case "failed":
    case "corrupt":
      return style.red(text);
    case "aborted":
    case "stale":
      return style.yellow(text);
    default:
      return text;
  }
}

/** Elements failed and skipped over every function of a run. */
function countFailures(status: RunStatus): { failed: number; skipped: number } {
  let failed = 0;
  let skipped = 0;
  for (const f of status.functions) {
    failed += f.failed;
    skipped += f.skipped;
  }
  return { failed, skipped };
}

/** `3 failed, 2 skipped`, or empty when neither. */
function failureText(failed: number, skipped: number): string {
  const parts: string[] = [];
  if (failed > 0) parts.push(`${formatCount(failed)} failed`);
  if (skipped > 0) parts.push(`${formatCount(skipped)} skipped`);
  return parts.join(", ");
}

/**
 * A run's state as people read it: `done`, or `done, 3 failed, 2 skipped` when elements failed
 * (under `errors: "continue"` a run with failures is still done); other states as they are.
 */
export function stateText(status: RunStatus): string {
  if (status.state !== "done") return status.state;
  const { failed, skipped } = countFailures(status);
  const text = failureText(failed, skipped);
  return text === "" ? "done" : `done, ${text}`;
}

/**
 * One run's status: where, what, its state (with how to resume a stale run), its process, the
 * worker processes that ran elements (Redis workers) and times, then a row per function with
 * done, failed and total elements.
 */
export function renderStatus(status: RunStatus, style: Style, now: number = Date.now()): string {
  const heartbeat = formatAge(status.updatedAt, now);
  // The file's times are as of its last heartbeat; a running run has gone on since.
  const since =
    status.state === "running" ? Math.max(0, now - Date.parse(status.updatedAt)) || 0 : 0;
  const lines: [string, string][] = [
    ["Run", status.runFolder],
    ["Pipeline", status.pipeline],
  ];
  switch (status.state) {
    case "running":
      lines.push([
        "State",
        `${paintState("running", "running", style)} (last heartbeat ${heartbeat})`,
      ]);
      break;
    case "stale":
      lines.push(
        [
          "State",
          `${paintState("stale", "stale", style)}: it says running, but its process ${status.pid}@${status.host} ` +
            `stopped (last heartbeat ${heartbeat})`,
        ],
        [
          "",
          `Resume with: pipeweave map <module>#<export> --inputs <file> --run-folder ${status.runFolder} --resume`,
        ],
      );
      break;
    default:
      lines.push([
        "State",
        paintState(stateText(status), status.state, style, countFailures(status).failed > 0),
      ]);
  }
  if (status.error !== undefined) lines.push(["Error", status.error]);
  lines.push(["Process", `${status.pid}@${status.host}`]);
  if (status.workers !== undefined && status.workers.length > 0) {
    const workers = status.workers.map(
      (w) =>
        `${w.host}:${w.pid} (${formatCount(w.elements)} element${w.elements === 1 ? "" : "s"})`,
    );
    lines.push(["Workers", workers.join(", ")]);
  }
  lines.push(
    ["Started", `${status.startedAt} (${formatAge(status.startedAt, now)})`],
    ["Elapsed", formatDuration(status.elapsedMs + since)],
  );
  if (status.state === "running" && status.etaMs !== null) {
    lines.push(["ETA", formatDuration(Math.max(0, status.etaMs - since))]);
  }
  const label = Math.max(...lines.map(([k]) => k.length));
  const head = lines.map(([k, v]) => `${k.padEnd(label)}  ${v}`.trimEnd());
  const failures = failureLines(status, style);
  if (status.functions.length === 0) return [...head, ...failures].join("\n");
  const rows = status.functions.map((f) => [
    f.name,
    f.state,
    formatCount(f.done),
    formatCount(f.failed),
    formatCount(f.skipped),
    formatCount(f.total),
    f.state === "pending" ? "-" : formatDuration(f.elapsedMs + (f.state === "running" ? since : 0)),
  ]);
  const table = renderTable(
    [
      { title: "function" },
      { title: "state" },
      { title: "done", align: "right" },
      { title: "failed", align: "right" },
      { title: "skipped", align: "right" },
      { title: "total", align: "right" },
      { title: "elapsed", align: "right" },
    ],
    rows,
    (text, i, j) => {
      const f = status.functions[i]!;
      // A function done with failed elements is a warning, as its run is.
      if (j === 1) return paintState(text, f.state, style, f.failed > 0);
      if (j === 3 && f.failed > 0) return style.red(text);
      if (j === 4 && f.skipped > 0) return style.yellow(text);
      return text;
    },
    style.dim,
  );
  return [...head, "", ...table, ...jobLines(status), ...failures].join("\n");
}

/**
 * Each function's SLURM jobs (the `slurm()` executor): `c  job 41: 3 tasks, 2 RUNNING, 1
 * PENDING`, one line per job; none when no function ran on SLURM.
 */
function jobLines(status: RunStatus): string[] {
  const lines: string[] = [];
  for (const f of status.functions) {
    for (const j of f.jobs ?? []) {
      const states = Object.entries(j.states)
        .map(([state, n]) => `${formatCount(n)} ${state}`)
        .join(", ");
      const tasks = `${formatCount(j.tasks)} task${j.tasks === 1 ? "" : "s"}`;
      lines.push(`  ${f.name}  job ${j.job}: ${tasks}${states ? `, ${states}` : ""}`);
    }
  }
  return lines.length === 0 ? [] : ["", "SLURM jobs:", ...lines];
}

/** The latest failed elements shown by `status`, newest first. */
const SHOWN_FAILURES = 5;

/** The latest failed elements, newest first, one line each (none when none failed). */
function failureLines(status: RunStatus, style: Style): string[] {
  const errors = status.errors ?? [];
  if (errors.length === 0) return [];
  const total = status.failedElements ?? errors.length;
  const shown = errors.slice(-SHOWN_FAILURES).reverse();
  const lines = shown.map((e) => {
    const message = e.message.split("\n")[0] ?? "";
    return `  ${style.red(`${e.name}[${e.index.join(", ")}]`)} ${message}`;
  });
  const more = total > shown.length ? ` (latest ${shown.length} of ${formatCount(total)})` : "";
  return ["", `Failed elements${more}:`, ...lines];
}

/** Every run, one line each: folder (relative to `cwd` when under it), pipeline, state, progress, age. */
export function renderRuns(
  runs: readonly RunStatus[],
  cwd: string,
  style: Style,
  now: number = Date.now(),
): string {
  const rows = runs.map((run) => {
    const done = run.functions.reduce((n, f) => n + f.done, 0);
    const total = run.functions.reduce((n, f) => n + f.total, 0);
    const { failed, skipped } = countFailures(run);
    const counts = failureText(failed, skipped);
    const progress =
      run.functions.length === 0
        ? "-"
        : `${formatCount(done)}/${formatCount(total)}${counts === "" ? "" : ` (${counts})`}`;
    return [
      shortPath(run.runFolder, cwd),
      run.pipeline,
      stateText(run),
      progress,
      formatAge(run.startedAt, now),
    ];
  });
  return renderTable(
    [
      { title: "folder" },
      { title: "pipeline" },
      { title: "state" },
      { title: "progress" },
      { title: "age" },
    ],
    rows,
    (text, i, j) =>
      j === 2 ? paintState(text, runs[i]!.state, style, countFailures(runs[i]!).failed > 0) : text,
    style.dim,
  ).join("\n");
}

function shortPath(folder: string, cwd: string): string {
  const rel = relative(cwd, folder);
  if (rel === "") return ".";
  return rel.startsWith("..") || isAbsolute(rel) ? folder : rel;
}
