/**
 * A sweep spread over worker processes through Redis (`pipeweave/redis`, on BullMQ). This
 * script starts two workers (child processes of itself running `runWorker`, which is what
 * `pipeweave worker` runs), maps a CPU-bound function over them into a run folder, kills one
 * worker mid-run (the chunk it held goes to the other), prints the results and which workers
 * ran them, and stops the workers.
 *
 * Needs a Redis server: `docker run --rm -p 6379:6379 redis` (or set REDIS_URL). Run with
 * `npx tsx examples/distributed.ts`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { definePipeline, Pipeline, pipefunc, runStatus } from "../src/index.ts";
import { redis, runWorker } from "../src/redis/index.ts";

const connection = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
// PIPEWEAVE_QUEUE: another queue (the example's test gives each test run its own).
const queue = process.env.PIPEWEAVE_QUEUE ?? "pipeweave-example-distributed";

/** π(n), the number of primes below n, by trial division: CPU-bound on purpose. */
const countPrimes = pipefunc(
  { output: "primes", mapspec: "n[i] -> primes[i]" },
  ({ n }: { n: number }) => {
    let count = 0;
    for (let k = 2; k < n; k++) {
      let isPrime = true;
      for (let d = 2; d * d <= k; d++) {
        if (k % d === 0) {
          isPrime = false;
          break;
        }
      }
      if (isPrime) count++;
    }
    return count;
  },
);

// Declared, so a worker rebuilds the pipeline from this module: a job carries the pipeline's
// name and definition hash, and each element's index and arguments, never code.
export const primes = definePipeline(
  import.meta.url,
  "primes",
  () => new Pipeline([countPrimes], { name: "primes" }),
);

if (process.argv[2] === "worker") {
  // A worker process: takes chunks from the queue until its parent lets go of it.
  const stop = new AbortController();
  process.once("disconnect", () => stop.abort());
  await runWorker(primes, {
    connection,
    queue,
    // A killed worker's chunk is taken over once its lock lapses (or the coordinator sees the
    // worker gone) and another worker's stalled check sees it: about 3 s here, 10 s with the
    // defaults.
    lockDuration: 2000,
    stalledInterval: 1000,
    timeoutMs: 5000,
    signal: stop.signal,
    onEvent: (event) => {
      if (event.type === "ready") process.send?.("ready");
    },
  });
} else {
  await coordinate();
}

/** Starts two workers, maps over them (killing one on the way), prints, stops them. */
async function coordinate(): Promise<void> {
  const workers = [startWorker(), startWorker()];
  const scratch = mkdtempSync(join(tmpdir(), "pipeweave-distributed-"));
  const runFolder = join(scratch, "run");
  const executor = redis({ connection, queue, chunkSize: 1, capacity: 2 });
  try {
    await Promise.all(workers.map(ready));
    console.log(`started 2 workers: ${workers.map((w) => `pid ${w.pid}`).join(", ")}`);
    const n = Array.from({ length: 12 }, (_, k) => (k + 1) * 100_000);
    let killed = false;
    const results = await primes.map(
      { n },
      {
        executor,
        runFolder,
        progress: {
          onProgress() {
            // The first results are in: kill a worker while it runs its next chunk.
            if (killed) return;
            killed = true;
            workers[0]!.kill("SIGKILL");
            console.log(`killed worker pid ${workers[0]!.pid} mid-run`);
          },
        },
      },
    );
    // Typed from the mapspec: an NdArray<number, ["i"]>.
    const counts = results.primes.output.values();
    for (const [k, value] of n.entries()) console.log(`primes below ${value}: ${counts[k]}`);
    // The run status counts the elements the workers ran, and lists the workers.
    const status = runStatus(runFolder);
    const [fn] = status.functions;
    const ran = (status.workers ?? []).map((w) => `${w.host}:${w.pid} (${w.elements})`);
    console.log(`${fn!.done} of ${fn!.total} elements stored; workers: ${ran.join(", ")}`);
  } finally {
    await executor.close();
    await Promise.all(workers.map(stopWorker));
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log("workers stopped");
}

/** This script again, as a worker process (same loader, so the same definition hash). */
function startWorker(): ChildProcess {
  const file = fileURLToPath(import.meta.url);
  return spawn(process.execPath, [...process.execArgv, file, "worker"], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
}

/** Resolves once the worker takes jobs; rejects if it exits first (no Redis, say). */
function ready(worker: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("exit", (code) =>
      reject(
        new Error(
          `Worker pid ${worker.pid} exited (code ${code}) before taking jobs. Is Redis running ` +
            `at ${connection}? Start one with: docker run --rm -p 6379:6379 redis`,
        ),
      ),
    );
  });
}

/** Lets go of a worker (it finishes its jobs and exits), and waits for it to exit. */
function stopWorker(worker: ChildProcess): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  if (worker.connected) worker.disconnect();
  else worker.kill("SIGTERM");
  return exited;
}
