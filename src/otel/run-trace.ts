/**
 * Tracing of a graph run: a span for the run, and under it one per function call (cache hits
 * included, marked), each the active span while its function runs.
 */
import type { RunListener } from "../graph/events.ts";
import { callSpans } from "./call-spans.ts";
import { ATTRIBUTES, SPAN_NAMES } from "./names.ts";
import { contextOf, recordError, startSpan, type Tracing } from "./tracing.ts";

/** A graph run being traced: its listener, and how it ends. */
export interface RunTrace {
  /** Told every function call of the run. */
  readonly listener: RunListener;
  /** Ends the run's span: failed when `error` is given. */
  end(error?: unknown): void;
}

/**
 * Starts the span of one graph run of `pipeline`, under the caller's active span.
 *
 * @param outputs - What the run was asked for (every output for `runAll`).
 */
export function startRunTrace(
  tracing: Tracing,
  pipeline: string,
  outputs: readonly string[],
): RunTrace {
  const span = startSpan(tracing, SPAN_NAMES.run(pipeline), tracing.api.context.active(), {
    [ATTRIBUTES.pipeline]: pipeline,
    [ATTRIBUTES.outputs]: [...outputs],
  });
  const parent = contextOf(tracing, span);
  return {
    listener: callSpans(tracing, {
      name: (f) => SPAN_NAMES.function(f.name),
      parent: () => parent,
    }),
    end(error?: unknown) {
      if (error !== undefined) recordError(span, error);
      span.end();
    },
  };
}
