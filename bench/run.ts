/**
 * `npm run bench`: measures pipeweave against its floors and peers in one run, prints a
 * table and writes bench/results.json. Never part of `npm test`.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { benchAdaptive, formatAdaptive } from "./adaptive.bench.ts";
import { benchCache } from "./cache.bench.ts";
import { benchGraph } from "./graph.bench.ts";
import { table } from "./harness.ts";
import { benchHtml } from "./html.bench.ts";
import { benchMap } from "./map.bench.ts";
import { benchMemory } from "./memory.bench.ts";
import {
  benchRedis,
  benchRedisWholeInput,
  reportRedis,
  reportRedisWholeInput,
} from "./redis.bench.ts";
import { benchResults } from "./results.bench.ts";
import { benchSchedule } from "./schedule.bench.ts";
import { benchSlurm, reportSlurm } from "./slurm.bench.ts";
import { benchStream, benchStreamOptions } from "./stream.bench.ts";
import {
  benchThreadsBuilt,
  benchWholeInput,
  formatThreads,
  formatWholeInput,
} from "./threads.bench.ts";
import { benchTracing, formatTracing } from "./tracing.bench.ts";
import { benchZarr } from "./zarr.bench.ts";

const fmt = (v: number, digits = 3) => v.toFixed(digits);

async function main(): Promise<void> {
  console.log(
    `pipeweave bench · node ${process.version} · ${os.cpus()[0]?.model ?? "cpu"} × ${os.availableParallelism()}`,
  );
  const graph = await benchGraph();
  console.log("\nGraph overhead per function beyond calling the same functions by hand");
  console.log(
    table(
      [
        "graph",
        "fns",
        "by hand µs",
        "runSync µs",
        "sync µs/fn",
        "async floor µs",
        "run µs",
        "async µs/fn",
      ],
      graph.map((g) => [
        g.graph,
        String(g.functions),
        fmt(g.floorSyncNs / 1000),
        fmt(g.runSyncNs / 1000),
        fmt(g.syncOverheadUsPerFn),
        fmt(g.floorAsyncNs / 1000),
        fmt(g.runNs / 1000),
        fmt(g.asyncOverheadUsPerFn),
      ]),
    ),
  );
  const worstSync = Math.max(...graph.map((g) => g.syncOverheadUsPerFn));
  const worstAsync = Math.max(...graph.map((g) => g.asyncOverheadUsPerFn));
  console.log(
    `\ntargets: sync < 0.5 µs/fn → worst ${fmt(worstSync)} (${worstSync < 0.5 ? "met" : "MISSED"}); ` +
      `async < 2 µs/fn → worst ${fmt(worstAsync)} (${worstAsync < 2 ? "met" : "MISSED"}); ` +
      "pipefunc measured 8–11 µs/fn on this machine class (not runnable here: no PyPI)",
  );

  const map = await benchMap();
  console.log("\nSweeps: map overhead beyond the same functions in a hand-written loop");
  console.log(
    table(
      ["case", "elements", "baseline ms", "pipeweave ms", "µs/element", "ratio"],
      [
        [
          "300x300 outer product + row sums, memory, inline (baseline: by hand)",
          String(map.elements),
          fmt(map.floorMs, 1),
          fmt(map.mapMs, 1),
          fmt(map.overheadUsPerElement),
          `${fmt(map.mapMs / map.floorMs, 1)}x`,
        ],
        [
          "100x100 + row sums, file run folder (baseline: memory)",
          String(map.fileElements),
          fmt(map.fileMemoryMs, 1),
          fmt(map.fileMs, 1),
          fmt(map.fileUsPerElement),
          `${fmt(map.fileMs / map.fileMemoryMs, 1)}x`,
        ],
        [
          "100x100 + row sums written by hand: temporary file + rename (baseline: memory)",
          String(map.fileElements),
          fmt(map.fileMemoryMs, 1),
          fmt(map.fileFloorMs, 1),
          fmt(((map.fileFloorMs - map.fileMemoryMs) * 1000) / map.fileElements),
          `${fmt(map.fileFloorMs / map.fileMemoryMs, 1)}x`,
        ],
        [
          `CPU-bound, ${map.threads} threads, warm pool (baseline: inline)`,
          String(map.cpuElements),
          fmt(map.cpuInlineMs, 1),
          fmt(map.cpuThreadsMs, 1),
          "",
          `${fmt(map.speedup, 2)}x faster`,
        ],
        [
          `CPU-bound, ${map.threads} threads, pool started by map (from the sources: each thread loads tsx)`,
          String(map.cpuElements),
          fmt(map.cpuInlineMs, 1),
          fmt(map.cpuThreadsColdMs, 1),
          "",
          `${fmt(map.speedupCold, 2)}x faster`,
        ],
      ],
    ),
  );
  console.log(
    `\ntargets: map < 1 µs/element → ${fmt(map.overheadUsPerElement)} ` +
      `(${map.overheadUsPerElement < 1 ? "met" : "MISSED"}); threads >= 1.7x inline → ` +
      `${fmt(map.speedup, 2)}x (${map.speedup >= 1.7 ? "met" : "MISSED"}); ` +
      "pipefunc measured 28–29 µs/element (not runnable here: no PyPI)",
  );

  const typedMemory = await benchMemory();
  const mb = (bytes: number) => fmt(bytes / 2 ** 20, 1);
  console.log(
    `\nTyped memory (issue 15), memory storage, each sweep in a fresh child process:\n` +
      `  1000x1000 float64 output (raw ${mb(typedMemory.raw1M)} MB): heap + buffers grow ${mb(typedMemory.heapAndBuffers1M)} MB ` +
      `(target < 2x raw: ${typedMemory.heapAndBuffers1M < 2 * typedMemory.raw1M ? "met" : "MISSED"}); resident memory grows ` +
      `${mb(typedMemory.rss1M)} MB in a fresh process, ${mb(typedMemory.rss1MYoungResident)} MB once V8's young generation ` +
      `has been touched (${typedMemory.rss1MYoungResident < 2 * typedMemory.raw1M ? "met" : "MISSED"} after warm-up)\n` +
      `  10M elements (raw ${mb(typedMemory.raw10M)} MB): resident memory grows ${mb(typedMemory.rss10M)} MB, peak ${mb(typedMemory.peakRss10M)} MB\n` +
      `  map overhead at 1M elements: ${fmt(typedMemory.overheadUsPerElement1M)} µs/element ` +
      `(target < 1: ${typedMemory.overheadUsPerElement1M < 1 ? "met" : "MISSED"})\n` +
      `  2000x2000 into zarr with returnResults: false (issue 25): resident memory grows ` +
      `${mb(typedMemory.summaryRss4M)} MB, peak ${mb(typedMemory.summaryPeakRss4M)} MB ` +
      `(target < 100: ${typedMemory.summaryPeakRss4M < 100 * 2 ** 20 ? "met" : "MISSED"}), ` +
      `${fmt(typedMemory.summary4MMs / 1000, 1)} s`,
  );

  const threads = benchThreadsBuilt([2]);
  console.log(
    "\nThread pools (issue 15), the built package under plain node: 2,048 CPU-bound ~2 ms " +
      "elements, speed-up over one thread (target with the pool started by the call: >= 1.8x " +
      "on 2 cores; 16-core figures: node bench/threads-core.mjs 2 4 8 16)",
  );
  console.log(formatThreads(threads));
  const wholeInput = await benchWholeInput();
  console.log(`\n${formatWholeInput(wholeInput)}`);

  const zarr = await benchZarr();
  console.log(
    `\nZarr run folder, ${zarr.elements.toLocaleString("en")} elements (300x300): ` +
      `${Math.round(zarr.elementsPerSecond).toLocaleString("en")} elements/s ` +
      `(memory storage: ${Math.round(zarr.memoryElementsPerSecond).toLocaleString("en")}/s), ` +
      `${zarr.files.toLocaleString("en")} files for the output (target: at most one per 256 elements → ` +
      `${zarr.files <= Math.ceil(zarr.elements / 256) ? "met" : "MISSED"}; before chunking: 90,002 files, ~6.5k elements/s)`,
  );

  const dataset = await benchResults();
  const rows = (perSecond: number) => `${(perSecond / 1e6).toFixed(2)}M rows/s`;
  console.log(
    `\nLabelled results (issue 23), a ${dataset.elements.toLocaleString("en")}-element sweep ` +
      `(1000 x 1000; table columns i, j, a, b strings, c):\n` +
      `  results.dataset() ${fmt(dataset.datasetMs, 2)} ms (target < 50 ms: ` +
      `${dataset.datasetMs < 50 ? "met" : "MISSED"}); loadDataset from a zarr run folder ` +
      `${fmt(dataset.loadDatasetMs, 0)} ms\n` +
      `  toRows ${rows(dataset.toRowsPerSecond)}, toArrow ${rows(dataset.arrowRowsPerSecond)}, ` +
      `writeParquet ${rows(dataset.parquetRowsPerSecond)} (${fmt(dataset.parquetBytes / 1024, 0)} KiB; ` +
      `the first call, loading apache-arrow and parquet-wasm, ${fmt(dataset.firstParquetMs, 0)} ms); ` +
      `baseline: the columns' raw bytes written by hand ${rows(dataset.rawRowsPerSecond)}`,
  );

  const schedule = await benchSchedule();
  console.log(
    `\nScheduling on ${schedule.threads} threads (pool started beforehand): two independent ` +
      `${schedule.forkElementMs} ms functions took ${fmt(schedule.forkMs, 0)} ms ` +
      `(${fmt(schedule.forkRatio, 2)}x one function; 2x would be one after the other); ` +
      `a 3-function chain of ${schedule.chainElements} ~1 ms elements each took ${fmt(schedule.chainMs, 0)} ms ` +
      `against ${fmt(schedule.chainFloorMs, 0)} ms of work per thread: ${fmt(schedule.chainRatio, 2)}x ` +
      `(target <= 1.2: ${schedule.chainRatio <= 1.2 ? "met" : "MISSED"})`,
  );

  const cache = await benchCache();
  console.log(
    "\nCache: runSync of one cached node, every call a hit, against the same node uncached",
  );
  console.log(
    table(
      [
        "arguments",
        "uncached µs",
        "lru hit µs",
        "disk hit µs",
        "lru hit cost µs",
        "disk hit cost µs",
      ],
      cache.map((c) => [
        c.args,
        fmt(c.uncachedUs),
        fmt(c.lruHitUs),
        fmt(c.diskHitUs),
        fmt(c.lruHitUs - c.uncachedUs),
        fmt(c.diskHitUs - c.uncachedUs),
      ]),
    ),
  );

  const keyed = (prefix: string) => cache.find((c) => c.args.includes(prefix));
  const f1k = keyed("Float64Array(1,000)");
  const f1m = keyed("Float64Array(1,000,000)");
  if (f1k && f1m) {
    const cost = (c: typeof f1k) => c.lruHitUs - c.uncachedUs;
    console.log(
      `\ntargets: a cache hit with a 1,000-element Float64Array < 10 µs → ${fmt(cost(f1k), 1)} µs ` +
        `(${cost(f1k) < 10 ? "met" : "MISSED"}); with 1M < 1 ms → ${fmt(cost(f1m) / 1000, 2)} ms ` +
        `(${cost(f1m) < 1000 ? "met" : "MISSED"}: SHA-256 of 8 MB is ~5 ms here; see the README)`,
    );
  }

  const streams = await benchStream();
  const rate = (name: string) => streams.throughput.find((t) => t.name.startsWith(name))!;
  const hand = rate("hand-written");
  console.log(
    `\nStreams: ${streams.items.toLocaleString("en")} items through 3 one-worker async stages, outputs summed`,
  );
  console.log(
    table(
      ["implementation", "items/s", "vs hand-written", "rounds (items/s)"],
      streams.throughput.map((t) => [
        t.name,
        Math.round(t.itemsPerSecond).toLocaleString("en"),
        `${fmt(t.itemsPerSecond / hand.itemsPerSecond, 2)}x`,
        t.rounds.map((r) => Math.round(r).toLocaleString("en")).join(" / "),
      ]),
    ),
  );
  const pw = rate("pipeweave (buffer 1");
  const peers = Math.max(rate("RxJS").itemsPerSecond, rate("Effect").itemsPerSecond);
  console.log(
    `\ntargets: >= RxJS and Effect → pipeweave ${Math.round(pw.itemsPerSecond).toLocaleString("en")}/s ` +
      `vs best peer ${Math.round(peers).toLocaleString("en")}/s (${pw.itemsPerSecond >= peers ? "met" : "MISSED"}); ` +
      `within 3x of hand-written → ${fmt(hand.itemsPerSecond / pw.itemsPerSecond, 2)}x slower ` +
      `(${hand.itemsPerSecond / pw.itemsPerSecond <= 3 ? "met" : "MISSED"}); pipevine measured 12–13k/s`,
  );
  const { timer, memory } = streams;
  console.log(
    `\n${timer.workers} workers, ${timer.items} items each awaiting a ${timer.delayMs} ms timer: ` +
      `pipeweave ${fmt(timer.pipeweaveMs, 0)} ms, p-map ${fmt(timer.pMapMs, 0)} ms ` +
      `(${fmt(timer.pipeweaveMs / timer.pMapMs, 2)}x p-map's time)`,
  );
  console.log(
    `${memory.items.toLocaleString("en")} items, buffer ${memory.buffer}, slow consumer ` +
      `(${Math.round(memory.itemsPerSecond).toLocaleString("en")}/s): resident memory ` +
      `${fmt(memory.baselineMb, 0)} → peak ${fmt(memory.peakMb, 0)} MB, growth ${fmt(memory.growthMb, 1)} MB ` +
      `(target < 50: ${memory.growthMb < 50 ? "met" : "MISSED"})`,
  );

  const options = await benchStreamOptions();
  const limit = options.rate;
  const off = (100 * (limit.seconds - 10)) / 10;
  console.log(
    `\nRate limit: ${limit.items.toLocaleString("en")} items at ${limit.perSecond}/s (burst ${limit.burst}, ` +
      `${limit.workers} workers) in ${fmt(limit.seconds, 3)} s (ideal ${fmt(limit.idealSeconds, 2)} s; ` +
      `target 10 s ± 3 %: ${fmt(off, 1)} %, ${Math.abs(off) <= 3 ? "met" : "MISSED"}); most calls in ` +
      `one ms: ${limit.mostInOneMs} (burst ${limit.burst}: ${limit.mostInOneMs <= limit.burst ? "met" : "MISSED"})`,
  );
  if ("skipped" in options.redis)
    console.log(`Stream stage on Redis: skipped, ${options.redis.skipped}`);
  else {
    const r = options.redis;
    const line = (what: string, c: typeof r.cpu) =>
      `${what}: ${fmt(c.oneWorker, 0)} items/s on 1 worker, ${fmt(c.twoWorkers, 0)} on 2 (${fmt(c.speedup, 2)}x)`;
    console.log(
      `Stream stage on Redis (${r.items} items of ${r.itemMs} ms, ${r.stageWorkers} stage workers, ` +
        `load ${fmt(r.loadAverage, 1)}): ${line("CPU-bound", r.cpu)}; ${line("waiting", r.wait)}`,
    );
  }

  const html = benchHtml();
  console.log("\nHTML view of big graphs: toHtml, median of 5");
  console.log(
    table(
      ["graph", "fns", "toHtml ms", "page KiB"],
      html.map((h) => [h.graph, String(h.functions), fmt(h.ms, 0), fmt(h.kib, 0)]),
    ),
  );
  const slowest = Math.max(...html.map((h) => h.ms));
  console.log(
    `\ntarget: toHtml of 2,000 functions < 5 s → slowest ${fmt(slowest / 1000, 2)} s ` +
      `(${slowest < 5000 ? "met" : "MISSED"}); with dagre a 1,900-function chain overflowed the ` +
      "stack and the random DAG took 10-27 s",
  );

  const distributed = await benchRedis();
  console.log(`\n${reportRedis(distributed)}`);
  const redisWholeInput = await benchRedisWholeInput();
  console.log(`\n${reportRedisWholeInput(redisWholeInput)}`);

  const cluster = await benchSlurm();
  console.log(`\n${reportSlurm(cluster)}`);

  const adaptive = await benchAdaptive();
  console.log("\nAdaptive sweeps (issue 26)");
  for (const line of formatAdaptive(adaptive)) console.log(`  ${line}`);

  const tracing = await benchTracing();
  console.log("\nTracing (issue 27): its cost when on; off is the map and graph figures above");
  for (const line of formatTracing(tracing)) console.log(`  ${line}`);

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    graph,
    map,
    typedMemory,
    threads,
    wholeInput,
    zarr,
    dataset,
    schedule,
    cache,
    streams,
    streamOptions: options,
    html,
    distributed,
    slurm: cluster,
    redisWholeInput,
    adaptive,
    tracing,
  };
  writeFileSync(
    new URL("./results.json", import.meta.url),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  console.log("\nwrote bench/results.json");
}

await main();
