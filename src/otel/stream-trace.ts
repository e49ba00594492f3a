/**
 * Tracing of a stream run: a span for the run, one per stage under it, and one per handler
 * call (each attempt at an item, or at a batch) under its stage's, the active span while the
 * handler runs. It is a listener of the run's watch, the hook the monitor counts through, so a
 * traced run counts as a monitored one does and an untraced, unmonitored one does neither.
 */

import type { StageListener, StreamListener } from "../stream/events.ts";
import type { StageTally } from "../stream/monitor.ts";
import { isErr } from "../stream/result.ts";
import { isThenable } from "../stream/run-stage.ts";
import type { OtelContext } from "./api.ts";
import { carryingTrace } from "./continue-trace.ts";
import { ATTRIBUTES, SPAN_NAMES } from "./names.ts";
import { contextOf, recordError, startSpan, type Tracing } from "./tracing.ts";
import type { TraceAttributeValue, TracingSpan } from "./types.ts";

/**
 * Starts the span of one stream run, under the caller's active span.
 *
 * @param name - The run's name (its `name` option), if it has one.
 * @returns The listener to set on the run's watch before its stages start.
 */
export function startStreamTrace(tracing: Tracing, name: string | undefined): StreamListener {
  const span = startSpan(tracing, SPAN_NAMES.stream(name), tracing.api.context.active(), {
    ...(name === undefined ? {} : { [ATTRIBUTES.stream]: name }),
  });
  const parent = contextOf(tracing, span);
  return {
    onStageStart: (stage) => stageSpans(tracing, stage, parent),
    onRunEnd(state, error, output) {
      span.setAttribute(ATTRIBUTES.itemsOut, output);
      if (state !== "done") recordError(span, error);
      span.end();
    },
  };
}

/** The span of one stage, and its handler calls' spans. */
function stageSpans(tracing: Tracing, stage: StageTally, parent: OtelContext): StageListener {
  const { api } = tracing;
  const span = startSpan(tracing, SPAN_NAMES.stage(stage.name), parent, {
    [ATTRIBUTES.stage]: stage.name,
    [ATTRIBUTES.workers]: stage.workers,
  });
  const context = contextOf(tracing, span);
  const itemName = SPAN_NAMES.item(stage.name);
  const itemSpan = (worker: number, attempt: number, item: unknown): TracingSpan => {
    const attributes: Record<string, TraceAttributeValue> = {
      [ATTRIBUTES.stage]: stage.name,
      [ATTRIBUTES.workerIndex]: worker,
      [ATTRIBUTES.attempt]: attempt,
    };
    if (stage.batched && Array.isArray(item)) attributes[ATTRIBUTES.items] = item.length;
    return startSpan(tracing, itemName, context, attributes);
  };
  const failed = (item: TracingSpan, error: unknown) => {
    recordError(item, error);
    item.end();
  };
  // What the handler returned: an Err fails the call without a throw.
  const settled = (item: TracingSpan, value: unknown) => {
    if (isErr(value)) recordError(item, value.error);
    item.end();
  };
  // `detail: "function"`: the run's and the stages' spans only, none per handler call.
  const perCall = tracing.detail !== "function";
  return {
    within(worker, attempt, item, body) {
      if (!perCall) return body();
      const call = itemSpan(worker, attempt, item);
      let value: unknown;
      try {
        value = api.context.with(api.trace.setSpan(api.context.active(), call), () =>
          carryingTrace(call, body),
        );
      } catch (error) {
        failed(call, error);
        throw error;
      }
      if (!isThenable(value)) {
        settled(call, value);
        return value;
      }
      return Promise.resolve(value).then(
        (v) => {
          settled(call, v);
          return v;
        },
        (error: unknown) => {
          failed(call, error);
          throw error;
        },
      );
    },
    onRefused(worker, attempt, item, error) {
      if (perCall) failed(itemSpan(worker, attempt, item), error);
    },
    onStageEnd(error) {
      span.setAttribute(ATTRIBUTES.itemsIn, stage.in);
      span.setAttribute(ATTRIBUTES.itemsOut, stage.out);
      span.setAttribute(ATTRIBUTES.itemsFailed, stage.failed);
      span.setAttribute(ATTRIBUTES.itemsSkipped, stage.skipped);
      span.setAttribute(ATTRIBUTES.retried, stage.retried);
      if (error !== undefined) recordError(span, error);
      span.end();
    },
  };
}
