/**
 * Numbers for people, as the CLI prints them and the HTML pages draw them: counts with
 * thousands separators, durations in the unit that reads best, other figures to a few
 * significant digits. {@link HUMAN_SCRIPT} is the same functions for a page's script (test
 * `test/viz/human.test.ts` holds both to the same table).
 */

/** `1,234,567`: a count, rounded, its thousands separated by commas (whatever the locale). */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * A duration in milliseconds: `0.02 ms`, `2.5 ms`, `850 ms`, `12.3 s`, `1 min 20 s`,
 * `2 h 03 min`; `-` for one that is not a duration (negative, NaN, infinite).
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "-";
  if (ms === 0) return "0 ms";
  if (ms < 0.001) return "< 0.001 ms";
  if (ms < 1) return `${Number(ms.toPrecision(1))} ms`;
  if (ms < 10) return `${Number(ms.toFixed(1))} ms`;
  if (ms < 999.5) return `${Math.round(ms)} ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min ${s % 60} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** Bytes in the binary unit that reads best: `512 B`, `3.4 KiB`, `963 KiB`, `1.5 MiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "n/a";
  const sign = bytes < 0 ? "-" : "";
  let n = Math.abs(bytes);
  if (n < 1024) return `${sign}${Math.round(n)} B`;
  for (const unit of ["KiB", "MiB", "GiB"]) {
    n /= 1024;
    if (n < 1024 || unit === "GiB") return `${sign}${trimmed(n)} ${unit}`;
  }
  return `${sign}${trimmed(n)} GiB`;
}

/**
 * Any figure (a plotted value, a coordinate): integers as counts (`1,024`), others to four
 * significant digits (`0.1235`, `12.35`), very small or large ones in exponent form (`1.2e-7`).
 */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "-∞";
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return formatCount(v);
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e9) return v.toExponential(1).replace(".0e", "e").replace("e+", "e");
  const rounded = Number(v.toPrecision(4));
  return Number.isInteger(rounded) ? formatCount(rounded) : String(rounded);
}

/** Three significant digits at most, no trailing zeros: `0.94`, `12.3`, `963`. */
function trimmed(n: number): string {
  return String(Number(n < 100 ? n.toPrecision(3) : n.toFixed(0)));
}

/**
 * The functions above as page script (`formatCount`, `formatDuration`, `formatNumber`),
 * declared in the scope of the script it is put in, for pages that draw figures live.
 */
export const HUMAN_SCRIPT = `
  function formatCount(n) {
    if (!isFinite(n)) return String(n);
    return String(Math.round(n)).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ",");
  }
  function formatDuration(ms) {
    if (typeof ms !== "number" || !isFinite(ms) || ms < 0) return "-";
    if (ms === 0) return "0 ms";
    if (ms < 0.001) return "< 0.001 ms";
    if (ms < 1) return Number(ms.toPrecision(1)) + " ms";
    if (ms < 10) return Number(ms.toFixed(1)) + " ms";
    if (ms < 999.5) return Math.round(ms) + " ms";
    if (ms < 59950) return (ms / 1000).toFixed(1) + " s";
    var s = Math.round(ms / 1000), minutes = Math.floor(s / 60);
    if (minutes < 60) return minutes + " min " + (s % 60) + " s";
    return Math.floor(minutes / 60) + " h " + String(minutes % 60).padStart(2, "0") + " min";
  }
  function formatNumber(v) {
    if (v !== v) return "NaN";
    if (!isFinite(v)) return v > 0 ? "\\u221e" : "-\\u221e";
    if (Number.isInteger(v) && Math.abs(v) < 1e9) return formatCount(v);
    var a = Math.abs(v);
    if (a < 1e-3 || a >= 1e9) return v.toExponential(1).replace(".0e", "e").replace("e+", "e");
    var rounded = Number(v.toPrecision(4));
    return Number.isInteger(rounded) ? formatCount(rounded) : String(rounded);
  }
`;
