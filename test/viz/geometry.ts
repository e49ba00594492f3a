/**
 * What the HTML view draws, as boxes and polylines, and what must never happen between them: two
 * boxes overlapping (but a panel and what is drawn inside it), or an edge crossing a box (but its
 * own two nodes, and the panel it is drawn in). Read from the markup (test/viz/html.test.ts) or
 * from the page as Chromium draws it (test/browser/html.test.ts, with {@link READ_DRAWING}).
 */

/** A node, an open panel's frame or an edge label, in one coordinate system. */
export interface DrawnBox {
  readonly kind: "node" | "panel" | "label";
  /** A node's id; a panel's is its nested node's id; a label has none (""). */
  readonly id: string;
  /** A node's title, a label's text. */
  readonly name: string;
  /** The id of the nested node whose panel it is drawn in, "" for the top graph. */
  readonly level: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface DrawnEdge {
  readonly from: string;
  readonly to: string;
  readonly level: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface Drawing {
  readonly boxes: readonly DrawnBox[];
  readonly edges: readonly DrawnEdge[];
}

/**
 * A page expression reading what is drawn on screen (closed panels left out) as a
 * {@link Drawing} in screen pixels.
 */
export const READ_DRAWING = `(() => {
  const shown = (e) => !e.closest(".nested-panel:not(.open)");
  const levelOf = (e) => { const p = e.parentElement.closest(".nested-panel"); return p ? p.dataset.for : ""; };
  const box = (r) => ({ x: r.x, y: r.y, width: r.width, height: r.height });
  const boxes = [];
  for (const g of document.querySelectorAll("#graph .node, #graph .inner-node")) {
    if (!shown(g)) continue;
    boxes.push({ kind: "node", id: g.dataset.id, name: g.querySelector("title").textContent, level: levelOf(g), ...box(g.querySelector("rect").getBoundingClientRect()) });
  }
  for (const p of document.querySelectorAll("#graph .nested-panel.open")) {
    boxes.push({ kind: "panel", id: p.dataset.for, name: "", level: levelOf(p), ...box(p.querySelector(".frame").getBoundingClientRect()) });
  }
  for (const t of document.querySelectorAll("#graph .edge-label")) {
    if (!shown(t)) continue;
    boxes.push({ kind: "label", id: "", name: t.textContent, level: levelOf(t), ...box(t.getBoundingClientRect()) });
  }
  const edges = [];
  for (const p of document.querySelectorAll("#graph .edge, #graph .inner-edge")) {
    if (!shown(p)) continue;
    const m = p.getScreenCTM();
    const v = p.getAttribute("d").match(/-?[0-9.]+/g).map(Number);
    const points = [];
    for (let i = 0; i + 1 < v.length; i += 2) {
      points.push({ x: m.a * v[i] + m.c * v[i + 1] + m.e, y: m.b * v[i] + m.d * v[i + 1] + m.f });
    }
    edges.push({ from: p.dataset.from, to: p.dataset.to, level: levelOf(p), points });
  }
  return { boxes, edges };
})()`;

/** Whether `box` is a panel and `other` is drawn inside it (or is a panel opened inside it). */
function holds(box: DrawnBox, other: DrawnBox | DrawnEdge): boolean {
  if (box.kind !== "panel") return false;
  // Inner ids start with their nested node's id and "-".
  const inner = "kind" in other && other.kind === "panel" ? other.id : `${other.level}-`;
  return inner.startsWith(`${box.id}-`);
}

/** How two boxes or an edge and a box meet, to half a pixel: never, but as listed above. */
const TOLERANCE = 0.5;

function overlap(a: DrawnBox, b: DrawnBox): boolean {
  return (
    a.x + TOLERANCE < b.x + b.width &&
    b.x + TOLERANCE < a.x + a.width &&
    a.y + TOLERANCE < b.y + b.height &&
    b.y + TOLERANCE < a.y + a.height
  );
}

/** Whether the segment from p to q passes through the inside of `box` (Liang–Barsky). */
function crosses(p: { x: number; y: number }, q: { x: number; y: number }, box: DrawnBox): boolean {
  const left = box.x + TOLERANCE;
  const right = box.x + box.width - TOLERANCE;
  const top = box.y + TOLERANCE;
  const bottom = box.y + box.height - TOLERANCE;
  if (left >= right || top >= bottom) return false;
  const dx = q.x - p.x;
  const dy = q.y - p.y;
  let t0 = 0;
  let t1 = 1;
  const sides: [number, number][] = [
    [-dx, p.x - left],
    [dx, right - p.x],
    [-dy, p.y - top],
    [dy, bottom - p.y],
  ];
  for (const [d, room] of sides) {
    if (d === 0) {
      if (room < 0) return false;
      continue;
    }
    const t = room / d;
    if (d < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 > t1) return false;
  }
  return t1 - t0 > 1e-9;
}

function describe(b: DrawnBox): string {
  return b.kind === "panel" ? `the panel of ${b.id}` : `${b.kind} "${b.name}" (${b.id || b.level})`;
}

/** Every box overlapping another, and every edge crossing a box it should not. */
export function drawingProblems(d: Drawing): string[] {
  const out: string[] = [];
  d.boxes.forEach((a, i) => {
    for (const b of d.boxes.slice(i + 1)) {
      if (overlap(a, b) && !holds(a, b) && !holds(b, a)) {
        out.push(`${describe(a)} overlaps ${describe(b)}`);
      }
    }
  });
  for (const e of d.edges) {
    for (const b of d.boxes) {
      if (b.kind === "node" && (b.id === e.from || b.id === e.to)) continue;
      if (holds(b, e)) continue;
      for (let i = 1; i < e.points.length; i++) {
        if (crosses(e.points[i - 1]!, e.points[i]!, b)) {
          out.push(`the edge ${e.from} → ${e.to} crosses ${describe(b)}`);
          break;
        }
      }
    }
  }
  return out;
}
