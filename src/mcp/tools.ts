/**
 * What each tool of `pipeweave mcp` does: the library's calls behind them, with the run
 * folders confined to the root, the arguments checked, and every value capped in size.
 */
import { toJsonLine } from "../cli/json.ts";
import type { LoadedPipeline } from "../cli/load-module.ts";
import { InvalidArgumentError, MissingInputError, OutputTooLargeError } from "../errors.ts";
import { loadOutputs } from "../map/load.ts";
import type { MapRun } from "../map/map-run.ts";
import { NdArray } from "../map/ndarray.ts";
import { listRuns, runStatus } from "../status/read.ts";
import type { RunStatus } from "../status/types.ts";
import { type Args, booleanArg, choiceArg, indexArg, objectArg, stringArg } from "./args.ts";
import { checkMapInputs, checkRunInputs, missingInTool } from "./check-inputs.ts";
import { inputJsonSchemas } from "./input-schemas.ts";
import { nameUnder, runFolderUnder } from "./root.ts";
import { selectFrom } from "./select.ts";
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

type Tool = (context: ToolContext, args: Args) => Promise<unknown>;

/** Each tool's work: its JSON-safe answer, or a typed error the server returns as a tool error. */
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
    await checkRunInputs(context.pipeline, output, inputs);
    const value = await context.pipeline.run(output, inputs).catch((error: unknown) => {
      throw error instanceof MissingInputError ? missingInTool(error) : error;
    });
    return capped(context, output, value, "");
  },

  map: async (context, args) => {
    const inputs = objectArg(args, "inputs");
    const name = args.runFolder === undefined ? newRunName() : stringArg(args, "runFolder");
    const runFolder = runFolderUnder(context.root, name);
    const options = {
      runFolder,
      resume: booleanArg(args, "resume"),
      overwrite: booleanArg(args, "overwrite"),
      executor: choiceArg(args, "executor", EXECUTORS, "inline"),
      returnResults: false,
    } as const;
    await checkMapInputs(context.pipeline, inputs);
    const id = nameUnder(context.root, runFolder);
    const run = context.pipeline.mapAsync(inputs, options) as MapRun<unknown>;
    // The library checks what this server cannot before any function runs (zipped inputs of
    // one length, resume with overwrite, a run folder of another run): a sweep that fails
    // before its first function starts is the tool's error, not an id to follow.
    const events = run.events();
    const first = await Promise.race([events.next().then(() => undefined), run.done]);
    await events.return?.();
    if (first?.state === "failed") throw first.error;
    context.started.set(id, run);
    // The id, not the absolute path: the server's folders are no business of the agent's.
    return { id, runFolder: id, state: run.state };
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
    if (args.index !== undefined && args.select !== undefined) {
      throw new InvalidArgumentError(
        "select",
        "Pass either `index` (one element) or `select` (part of the output), not both.",
      );
    }
    const part = args.index !== undefined ? "index" : args.select !== undefined ? "select" : "";
    if (part === "") return capped(context, output, value, TOO_LARGE_HINT);
    if (!(value instanceof NdArray)) {
      throw new InvalidArgumentError(
        part,
        `Output "${output}" of run "${id}" is not a mapped output; load it without ${part}.`,
      );
    }
    // Picked before the cap: the part of an output too large to return whole.
    const picked =
      part === "index"
        ? value.get(...indexArg(args))
        : selectFrom(value, args.select, `output "${output}" of run "${id}"`);
    return capped(context, output, picked, TOO_LARGE_HINT);
  },

  runs: async (context) => listRuns(context.root).map((s) => withId(context.root, s)),
};

/** Where `map` may run elements: this process, or its pool of worker threads. */
const EXECUTORS = ["inline", "threads"] as const;

const TOO_LARGE_HINT =
  'Read part of it with select ({ "axis": index } or { "axis": [start, end] }), or one element with index.';

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

/** A run folder name that sorts by time and does not collide. */
function newRunName(): string {
  const time = new Date().toISOString().replace(/[:.]/g, "-");
  return `run-${time}-${Math.random().toString(36).slice(2, 8)}`;
}
