/**
 * Shared measuring code for `npm run bench`: tinybench samples of batched calls, repeated in
 * rounds, reported as medians (these machines are shared and noisy).
 */
import { Bench } from "tinybench";

/** One measured case: nanoseconds per operation, median over rounds. */
export interface Measurement {
  readonly name: string;
  readonly nsPerOp: number;
  /** Median of each round's p50, per round, for the record. */
  readonly rounds: readonly number[];
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Operations per sample; batching amortises the timer's own cost. @defaultValue 1000 */
  readonly batch?: number;
  /** Independent rounds; the median is reported. @defaultValue 5 */
  readonly rounds?: number;
  /** Time budget per round in milliseconds. @defaultValue 300 */
  readonly timeMs?: number;
}

/** A case to measure: `op` runs one operation (sync or async). */
export interface Case {
  readonly name: string;
  readonly op: () => unknown;
  readonly async?: boolean;
}

/**
 * Measures several cases round-robin (case A, B, C, then A, B, C again …) so slow drifts of
 * a shared machine hit every case alike, and returns the median ns/op of each.
 */
export async function measure(
  cases: readonly Case[],
  options: MeasureOptions = {},
): Promise<Measurement[]> {
  const batch = options.batch ?? 1000;
  const rounds = options.rounds ?? 5;
  const timeMs = options.timeMs ?? 300;
  const perRound = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const bench = new Bench({ time: timeMs, warmupTime: 100 });
      if (c.async) {
        bench.add(c.name, async () => {
          for (let i = 0; i < batch; i++) await c.op();
        });
      } else {
        bench.add(c.name, () => {
          for (let i = 0; i < batch; i++) c.op();
        });
      }
      await bench.run();
      const result = bench.tasks[0]!.result;
      if (result.state !== "completed")
        throw new Error(`bench case ${c.name} ended ${result.state}`);
      perRound.get(c.name)!.push((result.latency.p50 * 1e6) / batch);
    }
  }
  return cases.map((c) => {
    const values = perRound.get(c.name)!;
    return { name: c.name, nsPerOp: median(values), rounds: values };
  });
}

/** Median wall time in ms of `rounds` calls of `op` (given the call's number), after a warm-up. */
export async function time(
  op: (call: number) => Promise<unknown> | unknown,
  rounds: number,
): Promise<number> {
  await op(0);
  const samples: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    const started = performance.now();
    await op(r);
    samples.push(performance.now() - started);
  }
  return median(samples);
}

/** Median of a list of numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Prints rows as an aligned text table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
