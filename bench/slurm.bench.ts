/**
 * SLURM sweep costs (the performance target of §12 of the spec: < 1 ms of overhead per
 * element at chunk 256 on the local cluster): `map` through the `slurm()` executor on the
 * one-node cluster of scripts/slurm-local.sh against the same map inline, at 1 and 256
 * elements per array task: elements/s, the latency from the map's start to its first stored
 * result, and the overhead per element. Skipped, with a notice, when no SLURM answers.
 *
 * It measures the built package (it runs `npm run build` first): each array task starts plain
 * Node on compiled JavaScript, as users' tasks do, not tsx transpiling pipeweave's source.
 * That start, and the scheduler's own latency, are what the overhead is made of.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Pipeline, ProgressListener } from "../src/index.ts";
import type { slurm as slurmOf } from "../src/slurm/index.ts";
import { table } from "./harness.ts";

/** One case: elements through SLURM against the same map inline. */
export interface SlurmCase {
  readonly chunkSize: number;
  readonly elements: number;
  /** Array tasks submitted (elements / chunkSize). */
  readonly tasks: number;
  readonly inlineMs: number;
  readonly slurmMs: number;
  /** From the map's start to its first element stored, ms. */
  readonly firstResultMs: number;
  readonly elementsPerSecond: number;
  /** (slurm − inline) / elements, µs. */
  readonly overheadUsPerElement: number;
  /** slurm / inline. */
  readonly ratio: number;
}

/** The SLURM figures written to results.json. */
export type SlurmResult =
  | { readonly skipped: string }
  | {
      /** The cluster as sinfo gives it: partition, cpus, memory. */
      readonly cluster: string;
      readonly pollMs: number;
      readonly cases: readonly SlurmCase[];
      /** The machine's 1-minute load average before and after the section. */
      readonly loadAverage: readonly [number, number];
      readonly seconds: number;
    };

/**
 * Elements per case: at chunk 1 each element is a task (a process start); at 256, 64 tasks, so
 * the figure is the steady flow of tasks through the cluster's cpus rather than the ramp of the
 * first few (with 16 tasks, the first result's latency alone was ~0.5 ms per element).
 */
const CASES = [
  { chunkSize: 1, elements: 32 },
  { chunkSize: 256, elements: 16_384 },
] as const;
const POLL_MS = 200;

const range = (n: number) => Array.from({ length: n }, (_, k) => k);

/** Measures the SLURM figures; about a minute on 2 cores. */
export async function benchSlurm(): Promise<SlurmResult> {
  let cluster: string;
  try {
    cluster = execFileSync("sinfo", ["-h", "-o", "%P %c cpus %m MB"], { encoding: "utf8" })
      .trim()
      .split("\n")[0]!;
  } catch {
    return { skipped: "no SLURM answers (sinfo); start one with scripts/slurm-local.sh start" };
  }
  if (!cluster) return { skipped: "sinfo lists no partition" };
  const started = performance.now();
  const loadBefore = os.loadavg()[0]!;
  const root = fileURLToPath(new URL("..", import.meta.url));
  try {
    execFileSync("npm", ["run", "build"], { cwd: root, stdio: "ignore" });
  } catch {
    return { skipped: "npm run build failed, and the SLURM cases measure the built package" };
  }
  // Loaded by path at run time: dist/ exists only once built.
  const dist = new URL("../dist/slurm/index.js", import.meta.url).href;
  const { slurm } = (await import(dist)) as { slurm: typeof slurmOf };
  const { trivial } = (await import(new URL("./slurm-pipelines.mjs", import.meta.url).href)) as {
    trivial: Pipeline;
  };
  const scratch = mkdtempSync(join(os.tmpdir(), "pipeweave-bench-slurm-"));
  const cases: SlurmCase[] = [];
  try {
    for (const c of CASES) {
      const x = range(c.elements);
      const t0 = performance.now();
      await trivial.map({ x }, { progress: false });
      const inlineMs = performance.now() - t0;
      let first = Number.NaN;
      const listener: ProgressListener = {
        onProgress: () => {
          if (Number.isNaN(first)) first = performance.now();
        },
      };
      const executor = slurm({ chunkSize: c.chunkSize, pollMs: POLL_MS });
      const runFolder = join(scratch, `chunk-${c.chunkSize}`);
      const t1 = performance.now();
      try {
        await trivial.map({ x }, { executor, runFolder, progress: listener });
      } finally {
        await executor.close();
      }
      const slurmMs = performance.now() - t1;
      cases.push({
        chunkSize: c.chunkSize,
        elements: c.elements,
        tasks: Math.ceil(c.elements / c.chunkSize),
        inlineMs,
        slurmMs,
        firstResultMs: first - t1,
        elementsPerSecond: c.elements / (slurmMs / 1000),
        overheadUsPerElement: ((slurmMs - inlineMs) * 1000) / c.elements,
        ratio: slurmMs / inlineMs,
      });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    cluster,
    pollMs: POLL_MS,
    cases,
    loadAverage: [loadBefore, os.loadavg()[0]!],
    seconds: (performance.now() - started) / 1000,
  };
}

const fmt = (v: number, digits = 1) => v.toFixed(digits);

/** The section's table and its target line. */
export function reportSlurm(result: SlurmResult): string {
  const title = "SLURM sweeps";
  if ("skipped" in result) return `${title}: skipped, ${result.skipped}`;
  const rows = table(
    [
      "chunk",
      "elements",
      "tasks",
      "inline ms",
      "slurm ms",
      "first result ms",
      "elements/s",
      "overhead µs/element",
      "slurm / inline",
    ],
    result.cases.map((c) => [
      String(c.chunkSize),
      String(c.elements),
      String(c.tasks),
      fmt(c.inlineMs),
      fmt(c.slurmMs, 0),
      fmt(c.firstResultMs, 0),
      Math.round(c.elementsPerSecond).toLocaleString("en"),
      fmt(c.overheadUsPerElement, 0),
      `${fmt(c.ratio, 0)}x`,
    ]),
  );
  const at256 = result.cases.find((c) => c.chunkSize === 256);
  const target = at256
    ? `target: < 1 ms of overhead per element at chunk 256 → ${fmt(at256.overheadUsPerElement / 1000, 2)} ms ` +
      `(${at256.overheadUsPerElement < 1000 ? "met" : "MISSED"})`
    : "";
  return [
    `${title}: map through slurm() on the local cluster (${result.cluster}, poll ${result.pollMs} ms) ` +
      `against the same map inline; trivial elements (x + 1), one run each; load average ` +
      `${fmt(result.loadAverage[0], 2)} → ${fmt(result.loadAverage[1], 2)}; ${fmt(result.seconds)} s`,
    rows,
    target,
  ].join("\n");
}
