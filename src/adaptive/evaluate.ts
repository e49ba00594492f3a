/**
 * How one adaptive point is evaluated: a graph run in this thread, a graph run on a thread
 * of the executor, or a whole `map` (whose elements go to the executor as any map's do).
 */
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { UndeclaredPipelineError } from "../errors.ts";
import { deserializeError } from "../executor/error-data.ts";
import { ThreadExecutor } from "../executor/threads.ts";
import type { Executor } from "../executor/types.ts";
import { referenceOf } from "../map/define.ts";
import type { ExecutorChoice } from "../map/run-map.ts";
import type { AdaptivePlan } from "./plan.ts";
import { pointFunction, pointOutput } from "./point-function.ts";

/** What evaluating points needs of a pipeline. */
export interface EvaluatedPipeline {
  readonly name: string;
  run(output: string, inputs: Readonly<Record<string, unknown>>): Promise<unknown>;
  map(
    inputs: Readonly<Record<string, unknown>>,
    options: {
      readonly executor?: ExecutorChoice;
      readonly outputs?: readonly string[];
      readonly signal?: AbortSignal;
    },
  ): Promise<unknown>;
}

/** Evaluates points, `capacity` of them at once when the caller keeps that many in flight. */
export interface Evaluator {
  /** Points it evaluates at once: the executor's threads or workers; 1 inline. */
  readonly capacity: number;
  /** The pipeline's output at these inputs (rejects as the run or map would). */
  evaluate(inputs: Readonly<Record<string, unknown>>, signal: AbortSignal): Promise<unknown>;
  /**
   * Tells the executor the run before the first point (as `map` does); rejects as its
   * `begin` does (SLURM without a run folder). Absent when there is nothing to tell.
   */
  start?(): Promise<void>;
  /** Ends what the evaluator started (its own thread executor). */
  close(): Promise<void>;
}

/**
 * The evaluator for a plan on an executor choice.
 *
 * @throws {@link UndeclaredPipelineError} for threads or another remote executor with a
 *   pipeline not declared with `definePipeline`.
 */
export function createEvaluator(
  pipeline: EvaluatedPipeline,
  plan: AdaptivePlan,
  choice: ExecutorChoice | undefined,
  threads: number | undefined,
  runFolder?: string,
): Evaluator {
  const { output } = plan;
  if (plan.isMap) {
    const executor = choice ?? "inline";
    return {
      capacity: capacityOf(executor, threads),
      evaluate: async (inputs, signal) => {
        const results = (await pipeline.map(inputs, {
          executor: executor === "threads" && threads ? new ThreadExecutor({ threads }) : executor,
          outputs: [output],
          signal,
        })) as Readonly<Record<string, { readonly output: unknown }>>;
        return plan.valueOf(results[output]!.output);
      },
      close: async () => {},
    };
  }
  if (choice === undefined || choice === "inline") {
    return {
      capacity: 1,
      evaluate: (inputs) => pipeline.run(output, inputs),
      close: async () => {},
    };
  }
  const isOwn = choice === "threads";
  const executor: Executor = isOwn ? new ThreadExecutor(threads ? { threads } : {}) : choice;
  const reference = referenceOf(pipeline);
  if (!reference && executor.remote)
    throw new UndeclaredPipelineError(pipeline.name, executor.name);
  const marked = pointOutput(output);
  const func = pointFunction(pipeline, marked)!;
  let index = 0;
  // An executor that keeps its state in a run folder (SLURM) is told the run before the first
  // point, as map does. Never as resumed: jobs of points in flight when an earlier sweep
  // stopped have no one waiting for them (the learner asks those points again).
  const begin = executor.begin?.bind(executor);
  const start = begin
    ? async () =>
        begin({
          runFolder: runFolder === undefined ? undefined : resolve(runFolder),
          resumed: false,
          pipeline: pipeline.name,
          functions: [{ name: func.name, output: marked }],
        })
    : undefined;
  return {
    capacity: capacityOf(executor, threads),
    ...(start ? { start } : {}),
    evaluate: async (inputs, signal) => {
      const chunk = {
        pipeline: reference,
        node: func.name,
        output: marked,
        func,
        items: [{ index: index++, values: [inputs] }],
      };
      const [result] = await executor.submit(chunk, signal);
      if (!result) throw new Error(`Executor "${executor.name}" returned no result for a point.`);
      if (!result.ok) throw deserializeError(result.error);
      return result.value;
    },
    close: () => (isOwn ? executor.close() : Promise.resolve()),
  };
}

function capacityOf(executor: ExecutorChoice, threads: number | undefined): number {
  if (executor === "inline") return 1;
  if (executor === "threads") return threads ?? availableParallelism();
  if (executor instanceof ThreadExecutor) return executor.threads;
  return executor.capacity ?? 2;
}
