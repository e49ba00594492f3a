/** Where the CLI writes: results on stdout, diagnostics on stderr. */
import { inspect } from "node:util";
import { thrownMessage } from "../_internal/thrown-message.ts";
import { PipeweaveError } from "../errors.ts";
import { cliOptionName } from "./flags.ts";

/** Writes `text` and a newline to stdout. */
export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Writes `text` and a newline to stderr. */
export function printError(text: string): void {
  process.stderr.write(`${text}\n`);
}

/**
 * Reports a failed command on stderr: its message (pipeweave's errors name the node, input
 * or file and what to do, with the CLI's flags for the options they name), then the message of
 * each error in its `cause` chain, which a shell cannot read; or with `verbose` the whole
 * error with its stack, fields and causes.
 */
export function reportFailure(error: unknown, verbose: boolean): void {
  if (verbose) {
    printError(inspect(error, { depth: 6, colors: false }));
    return;
  }
  printError(`error: ${describeError(error)}`);
  const seen = new Set<unknown>([error]);
  let cause = causeOf(error);
  // A cycle (err.cause = err) or a very deep chain stops.
  while (cause !== undefined && !seen.has(cause) && seen.size <= MAX_CAUSES) {
    seen.add(cause);
    printError(`cause: ${describeError(cause).replaceAll("\n", "\n  ")}`);
    cause = causeOf(cause);
  }
  // A stack says something about an error from user code or a bug, not about a known mistake.
  const hasStack = !(error instanceof PipeweaveError) || seen.size > 1;
  if (hasStack) printError("Run again with --verbose to see the stack.");
}

/** Causes printed below an error. */
const MAX_CAUSES = 8;

function describeError(error: unknown): string {
  if (error instanceof PipeweaveError) return error.messageNaming(cliOptionName);
  if (error instanceof Error) {
    // A cause is printed alone, so its class says what it is ("TypeError: ...").
    return error.name && error.name !== "Error" ? `${error.name}: ${error.message}` : error.message;
  }
  return thrownMessage(error);
}

function causeOf(error: unknown): unknown {
  return error instanceof Error && Object.hasOwn(error, "cause") ? error.cause : undefined;
}

/** Resolves once everything written to stdout and stderr so far is handed to the OS. */
export function flushOutput(): Promise<void> {
  const flush = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => {
      if (stream.writableLength === 0) resolve();
      else stream.write("", () => resolve());
    });
  return Promise.all([flush(process.stdout), flush(process.stderr)]).then(() => undefined);
}
