import { deserializeError } from "../executor/error-data.ts";
import type { HandlerOutcome } from "./handler-worker.ts";
import { Err } from "./result.ts";
import type { RunControl } from "./run-stage.ts";
import { SKIP } from "./skip.ts";

/**
 * What a handler would have returned, from its outcome where it ran (a thread, a Redis
 * worker): its value, SKIP, an Err it returned; a throw thrown again; a handler the far side
 * cannot find fails the run.
 */
export function settleOutcome(outcome: HandlerOutcome, control: RunControl): unknown {
  switch (outcome.kind) {
    case "value":
      return outcome.value;
    case "skip":
      return SKIP;
    case "err":
      return Err(deserializeError(outcome.error));
    case "thrown":
      throw deserializeError(outcome.error);
    case "undeclared":
      control.fail(new TypeError(outcome.message));
      return SKIP;
  }
}
