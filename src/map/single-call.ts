/**
 * Functions without mapspec are called once, in the map's own process, unless their executor
 * takes such calls (`Executor.runsUnmapped`, as SLURM does) and the function declares its own
 * `resources`: then the call goes to the executor as a chunk of one element.
 */
import { deserializeError } from "../executor/error-data.ts";
import { resourcesFor } from "../executor/resources.ts";
import type { Chunk, Executor } from "../executor/types.ts";
import { reportRemoteCall } from "../graph/engine.ts";
import type { RunListener } from "../graph/events.ts";
import type { AnyPipeFunc } from "../graph/types.ts";
import type { MapTrace } from "../otel/map-trace.ts";
import { referenceOf } from "./define.ts";
import { argumentsByName } from "./element-args.ts";
import { type ProgressListener, reportWorkers } from "./events.ts";
import type { NodeLayout } from "./layout.ts";
import type { ExecutorChoice, MappablePipeline } from "./run-map.ts";

/**
 * Whether `node`'s calls go to the executor `choice`: every mapped function's elements (a
 * reduction `y[:] -> total` included; the executor may still run it here), and the single
 * call of a function without mapspec when the executor takes those and the function declares
 * `resources` of its own (on `pipefunc`, `Node` or `nest`). The pipeline's default resources
 * alone do not send such a call away: they are what every job starts from, not a request for
 * one. A generator (`... -> x[i]`) always runs here.
 */
export function sendsToExecutor(node: NodeLayout, choice: ExecutorChoice | undefined): boolean {
  if (node.spec) return !node.spec.generates;
  return (
    typeof choice === "object" && choice.runsUnmapped === true && node.func.resources !== undefined
  );
}

/** What {@link callOnExecutor} needs of the map. */
export interface SingleCallRun {
  readonly pipeline: MappablePipeline;
  readonly validate: boolean;
  readonly signal: AbortSignal;
  readonly listener: ProgressListener | undefined;
  readonly trace: MapTrace | undefined;
  listenersOf(f: AnyPipeFunc): readonly RunListener[];
}

/**
 * Thrown by {@link callOnExecutor} when the executor itself failed (not the function): the
 * map stops with `error` whatever its `errors` option says, as it does for mapped functions.
 */
export class ExecutorFailure {
  constructor(readonly error: unknown) {}
}

/**
 * Calls `f` once on `executor` with `values` (its arguments in parameter order), with its
 * resources over the pipeline's: resolves with what it returned, rejects with what it threw,
 * or with an {@link ExecutorFailure}.
 */
export async function callOnExecutor(
  run: SingleCallRun,
  executor: Executor,
  f: AnyPipeFunc,
  values: readonly unknown[],
): Promise<unknown> {
  let resources: ReturnType<typeof resourcesFor>;
  try {
    resources = resourcesFor(
      f,
      run.pipeline.resources,
      argumentsByName(f, values, () => true),
    );
    if (resources) executor.checkResources?.(f.name, resources);
  } catch (error) {
    throw new ExecutorFailure(error);
  }
  const chunk: Chunk = {
    pipeline: referenceOf(run.pipeline),
    node: f.name,
    output: f.outputs[0]!,
    func: f,
    items: [{ index: 0, values }],
    validate: run.validate,
    // No axes: one value, as a reduction's.
    shape: [],
    ...(resources ? { resources } : {}),
  };
  const traced = run.trace?.chunk(f, executor.name, 1);
  let result: Awaited<ReturnType<Executor["submit"]>>[number] | undefined;
  try {
    [result] = await executor.submit(
      traced ? { ...chunk, trace: traced.carrier } : chunk,
      run.signal,
    );
  } catch (error) {
    traced?.fail(error);
    throw new ExecutorFailure(error);
  }
  if (result) traced?.end([result], []);
  if (!result) throw new ExecutorFailure(new Error(`no result for "${f.name}"`));
  if (run.listener) reportWorkers(run.listener, f.name, [result]);
  const error = result.ok ? undefined : deserializeError(result.error);
  const listeners = run.listenersOf(f);
  if (listeners.length > 0) {
    const outcome = result.ok ? { ok: true, value: result.value } : { ok: false, error };
    reportRemoteCall(f, values, listeners, [], outcome, result.durationMs ?? 0);
  }
  if (!result.ok) throw error;
  return result.value;
}
