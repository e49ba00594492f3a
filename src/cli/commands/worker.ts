/**
 * `pipeweave worker <module#export> --redis URL [--queue Q] [--concurrency N]`: runs the chunks
 * of maps that coordinators send to Redis with the `redis()` executor, until SIGTERM or SIGINT,
 * which let the jobs in progress finish (a second one quits at once; BullMQ then hands the job
 * to another worker).
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { memoryInMb } from "../../executor/resources.ts";
import { describeBadUrl, redisUrlProblem } from "../../redis/address.ts";
import type { WorkerEvent } from "../../redis/worker.ts";
import { positiveInteger, queueName, type Target } from "../args.ts";
import { targetArgument } from "../common.ts";
import { print, printError } from "../output.ts";

interface WorkerCliOptions {
  readonly redis?: string;
  readonly slurm?: boolean;
  readonly queue: string;
  readonly concurrency: number;
  readonly cpus?: number;
  readonly memory?: string;
  readonly lockDuration?: number;
  readonly stalledInterval?: number;
}

/** How often the chunks done are summed up in one line. */
const REPORT_MS = 5000;
/** Exit status after a second signal (128 + SIGINT), as shells report it. */
const INTERRUPTED_EXIT = 130;

export function addWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description(
      "run the map chunks that redis() executors queue on Redis, until stopped; or (--slurm) " +
        "one SLURM array task of a slurm() executor's job",
    )
    .addArgument(targetArgument())
    .option("--redis <url>", "the Redis URL (default: REDIS_URL, else redis://127.0.0.1:6379)")
    .addOption(
      new Option(
        "--slurm",
        "run the SLURM array task this process is (the slurm() executor's job scripts start it)",
      ).conflicts(["redis", "cpus", "memory", "concurrency", "lockDuration", "stalledInterval"]),
    )
    .addOption(
      new Option("--queue <name>", "the queue the coordinators send to")
        .argParser(queueName)
        .default("pipeweave"),
    )
    .addOption(
      new Option(
        "--concurrency <n>",
        "jobs at once (helps async functions; start more workers for CPU-bound ones)",
      )
        .argParser(positiveInteger("--concurrency"))
        .default(1),
    )
    .addOption(
      new Option(
        "--cpus <n>",
        "cpus this worker offers: it takes only chunks whose function needs at most this " +
          "many (resources.cpus) (default: the machine's)",
      ).argParser(positiveInteger("--cpus")),
    )
    .addOption(
      new Option(
        "--memory <amount>",
        "memory this worker offers, such as 16GB or 512MB: it takes only chunks whose function needs at most this much (default: the machine's)",
      ).argParser(memoryAmount),
    )
    .addOption(
      new Option(
        "--lock-duration <ms>",
        "how long a job stays this worker's without a renewal: keep it well above the " +
          "longest element (default 30000)",
      ).argParser(positiveInteger("--lock-duration")),
    )
    .addOption(
      new Option(
        "--stalled-interval <ms>",
        "how often this worker looks for chunks whose worker died (default 5000)",
      ).argParser(positiveInteger("--stalled-interval")),
    )
    .addHelpText(
      "after",
      "\nSIGTERM or Ctrl-C finishes the jobs in progress, then exits 0.\n\nExample:\n" +
        "  pipeweave worker ./sweep.ts#pipeline --redis redis://10.0.0.5:6379 --queue sweep\n" +
        "  pipeweave worker ./sweep.ts#pipeline --queue sweep --cpus 8 --memory 32GB\n" +
        "  (inside a SLURM job script written by slurm():) pipeweave worker /abs/sweep.ts#sweep --slurm",
    )
    .action(async (target: Target, options: WorkerCliOptions, command: Command) => {
      if (options.slurm) {
        await runSlurmWorker(target);
        return;
      }
      // Checked here rather than by an argument parser, whose message would repeat the value
      // as given, password included.
      const problem = options.redis === undefined ? undefined : redisUrlProblem(options.redis);
      if (problem !== undefined) {
        command.error(`error: ${describeBadUrl("--redis", options.redis!, problem)}`, {
          exitCode: 2,
          code: "commander.invalidArgument",
        });
      }
      const { loadWorkerTarget } = await import("../load-module.ts");
      // A module that also runs its pipeline (or stream) at its top level does not run it here.
      const loaded = await loadWorkerTarget(target);
      const controller = new AbortController();
      const quit = () => process.exit(INTERRUPTED_EXIT);
      const stop = (signal: NodeJS.Signals) => {
        printError(`${signal}: finishing the jobs in progress, then stopping (again to quit now).`);
        process.once("SIGINT", quit);
        process.once("SIGTERM", quit);
        controller.abort(new Error(signal));
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      if (loaded.kind === "handlers") {
        try {
          await serveStages(loaded.handlers, options, controller.signal);
        } finally {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          process.off("SIGINT", quit);
          process.off("SIGTERM", quit);
        }
        return;
      }
      const { runWorker } = await import("../../redis/worker.ts");
      const pipeline = loaded.pipeline;
      const report = reporter();
      try {
        const summary = await runWorker(pipeline, {
          ...(options.redis === undefined ? {} : { connection: options.redis }),
          queue: options.queue,
          concurrency: options.concurrency,
          ...(options.cpus === undefined ? {} : { cpus: options.cpus }),
          ...(options.memory === undefined ? {} : { memory: options.memory }),
          ...(options.lockDuration === undefined ? {} : { lockDuration: options.lockDuration }),
          ...(options.stalledInterval === undefined
            ? {}
            : { stalledInterval: options.stalledInterval }),
          signal: controller.signal,
          onEvent: report.event,
        });
        report.flush();
        print(
          `Stopped after ${plural(summary.jobs, "chunk")} (${plural(summary.elements, "element")}).`,
        );
      } finally {
        report.stop();
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        process.off("SIGINT", quit);
        process.off("SIGTERM", quit);
      }
    });
}

/**
 * Serves stream stages (`pool({ redis })`) of the handlers the module declares, until the
 * signal; prints when it is ready and how many items it handled.
 */
async function serveStages(
  handlers: ReadonlyMap<string, import("../../stream/define-handler.ts").AnyHandler>,
  options: WorkerCliOptions,
  signal: AbortSignal,
): Promise<void> {
  const { runStageWorker } = await import("../../redis/stage-worker.ts");
  const summary = await runStageWorker(handlers, {
    ...(options.redis === undefined ? {} : { connection: options.redis }),
    // The map workers' default queue is "pipeweave"; a stage's is "pipeweave-stream".
    queue: options.queue === "pipeweave" ? "pipeweave-stream" : options.queue,
    concurrency: options.concurrency,
    ...(options.lockDuration === undefined ? {} : { lockDuration: options.lockDuration }),
    ...(options.stalledInterval === undefined ? {} : { stalledInterval: options.stalledInterval }),
    signal,
    onEvent: (event) => {
      if (event.type === "ready") {
        print(
          `Serving stream stages ${event.handlers.map((h) => `"${h}"`).join(", ")} on queue ` +
            `"${event.queue}".`,
        );
      } else if (event.type === "error") printError(`Redis: ${event.message}`);
    },
  });
  print(`Stopped after ${plural(summary.items, "item")}.`);
}

/** `--slurm`: runs this process's array task, then exits (1, naming why, on a refusal). */
async function runSlurmWorker(target: Target): Promise<void> {
  const { loadDeclaredPipeline } = await import("../load-module.ts");
  const { runSlurmTask } = await import("../../slurm/worker.ts");
  const pipeline = await loadDeclaredPipeline(target);
  const started = performance.now();
  const summary = await runSlurmTask(pipeline);
  const failures = summary.failed > 0 ? ` (${summary.failed} failed)` : "";
  print(
    `Ran array task ${summary.task} of ${summary.job}: ${plural(summary.elements, "element")}` +
      `${failures} in ${Math.round(performance.now() - started)} ms.`,
  );
}

/** Prints what the worker does: its start and problems at once, chunks done every few seconds. */
function reporter() {
  let chunks = 0;
  let elements = 0;
  let failed = 0;
  // A connection that keeps failing reports each attempt: say it once.
  let lastError: string | undefined;
  // A chunk that fits no worker comes back every moment: said once per function and run.
  const declined = new Set<string>();
  const flush = () => {
    if (chunks === 0) return;
    const failures = failed > 0 ? ` (${failed} failed)` : "";
    print(`Ran ${plural(chunks, "chunk")}, ${plural(elements, "element")}${failures}.`);
    chunks = 0;
    elements = 0;
    failed = 0;
  };
  const timer = setInterval(flush, REPORT_MS);
  timer.unref();
  const event = (e: WorkerEvent) => {
    switch (e.type) {
      case "ready":
        print(
          `Worker ${e.host} pid ${process.pid} takes chunks of pipeline "${e.pipeline}" ` +
            `(definition ${e.hash}) from queue "${e.queue}", offering ${amounts(e.size)}.`,
        );
        return;
      case "done":
        lastError = undefined;
        chunks++;
        elements += e.elements.length;
        failed += e.failed;
        return;
      case "skipped":
        print(`Skipped job ${e.job}: its run ${e.run} is over (the coordinator stopped).`);
        return;
      case "refused":
        printError(`Refused job ${e.job} of run ${e.run}: ${e.message}`);
        return;
      case "declined": {
        const key = `${e.run}\u0000${e.node}`;
        if (declined.has(key)) return;
        declined.add(key);
        print(
          `Declined chunks of "${e.node}" (run ${e.run}): each element needs ` +
            `${amounts(e.needs)}, this worker offers ${amounts(e.size)} (--cpus, --memory); ` +
            "they go back to the queue for a worker that fits.",
        );
        return;
      }
      case "error":
        if (e.message !== lastError) printError(`Redis: ${e.message}`);
        lastError = e.message;
        return;
    }
  };
  return { event, flush, stop: () => clearInterval(timer) };
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** "4 cpus and 2048 MB of memory". */
function amounts(a: { readonly cpus?: number; readonly memoryMb?: number }): string {
  const parts: string[] = [];
  if (a.cpus !== undefined) parts.push(plural(a.cpus, "cpu"));
  if (a.memoryMb !== undefined) parts.push(`${a.memoryMb} MB of memory`);
  return parts.join(" and ");
}

/** `--memory`: an amount such as 16GB, 512MB or a number of megabytes. */
function memoryAmount(text: string): string {
  if (memoryInMb(text) === undefined) {
    throw new InvalidArgumentError(
      `Expected --memory to be an amount such as 16GB or 512MB (or a number of megabytes), got "${text}".`,
    );
  }
  return text;
}
