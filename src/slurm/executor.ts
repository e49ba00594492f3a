/**
 * The slurm executor: the map's chunks go out as SLURM job arrays, and the coordinator follows
 * their tasks with squeue and the run folder. Submitting is in submit.ts, what follows a task's
 * end in faults.ts, a resume's reattaching in reattach.ts, the jobs readers see in records.ts.
 */

import { rmSync } from "node:fs";
import { AbortError, InvalidOptionError } from "../errors.ts";
import { callChunk } from "../executor/call-chunk.ts";
import { resourcesKey } from "../executor/resources.ts";
import type { Chunk, ChunkItem, Executor, ExecutorRun, ItemResult } from "../executor/types.ts";
import type { TraceCarrier } from "../otel/carrier.ts";
import { cancelJobs, isEnded, listTasks, type QueuedTask } from "./commands.ts";
import { Definitions } from "./definitions.ts";
import { afterTaskEnd } from "./faults.ts";
import {
  jobFolder,
  listJobFolders,
  listResults,
  readJobId,
  readJobRecords,
  slurmFolder,
} from "./job-folder.ts";
import { slurmError } from "./messages.ts";
import { checkOptions, DEFAULTS, type SlurmExecutorOptions } from "./options.ts";
import { reattach } from "./reattach.ts";
import { JobBook } from "./records.ts";
import { submitJob } from "./submit.ts";
import { byPart, decodeResult, type Outgoing, readResultFile, type Task } from "./task.ts";
import { type Request, Waiting } from "./waiting.ts";

export type { SlurmExecutorOptions } from "./options.ts";

/** Polls in a row that squeue may fail before the map fails. */
const SQUEUE_FAILURES = 20;
/**
 * How long a task SLURM says COMPLETED may lack its end marker before it counts as failed:
 * a shared filesystem may show the marker a moment later than the controller the state.
 */
const MARKER_GRACE_MS = 5000;

/** The run the executor serves (see `begin`). */
interface ServedRun {
  readonly folder: string;
  readonly pipeline: string;
}

/**
 * Runs map elements as SLURM job arrays; see {@link slurm}.
 */
class SlurmChunkExecutor implements Executor {
  readonly name = "slurm";
  readonly remote = true;
  readonly isOutOfProcess = true;
  readonly runsUnmapped = true;
  readonly capacity: number;
  readonly chunkSize: number | undefined;
  readonly #partition: string | undefined;
  readonly #retries: number;
  readonly #pollMs: number;
  readonly #command: readonly string[] | undefined;
  #run: ServedRun | undefined;
  /** Tasks queued or running, by `<dir>#<task>`. */
  readonly #active = new Map<string, Task>();
  readonly #waiting = new Waiting();
  /** Submissions being gathered (flushed on the next turn of the event loop). */
  readonly #outbox = new Map<string, Outgoing>();
  readonly #definitions = new Definitions();
  readonly #book = new JobBook();
  #flushing: Promise<void> | undefined;
  #flushQueued = false;
  #ticker: NodeJS.Timeout | undefined;
  #polling = false;
  #squeueFailures = 0;
  #seq = 0;
  #closed = false;
  #cancelling: Promise<void> | undefined;

  constructor(options: SlurmExecutorOptions) {
    checkOptions(options);
    this.#partition = options.partition;
    this.chunkSize = options.chunkSize;
    this.#retries = options.retries ?? DEFAULTS.retries;
    this.#pollMs = options.pollMs ?? DEFAULTS.pollMs;
    this.capacity = options.capacity ?? DEFAULTS.capacity;
    this.#command = options.command;
  }

  async begin(run: ExecutorRun): Promise<void> {
    if (this.#closed) throw slurmError("is closed. Make a new one with slurm({ ... }).");
    if (run.runFolder === undefined) {
      const names = run.functions.map((f) => `"${f.name}"`).join(", ");
      throw new InvalidOptionError(
        "runFolder",
        `The slurm executor runs ${names} as SLURM jobs, which read their elements from and ` +
          "write their results into the run folder, but no `runFolder` was given. Pass " +
          'runFolder: "runs/my-sweep" (on a filesystem every node of the cluster shares).',
      );
    }
    if (this.#waiting.busy || this.#active.size > 0) {
      throw slurmError(
        "is already serving another map. Give each map running at the same time its own slurm().",
      );
    }
    this.#run = { folder: run.runFolder, pipeline: run.pipeline };
    this.#waiting.clearFound();
    if (!run.resumed) {
      this.#book.open(run.runFolder);
      // A run folder overwritten: its old jobs must not write into the new run.
      const old = listJobFolders(run.runFolder)
        .map(readJobId)
        .filter((id): id is string => id !== undefined);
      await cancelJobs(old);
      rmSync(slurmFolder(run.runFolder), { recursive: true, force: true });
      this.#seq = 0;
      return;
    }
    // The jobs of the runs before this one stay listed (for status) beside those to come.
    this.#book.open(run.runFolder, readJobRecords(run.runFolder) ?? []);
    for (const task of await reattach(run.runFolder, (o, r) => this.#waiting.deliver(o, r))) {
      this.#active.set(`${task.dir}#${task.task}`, task);
      this.#book.followed(task.jobId!, task.node, task.output, task.job.tasks);
    }
    this.#schedule();
  }

  async submit(chunk: Chunk, signal?: AbortSignal): Promise<ItemResult[]> {
    const run = this.#run;
    if (!run) {
      throw slurmError(
        (o) =>
          `has no run folder: it runs only under map (with ${o("runFolder")}), which tells it ` +
          "the run it serves before any chunk.",
      );
    }
    if (!chunk.pipeline) {
      throw slurmError(
        `cannot send "${chunk.node}" to SLURM: its pipeline is not declared with ` +
          "definePipeline(import.meta.url, name, () => new Pipeline([...])), so array tasks " +
          "cannot load it.",
      );
    }
    throwIfAborted(signal);
    // A reduction (`y[:] -> total`) whose function declares no resources runs here, as
    // unmapped functions do: the pipeline's defaults alone are no request for a job.
    if (chunk.shape?.length === 0 && chunk.func.resources === undefined) {
      return callChunk(chunk.func, chunk.items, chunk.validate === true, chunk.shape, chunk.trace);
    }
    const { name, hash } = await this.#definitions.of(chunk.pipeline);
    throwIfAborted(signal);
    let request!: Request;
    const done = new Promise<ItemResult[]>((resolve, reject) => {
      request = {
        output: chunk.output,
        remaining: new Set(chunk.items.map((i) => i.index)),
        results: [],
        resolve,
        reject,
      };
    });
    done.catch(() => undefined);
    const waiting = this.#waiting.of(chunk.output);
    const fresh: ChunkItem[] = [];
    for (const item of chunk.items) {
      const result = this.#waiting.takeFound(chunk.output, item.index);
      if (result) {
        request.results.push(result);
        request.remaining.delete(item.index);
        continue;
      }
      waiting.set(item.index, request);
      if (!this.#isInFlight(chunk.output, item.index)) fresh.push(item);
    }
    if (request.remaining.size === 0) return request.results;
    if (fresh.length > 0) {
      this.#enqueue(
        {
          output: chunk.output,
          node: chunk.node,
          shape: chunk.shape,
          validate: chunk.validate === true,
          resources: chunk.resources,
          ref: chunk.pipeline,
          hash,
          pipeline: name,
          attempt: 0,
        },
        fresh,
        chunk.trace,
      );
    }
    const onAbort = () => {
      for (const e of request.remaining) if (waiting.get(e) === request) waiting.delete(e);
      void this.#cancelAll().then(() =>
        request.reject(new AbortError(`chunk of "${chunk.node}" on SLURM`, signal!.reason)),
      );
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await done;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#ticker);
    if (this.#active.size > 0) await this.#cancelAll();
    await this.#cancelling;
  }

  /** Whether an element of `output` is in a task queued or running. */
  #isInFlight(output: string, index: number): boolean {
    for (const task of this.#active.values()) {
      if (task.output === output && task.elements.includes(index) && !task.received.has(index)) {
        return true;
      }
    }
    return false;
  }

  /** Adds a task of `items` to the next submission of its function and resources. */
  #enqueue(
    template: Omit<Outgoing, "tasks" | "traces">,
    items: ChunkItem[],
    trace?: TraceCarrier,
  ): void {
    const key = `${template.output}\u0000${resourcesKey(template.resources)}\u0000${template.attempt}`;
    let outgoing = this.#outbox.get(key);
    if (!outgoing) {
      outgoing = { ...template, tasks: [], traces: [] };
      this.#outbox.set(key, outgoing);
    }
    outgoing.tasks.push(items);
    outgoing.traces.push(trace);
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // Chunks the map sends in one go become one job array.
    setImmediate(() => {
      this.#flushQueued = false;
      const previous = this.#flushing ?? Promise.resolve();
      this.#flushing = previous.then(() => this.#flush());
    });
  }

  /** Submits every gathered submission as one `sbatch --array` each. */
  async #flush(): Promise<void> {
    const batches = [...this.#outbox.values()];
    this.#outbox.clear();
    for (const outgoing of batches) {
      try {
        const run = this.#run!;
        const dir = jobFolder(run.folder, outgoing.output, this.#nextSeq(run.folder));
        const { jobId, tasks } = await submitJob({
          dir,
          outgoing,
          command: this.#command,
          partition: this.#partition,
        });
        for (const task of tasks) this.#active.set(`${dir}#${task.task}`, task);
        this.#book.submitted(jobId, outgoing.node, outgoing.output, tasks.length);
      } catch (error) {
        const elements = outgoing.tasks.flat().map((i) => i.index);
        this.#waiting.fail(outgoing.output, elements, error);
      }
    }
    this.#schedule();
  }

  #nextSeq(runFolder: string): number {
    if (this.#seq === 0) {
      // After a resume, numbers go on from those already in the folder.
      for (const dir of listJobFolders(runFolder)) {
        const n = Number(dir.split(/[\\/]/).at(-1));
        if (Number.isInteger(n)) this.#seq = Math.max(this.#seq, n);
      }
    }
    return ++this.#seq;
  }

  #schedule(): void {
    if (this.#ticker || this.#closed || this.#active.size === 0) return;
    this.#ticker = setTimeout(() => {
      this.#ticker = undefined;
      void this.#poll().finally(() => this.#schedule());
    }, this.#pollMs);
  }

  /** Reads squeue, then the results the tasks wrote, and handles tasks that ended. */
  async #poll(): Promise<void> {
    if (this.#polling || this.#active.size === 0) return;
    this.#polling = true;
    try {
      const jobs = [...new Set([...this.#active.values()].map((t) => t.jobId!))];
      const listed = await listTasks(jobs);
      if (!listed) {
        if (++this.#squeueFailures >= SQUEUE_FAILURES) {
          this.#waiting.failAll(
            slurmError(
              `could not read the queue (squeue failed ${SQUEUE_FAILURES} times in a row). ` +
                "Check that the SLURM controller answers (sinfo); the run folder keeps what " +
                "was stored, and resume: true reattaches to the jobs.",
            ),
          );
          this.#active.clear();
        }
        return;
      }
      this.#squeueFailures = 0;
      // After squeue: a task it says ended wrote its last results before it ended.
      const byDir = new Map<string, Task[]>();
      for (const task of this.#active.values()) {
        const list = byDir.get(task.dir) ?? [];
        list.push(task);
        byDir.set(task.dir, list);
      }
      for (const [dir, tasks] of byDir) {
        const { parts, ended } = listResults(dir);
        for (const task of tasks) {
          this.#readResults(task, parts.get(task.task) ?? []);
          const queued = listed.get(`${task.jobId}_${task.task}`);
          if (queued) {
            task.state = queued.state;
            task.reason = queued.reason;
            task.unlisted = 0;
          } else task.unlisted++;
          if (ended.has(task.task)) {
            // Ended well, whatever squeue said a moment before.
            this.#book.completed(task.jobId!, task.task);
            await this.#finish(task, undefined);
            continue;
          }
          const over = queued ? isEnded(queued.state) : task.unlisted >= 2;
          if (!over) continue;
          if (queued?.state === "COMPLETED") {
            task.completedSince ??= Date.now();
            if (Date.now() - task.completedSince < MARKER_GRACE_MS) continue;
          }
          await this.#finish(task, queued);
        }
      }
      this.#book.update(listed);
    } finally {
      this.#polling = false;
    }
  }

  /** Reads a task's result files not read yet and hands each result to its chunk. */
  #readResults(task: Task, files: readonly string[]): void {
    for (const file of [...files].sort(byPart)) {
      if (task.readParts.has(file)) continue;
      task.readParts.add(file);
      const read = readResultFile(file);
      if (!read) continue;
      for (const r of read.results) {
        if (task.received.has(r.index)) continue;
        task.received.add(r.index);
        this.#waiting.deliver(task.output, decodeResult(r, read.worker));
      }
    }
  }

  /** A task ended: see {@link afterTaskEnd} for what follows. */
  async #finish(task: Task, queued: QueuedTask | undefined): Promise<void> {
    this.#active.delete(`${task.dir}#${task.task}`);
    const outcome = await afterTaskEnd(task, queued, this.#retries, (e) =>
      this.#waiting.has(task.output, e),
    );
    if (outcome.kind === "fail") {
      this.#waiting.fail(task.output, outcome.elements, outcome.error);
      return;
    }
    if (outcome.kind === "done") return;
    const { name, hash } = await this.#definitions.of(task.ref);
    this.#enqueue(
      {
        output: task.output,
        node: task.node,
        shape: task.shape,
        validate: task.job.validate,
        resources: task.resources,
        ref: task.ref,
        hash,
        pipeline: name,
        attempt: task.job.attempt + 1,
      },
      outcome.items,
      task.job.traces?.[task.task] ?? undefined,
    );
  }

  /** Cancels every job of the run still queued or running (abort, close). */
  #cancelAll(): Promise<void> {
    if (this.#cancelling) return this.#cancelling;
    const ids = [...new Set([...this.#active.values()].map((t) => t.jobId!))];
    this.#active.clear();
    this.#outbox.clear();
    this.#cancelling = (this.#flushing ?? Promise.resolve())
      .then(() => {
        // Submitted while the abort came: cancelled too.
        const late = [...this.#active.values()].map((t) => t.jobId!);
        this.#active.clear();
        return cancelJobs([...new Set([...ids, ...late])]);
      })
      .finally(() => {
        this.#cancelling = undefined;
      });
    return this.#cancelling;
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError("a chunk on the slurm executor", signal.reason);
}

/** The executor {@link slurm} returns. */
export interface SlurmExecutor extends Executor {
  readonly name: "slurm";
}

/**
 * An executor that runs map elements as SLURM job arrays: each mapped function's chunks of
 * elements go out as one `sbatch --array` job per batch (one array task per chunk) with the
 * function's `resources` as sbatch flags (`--cpus-per-task`, `--mem` in MB, `--gres=gpu:N`,
 * `--time` in minutes, `--partition`, `extra` as given). Each array task runs `pipeweave
 * worker <module>#<name> --slurm`, which reads its elements from the run folder and writes
 * their results there; the coordinator follows the tasks with `squeue` and the run folder
 * (never `sacct`) and stores each element once.
 *
 * A run folder on a filesystem the nodes share is required. Functions without mapspec and
 * reductions (`y[:] -> total`) run in the coordinator unless they declare `resources` of
 * their own (on `pipefunc`, `Node` or `nest`; the pipeline's defaults alone do not count):
 * then they run as a job of one task with those resources. A task that
 * fails, is cancelled, passes its time limit or loses its node has its missing elements
 * submitted again, up to `retries` times; then they fail the map with an `ExecutorError`
 * naming the job id, array index, SLURM's reason and the tail of the task's log. Aborting
 * the map (its `signal`, Ctrl-C in the CLI) cancels the run's jobs and leaves a folder that
 * `resume: true` finishes, reattaching to jobs still queued or running.
 *
 * The pipeline must be declared with `definePipeline`, and tasks must load the same code:
 * a task whose definition hash differs refuses the job.
 *
 * @param options - Partition, chunk size, retries, poll interval, capacity, worker command.
 * @returns The executor, for `map(inputs, { executor, runFolder })` (or per function).
 * @throws {@link InvalidOptionError} for an option that cannot work.
 * @example
 * ```ts
 * import { slurm } from "pipeweave/slurm";
 * const executor = slurm({ partition: "compute", chunkSize: 64 });
 * try {
 *   await pipeline.map(inputs, { executor, runFolder: "/shared/runs/sweep" });
 * } finally {
 *   await executor.close();
 * }
 * ```
 */
export function slurm(options: SlurmExecutorOptions = {}): SlurmExecutor {
  return new SlurmChunkExecutor(options);
}
