/**
 * A worker process of the distributed sweep benchmark: serves each `<pipeline>:<queue>` it is
 * given (pipelines of redis-pipelines.mjs: `trivial` or `cpu`; one job at a time on each, and
 * the benchmark feeds one queue at a time) until SIGTERM, which finishes the job in progress.
 *
 * Usage: node --import tsx bench/redis-worker.ts <redis-url> <pipeline>:<queue>...
 * Prints "ready" once it takes jobs on every queue, and when stopped, "stopped" and the
 * elements it ran on each queue as JSON.
 */
import { runWorker } from "../src/redis/index.ts";
import { cpu, lookup, trivial } from "./redis-pipelines.mjs";

const pipelines = { cpu, lookup, trivial };
const [connection, ...served] = process.argv.slice(2) as [string, ...string[]];
const stop = new AbortController();
process.once("SIGTERM", () => stop.abort());
process.once("SIGINT", () => stop.abort());

let ready = 0;
const onEvent = (event: { readonly type: string }) => {
  if (event.type === "ready" && ++ready === served.length) process.stdout.write("ready\n");
};
const summaries = await Promise.all(
  served.map(async (entry) => {
    const [name, queue] = entry.split(":") as [keyof typeof pipelines, string];
    const pipeline = pipelines[name];
    if (!pipeline || !queue)
      throw new Error(`expected <trivial|cpu|lookup>:<queue>, got "${entry}"`);
    const summary = await runWorker(pipeline, { connection, queue, signal: stop.signal, onEvent });
    return [queue, summary.elements] as const;
  }),
);
process.stdout.write(`stopped ${JSON.stringify(Object.fromEntries(summaries))}\n`);
