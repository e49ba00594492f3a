/**
 * `pipeweave map <module#export> --inputs FILE --run-folder DIR`: runs a sweep into a run
 * folder (or, with `--storage memory`, in memory, printing its leaf outputs), inline, on
 * threads or on Redis workers, with progress bars on a TTY and one summary line per function
 * otherwise.
 */
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { AbortError } from "../../errors.ts";
import type { ProgressListener } from "../../map/events.ts";
import type { ExecutorChoice } from "../../map/run-map.ts";
import { describeBadUrl, redisUrlProblem } from "../../redis/address.ts";
import { positiveInteger, queueName, type Target } from "../args.ts";
import { addInputOptions, type InputOptions, targetArgument } from "../common.ts";
import { readInputs } from "../inputs.ts";
import { lossWarning, toJsonLine } from "../json.ts";
import type { LoadedPipeline } from "../load-module.ts";
import { summaryLines } from "../map-summary.ts";
import { print, printError } from "../output.ts";

interface MapCliOptions extends InputOptions {
  readonly runFolder?: string;
  readonly storage?: "memory" | "file" | "zarr";
  readonly executor: "inline" | "threads" | "redis" | "slurm";
  readonly partition?: string;
  readonly threads?: number;
  readonly chunkSize?: number;
  readonly redis?: string;
  readonly queue?: string;
  readonly timeoutMs?: number;
  readonly resume?: boolean;
  readonly extend?: boolean;
  readonly overwrite?: boolean;
  readonly allowUnused?: boolean;
  readonly errors: "raise" | "continue";
  readonly dashboard?: boolean;
}

/** Exit status after Ctrl-C (128 + SIGINT), as shells report it. */
const INTERRUPTED_EXIT = 130;

export function addMapCommand(program: Command): void {
  const command = program
    .command("map")
    .description(
      "run a sweep into a run folder (progress bars on a TTY, a line per function otherwise)",
    )
    .addArgument(targetArgument());
  addInputOptions(command)
    .option(
      "--run-folder <dir>",
      "the run folder: run.json, inputs, outputs, status.json (needed unless --storage memory)",
    )
    .addOption(
      new Option(
        "--storage <kind>",
        "where mapped outputs go: file (the default) or zarr in the run folder, or memory " +
          "(the leaf outputs are then printed as JSON)",
      ).choices(["memory", "file", "zarr"]),
    )
    .addOption(
      new Option("--executor <executor>", "where elements run")
        .choices(["inline", "threads", "redis", "slurm"])
        .default("inline"),
    )
    .addOption(
      new Option(
        "--partition <name>",
        "the SLURM partition of jobs whose function's resources name none (implies --executor " +
          "slurm; default: the cluster's default partition)",
      ).implies({ executor: "slurm" }),
    )
    .addOption(
      new Option("--threads <n>", "size of the thread pool (implies --executor threads)")
        .argParser(positiveInteger("--threads"))
        .implies({ executor: "threads" }),
    )
    .addOption(
      new Option(
        "--redis <url>",
        "the Redis of the workers (implies --executor redis; default: REDIS_URL, else " +
          "redis://127.0.0.1:6379)",
      ).implies({ executor: "redis" }),
    )
    .addOption(
      new Option(
        "--queue <name>",
        'the queue the workers take chunks from (implies --executor redis; default "pipeweave")',
      )
        .argParser(queueName)
        .implies({ executor: "redis" }),
    )
    .addOption(
      new Option(
        "--timeout-ms <ms>",
        "how long to wait without a sign of progress from Redis or any worker (--executor " +
          "redis; default 30000)",
      )
        .argParser(positiveInteger("--timeout-ms"))
        .implies({ executor: "redis" }),
    )
    .addOption(
      new Option(
        "--chunk-size <n>",
        "elements sent to a thread or worker at a time (default: about 8 chunks per thread or worker slot)",
      ).argParser(positiveInteger("--chunk-size")),
    )
    .addOption(
      new Option(
        "--resume",
        "reuse the results already in the run folder, computing only the rest",
      ).conflicts("overwrite"),
    )
    .addOption(
      new Option(
        "--extend",
        "resume a run whose mapped inputs were only extended (values appended): compute only the new elements",
      ).conflicts(["overwrite", "resume"]),
    )
    .option("--overwrite", "replace the results of a run already in the run folder")
    .option("--allow-unused", "accept inputs that no function reads")
    .option("--dashboard", "serve a live dashboard of the run on 127.0.0.1 (its URL is printed)")
    .addOption(
      new Option("--errors <mode>", "stop at the first failure, or record it and go on")
        .choices(["raise", "continue"])
        .default("raise"),
    )
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  pipeweave map ./sweep.ts#pipeline --inputs inputs.json --run-folder runs/first\n" +
        "  pipeweave map ./sweep.ts#pipeline --inputs inputs.json --run-folder runs/big \\\n" +
        "    --executor redis --redis redis://10.0.0.5:6379 --queue sweep\n" +
        "  (with workers started as: pipeweave worker ./sweep.ts#pipeline --redis redis://10.0.0.5:6379 --queue sweep)\n" +
        "  pipeweave map ./sweep.ts#pipeline --inputs inputs.json --run-folder /shared/runs/big \\\n" +
        "    --executor slurm --partition compute --chunk-size 64\n" +
        "  (from a machine that submits to SLURM, the run folder on a filesystem the nodes share)",
    )
    .action(async (target: Target, options: MapCliOptions, self: Command) => {
      checkCombinations(options, self);
      const { loadPipeline } = await import("../load-module.ts");
      const pipeline = await loadPipeline(target);
      const inputs = readInputs(options.inputs, options.input);
      const inMemory = options.storage === "memory";
      // stdout carries the results when they are printed; the summary lines then go to stderr.
      const write = inMemory ? printError : print;
      // Bars redraw in place on a terminal; anywhere else a line per function reads better.
      const progress: true | ProgressListener = process.stderr.isTTY
        ? true
        : summaryLines(
            pipeline.sortedFunctions.map((f) => f.name),
            write,
          );
      const controller = new AbortController();
      // The first Ctrl-C stops scheduling and waits for the elements already running, leaving
      // the folder resumable; a second one quits at once (the run then reads as stale).
      const quit = () => process.exit(INTERRUPTED_EXIT);
      const interrupt = () => {
        printError(
          options.runFolder === undefined
            ? "Stopping once the running elements finish (Ctrl-C again to quit now)."
            : "Stopping once the running elements finish (Ctrl-C again to quit now). Resume with:\n" +
                `  ${resumeCommand(target, options)}`,
        );
        process.once("SIGINT", quit);
        controller.abort(new Error("interrupted (Ctrl-C)"));
      };
      const executor = await executorOf(options);
      process.once("SIGINT", interrupt);
      let results: Awaited<ReturnType<LoadedPipeline["map"]>>;
      try {
        results = await pipeline.map(inputs, {
          ...(options.runFolder === undefined ? {} : { runFolder: options.runFolder }),
          ...(options.storage === undefined ? {} : { storage: options.storage }),
          executor,
          ...(options.threads === undefined ? {} : { threads: options.threads }),
          ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
          resume: options.extend === true ? "extend" : options.resume === true,
          overwrite: options.overwrite === true,
          ...(options.allowUnused ? { allowUnused: true } : {}),
          errors: options.errors,
          dashboard: options.dashboard === true,
          progress,
          signal: controller.signal,
        });
      } catch (error) {
        if (!(error instanceof AbortError && controller.signal.aborted)) throw error;
        printError(
          options.runFolder === undefined
            ? "Interrupted."
            : "Interrupted; the run folder keeps what finished.",
        );
        process.exitCode = INTERRUPTED_EXIT;
        return;
      } finally {
        if (typeof executor !== "string") await executor.close();
        process.off("SIGINT", interrupt);
        process.off("SIGINT", quit);
      }
      if (inMemory) {
        printLeaves(pipeline, results);
        return;
      }
      print(
        `Results in ${resolve(options.runFolder!)}; read one with: pipeweave load ${options.runFolder} <output>`,
      );
    });
}

/** Usage errors commander's own checks cannot see: flags that need another one. */
function checkCombinations(options: MapCliOptions, command: Command): void {
  const usage = (message: string) =>
    command.error(`error: ${message}`, { exitCode: 2, code: "commander.invalidArgument" });
  if (options.runFolder === undefined && options.storage !== "memory") {
    usage(
      "required option '--run-folder <dir>' not specified (only --storage memory runs " +
        "without one, printing its leaf outputs).",
    );
  }
  if (options.runFolder === undefined && (options.resume || options.extend || options.overwrite)) {
    const flag = options.resume ? "--resume" : options.extend ? "--extend" : "--overwrite";
    usage(`${flag} needs --run-folder.`);
  }
  if (options.threads !== undefined && options.executor !== "threads") {
    usage("--threads needs --executor threads.");
  }
  const redisOnly = [
    ["--redis", options.redis],
    ["--queue", options.queue],
    ["--timeout-ms", options.timeoutMs],
  ] as const;
  for (const [flag, value] of redisOnly) {
    if (value !== undefined && options.executor !== "redis") {
      usage(`${flag} needs --executor redis (got --executor ${options.executor}).`);
    }
  }
  if (options.partition !== undefined && options.executor !== "slurm") {
    usage(`--partition needs --executor slurm (got --executor ${options.executor}).`);
  }
  if (options.executor === "slurm" && options.runFolder === undefined) {
    usage(
      "--executor slurm needs --run-folder: its jobs read their elements from it and write " +
        "their results there (on a filesystem the nodes share).",
    );
  }
  if (options.chunkSize !== undefined && options.executor === "inline") {
    usage("--chunk-size needs --executor threads, redis or slurm (inline runs no chunks).");
  }
  // Checked here rather than by an argument parser, whose message would repeat the value as
  // given, password included.
  const problem = options.redis === undefined ? undefined : redisUrlProblem(options.redis);
  if (problem !== undefined) usage(describeBadUrl("--redis", options.redis!, problem));
}

/** The executor the flags name; a Redis or SLURM one is created here, and closed by the caller. */
async function executorOf(options: MapCliOptions): Promise<ExecutorChoice> {
  if (options.executor === "slurm") {
    const { slurm } = await import("../../slurm/executor.ts");
    return slurm(options.partition === undefined ? {} : { partition: options.partition });
  }
  if (options.executor !== "redis") return options.executor;
  const { redis } = await import("../../redis/executor.ts");
  return redis({
    ...(options.redis === undefined ? {} : { connection: options.redis }),
    ...(options.queue === undefined ? {} : { queue: options.queue }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}

/** Prints the leaf outputs of a run kept in memory as one JSON object, `{ name: value }`. */
function printLeaves(
  pipeline: LoadedPipeline,
  results: Awaited<ReturnType<LoadedPipeline["map"]>>,
): void {
  const leaves: Record<string, unknown> = {};
  for (const name of pipeline.info().outputs) {
    const result = (results as Readonly<Record<string, { readonly output: unknown } | undefined>>)[
      name
    ];
    if (result !== undefined) leaves[name] = result.output;
  }
  const { text, lost } = toJsonLine(leaves);
  print(text);
  const warning = lossWarning(lost);
  if (warning) printError(warning);
}

/** The command that finishes this run. */
function resumeCommand(target: Target, options: MapCliOptions): string {
  const parts = ["pipeweave", "map", `${target.module}#${target.exportName}`];
  if (options.inputs !== undefined) parts.push("--inputs", options.inputs);
  for (const [name, value] of Object.entries(options.input ?? {})) {
    parts.push("--input", `'${name}=${typeof value === "string" ? value : JSON.stringify(value)}'`);
  }
  parts.push("--run-folder", options.runFolder!);
  if (options.storage !== undefined) parts.push("--storage", options.storage);
  if (options.executor !== "inline") parts.push("--executor", options.executor);
  if (options.threads !== undefined) parts.push("--threads", String(options.threads));
  if (options.chunkSize !== undefined) parts.push("--chunk-size", String(options.chunkSize));
  if (options.redis !== undefined) {
    // Credentials (user:password@) are not shown on the terminal: the user puts the URL back.
    parts.push("--redis", options.redis.includes("@") ? "<url>" : options.redis);
  }
  if (options.queue !== undefined) parts.push("--queue", options.queue);
  if (options.partition !== undefined) parts.push("--partition", options.partition);
  if (options.timeoutMs !== undefined) parts.push("--timeout-ms", String(options.timeoutMs));
  if (options.allowUnused) parts.push("--allow-unused");
  if (options.errors !== "raise") parts.push("--errors", options.errors);
  // An interrupted growth finishes with --extend again (it is idempotent); else --resume.
  parts.push(options.extend ? "--extend" : "--resume");
  return parts.join(" ");
}
