/**
 * Streams in one page: an I/O-bound stage with workers, retries and a timeout against a local
 * HTTP service, filtering with SKIP, failures kept as values, per-worker state, fork/merge,
 * ordered output, and a CPU-bound stage on worker threads.
 * Run with `npx tsx examples/stream.ts`.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { isMainThread } from "node:worker_threads";
import {
  type AttemptContext,
  defineHandler,
  Err,
  fork,
  isErr,
  pool,
  SKIP,
  stream,
  type WorkerState,
} from "../src/index.ts";

/** A CPU-bound handler. Threads import this module to find it, so it is declared at the top. */
export const digest = defineHandler(import.meta.url, "digest", (text: string) => {
  let hash = text;
  for (let k = 0; k < 2_000; k++) hash = createHash("sha256").update(hash).digest("hex");
  return `${text}:${hash.slice(0, 8)}`;
});

// Everything else runs on the main thread only, not in the threads that import this module.
if (isMainThread) await main();

interface Item {
  readonly id: number;
  readonly score: number;
}

async function main(): Promise<void> {
  const service = await startService();
  const ids = Array.from({ length: 20 }, (_, k) => k + 1);

  const getItem = async (id: number, state: WorkerState, { signal }: AttemptContext) => {
    state.set("requests", ((state.get("requests") as number | undefined) ?? 0) + 1);
    const res = await fetch(`${service.url}/${id}`, { signal });
    // A returned Err fails the item at once; a thrown error is retried.
    if (res.status === 404) return Err(new Error(`item ${id} does not exist`));
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return (await res.json()) as Item;
  };
  // I/O-bound: 8 requests in flight, 3 attempts each, 2 s per attempt.
  const io = { name: "fetch", workers: 8, buffer: 16, retries: 3, timeoutMs: 2_000 };
  const fetchItem = pool(io, getItem);
  const keepHigh = pool({ name: "keepHigh" }, (item: Item) => (item.score >= 50 ? item : SKIP));

  const summary = await stream(ids).pipe(fetchItem, keepHigh).run();
  console.log(`run: ok=${summary.ok}, ${summary.count} items out`);
  for (const e of summary.ok ? [] : summary.errors) {
    console.log(`failed: item ${e.item} in ${e.stage} after ${e.attempts} attempt(s): ${e.error}`);
  }
  console.log(`requests made: ${service.requests()} for ${ids.length} ids (5 retried after a 503)`);

  // for await, in input order although 8 requests run at once.
  const scores: string[] = [];
  for await (const out of stream(ids).pipe(pool({ ...io, ordered: true }, getItem))) {
    scores.push(isErr(out) ? "×" : String(out.score));
  }
  console.log(`scores in order: ${scores.join(" ")}`);

  // fork: every item goes to both handlers; merge combines their results.
  const enrich = fork(
    ([item, label]) => `${label}=${item.score}`,
    [(id: number) => ({ id, score: id * 10 }), async (id: number) => `#${id}`],
  );
  console.log(`forked: ${(await stream([1, 2, 3]).pipe(enrich).toArray()).join(" ")}`);

  // CPU-bound: the declared handler runs on 2 worker threads.
  const digests = await stream(["a", "b", "c", "d"])
    .pipe(pool({ workers: 2, threads: true, ordered: true }, digest))
    .toArray();
  console.log(`digests: ${digests.join(" ")}`);

  await service.close();
}

/**
 * A flaky local service: item n answers { id, score } after 5 ms; every fourth item fails its
 * first request with 503; item 13 does not exist.
 */
async function startService() {
  const seen = new Map<number, number>();
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    const id = Number(req.url?.slice(1));
    const attempt = (seen.get(id) ?? 0) + 1;
    seen.set(id, attempt);
    setTimeout(() => {
      if (id === 13) res.writeHead(404).end();
      else if (id % 4 === 0 && attempt === 1) res.writeHead(503).end();
      else res.end(JSON.stringify({ id, score: (id * 37) % 100 }));
    }, 5);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
