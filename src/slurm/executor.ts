import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AbortError, type ErrorMessage, ExecutorError, InvalidOptionError } from "../errors.ts";
import { callChunk } from "../executor/call-chunk.ts";
import { fromBytes } from "../executor/clone.ts";
import { type ResolvedResources, resourcesKey } from "../executor/resources.ts";
import { decode } from "../executor/transfer.ts";
import type {
  Chunk,
  ChunkItem,
  Executor,
  ExecutorRun,
  ItemResult,
  WorkerIdentity,
} from "../executor/types.ts";
import { type PipelineReference, resolveReference } from "../map/define.ts";
import { unravelIndex } from "../map/ndarray.ts";
import { writeFileAtomicSync } from "../map/storage/file.ts";
import { definitionHash } from "../redis/protocol.ts";
import {
  cancelJobs,
  endedTask,
  isEnded,
  listTasks,
  type QueuedTask,
  runCommand,
  sbatchFlags,
} from "./commands.ts";
import {
  JOB_FOLDER_ENV,
  JOB_FORMAT,
  type JobDescription,
  type JobRecord,
  jobFolder,
  jobIdFile,
  jobsFile,
  listJobFolders,
  listResults,
  logFile,
  logTail,
  readItems,
  readJob,
  readJobId,
  readJobRecords,
  readRefusal,
  slurmFolder,
  writeJobFolder,
} from "./job-folder.ts";

/** Options of {@link slurm}. */
export interface SlurmExecutorOptions {
  /**
   * The partition jobs go to when a function's `resources` name none.
   * @defaultValue the cluster's default partition
   */
  readonly partition?: string;
  /**
   * Elements per array task, when `map` is not given its own `chunkSize`. Each task starts a
   * Node process on a node (a second or so), so larger chunks cost less per element; smaller
   * ones spread over more of the cluster at once.
   * @defaultValue map's choice: about 8 chunks per slot of `capacity`, at most 1024
   */
  readonly chunkSize?: number;
  /**
   * Times an element whose array task failed, was cancelled, passed its time limit or lost
   * its node is submitted again; after that it fails the map with an `ExecutorError`.
   * @defaultValue 2
   */
  readonly retries?: number;
  /** How often `squeue` and the run folder are read, in milliseconds. @defaultValue 500 */
  readonly pollMs?: number;
  /**
   * Array tasks to keep queued or running: `map` keeps twice as many chunks in flight.
   * @defaultValue 256
   */
  readonly capacity?: number;
  /**
   * The command an array task runs, before its arguments (`worker <module>#<name> --slurm`):
   * give it where the nodes' Node or pipeweave is elsewhere than on this machine.
   * @defaultValue this process's Node and pipeweave's CLI (with tsx's loader when pipeweave
   *   runs from its TypeScript source)
   */
  readonly command?: readonly string[];
}

const DEFAULTS = Object.freeze({ retries: 2, pollMs: 500, capacity: 256 });

/** Polls in a row that squeue may fail before the map fails. */
const SQUEUE_FAILURES = 20;
/**
 * How long a task SLURM says COMPLETED may lack its end marker before it counts as failed:
 * a shared filesystem may show the marker a moment later than the controller the state.
 */
const MARKER_GRACE_MS = 5000;
/** Elements a message lists before it counts the rest. */
const LISTED_ELEMENTS = 8;

/** One array task the coordinator follows. */
interface Task {
  readonly dir: string;
  readonly task: number;
  readonly output: string;
  readonly node: string;
  readonly shape: readonly number[] | undefined;
  readonly elements: readonly number[];
  readonly resources: ResolvedResources | undefined;
  readonly job: JobDescription;
  readonly ref: PipelineReference;
  jobId: string | undefined;
  readonly received: Set<number>;
  readonly readParts: Set<string>;
  /** The last state squeue gave, and its reason. */
  state: string;
  reason: string;
  /** When SLURM first said it completed while its end marker was missing. */
  completedSince?: number;
  /** Polls in a row in which squeue did not list it. */
  unlisted: number;
}

/** A chunk waiting for its results. */
interface Request {
  readonly output: string;
  readonly remaining: Set<number>;
  readonly results: ItemResult[];
  readonly resolve: (results: ItemResult[]) => void;
  readonly reject: (error: unknown) => void;
}

/** Chunks gathered for one submission: same function, same resources. */
interface Outgoing {
  readonly output: string;
  readonly node: string;
  readonly shape: readonly number[] | undefined;
  readonly validate: boolean;
  readonly resources: ResolvedResources | undefined;
  readonly ref: PipelineReference;
  readonly hash: string;
  readonly pipeline: string;
  readonly attempt: number;
  readonly tasks: ChunkItem[][];
}

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
  /** Chunks waiting for results: by output, then element. */
  readonly #waiting = new Map<string, Map<number, Request>>();
  /** Results read before any chunk asked for them (a resumed run): by output, then element. */
  readonly #found = new Map<string, Map<number, ItemResult>>();
  /** Submissions being gathered (flushed on the next turn of the event loop). */
  readonly #outbox = new Map<string, Outgoing>();
  readonly #definitions = new Map<string, Promise<{ name: string; hash: string }>>();
  readonly #records = new Map<string, JobRecord>();
  /** Each job's tasks' states, as squeue last gave them (COMPLETED once a task's end marker is in). */
  readonly #taskStates = new Map<string, Map<number, string>>();
  #flushing: Promise<void> | undefined;
  #flushQueued = false;
  #ticker: NodeJS.Timeout | undefined;
  #polling = false;
  #squeueFailures = 0;
  #seq = 0;
  #closed = false;
  #cancelling: Promise<void> | undefined;
  #lastRecords = "";

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
    if (this.#closed) throw this.#error("is closed. Make a new one with slurm({ ... }).");
    if (run.runFolder === undefined) {
      const names = run.functions.map((f) => `"${f.name}"`).join(", ");
      throw new InvalidOptionError(
        "runFolder",
        `The slurm executor runs ${names} as SLURM jobs, which read their elements from and ` +
          "write their results into the run folder, but no `runFolder` was given. Pass " +
          'runFolder: "runs/my-sweep" (on a filesystem every node of the cluster shares).',
      );
    }
    const busy = [...this.#waiting.values()].some((w) => w.size > 0);
    if (busy || this.#active.size > 0) {
      throw this.#error(
        "is already serving another map. Give each map running at the same time its own slurm().",
      );
    }
    this.#run = { folder: run.runFolder, pipeline: run.pipeline };
    this.#found.clear();
    this.#records.clear();
    this.#taskStates.clear();
    this.#lastRecords = "";
    const root = slurmFolder(run.runFolder);
    if (!run.resumed) {
      // A run folder overwritten: its old jobs must not write into the new run.
      const old = listJobFolders(run.runFolder)
        .map(readJobId)
        .filter((id): id is string => id !== undefined);
      await cancelJobs(old);
      rmSync(root, { recursive: true, force: true });
      this.#seq = 0;
      return;
    }
    // The jobs of the runs before this one stay listed (for status) beside those to come.
    for (const record of readJobRecords(run.runFolder) ?? []) this.#records.set(record.job, record);
    await this.#reattach(run.runFolder);
  }

  async submit(chunk: Chunk, signal?: AbortSignal): Promise<ItemResult[]> {
    const run = this.#run;
    if (!run) {
      throw this.#error(
        (o) =>
          `has no run folder: it runs only under map (with ${o("runFolder")}), which tells it ` +
          "the run it serves before any chunk.",
      );
    }
    if (!chunk.pipeline) {
      throw this.#error(
        `cannot send "${chunk.node}" to SLURM: its pipeline is not declared with ` +
          "definePipeline(import.meta.url, name, () => new Pipeline([...])), so array tasks " +
          "cannot load it.",
      );
    }
    throwIfAborted(signal);
    // A reduction (`y[:] -> total`) whose function declares no resources runs here, as
    // unmapped functions do: the pipeline's defaults alone are no request for a job.
    if (chunk.shape?.length === 0 && chunk.func.resources === undefined) {
      return callChunk(chunk.func, chunk.items, chunk.validate === true, chunk.shape);
    }
    const { name, hash } = await this.#definitionOf(chunk.pipeline);
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
    const waiting = this.#waitingFor(chunk.output);
    const found = this.#found.get(chunk.output);
    const fresh: ChunkItem[] = [];
    for (const item of chunk.items) {
      const result = found?.get(item.index);
      if (result) {
        found!.delete(item.index);
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

  #waitingFor(output: string): Map<number, Request> {
    let waiting = this.#waiting.get(output);
    if (!waiting) {
      waiting = new Map();
      this.#waiting.set(output, waiting);
    }
    return waiting;
  }

  /** Adds a task of `items` to the next submission of its function and resources. */
  #enqueue(template: Omit<Outgoing, "tasks">, items: ChunkItem[]): void {
    const key = `${template.output}\u0000${resourcesKey(template.resources)}\u0000${template.attempt}`;
    let outgoing = this.#outbox.get(key);
    if (!outgoing) {
      outgoing = { ...template, tasks: [] };
      this.#outbox.set(key, outgoing);
    }
    outgoing.tasks.push(items);
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
        await this.#sbatch(outgoing);
      } catch (error) {
        const elements = outgoing.tasks.flat().map((i) => i.index);
        this.#failElements(outgoing.output, elements, error);
      }
    }
    this.#schedule();
  }

  async #sbatch(outgoing: Outgoing): Promise<void> {
    const run = this.#run!;
    const dir = jobFolder(run.folder, outgoing.output, this.#nextSeq(run.folder));
    const job: JobDescription = {
      format: JOB_FORMAT,
      pipeline: outgoing.pipeline,
      hash: outgoing.hash,
      module: outgoing.ref.module,
      declared: outgoing.ref.name,
      node: outgoing.node,
      output: outgoing.output,
      validate: outgoing.validate,
      ...(outgoing.shape ? { shape: outgoing.shape } : {}),
      tasks: outgoing.tasks.length,
      attempt: outgoing.attempt,
    };
    writeJobFolder(dir, job, outgoing.tasks);
    const script = join(dir, "task.sh");
    const target = `${fileURLToPath(outgoing.ref.module.split("?")[0]!)}#${outgoing.ref.name}`;
    const command = [...(this.#command ?? defaultCommand()), "worker", target, "--slurm"];
    writeFileSync(
      script,
      "#!/bin/sh\n" +
        `export ${JOB_FOLDER_ENV}=${shellQuote(dir)}\n` +
        `exec ${command.map(shellQuote).join(" ")}\n`,
      { mode: 0o755 },
    );
    const args = [
      "--parsable",
      `--array=0-${outgoing.tasks.length - 1}`,
      `--job-name=pipeweave:${outgoing.node}`,
      `--output=${join(dir, "logs", "%a.log")}`,
      "--no-requeue",
      `--chdir=${process.cwd()}`,
      ...sbatchFlags(outgoing.resources, this.#partition),
      script,
    ];
    const tasks: Task[] = outgoing.tasks.map((items, k) => ({
      dir,
      task: k,
      output: outgoing.output,
      node: outgoing.node,
      shape: outgoing.shape,
      elements: items.map((i) => i.index),
      resources: outgoing.resources,
      job,
      ref: outgoing.ref,
      jobId: undefined,
      received: new Set(),
      readParts: new Set(),
      state: "PENDING",
      reason: "",
      unlisted: 0,
    }));
    const result = await runCommand("sbatch", args);
    if (!result.ok) {
      throw this.#error(
        `could not submit ${outgoing.tasks.length} array task(s) of "${outgoing.node}": ` +
          `sbatch ${result.missing ? "is not installed here" : `said: ${result.stderr.trim()}`}. ` +
          (result.missing
            ? "Run the map on a machine that submits to the cluster (a login node)."
            : "Check the function's resources and the executor's partition against the cluster (sinfo)."),
        { node: outgoing.node },
      );
    }
    const jobId = result.stdout.trim().split(";")[0]!;
    writeFileAtomicSync(jobIdFile(dir), `${jobId}\n`);
    for (const task of tasks) {
      task.jobId = jobId;
      this.#active.set(`${dir}#${task.task}`, task);
    }
    this.#records.set(jobId, {
      node: outgoing.node,
      output: outgoing.output,
      job: jobId,
      tasks: tasks.length,
      states: { PENDING: tasks.length },
    });
    this.#taskStates.set(jobId, new Map(tasks.map((t) => [t.task, "PENDING"])));
    this.#writeRecords();
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
          this.#failAll(
            this.#error(
              `could not read the queue (squeue failed ${SQUEUE_FAILURES} times in a row). ` +
                "Check that the SLURM controller answers (sinfo); the run folder keeps what " +
                "was stored, and resume: true reattaches to the jobs.",
            ),
          );
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
            this.#taskStates.get(task.jobId!)?.set(task.task, "COMPLETED");
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
      this.#updateRecords(listed);
    } finally {
      this.#polling = false;
    }
  }

  /** Reads a task's result files not read yet and hands each result to its chunk. */
  #readResults(task: Task, files: readonly string[]): void {
    for (const file of [...files].sort(byPart)) {
      if (task.readParts.has(file)) continue;
      task.readParts.add(file);
      let results: ItemResult[];
      try {
        results = fromBytes(readFileSync(file)) as ItemResult[];
      } catch {
        // Written whole then linked: unreadable only if damaged; its elements count as missing.
        continue;
      }
      const worker = workerOf(results);
      for (const r of results) {
        if (task.received.has(r.index)) continue;
        task.received.add(r.index);
        this.#deliver(task.output, decodeResult(r, worker));
      }
    }
  }

  /** Hands one element's result to the chunk waiting for it (the first result wins). */
  #deliver(output: string, result: ItemResult): void {
    const waiting = this.#waiting.get(output);
    const request = waiting?.get(result.index);
    if (!request) {
      let found = this.#found.get(output);
      if (!found) {
        found = new Map();
        this.#found.set(output, found);
      }
      if (!found.has(result.index)) found.set(result.index, result);
      return;
    }
    waiting!.delete(result.index);
    if (!request.remaining.delete(result.index)) return;
    request.results.push(result);
    if (request.remaining.size === 0) request.resolve(request.results);
  }

  /**
   * A task ended: with every result in, it is done; otherwise its missing elements go out
   * again (up to `retries`), or fail naming the task, SLURM's reason and its log's tail.
   */
  async #finish(task: Task, queued: QueuedTask | undefined): Promise<void> {
    this.#active.delete(`${task.dir}#${task.task}`);
    const missing = task.elements.filter((e) => !task.received.has(e));
    if (missing.length === 0) return;
    const refusal = readRefusal(task.dir);
    if (refusal) {
      this.#failElements(
        task.output,
        missing,
        this.#error(
          `array task ${task.jobId}_${task.task} of "${task.node}" refused its job: ` +
            `${refusal.message} (on ${refusal.host} pid ${refusal.pid}).`,
          {
            hashes: { coordinator: refusal.coordinatorHash, worker: refusal.workerHash },
            worker: `${refusal.host} pid ${refusal.pid}`,
            node: task.node,
            job: `${task.jobId}_${task.task}`,
            reason: "refused",
            log: logTail(task.dir, task.task),
          },
        ),
      );
      return;
    }
    const ended = queued && queued.state !== "COMPLETED" ? undefined : task.jobId;
    const detail =
      ended === undefined
        ? undefined
        : await endedTask(task.jobId!, task.task).catch(() => undefined);
    const state = queued?.state ?? detail?.state ?? "UNKNOWN";
    const reason = describeReason(state, queued?.reason ?? detail?.reason);
    const still = missing.filter((e) => this.#waiting.get(task.output)?.has(e));
    if (still.length === 0) return;
    if (task.job.attempt < this.#retries) {
      let items: ChunkItem[];
      try {
        const wanted = new Set(still);
        items = readItems(task.dir, task.task).filter((i) => wanted.has(i.index));
      } catch (error) {
        this.#failElements(task.output, still, error);
        return;
      }
      const { name, hash } = await this.#definitionOf(task.ref);
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
        items,
      );
      return;
    }
    const tries = task.job.attempt + 1;
    this.#failElements(
      task.output,
      still,
      this.#error(
        (o) =>
          `ran ${describeElements(still, task.shape)} of "${task.node}" ${tries} time` +
          `${tries === 1 ? "" : "s"} without results: array task ${task.jobId}_${task.task} ` +
          `(job ${task.jobId}, array index ${task.task}) ended ${reason}. Its log ` +
          `(${logFile(task.dir, task.task)}) ends with:\n${logTail(task.dir, task.task)}\n` +
          `Fix the cause (a longer time, more memory), or raise ${o("retries")}; resume the ` +
          `map with ${o("resume", true)} to compute only what is missing.`,
        {
          node: task.node,
          elements: still.map((e) => (task.shape ? unravelIndex(task.shape, e) : [e])),
          job: `${task.jobId}_${task.task}`,
          reason,
          log: logTail(task.dir, task.task),
        },
      ),
    );
  }

  /** Rejects the chunks waiting for these elements of `output`. */
  #failElements(output: string, elements: readonly number[], error: unknown): void {
    const waiting = this.#waiting.get(output);
    if (!waiting) return;
    const rejected = new Set<Request>();
    for (const e of elements) {
      const request = waiting.get(e);
      if (!request) continue;
      rejected.add(request);
    }
    for (const request of rejected) {
      for (const e of request.remaining) waiting.delete(e);
      request.reject(error);
    }
  }

  #failAll(error: unknown): void {
    for (const [output, waiting] of this.#waiting)
      this.#failElements(output, [...waiting.keys()], error);
    this.#active.clear();
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

  /**
   * On `resume: true`: reads the results earlier tasks left in the run folder, and follows
   * again the tasks of its jobs still queued or running, so that their elements are not
   * submitted twice.
   */
  async #reattach(runFolder: string): Promise<void> {
    const folders = listJobFolders(runFolder);
    const jobIds = new Map<string, string>();
    for (const dir of folders) {
      const id = readJobId(dir);
      if (id) jobIds.set(dir, id);
    }
    const listed = (await listTasks([...new Set(jobIds.values())])) ?? new Map();
    for (const dir of folders) {
      let job: JobDescription;
      try {
        job = readJob(dir);
      } catch {
        continue;
      }
      const { parts, ended } = listResults(dir);
      const jobId = jobIds.get(dir);
      for (let k = 0; k < job.tasks; k++) {
        const received = new Set<number>();
        const readParts = new Set<string>();
        for (const file of (parts.get(k) ?? []).sort(byPart)) {
          readParts.add(file);
          try {
            const results = fromBytes(readFileSync(file)) as ItemResult[];
            const worker = workerOf(results);
            for (const r of results) {
              received.add(r.index);
              this.#deliver(job.output, decodeResult(r, worker));
            }
          } catch {
            // A damaged file: its elements are computed again.
          }
        }
        const queued = jobId ? listed.get(`${jobId}_${k}`) : undefined;
        if (ended.has(k) || !queued || isEnded(queued.state)) continue;
        let elements: number[];
        try {
          elements = readItems(dir, k).map((i) => i.index);
        } catch {
          continue;
        }
        if (elements.every((e) => received.has(e))) continue;
        const ref: PipelineReference = { module: job.module, name: job.declared };
        this.#active.set(`${dir}#${k}`, {
          dir,
          task: k,
          output: job.output,
          node: job.node,
          shape: job.shape,
          elements,
          resources: undefined,
          job,
          ref,
          jobId,
          received,
          readParts,
          state: queued.state,
          reason: queued.reason,
          unlisted: 0,
        });
        if (!this.#records.has(jobId!)) {
          this.#records.set(jobId!, {
            node: job.node,
            output: job.output,
            job: jobId!,
            tasks: job.tasks,
            states: {},
          });
        }
        if (!this.#taskStates.has(jobId!)) this.#taskStates.set(jobId!, new Map());
      }
    }
    this.#schedule();
  }

  /** Counts each job's tasks by state, and writes `slurm/jobs.json` when that changed. */
  #updateRecords(listed: ReadonlyMap<string, QueuedTask>): void {
    for (const [id, record] of this.#records) {
      const states = this.#taskStates.get(id);
      if (!states) continue;
      for (const task of listed.values()) {
        // A task whose end marker is in stays COMPLETED, whatever squeue lags behind with.
        if (task.job === id && states.get(task.task) !== "COMPLETED") {
          states.set(task.task, task.state);
        }
      }
      const counts: Record<string, number> = {};
      for (const state of states.values()) counts[state] = (counts[state] ?? 0) + 1;
      this.#records.set(id, { ...record, states: counts });
    }
    this.#writeRecords();
  }

  #writeRecords(): void {
    const run = this.#run;
    if (!run) return;
    const text = `${JSON.stringify([...this.#records.values()], null, 1)}\n`;
    if (text === this.#lastRecords) return;
    this.#lastRecords = text;
    try {
      mkdirSync(slurmFolder(run.folder), { recursive: true });
      writeFileAtomicSync(jobsFile(run.folder), text);
    } catch {
      // The status of the jobs is for readers; the run does not depend on it.
    }
  }

  /** The pipeline's name and definition hash, as the coordinator loads it. */
  #definitionOf(ref: PipelineReference): Promise<{ name: string; hash: string }> {
    const key = `${ref.module}#${ref.name}`;
    let definition = this.#definitions.get(key);
    if (!definition) {
      definition = resolveReference(ref).then(
        (pipeline) => ({ name: pipeline.name, hash: definitionHash(pipeline) }),
        (error: unknown) => {
          throw this.#error(
            `cannot load pipeline "${ref.name}" from ${ref.module} to hash its definition: ` +
              `${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
        },
      );
      this.#definitions.set(key, definition);
    }
    return definition;
  }

  #error(
    text: ErrorMessage,
    options: ConstructorParameters<typeof ExecutorError>[2] = {},
  ): ExecutorError {
    const head = "The slurm executor ";
    const message: ErrorMessage =
      typeof text === "string" ? head + text : (name) => head + text(name);
    return new ExecutorError(this.name, message, options);
  }
}

/** Orders `<task>.<part>.v8` files by part. */
function byPart(a: string, b: string): number {
  return partOf(a) - partOf(b);
}

function partOf(file: string): number {
  return Number(/\.(\d+)\.v8$/.exec(file)?.[1] ?? 0);
}

/** The worker a packed result names (its errors carry it; values do not): see packResults. */
function workerOf(results: readonly ItemResult[]): WorkerIdentity | undefined {
  for (const r of results) {
    if (r.ok) continue;
    const w = r.error.fields?.worker as WorkerIdentity | undefined;
    if (w) return w;
  }
  return undefined;
}

function decodeResult(r: ItemResult, worker: WorkerIdentity | undefined): ItemResult {
  const base = r.ok ? { ...r, value: decode(r.value) } : r;
  return worker ? { ...base, worker } : base;
}

/** SLURM's state and reason in words: `TIMEOUT (TimeLimit)`. */
function describeReason(state: string, reason: string | undefined): string {
  return reason && reason !== "None" ? `${state} (${reason})` : state;
}

/** The command before `worker ...`: this Node and pipeweave's CLI, built or from source. */
function defaultCommand(): string[] {
  const here = import.meta.url;
  const fromSource = here.endsWith(".ts");
  const main = fileURLToPath(new URL(fromSource ? "../cli/main.ts" : "../cli/main.js", here));
  if (!fromSource) return [process.execPath, main];
  let loader = "tsx";
  try {
    loader = import.meta.resolve("tsx");
  } catch {
    // tsx resolved by name on the node, then.
  }
  return [process.execPath, "--import", loader, main];
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** "elements [4], [5] and 3 more", as the map's outputs index them. */
function describeElements(
  indexes: readonly number[],
  shape: readonly number[] | undefined,
): string {
  const shown = indexes
    .slice(0, LISTED_ELEMENTS)
    .map((i) => `[${(shape ? unravelIndex(shape, i) : [i]).join(", ")}]`);
  const more = indexes.length - shown.length;
  const list = more > 0 ? `${shown.join(", ")} and ${more} more` : shown.join(", ");
  return `${indexes.length === 1 ? "element" : "elements"} ${list}`;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError("a chunk on the slurm executor", signal.reason);
}

function checkOptions(options: SlurmExecutorOptions): void {
  const { partition, chunkSize, retries, pollMs, capacity, command } = options;
  if (partition !== undefined && (typeof partition !== "string" || !/^[\w.-]+$/.test(partition))) {
    throw new InvalidOptionError(
      "partition",
      `Expected \`partition\` to be a partition's name (letters, digits, "_", "-", "."), got ` +
        `${JSON.stringify(partition)}. Leave it out for the cluster's default partition.`,
    );
  }
  for (const [name, value] of [
    ["chunkSize", chunkSize],
    ["capacity", capacity],
    ["pollMs", pollMs],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      throw new InvalidOptionError(
        name,
        `Expected \`${name}\` to be an integer from 1 and up, got \`${String(value)}\` (${typeof value}).`,
      );
    }
  }
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0)) {
    throw new InvalidOptionError(
      "retries",
      `Expected \`retries\` to be an integer from 0 and up, got \`${String(retries)}\` (${typeof retries}). ` +
        `Leave it out for ${DEFAULTS.retries}.`,
    );
  }
  if (
    command !== undefined &&
    !(Array.isArray(command) && command.length > 0 && command.every((c) => typeof c === "string"))
  ) {
    throw new InvalidOptionError(
      "command",
      "Expected `command` to be a non-empty array of strings (the program and its first " +
        `arguments), got ${JSON.stringify(command)}. Leave it out for this Node and pipeweave.`,
    );
  }
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
