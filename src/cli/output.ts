/** Where the CLI writes: results on stdout, diagnostics on stderr. */
import { inspect } from "node:util";
import { PipeweaveError } from "../errors.ts";

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
 * or file and what to do), or with `verbose` the whole error with its stack, fields and causes.
 */
export function reportFailure(error: unknown, verbose: boolean): void {
  if (verbose) {
    printError(inspect(error, { depth: 6, colors: false }));
    return;
  }
  printError(`error: ${error instanceof Error ? error.message : inspect(error)}`);
  // A stack says something about an error from user code or a bug, not about a known mistake.
  const hasStack =
    !(error instanceof PipeweaveError) ||
    (error as { readonly cause?: unknown }).cause !== undefined;
  if (hasStack) printError("Run again with --verbose to see the stack.");
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
