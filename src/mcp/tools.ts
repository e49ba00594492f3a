/**
 * What each tool of `pipeweave mcp` does: the library's calls behind them, with the run
 * folders confined to the root, the arguments checked, and every value capped in size.
 */
import { closestNames } from "../_internal/closest.ts";
import { toJsonLine } from "../cli/json.ts";
import type { LoadedPipeline } from "../cli/load-module.ts";
import { InvalidArgumentError, OutputTooLargeError, UnusedInputError } from "../errors.ts";
import { loadOutputs } from "../map/load.ts";
import type { MapRun } from "../map/map-run.ts";
import { NdArray } from "../map/ndarray.ts";
import { listRuns, runStatus } from "../status/read.ts";
import type { RunStatus } from "../status/types.ts";
import { inputJsonSchemas } from "./input-schemas.ts";
import { nameUnder, runFolderUnder } from "./root.ts";
import type { ToolName } from "./tool-list.ts";

/** What the tools share: the pipeline, the root, the cap, and the sweeps this server started. */
export interface ToolContext {
  readonly pipeline: LoadedPipeline;
  /** The root's real path. */
  readonly root: string;
  readonly maxOutputBytes: number;
  /** Sweeps started here, by id: their live status, and no unhandled rejection. */
  readonly started: Map<string, MapRun<unknown>>;
}

type Args = Readonly<Record<string, unknown>>;
type Tool = (context: ToolContext, args: Args) => Promise<unknown>;

export const HANDLERS: Readonly<Record<ToolName, Tool>> = {
  describe: async ({ pipeline }) => {
    const described = pipeline.describe();
    const schemas = inputJsonSchemas(
      pipeline.sortedFunctions,
      described.inputs.map((i) => i.name),
    );
    return {
      ...described,
      inputs: described.inputs.map((i) =>
        Object.hasOwn(schemas, i.name) ? { ...i, jsonSchema: schemas[i.name] } : i,
      ),
    };
  },

  run: async (context, args) => {
    const output = stringArg(args, "output");
    const inputs = objectArg(args, "inputs");
    return capped(context, output, await context.pipeline.run(output, inputs), "");
  },

  map: async (context, args) => {
    const inputs = objectArg(args, "inputs");
    checkInputNames(context.pipeline, inputs);
    const name = args.runFolder === undefined ? newRunName() : stringArg(args, "runFolder");
    const runFolder = runFolderUnder(context.root, name);
    const id = nameUnder(context.root, runFolder);
    const run = context.pipeline.mapAsync(inputs, {
      runFolder,
      resume: booleanArg(args, "resume"),
      overwrite: booleanArg(args, "overwrite"),
      returnResults: false,
    }) as MapRun<unknown>;
    context.started.set(id, run);
    return { id, runFolder, state: run.state };
  },

  status: async (context, args) => {
    const id = stringArg(args, "id");
    const folder = runFolderUnder(context.root, id);
    const run = context.started.get(nameUnder(context.root, folder));
    return withId(context.root, run ? run.status() : runStatus(folder));
  },

  load: async (context, args) => {
    const id = stringArg(args, "id");
    const output = stringArg(args, "output");
    const runFolder = runFolderUnder(context.root, id);
    const value = await loadOutputs(output, { runFolder });
    if (args.index === undefined) {
      return capped(context, output, value, "Read one element with index.");
    }
    const index = indexArg(args);
    if (!(value instanceof NdArray)) {
      throw new InvalidArgumentError(
        "index",
        `Output "${output}" of run "${id}" is not a mapped output; load it without index.`,
      );
    }
    return capped(context, output, value.get(...index), "");
  },

  runs: async (context) => listRuns(context.root).map((s) => withId(context.root, s)),
};

/** The status with the run's id, and without the server's absolute paths. */
function withId(root: string, status: RunStatus): RunStatus & { readonly id: string } {
  const id = nameUnder(root, status.runFolder);
  return { ...status, id, runFolder: id };
}

/** The value, as the JSON the tool returns, unless it is over the cap. */
function capped(context: ToolContext, output: string, value: unknown, hint: string): unknown {
  const { text } = toJsonLine(value);
  const bytes = Buffer.byteLength(text);
  if (bytes > context.maxOutputBytes) {
    throw new OutputTooLargeError(
      output,
      bytes,
      context.maxOutputBytes,
      hint || "Ask for a smaller value, or start the server with a larger --max-output-bytes.",
    );
  }
  return JSON.parse(text) as unknown;
}

/** Refuses inputs no function reads before the sweep starts, so nothing runs on a typo. */
function checkInputNames(pipeline: LoadedPipeline, inputs: Args): void {
  const known = pipeline.info().inputs;
  const unused = Object.keys(inputs).filter((k) => !known.includes(k));
  if (unused.length === 0) return;
  const suggestions: Record<string, string> = {};
  for (const name of unused) {
    const [best] = closestNames(name, known);
    if (best !== undefined) suggestions[name] = best;
  }
  throw new UnusedInputError(unused, suggestions);
}

/** A run folder name that sorts by time and does not collide. */
function newRunName(): string {
  const time = new Date().toISOString().replace(/[:.]/g, "-");
  return `run-${time}-${Math.random().toString(36).slice(2, 8)}`;
}

function stringArg(args: Args, name: string): string {
  const value = args[name];
  if (typeof value !== "string") {
    throw new InvalidArgumentError(
      name,
      `Expected \`${name}\` to be a string, got ${kind(value)}.`,
    );
  }
  return value;
}

function booleanArg(args: Args, name: string): boolean {
  const value = args[name];
  if (value === undefined || typeof value === "boolean") return value === true;
  throw new InvalidArgumentError(name, `Expected \`${name}\` to be a boolean, got ${kind(value)}.`);
}

function objectArg(args: Args, name: string): Record<string, unknown> {
  const value = args[name];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(
      name,
      `Expected \`${name}\` to be an object of inputs by name, got ${kind(value)}.`,
    );
  }
  return value as Record<string, unknown>;
}

function indexArg(args: Args): number[] {
  const value = args.index;
  if (!Array.isArray(value) || !value.every((i) => Number.isInteger(i) && i >= 0)) {
    throw new InvalidArgumentError(
      "index",
      `Expected \`index\` to be an array of integers from 0 and up, got ${JSON.stringify(value)}.`,
    );
  }
  return value as number[];
}

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return value === undefined ? "nothing" : `${JSON.stringify(value)} (${typeof value})`;
}
