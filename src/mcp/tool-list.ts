/** The tools `pipeweave mcp` offers, as MCP lists them: names, what they do, their arguments. */

/** One tool as `tools/list` returns it. */
export interface ToolDefinition {
  readonly name: ToolName;
  readonly description: string;
  readonly inputSchema: { readonly type: "object" } & Readonly<Record<string, unknown>>;
}

/** The tools' names. */
export type ToolName = "describe" | "run" | "map" | "status" | "load" | "runs";

const INPUTS = {
  type: "object",
  description: "The pipeline's inputs by name (describe lists them, with their JSON Schemas).",
} as const;
const ID = {
  type: "string",
  description: "The run's id: its folder's path under the server's root, as map and runs give it.",
} as const;

/** The tools, in the order `tools/list` gives them; their schemas are what agents read. */
export const TOOLS: readonly ToolDefinition[] = [
  {
    name: "describe",
    description:
      "Describe the pipeline: its inputs (required or not, defaults, descriptions, JSON Schemas " +
      "where the pipeline gives them), outputs (mapspecs, axes) and functions.",
    inputSchema: { type: "object", properties: {}, additionalProperties: false },
  },
  {
    name: "run",
    description:
      "Compute one output from the inputs and return it as JSON (for outputs that need a " +
      "sweep, use map). The inputs are checked first (names, required ones, schemas); " +
      "nothing runs when one is wrong.",
    inputSchema: {
      type: "object",
      properties: {
        output: { type: "string", description: "The output to compute." },
        inputs: INPUTS,
      },
      required: ["output", "inputs"],
      additionalProperties: false,
    },
  },
  {
    name: "map",
    description:
      "Start a sweep in a run folder under the server's root and return its id at once; " +
      "follow it with status, read its outputs with load. Mapped inputs are arrays along " +
      "their axes (describe lists them); the inputs are checked before anything runs.",
    inputSchema: {
      type: "object",
      properties: {
        inputs: INPUTS,
        runFolder: {
          type: "string",
          description:
            "The run folder, relative to the root (no ..); default: a new folder named for the time.",
        },
        resume: { type: "boolean", description: "Reuse what the run folder holds already." },
        overwrite: { type: "boolean", description: "Replace a run already in the run folder." },
        executor: {
          type: "string",
          enum: ["inline", "threads"],
          default: "inline",
          description:
            "Where the elements run: inline (in the server's process, one at a time unless " +
            "they are async) or threads (a pool of worker threads, for CPU-bound functions).",
        },
      },
      required: ["inputs"],
      additionalProperties: false,
    },
  },
  {
    name: "status",
    description: "Where a sweep stands: its state, per-function counts and errors.",
    inputSchema: {
      type: "object",
      properties: { id: ID },
      required: ["id"],
      additionalProperties: false,
    },
  },
  {
    name: "load",
    description:
      "Read an output of a sweep as JSON (a mapped output as { shape, dims, data }), part of " +
      "it with select, or one element with index; values over the server's size cap are " +
      "refused (select a part then).",
    inputSchema: {
      type: "object",
      properties: {
        id: ID,
        output: { type: "string", description: "The output to read." },
        index: {
          type: "array",
          items: { type: "integer", minimum: 0 },
          description: "The element's index along each axis of a mapped output.",
        },
        select: {
          type: "object",
          description:
            "Part of a mapped output, by axis name: an integer fixes the axis and drops it " +
            '({ "i": 3 }); [start, end] keeps elements start to end - 1 ({ "i": [0, 10] }; ' +
            "negative counts from the end, as Array.prototype.slice). Unnamed axes stay whole.",
          additionalProperties: {
            oneOf: [
              { type: "integer" },
              { type: "array", items: { type: "integer" }, minItems: 2, maxItems: 2 },
            ],
          },
        },
      },
      required: ["id", "output"],
      additionalProperties: false,
    },
  },
  {
    name: "runs",
    description: "List the sweeps under the server's root, newest first, with their states.",
    inputSchema: { type: "object", properties: {}, additionalProperties: false },
  },
];
