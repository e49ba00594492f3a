/**
 * The dashboard's plots: the numeric mapped outputs with one or two axes, filled in as their
 * elements settle. A feed keeps one {@link PlotGrid} per output and tells a page every plot
 * whole when it connects, then only the cells that changed; what it sends stays bounded by the
 * grid's size (a big output is drawn binned), never by the output's.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { deserialize } from "node:v8";
import { thrownMessage } from "../_internal/thrown-message.ts";
import type { ProgressListener } from "../map/events.ts";
import type { NodeLayout } from "../map/layout.ts";
import { internalAxes, parseMapSpec } from "../map/mapspec.ts";
import { outputFolder, type RunRecord } from "../map/run-folder.ts";
import { loadStore } from "../map/storage/open.ts";
import type { OutputStore } from "../map/storage/types.ts";
import type { FunctionStatus, RunStatus } from "../status/types.ts";
import {
  coordinatesFrom,
  type ElementSource,
  failureNote,
  mappedInputs,
  PlotGrid,
  type PlotMessage,
  plotSpec,
} from "../viz/plot.ts";

/** Failed elements whose message a plot keeps; later ones are marked failed without it. */
const KEPT_MESSAGES = 10_000;

/** The plots of a dashboard, as its page is sent them. */
export interface PlotFeed {
  /** Every plot whole, for a page that connects. */
  all(status: RunStatus | null): PlotMessage[];
  /** What changed since the last call: new plots whole, then the cells that changed. */
  changes(status: RunStatus | null): PlotMessage[];
}

/** One output's plot, where its elements are read, and what is known of its failures. */
interface Plot {
  readonly output: string;
  readonly node: string;
  readonly grid: PlotGrid;
  store: OutputStore;
  /** Messages of failed elements, by linear index (the first {@link KEPT_MESSAGES}). */
  readonly messages: Map<number, string>;
  /** Failed elements without a kept message (1 each), once there are more than that. */
  failed: Uint8Array | undefined;
  isAnnounced: boolean;
  /** Progress since the last scan, or the function's state changed. */
  isDirty: boolean;
  /** The function's state at the last scan. */
  state: FunctionStatus["state"] | undefined;
}

/** A plot not yet sent to any page, to be scanned on the next poll. */
function newPlot(
  output: string,
  node: string,
  spec: ConstructorParameters<typeof PlotGrid>[0],
  store: OutputStore,
): Plot {
  return {
    output,
    node,
    grid: new PlotGrid(spec),
    store,
    messages: new Map(),
    failed: undefined,
    isAnnounced: false,
    isDirty: true,
    state: undefined,
  };
}

/** What a feed does with each plot on every poll, in whichever way its elements are found. */
function feedOf(
  plots: () => Iterable<Plot>,
  missingOf: (plot: Plot, f: FunctionStatus) => ElementSource["missing"],
  beforeScan: (status: RunStatus | null) => void = () => {},
): PlotFeed {
  const scan = (status: RunStatus | null) => {
    beforeScan(status);
    for (const plot of plots()) {
      if (plot.grid.problem !== undefined) continue;
      const f = status?.functions.find((g) => g.name === plot.node);
      const state = f?.state;
      if (!plot.isDirty && state === plot.state) continue;
      plot.isDirty = false;
      plot.state = state;
      const missing = f ? missingOf(plot, f) : "pending";
      const { store, messages, failed } = plot;
      plot.grid.scan({
        get: (e) => store.get(e),
        failure: (e) =>
          messages.get(e) ??
          (failed?.[e] === 1 ? "its message is not kept (too many elements failed)" : undefined),
        missing,
      });
    }
  };
  return {
    all(status) {
      scan(status);
      const out: PlotMessage[] = [];
      for (const plot of plots()) {
        if (plot.grid.problem !== undefined) continue;
        out.push({ output: plot.output, spec: plot.grid.spec, cells: plot.grid.cells() });
      }
      return out;
    },
    changes(status) {
      scan(status);
      const out: PlotMessage[] = [];
      for (const plot of plots()) {
        const { grid } = plot;
        if (grid.problem !== undefined) {
          if (plot.isAnnounced) out.push({ output: plot.output, dropped: grid.problem });
          plot.isAnnounced = false;
          continue;
        }
        const changed = grid.takeChanged();
        if (!plot.isAnnounced) {
          plot.isAnnounced = true;
          out.push({ output: plot.output, spec: grid.spec, cells: grid.cells() });
        } else if (changed.length > 0) {
          out.push({ output: plot.output, cells: grid.cells(changed) });
        }
      }
      return out;
    },
  };
}

/** What the plots of a sweep running in this process read of it. */
export interface SweepPlotSource {
  /** Its functions, in order. */
  readonly nodes: readonly NodeLayout[];
  /** The values `map` keeps by name: the mapped inputs are the NdArrays that are no output. */
  readonly values: ReadonlyMap<string, unknown>;
  /** The store of an output, once its function has started. */
  storeOf(output: string): OutputStore | undefined;
}

/**
 * The plots of a sweep running in this process, and the listener that feeds them: a plot is
 * made when its function starts (a generator's when it has run), its failed elements are
 * marked as `onError` tells them, and its cells are read from the store `map` writes.
 */
export function sweepPlots(sweep: SweepPlotSource): {
  readonly feed: PlotFeed;
  readonly listener: ProgressListener;
} {
  const outputs = new Set(sweep.nodes.flatMap((n) => n.func.outputs));
  const byNode = new Map<string, Plot[]>();
  const plotted = (n: NodeLayout) =>
    (n.outputDims.length === 1 || n.outputDims.length === 2) && n.internalDims.length === 0;
  const candidates = new Map(sweep.nodes.filter(plotted).map((n) => [n.func.name, n]));
  const start = (node: string) => {
    const n = candidates.get(node);
    if (!n || byNode.has(node)) return;
    const coordinates = coordinatesFrom(mappedInputs(sweep.values, outputs));
    const plots: Plot[] = [];
    for (const output of n.func.outputs) {
      const store = sweep.storeOf(output);
      if (!store) continue;
      const spec = plotSpec(output, node, n.outputDims, store.shape, coordinates);
      if (!spec) continue;
      plots.push(newPlot(output, node, spec, store));
    }
    if (plots.length > 0) byNode.set(node, plots);
  };
  const listener: ProgressListener = {
    onNodeStart(node) {
      start(node);
    },
    onProgress(node) {
      for (const plot of byNode.get(node) ?? []) plot.isDirty = true;
    },
    onError(node, index, error) {
      const plots = byNode.get(node);
      if (!plots) return;
      const message = failureNote(thrownMessage(error));
      for (const plot of plots) {
        const at = index.reduce((n, i, k) => n * plot.store.shape[k]! + i, 0);
        if (plot.messages.size < KEPT_MESSAGES) plot.messages.set(at, message);
        else {
          plot.failed ??= new Uint8Array(plot.store.size);
          plot.failed[at] = 1;
        }
        plot.isDirty = true;
      }
    },
    onNodeEnd(node) {
      // A generator's store exists once it has run.
      start(node);
      for (const plot of byNode.get(node) ?? []) plot.isDirty = true;
    },
  };
  // Every failure is told to onError: once its function is done, a missing element was skipped.
  const feed = feedOf(
    () => [...byNode.values()].flat(),
    (_plot, f) => (f.state === "done" ? "s" : "pending"),
  );
  return { feed, listener };
}

/** How long, at least, between two reads of an output's store from the run folder. */
const RELOAD_MS = 1000;
/** And at least this many times as long as the last read took, so reading takes little. */
const RELOAD_FACTOR = 4;

/**
 * The plots of the sweep in a run folder, read from its stores as its status says elements
 * settled: a store is read again when its function's counts changed, at most every second (and
 * never for more than a fifth of the time). Failed elements are known from the latest errors
 * the status keeps; the others are marked failed or skipped as the function's counts allow.
 */
export function folderPlots(runFolder: string, record: RunRecord): PlotFeed {
  const candidates = plottedOutputs(record);
  const coordinates = coordinatesFrom(folderInputs(runFolder, record));
  const plots = new Map<string, Plot>();
  const loaded = new Map<string, { counts: string; at: number; tookMs: number }>();
  let loading = false;

  const reload = (status: RunStatus | null) => {
    if (loading || status === null) return;
    const now = Date.now();
    const due = candidates.find((c) => {
      const f = status.functions.find((g) => g.name === c.node);
      if (!f || f.state === "pending") return false;
      const last = loaded.get(c.output);
      if (!last) return true;
      const counts = countsOf(f);
      return (
        counts !== last.counts && now - last.at >= Math.max(RELOAD_MS, RELOAD_FACTOR * last.tookMs)
      );
    });
    if (!due) return;
    const f = status.functions.find((g) => g.name === due.node)!;
    const counts = countsOf(f);
    loading = true;
    const started = Date.now();
    loadStore(outputFolder(runFolder, due.output), { output: due.output, run: record.id })
      .then((store) => {
        loaded.set(due.output, { counts, at: Date.now(), tookMs: Date.now() - started });
        const plot = plots.get(due.output);
        if (plot) {
          plot.store = store;
          plot.isDirty = true;
          return;
        }
        const spec = plotSpec(due.output, due.node, store.dims, store.shape, coordinates);
        if (!spec) return;
        plots.set(due.output, newPlot(due.output, due.node, spec, store));
      })
      .catch(() => {
        // Not readable now (being written, or removed): tried again once its counts change.
        loaded.set(due.output, { counts, at: Date.now(), tookMs: Date.now() - started });
      })
      .finally(() => {
        loading = false;
      });
  };

  // The errors the status keeps, on the plots of their functions.
  const noteErrors = (status: RunStatus | null) => {
    for (const e of status?.errors ?? []) {
      for (const plot of plots.values()) {
        if (plot.node !== e.name || e.index.length !== plot.store.shape.length) continue;
        const at = e.index.reduce((n, i, k) => n * plot.store.shape[k]! + i, 0);
        if (plot.messages.has(at)) continue;
        plot.messages.set(at, failureNote(e.message));
        plot.isDirty = true;
      }
    }
  };

  return feedOf(
    () => plots.values(),
    (plot, f) => {
      if (f.state !== "done") return "pending";
      const unknownFailures = f.failed - plot.messages.size;
      if (unknownFailures <= 0) return "s";
      return f.skipped > 0 ? "m" : "f";
    },
    (status) => {
      reload(status);
      noteErrors(status);
    },
  );
}

const countsOf = (f: FunctionStatus) => `${f.state}:${f.done}:${f.failed}:${f.skipped}`;

/** The outputs of a run folder that may be plotted: mapped, one or two axes, none internal. */
function plottedOutputs(record: RunRecord): { output: string; node: string }[] {
  const out: { output: string; node: string }[] = [];
  for (const f of record.pipeline.functions) {
    if (f.mapspec === null) continue;
    let spec: ReturnType<typeof parseMapSpec>;
    try {
      spec = parseMapSpec(f.mapspec, f.name);
    } catch {
      continue;
    }
    if (internalAxes(spec).length > 0) continue;
    for (const o of f.outputs) {
      const info = Object.hasOwn(record.outputs, o) ? record.outputs[o] : undefined;
      if (!info || info.storage === "memory" || info.internalShape !== undefined) continue;
      if (info.dims.length === 1 || info.dims.length === 2) out.push({ output: o, node: f.name });
    }
  }
  return out;
}

/**
 * The mapped inputs of a run folder, read from its `inputs/` files: each name a mapspec reads
 * along named axes that no function produces, with the array it was given.
 */
function folderInputs(
  runFolder: string,
  record: RunRecord,
): { name: string; dims: readonly string[]; values: ArrayLike<unknown> }[] {
  const produced = new Set(record.pipeline.functions.flatMap((f) => f.outputs));
  const dims = new Map<string, readonly string[]>();
  for (const f of record.pipeline.functions) {
    if (f.mapspec === null) continue;
    try {
      for (const a of parseMapSpec(f.mapspec, f.name).inputs) {
        if (produced.has(a.name) || dims.has(a.name) || a.axes.some((x) => x === null)) continue;
        dims.set(a.name, a.axes as string[]);
      }
    } catch {
      // A mapspec this version cannot read: its inputs get no coordinates.
    }
  }
  const out: { name: string; dims: readonly string[]; values: ArrayLike<unknown> }[] = [];
  for (const [name, d] of dims) {
    const file = join(runFolder, "inputs", `${encodeURIComponent(name)}.v8`);
    if (!existsSync(file)) continue;
    try {
      const value: unknown = deserialize(readFileSync(file));
      if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
        out.push({ name, dims: d, values: value as ArrayLike<unknown> });
      }
    } catch {
      // Unreadable: the axis is drawn with element positions.
    }
  }
  return out;
}
