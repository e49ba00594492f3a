/**
 * Every error pipeweave throws. Each class carries its context as readonly fields so no caller
 * has to parse a message, and a stable `code` so errors survive a thread or process boundary.
 *
 * Message shape: what went wrong · where (quoted node/input) · got vs expected · what to do.
 */

/** The stable code of every pipeweave error, one per class. */
export type ErrorCode =
  | "E_DEFINITION"
  | "E_CYCLE"
  | "E_MISSING_INPUT"
  | "E_UNKNOWN_OUTPUT"
  | "E_OUTPUT_NOT_STORED"
  | "E_OUTPUT_AXES"
  | "E_UNUSED_INPUT"
  | "E_DUPLICATE_INPUT"
  | "E_AMBIGUOUS_OUTPUT"
  | "E_INVALID_OPTION"
  | "E_INVALID_ARGUMENT"
  | "E_NODE_FAILED"
  | "E_ASYNC_IN_SYNC"
  | "E_MAP_REQUIRED"
  | "E_VALIDATION"
  | "E_REGISTRY_CONFLICT"
  | "E_REGISTRY_VALUE"
  | "E_REGISTRY_CORRUPT"
  | "E_REGISTRY_CLOSED"
  | "E_MAPSPEC_SYNTAX"
  | "E_MAPSPEC"
  | "E_SHAPE_MISMATCH"
  | "E_NDARRAY"
  | "E_DATASET"
  | "E_RUN_FOLDER_MISMATCH"
  | "E_RUN_FOLDER_EXISTS"
  | "E_RUN_FOLDER_NOT_FOUND"
  | "E_STORAGE_VALUE"
  | "E_UNDECLARED_PIPELINE"
  | "E_UNDECLARED_HANDLER"
  | "E_ABORTED"
  | "E_STAGE_TIMEOUT"
  | "E_CIRCUIT_OPEN"
  | "E_BATCH_RESULT"
  | "E_CACHE_KEY"
  | "E_CACHE_VALUE"
  | "E_RUN_FOLDER_LOCKED"
  | "E_RUN_FOLDER_CORRUPT"
  | "E_SHAPE_TOO_LARGE"
  | "E_UNDECLARED_CAPTURE"
  | "E_UNCLONABLE_VALUE"
  | "E_REDIS_CONNECTION"
  | "E_MISSING_DEPENDENCY"
  | "E_EXECUTOR"
  | "E_PIPELINE_MODULE"
  | "E_DASHBOARD"
  | "E_MCP_LISTEN"
  | "E_RUN_FOLDER_NOT_EMPTY"
  | "E_RUN_FOLDER_WRITE"
  | "E_VARIANT_REQUIRED"
  | "E_UNKNOWN_VARIANT"
  | "E_FIXED_INDICES"
  | "E_OUTSIDE_ROOT"
  | "E_OUTPUT_TOO_LARGE";

/**
 * Writes an option that a message tells the reader to set: `option` alone (`runFolder`), or
 * set to `value` (`{ resume: true }`). The library's messages use {@link apiOptionName}; the
 * CLI passes one that writes its flags (`--run-folder`, `--resume`).
 */
export type OptionNamer = (option: string, value?: boolean | number | string) => string;

/** How the library's messages write options: `runFolder`, `{ resume: true }`. */
export const apiOptionName: OptionNamer = (option, value) =>
  value === undefined ? option : `{ ${option}: ${JSON.stringify(value)} }`;

/** A message as text, or written around the options it names (see {@link OptionNamer}). */
export type ErrorMessage = string | ((name: OptionNamer) => string);

/** Base class of every error pipeweave throws. */
export class PipeweaveError extends Error {
  /** Stable machine-readable code of this error's class. */
  readonly code: ErrorCode;
  /** The message written around the options it names, when it names any. */
  readonly #compose: ((name: OptionNamer) => string) | undefined;

  /**
   * @param code - The error's stable code.
   * @param message - What went wrong, where, and what to do; a function of an
   *   {@link OptionNamer} when it names options to set.
   * @param options - `cause`, passed through to `Error`.
   */
  constructor(code: ErrorCode, message: ErrorMessage, options?: { readonly cause?: unknown }) {
    super(typeof message === "string" ? message : message(apiOptionName), options);
    this.code = code;
    this.name = "PipeweaveError";
    this.#compose = typeof message === "string" ? undefined : message;
  }

  /**
   * The message with the options it names written by `name`: the CLI writes its flags, so
   * it says `--resume` where the library says `{ resume: true }`. An error rebuilt from
   * another thread or process keeps only its {@link Error.message}.
   *
   * @param name - Writes each option the message names.
   * @returns The message.
   */
  messageNaming(name: OptionNamer): string {
    return #compose in this && this.#compose ? this.#compose(name) : this.message;
  }
}

/**
 * A pipeline or function definition is invalid: two functions produce one output, defaults
 * disagree, input names cannot be read, a declared order reads a name produced later.
 * Construction collects every problem; `problems` lists each one.
 */
export class PipelineDefinitionError extends PipeweaveError {
  /** Every problem found, one sentence each. */
  readonly problems: readonly string[];

  /** @param problems - Each problem found, one message each (at least one). */
  constructor(problems: readonly string[] | string) {
    const list = typeof problems === "string" ? [problems] : problems;
    super(
      "E_DEFINITION",
      list.length === 1 ? list[0]! : `${list.length} problems:\n- ${list.join("\n- ")}`,
    );
    this.name = "PipelineDefinitionError";
    this.problems = list;
  }
}

/** The functions of a pipeline depend on each other in a circle. */
export class CycleError extends PipeweaveError {
  /** Names of the functions on the cycle, in order; the first is repeated at the end. */
  readonly cycle: readonly string[];

  /** @param cycle - Function names along the cycle, first repeated at the end. */
  constructor(cycle: readonly string[]) {
    super(
      "E_CYCLE",
      `The pipeline has a cycle: ${cycle.map((n) => `"${n}"`).join(" -> ")}. ` +
        "A function cannot depend on its own output; rename an input or an output to break it.",
    );
    this.name = "CycleError";
    this.cycle = cycle;
  }
}

/** Inputs needed to compute an output were neither given nor produced by any function. */
export class MissingInputError extends PipeweaveError {
  /** The output (or node) that was asked for. */
  readonly output: string;
  /** Every missing root input for that output. */
  readonly missing: readonly string[];
  /** For each missing input, the nodes that read it. */
  readonly readers: Readonly<Record<string, readonly string[]>>;

  /**
   * @param output - The requested output.
   * @param missing - Every missing root input.
   * @param readers - Nodes reading each missing input.
   * @param detail - Extra guidance appended to the message.
   */
  constructor(
    output: string,
    missing: readonly string[],
    readers: Readonly<Record<string, readonly string[]>>,
    detail = "",
  ) {
    const parts = missing.map((name) => {
      const by = readers[name] ?? [];
      return by.length > 0
        ? `"${name}" (read by ${by.map((n) => `"${n}"`).join(", ")})`
        : `"${name}"`;
    });
    super(
      "E_MISSING_INPUT",
      `Cannot compute "${output}": missing input${missing.length > 1 ? "s" : ""} ${parts.join(", ")}. ` +
        (detail ||
          `Pass ${missing.length > 1 ? "them" : "it"} in the inputs or add a function that produces ${missing.length > 1 ? "them" : "it"}.`),
    );
    this.name = "MissingInputError";
    this.output = output;
    this.missing = missing;
    this.readers = readers;
  }
}

/**
 * An output name that no function of the pipeline produces was asked for (of a run folder: that
 * its run does not record).
 */
export class UnknownOutputError extends PipeweaveError {
  /** The name that was asked for. */
  readonly output: string;
  /** Known names closest to it, best first. */
  readonly suggestions: readonly string[];
  /** The run folder it was looked up in (`loadOutputs`); undefined for a pipeline. */
  readonly runFolder: string | undefined;

  /**
   * @param output - The unknown name.
   * @param suggestions - Closest known names.
   * @param known - Every name that can be asked for.
   * @param runFolder - The run folder that was asked, when the name was looked up in one.
   */
  constructor(
    output: string,
    suggestions: readonly string[],
    known: readonly string[],
    runFolder?: string,
  ) {
    suggestions = [...new Set(suggestions)];
    known = [...new Set(known)];
    const hint =
      suggestions.length > 0
        ? `Did you mean ${suggestions.map((s) => `"${s}"`).join(" or ")}?`
        : `Known outputs: ${known.map((s) => `"${s}"`).join(", ") || "(none)"}.`;
    const what =
      runFolder === undefined
        ? `No function produces "${output}".`
        : `The run folder "${runFolder}" has no output "${output}".`;
    super("E_UNKNOWN_OUTPUT", `${what} ${hint}`);
    this.name = "UnknownOutputError";
    this.output = output;
    this.suggestions = suggestions;
    this.runFolder = runFolder;
  }
}

/** Inputs were given that no function of the pipeline reads or produces. */
export class UnusedInputError extends PipeweaveError {
  /** The names nothing reads. */
  readonly unused: readonly string[];

  /**
   * @param unused - Names nothing reads.
   * @param suggestions - For each unused name, the closest known input, if any.
   */
  constructor(unused: readonly string[], suggestions: Readonly<Record<string, string>>) {
    const parts = unused.map((n) =>
      suggestions[n] ? `"${n}" (did you mean "${suggestions[n]}"?)` : `"${n}"`,
    );
    super(
      "E_UNUSED_INPUT",
      (o) =>
        `No function reads the input${unused.length > 1 ? "s" : ""} ${parts.join(", ")}. ` +
        `Remove it, fix its name, or pass ${o("allowUnused", true)}.`,
    );
    this.name = "UnusedInputError";
    this.unused = unused;
  }
}

/** One input was given twice: flat (`"s.a"`) and inside its scope (`{ s: { a } }`). */
export class DuplicateInputError extends PipeweaveError {
  /** The input given twice, by its full name. */
  readonly input: string;

  /**
   * @param input - The full (scoped) input name.
   * @param scope - The scope object that also holds it.
   */
  constructor(input: string, scope: string) {
    super(
      "E_DUPLICATE_INPUT",
      `Input "${input}" is given twice: as "${input}" and inside "${scope}". ` +
        `Pass it once, either flat ("${input}") or nested ({ ${scope}: { ... } }).`,
    );
    this.name = "DuplicateInputError";
    this.input = input;
  }
}

/** `run` was asked for no output, but the pipeline does not have exactly one leaf output. */
export class AmbiguousOutputError extends PipeweaveError {
  /** The pipeline's leaf outputs (outputs of functions whose outputs nothing reads). */
  readonly leaves: readonly string[];

  /**
   * @param pipeline - The pipeline's name.
   * @param leaves - Its leaf outputs.
   */
  constructor(pipeline: string, leaves: readonly string[]) {
    const list = leaves.map((l) => `"${l}"`).join(", ");
    super(
      "E_AMBIGUOUS_OUTPUT",
      leaves.length === 0
        ? `run() was called without an output, but pipeline "${pipeline}" has no leaf output. ` +
            "Name the output or side-effect node to run."
        : `run() was called without an output, but pipeline "${pipeline}" has ${leaves.length} ` +
            `leaf outputs: ${list}. Name one (run("${leaves[0]}", inputs)) or several ` +
            `(run([${list}], inputs)).`,
    );
    this.name = "AmbiguousOutputError";
    this.leaves = leaves;
  }
}

/** An option has a value that cannot work, or needs another option that is missing. */
export class InvalidOptionError extends PipeweaveError {
  /** The option, as the caller spells it (`storage`, `internalShapes.y`). */
  readonly option: string;

  /**
   * @param option - The offending option.
   * @param message - What is wrong and what to do, naming the option.
   * @param options - `cause`: what the option's own code threw (a `resources` function).
   */
  constructor(option: string, message: string, options?: { readonly cause?: unknown }) {
    super("E_INVALID_OPTION", message, options);
    this.name = "InvalidOptionError";
    this.option = option;
  }
}

/**
 * An argument of a pipeweave function has the wrong kind of value: `stream(42)`, a function
 * where `pipe()` wants a stage, `sweep({ a: 1 })`, a mapped input that is not an array. (An
 * option with a bad value is an {@link InvalidOptionError}.)
 */
export class InvalidArgumentError extends PipeweaveError {
  /** The argument, as the caller spells it (`source`, `pipe() argument 2`, `inputs.a`). */
  readonly argument: string;

  /**
   * @param argument - The offending argument.
   * @param message - What is wrong and what to pass instead, naming the argument.
   */
  constructor(argument: string, message: string) {
    super("E_INVALID_ARGUMENT", message);
    this.name = "InvalidArgumentError";
    this.argument = argument;
  }
}

/** A function threw (or its promise rejected) while the pipeline ran it. */
export class NodeExecutionError extends PipeweaveError {
  /** Name of the failing function. */
  readonly node: string;
  /** The arguments it was called with, by argument name. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** Element index in a sweep, when the failure happened inside `map`. */
  readonly index: readonly number[] | undefined;

  /**
   * @param node - Failing function's name.
   * @param inputs - Arguments it was called with.
   * @param cause - What it threw.
   * @param index - Sweep element index, if any.
   */
  constructor(
    node: string,
    inputs: Readonly<Record<string, unknown>>,
    cause: unknown,
    index?: readonly number[],
  ) {
    const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : describeThrown(cause);
    const reason = text.endsWith(".") ? text.slice(0, -1) : text;
    const where = index ? ` at index [${index.join(", ")}]` : "";
    super(
      "E_NODE_FAILED",
      `Function "${node}"${where} failed: ${reason}. ` +
        `It was called with ${describeArgs(inputs)}; see .cause for the original error.`,
      { cause },
    );
    this.name = "NodeExecutionError";
    this.node = node;
    this.inputs = inputs;
    this.index = index;
  }
}

/** `runSync` met a function that returned a Promise. */
export class AsyncInSyncRunError extends PipeweaveError {
  /** Name of the function that returned a Promise. */
  readonly node: string;

  /** @param node - The async function's name. */
  constructor(node: string) {
    super(
      "E_ASYNC_IN_SYNC",
      `Function "${node}" returned a Promise inside runSync. Use "await pipeline.run(...)" ` +
        "for pipelines with async functions.",
    );
    this.name = "AsyncInSyncRunError";
    this.node = node;
  }
}

/**
 * `run`, `runSync` or `runAll` was asked for an output that only `map` can compute: a function
 * on the way reads the elements of a mapped output together (a reduction, or a function
 * without mapspec that `map` gives the whole NdArray), or maps over elements that `map` would
 * split out. `run` calls each function once, so it would hand such a function a value of
 * another kind. Raised before any function runs. (Element-wise functions alone run fine: `run`
 * then computes one element from element values.)
 */
export class MapRequiredError extends PipeweaveError {
  /** What was asked for: an output, several, or undefined for every output (`runAll`). */
  readonly output: string | readonly string[] | undefined;
  /** The function whose mapspec needs `map`. */
  readonly node: string;
  /** Its mapspec. */
  readonly mapspec: string;
  /** The name whose value only `map` gives in the form its reader needs. */
  readonly input: string;

  /**
   * @param output - What was asked for; undefined for every output.
   * @param node - The function whose mapspec needs `map`.
   * @param mapspec - Its mapspec.
   * @param input - The name `run` cannot give its reader as `map` does.
   * @param why - Which function reads `input` how, naming `node` and its mapspec.
   * @param canPass - Whether passing `input` (as `map` returns it) in the inputs avoids `map`.
   */
  constructor(
    output: string | readonly string[] | undefined,
    node: string,
    mapspec: string,
    input: string,
    why: string,
    canPass: boolean,
  ) {
    const asked =
      output === undefined
        ? "every output"
        : (typeof output === "string" ? [output] : output).map((o) => `"${o}"`).join(", ");
    const pass = canPass
      ? `, or pass "${input}" in the inputs as map returns it (an NdArray) so that "${node}" does not run`
      : "";
    super(
      "E_MAP_REQUIRED",
      `Cannot compute ${asked} with run: ${why}. Run map with the same inputs and read ` +
        `${asked} from its results${pass}.`,
    );
    this.name = "MapRequiredError";
    this.output = output;
    this.node = node;
    this.mapspec = mapspec;
    this.input = input;
  }
}

/** One problem reported by a Standard Schema validator. */
export interface ValidationIssue {
  /** The schema's message. */
  readonly message: string;
  /** Path inside the value, when the schema gives one. */
  readonly path: readonly PropertyKey[];
}

/** A value did not satisfy a function's declared schema (with `validate: true`). */
export class ValidationError extends PipeweaveError {
  /** Name of the function whose schema failed. */
  readonly node: string;
  /** The argument name, or `"return"` for the output. */
  readonly argument: string;
  /** Every issue the schema reported. */
  readonly issues: readonly ValidationIssue[];
  /** Element index in a sweep, when the value belonged to one element of `map`. */
  readonly index: readonly number[] | undefined;

  /**
   * @param node - The function's name.
   * @param argument - The argument, or "return".
   * @param issues - The schema's issues.
   * @param index - Sweep element index, if any.
   */
  constructor(
    node: string,
    argument: string,
    issues: readonly ValidationIssue[],
    index?: readonly number[],
  ) {
    const what = argument === "return" ? "its return value" : `argument "${argument}"`;
    const where = index && index.length > 0 ? ` at index [${index.join(", ")}]` : "";
    const list = issues
      .map((i) => (i.path.length > 0 ? `${i.path.map(String).join(".")}: ` : "") + i.message)
      .join("; ");
    super(
      "E_VALIDATION",
      `Function "${node}"${where} got an invalid value for ${what}: ${list}. ` +
        "Fix the value upstream or the schema declared in the function's options.",
    );
    this.name = "ValidationError";
    this.node = node;
    this.argument = argument;
    this.issues = issues;
    this.index = index;
  }
}

/**
 * A name is both a runtime constant and an object the pipeline makes: an output stored in the
 * registry, or the output of one of its functions. Each name refers to one object.
 */
export class RegistryConflictError extends PipeweaveError {
  /** The names in conflict. */
  readonly names: readonly string[];

  /**
   * @param names - Names both constant and stored (or produced).
   * @param where - The registry's folder, or the function producing each name.
   */
  constructor(names: readonly string[], where: string | readonly string[]) {
    const list = names.map((n) => `"${n}"`).join(", ");
    const are = names.length > 1 ? "are" : "is";
    super(
      "E_REGISTRY_CONFLICT",
      typeof where === "string"
        ? `The name${names.length > 1 ? "s" : ""} ${list} ${are} both a runtime constant and ` +
            `an output stored in the registry at "${where}". Rename the constant, or delete the ` +
            "stored entry with pipeline.openRegistry().delete(name)."
        : `The name${names.length > 1 ? "s" : ""} ${list} ${are} both a runtime constant and ` +
            `the output of ${where.map((w) => `"${w}"`).join(", ")}; each name refers to one ` +
            "object. Rename the constant or the output.",
    );
    this.name = "RegistryConflictError";
    this.names = names;
  }
}

/** A node output could not be written to the registry. */
export class RegistryValueError extends PipeweaveError {
  /** The node whose output could not be stored. */
  readonly node: string;
  /** The output name. */
  readonly output: string;

  /**
   * @param node - The producing node.
   * @param output - The output name.
   * @param reason - Why it cannot be stored.
   */
  constructor(node: string, output: string, reason: string) {
    super(
      "E_REGISTRY_VALUE",
      `Node "${node}" produced "${output}", which the registry cannot store: ${reason}. ` +
        "Registry values must be structured-cloneable (plain objects, arrays, Maps, Dates, " +
        "typed arrays…); pass such objects as constants instead.",
    );
    this.name = "RegistryValueError";
    this.node = node;
    this.output = output;
  }
}

/**
 * A stored registry entry cannot be read back (truncated, empty or garbage bytes). The file is
 * left as it is: a registry holds values a run may not be able to recompute.
 */
export class RegistryCorruptError extends PipeweaveError {
  /** The output name of the entry. */
  readonly output: string;
  /** The entry's file. */
  readonly file: string;

  /**
   * @param output - The output name of the entry.
   * @param file - The entry's file.
   * @param reason - What is wrong with it.
   * @param cause - The underlying read or parse error.
   */
  constructor(output: string, file: string, reason: string, cause?: unknown) {
    super(
      "E_REGISTRY_CORRUPT",
      `The registry entry "${output}" cannot be read from "${file}": ${reason}. It was left ` +
        "as it is. If it was written by a newer Node.js, read it with that version; otherwise " +
        `delete it with pipeline.openRegistry().delete("${output}") (or remove the file) and ` +
        "the next run recomputes it.",
      { cause },
    );
    this.name = "RegistryCorruptError";
    this.output = output;
    this.file = file;
  }
}

/** A mapspec string does not follow the grammar. */
export class MapSpecSyntaxError extends PipeweaveError {
  /** The mapspec as written. */
  readonly mapspec: string;
  /** Zero-based column of the fault in `mapspec`. */
  readonly column: number;
  /** The function declaring it, when known. */
  readonly node: string | undefined;

  /**
   * @param mapspec - The mapspec as written.
   * @param column - Zero-based column of the fault.
   * @param reason - What is wrong there and what was expected.
   * @param node - The declaring function, when known.
   */
  constructor(mapspec: string, column: number, reason: string, node?: string) {
    const where = node ? ` of "${node}"` : "";
    const { line, caret } = excerptAt(mapspec, column);
    super(
      "E_MAPSPEC_SYNTAX",
      `Invalid mapspec${where} at column ${column + 1}: ${reason}.\n  ${line}\n  ${" ".repeat(caret)}^\n` +
        'Write it as "a[i], b[j] -> c[i, j]" (see docs/mapspec.md).',
    );
    this.name = "MapSpecSyntaxError";
    this.mapspec = mapspec;
    this.column = column;
    this.node = node;
  }
}

/**
 * At most 80 characters of `text` around `column`, "…" where cut, and the caret's offset in
 * them: a mapspec of any length gets a one-line excerpt that still points at the fault.
 */
function excerptAt(text: string, column: number): { line: string; caret: number } {
  const before = 60;
  const after = 20;
  if (text.length <= before + after) return { line: text, caret: column };
  const from = Math.max(0, column - before);
  const to = Math.min(text.length, column + after);
  const head = from > 0 ? "…" : "";
  const tail = to < text.length ? "…" : "";
  return { line: head + text.slice(from, to) + tail, caret: column - from + head.length };
}

/** Mapspecs parse but do not fit together, or do not fit the function declaring them. */
export class MapSpecError extends PipeweaveError {
  /** The function whose mapspec is at fault, when known. */
  readonly node: string | undefined;

  /**
   * @param message - What is wrong, naming the function, the names and the fix.
   * @param node - The function at fault, when known.
   */
  constructor(message: string, node?: string) {
    super("E_MAPSPEC", message);
    this.name = "MapSpecError";
    this.node = node;
  }
}

/** Inputs zipped along one axis have different lengths. */
export class ShapeMismatchError extends PipeweaveError {
  /** The shared axis. */
  readonly axis: string;
  /** Each input on the axis with its length there. */
  readonly lengths: Readonly<Record<string, number>>;
  /** The function whose mapspec zips them, when known. */
  readonly node: string | undefined;

  /**
   * @param axis - The shared axis.
   * @param lengths - Length along `axis` of each input using it.
   * @param node - The function zipping them, when known.
   */
  constructor(axis: string, lengths: Readonly<Record<string, number>>, node?: string) {
    const list = Object.entries(lengths)
      .map(([name, n]) => `"${name}" has length ${n}`)
      .join(", ");
    super(
      "E_SHAPE_MISMATCH",
      `Axis "${axis}"${node ? ` of "${node}"` : ""} zips inputs of different lengths: ${list}. ` +
        "Give them the same length, or use different axes for an outer product.",
    );
    this.name = "ShapeMismatchError";
    this.axis = axis;
    this.lengths = lengths;
    this.node = node;
  }
}

/**
 * An `NdArray` method got an argument it cannot use: a dim the array does not have, an index outside its axis
 * or not an integer, a wrong number of indexes; or, building one, a shape, dims and data that
 * do not fit together.
 */
export class NdArrayError extends PipeweaveError {
  /** The method that refused its argument (`get`, `slice`, `constructor`, `fromNested` …). */
  readonly method: string;
  /** The array's shape; undefined while one is being built. */
  readonly shape: readonly number[] | undefined;
  /** The array's dims; undefined while one is being built. */
  readonly dims: readonly string[] | undefined;

  /**
   * @param method - The method called.
   * @param message - What was given, what was expected, and what to pass instead.
   * @param array - The array whose method it was, when one exists.
   */
  constructor(
    method: string,
    message: string,
    array?: { readonly shape: readonly number[]; readonly dims: readonly string[] },
  ) {
    super("E_NDARRAY", message);
    this.name = "NdArrayError";
    this.method = method;
    this.shape = array?.shape;
    this.dims = array?.dims;
  }
}

/**
 * A `Dataset` or `DataArray` method got an argument it cannot use: a coordinate, dim or
 * variable it does not have, a value no coordinate holds (or holds twice), `method:
 * "nearest"` on labels that are not numbers, an index outside its axis; or, building one,
 * variables and coordinates whose lengths disagree along a dim.
 */
export class DatasetError extends PipeweaveError {
  /** The method that refused its argument (`sel`, `isel`, `get`, `constructor` …). */
  readonly method: string;
  /** The coordinate, dim or variable the problem is about, when there is one. */
  readonly subject: string | undefined;

  /**
   * @param method - The method called.
   * @param message - What was given, what was expected, and what to pass instead.
   * @param subject - The coordinate, dim or variable concerned.
   */
  constructor(method: string, message: string, subject?: string) {
    super("E_DATASET", message);
    this.name = "DatasetError";
    this.method = method;
    this.subject = subject;
  }
}

/** `resume` met a run folder written for other inputs or another pipeline. */
export class RunFolderMismatchError extends PipeweaveError {
  /** The run folder. */
  readonly runFolder: string;
  /** Each difference, in words. */
  readonly differences: readonly string[];

  /**
   * @param runFolder - The folder being resumed.
   * @param differences - What differs between the folder and this run.
   */
  constructor(runFolder: string, differences: readonly string[]) {
    super(
      "E_RUN_FOLDER_MISMATCH",
      (o) =>
        `Cannot resume "${runFolder}": it was written for a different run.\n` +
        differences.map((d) => `  - ${d}`).join("\n") +
        `\nUse another ${o("runFolder")}, or pass ${o("overwrite", true)} instead of ` +
        `${o("resume")} to start over.`,
    );
    this.name = "RunFolderMismatchError";
    this.runFolder = runFolder;
    this.differences = differences;
  }
}

/** `map` was pointed at a run folder that already holds a run, without `resume` or `overwrite`. */
export class RunFolderExistsError extends PipeweaveError {
  /** The run folder. */
  readonly runFolder: string;

  /** @param runFolder - The folder that already holds a run. */
  constructor(runFolder: string) {
    super(
      "E_RUN_FOLDER_EXISTS",
      (o) =>
        `The run folder "${runFolder}" already holds a run. Pass ${o("resume", true)} to finish ` +
        `it, ${o("overwrite", true)} to replace its results, or choose another ${o("runFolder")}.`,
    );
    this.name = "RunFolderExistsError";
    this.runFolder = runFolder;
  }
}

/**
 * A path given as a run folder holds no run: it does not exist, is a file, or is a folder
 * without `run.json` (`loadOutputs`, `loadAll`, `runStatus`, `serveDashboard`).
 */
export class RunFolderNotFoundError extends PipeweaveError {
  /** The path given. */
  readonly runFolder: string;
  /** What is there instead: nothing, a file, or a folder without `run.json`. */
  readonly found: "nothing" | "file" | "folder without run.json";

  /**
   * @param runFolder - The path given.
   * @param found - What is there instead.
   */
  constructor(runFolder: string, found: RunFolderNotFoundError["found"]) {
    const what =
      found === "nothing"
        ? "it does not exist"
        : found === "file"
          ? "it is a file"
          : "it has no run.json";
    super(
      "E_RUN_FOLDER_NOT_FOUND",
      `"${runFolder}" is not a run folder: ${what}. Pass the folder map wrote (its runFolder ` +
        "option, or pipeweave map --run-folder), which holds run.json and status.json.",
    );
    this.name = "RunFolderNotFoundError";
    this.runFolder = runFolder;
    this.found = found;
  }
}

/**
 * `loadOutputs` was asked for an output its run folder records but holds no store of: kept in
 * memory only (`storage: "memory"`), or not reached before the run stopped. `loadAll` gives
 * MISSING for such an output instead.
 */
export class OutputNotStoredError extends PipeweaveError {
  /** The run folder. */
  readonly runFolder: string;
  /** The output. */
  readonly output: string;
  /** The output's storage, as run.json records it. */
  readonly storage: string;

  /**
   * @param runFolder - The run folder.
   * @param output - The output asked for.
   * @param storage - Its storage kind.
   */
  constructor(runFolder: string, output: string, storage: string) {
    super(
      "E_OUTPUT_NOT_STORED",
      storage === "memory"
        ? `Output "${output}" of the run folder "${runFolder}" was kept in memory only ` +
            '(storage "memory"), so it cannot be loaded. Run map with storage "file" or "zarr" ' +
            "to load it later."
        : `Output "${output}" of the run folder "${runFolder}" has no stored elements: the run ` +
            "stopped before computing it. Resume the run (map with { resume: true }, or " +
            "pipeweave map --resume) to compute it.",
    );
    this.name = "OutputNotStoredError";
    this.runFolder = runFolder;
    this.output = output;
    this.storage = storage;
  }
}

/** A storage backend cannot hold an output's value. */
export class StorageValueError extends PipeweaveError {
  /** The output. */
  readonly output: string;
  /** The storage kind. */
  readonly storage: string;

  /**
   * @param output - The output name.
   * @param storage - The storage kind ("zarr", "file").
   * @param reason - Why, and what to use instead.
   */
  constructor(output: string, storage: string, reason: string) {
    super(
      "E_STORAGE_VALUE",
      `Output "${output}" cannot be stored in ${storage} storage: ${reason}`,
    );
    this.name = "StorageValueError";
    this.output = output;
    this.storage = storage;
  }
}

/** A pipeline used with threads or Redis was not declared with `definePipeline`. */
export class UndeclaredPipelineError extends PipeweaveError {
  /** The pipeline's name. */
  readonly pipeline: string;

  /**
   * @param pipeline - The pipeline's name.
   * @param executor - The executor that needs it ("threads", "redis").
   */
  constructor(pipeline: string, executor: string) {
    super(
      "E_UNDECLARED_PIPELINE",
      `Pipeline "${pipeline}" cannot run on the ${executor} executor: workers load the ` +
        "pipeline by importing its module, so declare it there with " +
        `\`export const p = definePipeline(import.meta.url, "${pipeline}", () => new Pipeline([...]))\`.`,
    );
    this.name = "UndeclaredPipelineError";
    this.pipeline = pipeline;
  }
}

/** A stream stage with `threads: true` has a handler not declared with `defineHandler`. */
export class UndeclaredHandlerError extends PipeweaveError {
  /** The stage's name, or the function's when the stage has none. */
  readonly stage: string;

  /**
   * @param stage - The stage's name, or the function's when the stage has none.
   * @param on - Where it runs: `"threads"` or `"Redis workers"`.
   */
  constructor(stage: string, on = "threads") {
    super(
      "E_UNDECLARED_HANDLER",
      `Stage "${stage}" runs on ${on}, but its handler was not declared: each ${
        on === "threads" ? "thread" : "worker"
      } loads ` +
        "the handler by importing its module, so declare it there with " +
        `\`export const ${safeIdentifier(stage)} = defineHandler(import.meta.url, "${stage}", (item, state) => ...)\`.`,
    );
    this.name = "UndeclaredHandlerError";
    this.stage = stage;
  }
}

const safeIdentifier = (name: string): string =>
  /^[A-Za-z_$][\w$]*$/.test(name) ? name : "handler";

/** A run stopped because its `signal` was aborted; `cause` is `signal.reason`. */
export class AbortError extends PipeweaveError {
  /**
   * @param what - What was stopped ("map of pipeline \"p\"").
   * @param reason - The signal's reason.
   */
  constructor(what: string, reason: unknown, hint = "what finished is kept and can be resumed.") {
    super("E_ABORTED", `${what} was aborted; ${hint}`, { cause: reason });
    this.name = "AbortError";
  }
}

/** An attempt of a stream stage's handler ran longer than the stage's `timeoutMs`. */
export class StageTimeoutError extends PipeweaveError {
  /** The stage's name. */
  readonly stage: string;
  /** The limit, in milliseconds. */
  readonly timeoutMs: number;
  /** The attempt that timed out, from 1. */
  readonly attempt: number;

  /**
   * @param stage - The stage's name.
   * @param timeoutMs - Its `timeoutMs`.
   * @param attempt - The attempt's number.
   */
  constructor(stage: string, timeoutMs: number, attempt: number) {
    super(
      "E_STAGE_TIMEOUT",
      `Stage "${stage}" did not finish an item within ${timeoutMs} ms (attempt ${attempt}). ` +
        "Raise its timeoutMs, or make the handler honour context.signal.",
    );
    this.name = "StageTimeoutError";
    this.stage = stage;
    this.timeoutMs = timeoutMs;
    this.attempt = attempt;
  }
}

/**
 * A stream stage's circuit breaker is open: its dependency failed `failures` times within
 * `windowMs`, so the stage failed the item at once (inside the item's `Err`) instead of
 * calling the handler.
 */
export class CircuitOpenError extends PipeweaveError {
  /** The stage's name. */
  readonly stage: string;
  /** Its `breaker.failures`. */
  readonly failures: number;
  /** Its `breaker.windowMs`. */
  readonly windowMs: number;
  /** Milliseconds until the circuit lets a probe through (0: a probe is running now). */
  readonly retryInMs: number;

  /**
   * @param stage - The stage's name.
   * @param failures - Its `breaker.failures`.
   * @param windowMs - Its `breaker.windowMs`.
   * @param retryInMs - Milliseconds until the next probe.
   */
  constructor(stage: string, failures: number, windowMs: number, retryInMs: number) {
    super(
      "E_CIRCUIT_OPEN",
      `Stage "${stage}" failed this item without calling its handler: its circuit is open ` +
        `after ${failures} failed attempts within ${windowMs} ms, and lets one probe through ` +
        `${retryInMs > 0 ? `in ${Math.ceil(retryInMs)} ms` : "once the current probe ends"}. ` +
        "Fix what the handler calls, or raise the stage's breaker.failures.",
    );
    this.name = "CircuitOpenError";
    this.stage = stage;
    this.failures = failures;
    this.windowMs = windowMs;
    this.retryInMs = retryInMs;
  }
}

/**
 * A `batched: true` stage's handler did not return one result per item of its batch: every
 * item of that batch fails with this error (inside its `Err`).
 */
export class BatchResultError extends PipeweaveError {
  /** The stage's name. */
  readonly stage: string;
  /** Items in the batch. */
  readonly expected: number;
  /** Results the handler returned, or -1 when it returned no array. */
  readonly got: number;

  /**
   * @param stage - The stage's name.
   * @param expected - Items in the batch.
   * @param got - Results returned (-1: not an array).
   */
  constructor(stage: string, expected: number, got: number) {
    super(
      "E_BATCH_RESULT",
      `Stage "${stage}" (batched: true) got a batch of ${expected} items but its handler ` +
        `returned ${got < 0 ? "no array" : `${got} results`}. Return an array with one ` +
        "result per item, in the batch's order (an Err or SKIP for an item that has none).",
    );
    this.name = "BatchResultError";
    this.stage = stage;
    this.expected = expected;
    this.got = got;
  }
}

/** A thrown non-Error as text: plain objects as (short) JSON rather than "[object Object]". */
function describeThrown(value: unknown): string {
  if (typeof value !== "object" || value === null) return String(value);
  try {
    const json = JSON.stringify(value);
    if (json !== undefined)
      return `${preview(value)} thrown: ${json.length > 200 ? `${json.slice(0, 197)}…` : json}`;
  } catch {
    // Cyclic or holding a bigint: fall back to its kind.
  }
  return `${preview(value)} thrown`;
}

function describeArgs(inputs: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(inputs);
  if (keys.length === 0) return "no arguments";
  return `{ ${keys.map((k) => `${k}: ${preview(inputs[k])}`).join(", ")} }`;
}

function preview(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}…` : value);
  if (typeof value === "function") return `[function ${value.name || "anonymous"}]`;
  if (Array.isArray(value)) return `[array(${value.length})]`;
  if (value !== null && typeof value === "object") {
    return `[${value.constructor?.name ?? "object"}]`;
  }
  return String(value);
}

/** An argument (or bound value) of a cached node has no stable form to hash into a key. */
export class CacheKeyError extends PipeweaveError {
  /** The node's name. */
  readonly node: string;
  /** The argument's name. */
  readonly argument: string;
  /** Where in the argument the value sits (`opts.model`, `xs[3]`). */
  readonly path: string;

  /**
   * @param node - The node's name.
   * @param argument - The argument's name.
   * @param path - Where in the argument the value sits.
   * @param what - What the value is ("a function (fit)").
   */
  constructor(node: string, argument: string, path: string, what: string) {
    super(
      "E_CACHE_KEY",
      `Node "${node}" cannot be cached: argument "${argument}"` +
        `${path !== argument ? ` (at ${path})` : ""} is ${what}, which has no stable form for a ` +
        "cache key. Give pipefunc() a cacheKey function that returns what identifies the call " +
        "(for example ({ model, x }) => ({ model: model.id, x })), or drop cache: true.",
    );
    this.name = "CacheKeyError";
    this.node = node;
    this.argument = argument;
    this.path = path;
  }
}

/** The result of a cached node cannot be kept by its cache store. */
export class CacheValueError extends PipeweaveError {
  /** The node's name. */
  readonly node: string;
  /** The store ("lru", "disk" …). */
  readonly store: string;

  /**
   * @param node - The node's name.
   * @param store - The store's type.
   * @param reason - Why ("`.model` is an instance of Model, which it cannot copy").
   * @param cause - The store's error.
   */
  constructor(node: string, store: string, reason: string, cause?: unknown) {
    super(
      "E_CACHE_VALUE",
      `The result of "${node}" could not be stored in the ${store} cache: ${reason}. Return ` +
        "plain data (objects, arrays, typed arrays, Maps, Sets, Dates), or drop cache: true.",
      { cause },
    );
    this.name = "CacheValueError";
    this.node = node;
    this.store = store;
  }
}

/** Another process (or another `map` in this one) is writing the run folder. */
export class RunFolderLockedError extends PipeweaveError {
  /** The run folder. */
  readonly runFolder: string;
  /** The holder's process id, when the lock names it. */
  readonly pid: number | undefined;
  /** The holder's host name, when the lock names it. */
  readonly host: string | undefined;

  /**
   * @param runFolder - The locked folder.
   * @param holder - Who holds the lock, as far as the lock file says.
   */
  constructor(runFolder: string, holder: { readonly pid?: number; readonly host?: string }) {
    const who =
      holder.pid !== undefined
        ? `process ${holder.pid}${holder.host !== undefined ? ` on host "${holder.host}"` : ""}`
        : "another process";
    super(
      "E_RUN_FOLDER_LOCKED",
      (o) =>
        `The run folder "${runFolder}" is being written by ${who}; one run folder has one writer. ` +
        `Wait for that run to finish (then pass ${o("resume", true)} to continue it), or choose ` +
        `another ${o("runFolder")}. A lock left by a killed process is taken over by the next ` +
        "run: at once on the same host, after 30 s from another.",
    );
    this.name = "RunFolderLockedError";
    this.runFolder = runFolder;
    this.pid = holder.pid;
    this.host = holder.host;
  }
}

/** A file in a run folder cannot be read as what it should hold (truncated, garbage, wrong size). */
export class RunFolderCorruptError extends PipeweaveError {
  /** The run folder. */
  readonly runFolder: string;
  /** The corrupt file. */
  readonly file: string;

  /**
   * @param runFolder - The run folder.
   * @param file - The corrupt file.
   * @param reason - What is wrong with it.
   * @param cause - The underlying parse or read error.
   */
  constructor(runFolder: string, file: string, reason: string, cause?: unknown) {
    super(
      "E_RUN_FOLDER_CORRUPT",
      (o) =>
        `The run folder "${runFolder}" has a corrupt file "${file}": ${reason}. Pass ` +
        `${o("overwrite", true)} to start the run over, or delete the file to recompute what it held.`,
      { cause },
    );
    this.name = "RunFolderCorruptError";
    this.runFolder = runFolder;
    this.file = file;
  }
}

/**
 * `loadOutputs(pipeline, output, { runFolder })` found the output stored with other axes than
 * the pipeline gives it: the folder was written by another version of the pipeline, so the
 * type the pipeline promises would be wrong.
 */
export class OutputAxesError extends PipeweaveError {
  /** The run folder. */
  readonly runFolder: string;
  /** The output. */
  readonly output: string;
  /** Its axes as the run folder stores it. */
  readonly stored: readonly string[];
  /** Its axes as the pipeline gives it. */
  readonly expected: readonly string[];

  /**
   * @param runFolder - The run folder.
   * @param output - The output.
   * @param stored - Its axes in the run folder.
   * @param expected - Its axes in the pipeline.
   */
  constructor(
    runFolder: string,
    output: string,
    stored: readonly string[],
    expected: readonly string[],
  ) {
    const axes = (list: readonly string[]) =>
      list.length === 0 ? "no axes" : `axes [${list.join(", ")}]`;
    super(
      "E_OUTPUT_AXES",
      `Output "${output}" in the run folder "${runFolder}" has ${axes(stored)}, but the pipeline ` +
        `gives it ${axes(expected)}: the folder was written by another version of the pipeline. ` +
        `Load it without the pipeline (loadOutputs("${output}", { runFolder })), or run map ` +
        "with this pipeline into another run folder.",
    );
    this.name = "OutputAxesError";
    this.runFolder = runFolder;
    this.output = output;
    this.stored = stored;
    this.expected = expected;
  }
}

/**
 * `map` was pointed at a folder that holds files but no run: pipeweave writes only into an
 * empty folder or one of its own run folders, so `overwrite` never deletes a user's files.
 */
export class RunFolderNotEmptyError extends PipeweaveError {
  /** The folder. */
  readonly runFolder: string;
  /** A few of its entries (at most 5), sorted. */
  readonly entries: readonly string[];

  /**
   * @param runFolder - The folder.
   * @param entries - Every entry found in it (names only).
   */
  constructor(runFolder: string, entries: readonly string[]) {
    const sorted = [...entries].sort();
    const shown = sorted.slice(0, 5);
    const list =
      shown.map((e) => JSON.stringify(e)).join(", ") +
      (sorted.length > shown.length ? ` and ${sorted.length - shown.length} more` : "");
    super(
      "E_RUN_FOLDER_NOT_EMPTY",
      (o) =>
        `The run folder "${runFolder}" is not empty and holds no run (no run.json): it has ${list}. ` +
        `map writes only into an empty folder or a run folder it made, so that ${o("overwrite")} ` +
        `never deletes files of yours. Pass a new or empty folder as ${o("runFolder")} ` +
        '(e.g. "runs/my-sweep").',
    );
    this.name = "RunFolderNotEmptyError";
    this.runFolder = runFolder;
    this.entries = shown;
  }
}

/**
 * A file of a run folder could not be written: the disk is full, the file system is
 * read-only, or permission is denied. What was written before stays, so a run stopped by a
 * full disk resumes once space is freed.
 */
export class RunFolderWriteError extends PipeweaveError {
  /** The run folder. */
  readonly runFolder: string;
  /** The file or folder that could not be written. */
  readonly file: string;
  /** The system's error code (`ENOSPC`, `EDQUOT`, `EROFS`, `EACCES`…). */
  readonly reason: string;

  /**
   * @param runFolder - The run folder.
   * @param file - The file or folder being written.
   * @param reason - The system's error code.
   * @param cause - The file system's error.
   */
  constructor(runFolder: string, file: string, reason: string, cause?: unknown) {
    const what = (o: OptionNamer) =>
      reason === "ENOSPC"
        ? "its disk is full (ENOSPC). Free space on that disk, then run again with " +
          `${o("resume", true)}: the elements already written are kept`
        : reason === "EDQUOT"
          ? "the disk quota is used up (EDQUOT). Free space or raise the quota, then run " +
            `again with ${o("resume", true)}: the elements already written are kept`
          : reason === "EROFS"
            ? `its file system is read-only (EROFS). Pass a ${o("runFolder")} on a writable disk`
            : reason === "EACCES" || reason === "EPERM"
              ? `permission is denied (${reason}). Make the folder writable by this user, or ` +
                `pass another ${o("runFolder")}`
              : `the file system refused it (${reason}). Check the disk, then run again with ` +
                o("resume", true);
    super(
      "E_RUN_FOLDER_WRITE",
      (o) => `Could not write "${file}" in the run folder "${runFolder}": ${what(o)}.`,
      { cause },
    );
    this.name = "RunFolderWriteError";
    this.runFolder = runFolder;
    this.file = file;
    this.reason = reason;
  }
}

/**
 * A sweep's output has more elements than a run can hold; raised before anything is allocated.
 * Every storage keeps an output's elements in memory while the run goes (file and zarr also
 * write them to disk), so the limit comes from the heap, whatever the storage.
 */
export class ShapeTooLargeError extends PipeweaveError {
  /** The output whose shape is too large. */
  readonly output: string;
  /** Its axes and their lengths. */
  readonly axes: Readonly<Record<string, number>>;
  /** The number of elements (the product of the lengths). */
  readonly size: number;
  /** The most elements one output may have. */
  readonly limit: number;

  /**
   * @param output - The output.
   * @param axes - Each axis and its length.
   * @param limit - The most elements one output may have.
   */
  constructor(output: string, axes: Readonly<Record<string, number>>, limit: number) {
    const size = Object.values(axes).reduce((a, b) => a * b, 1);
    const described = Object.entries(axes)
      .map(([axis, n]) => `${axis}=${n}`)
      .join(" × ");
    super(
      "E_SHAPE_TOO_LARGE",
      `Output "${output}" would have ${size.toExponential(2)} elements (${described}), more ` +
        `than one output may hold (${limit.toExponential(2)}, from the heap limit: every ` +
        "storage keeps results in memory while a run goes). Shrink the sweep, split it into " +
        "several maps over slices of an axis, or raise the heap limit (node --max-old-space-size).",
    );
    this.name = "ShapeTooLargeError";
    this.output = output;
    this.axes = axes;
    this.size = size;
    this.limit = limit;
  }
}

/**
 * A cached function, one whose results a run folder keeps, or one that runs in other
 * processes, reads data from its enclosing scope that pipeweave cannot see, so its identity
 * would not change when that data does.
 */
export class UndeclaredCaptureError extends PipeweaveError {
  /** The node's name. */
  readonly node: string;
  /** The captured names it reads. */
  readonly names: readonly string[];

  /**
   * @param node - The node's name.
   * @param names - The captured names.
   * @param why - What needs the identity ("it is cached", "its results go to a run folder").
   * @param risk - What an undeclared value causes: `"stale"` results of an old value, or
   *   results `"mixed"` from processes that read different values.
   */
  constructor(
    node: string,
    names: readonly string[],
    why: string,
    risk: "stale" | "mixed" = "stale",
  ) {
    const shown = names.slice(0, 8);
    const list = shown.map((n) => `"${n}"`).join(", ") + (names.length > 8 ? ", …" : "");
    const value = names.length === 1 ? "that value" : "those values";
    super(
      "E_UNDECLARED_CAPTURE",
      `Node "${node}" reads ${list} from outside the function, and ${why}, so ` +
        (risk === "stale"
          ? `a change to ${value} would return stale results. `
          : `${value} could differ in the processes that run it and mix their results into one run. `) +
        `Declare ${names.length === 1 ? "it" : "them"} in the function's options (pipefunc or Node) ` +
        `or the pipeline's: captures: { ${shown.join(", ")} } hashes the values into its identity, or ` +
        'version: "2" names a version you change when they change. (Names only called, such as ' +
        "helpers, or only written, such as counters, need no declaring.)",
    );
    this.name = "UndeclaredCaptureError";
    this.node = node;
    this.names = names;
  }
}

/** A value cannot cross a thread boundary (structured clone refused it). */
export class UnclonableValueError extends PipeweaveError {
  /** The node that produced or received the value. */
  readonly node: string;
  /** The output (or argument) the value was. */
  readonly output: string;
  /** What the value is ("a function", "a Socket"). */
  readonly type: string;

  /**
   * @param node - The node.
   * @param output - The output or argument name.
   * @param type - What the value is.
   * @param direction - "returned" or "received".
   * @param boundary - What the value failed to cross: worker threads, or Redis to a worker process.
   */
  constructor(
    node: string,
    output: string,
    type: string,
    direction: "returned" | "received",
    boundary: "threads" | "redis" = "threads",
  ) {
    const fix =
      direction === "returned"
        ? "Return plain data (objects, arrays, typed arrays, Maps, Dates)"
        : "Pass plain data (objects, arrays, typed arrays, Maps, Dates), or build the value inside the function";
    const crossing =
      boundary === "threads"
        ? "cannot cross a thread boundary (structured clone refuses it)"
        : "cannot travel through Redis to or from a worker process (V8's serializer refuses it)";
    super(
      "E_UNCLONABLE_VALUE",
      `"${node}" ${direction} ${type} as "${output}", which ${crossing}. ${fix}, or run it ` +
        `${boundary === "threads" ? "without threads" : "inline"}.`,
    );
    this.name = "UnclonableValueError";
    this.node = node;
    this.output = output;
    this.type = type;
  }
}

/** Redis could not be reached, or the connection was lost and did not come back in time. */
export class RedisConnectionError extends PipeweaveError {
  /** The Redis address (without credentials). */
  readonly url: string;

  /**
   * @param url - The address, credentials removed.
   * @param reason - What happened ("connect ECONNREFUSED", "no reply within 5000 ms").
   * @param cause - The client's error.
   */
  constructor(url: string, reason: string, cause?: unknown) {
    super(
      "E_REDIS_CONNECTION",
      `Redis at ${url} is unreachable: ${reason}. Check that the server runs and the URL ` +
        "(REDIS_URL or the connection option) is right; the functions themselves did not fail.",
      { cause },
    );
    this.name = "RedisConnectionError";
    this.url = url;
  }
}

/**
 * A feature needs an optional peer dependency (ioredis for the redis cache) that is not
 * installed, or cannot be loaded from where pipeweave is.
 */
export class MissingDependencyError extends PipeweaveError {
  /** The package that is missing ("ioredis"). */
  readonly dependency: string;
  /** What needs it ("The redis cache"). */
  readonly feature: string;

  /**
   * @param dependency - The package.
   * @param feature - What needs it, as the start of a sentence ("The redis cache").
   * @param alternative - What to do instead of installing it, if anything.
   * @param cause - The import's error.
   */
  constructor(dependency: string, feature: string, alternative?: string, cause?: unknown) {
    super(
      "E_MISSING_DEPENDENCY",
      `${feature} needs the optional dependency "${dependency}", which is not installed. ` +
        `Install it with \`npm install ${dependency}\` in the project that uses pipeweave` +
        `${alternative ? `, or ${alternative}` : ""}.`,
      { cause },
    );
    this.name = "MissingDependencyError";
    this.dependency = dependency;
    this.feature = feature;
  }
}

/**
 * The CLI cannot take a pipeline from `<module>#<export>`: the module is missing or fails to
 * load, has no such export, or the export is not a Pipeline.
 */
export class PipelineModuleError extends PipeweaveError {
  /** The module, as the user wrote it. */
  readonly module: string;
  /** The export asked for. */
  readonly exportName: string;
  /** The module's exports, when it loaded. */
  readonly exports: readonly string[];

  /**
   * @param module - The module, as given.
   * @param exportName - The export asked for.
   * @param message - What is wrong and what to do, naming the module and export.
   * @param options - The module's exports (when it loaded) and the cause.
   */
  constructor(
    module: string,
    exportName: string,
    message: string,
    options: { readonly exports?: readonly string[]; readonly cause?: unknown } = {},
  ) {
    super("E_PIPELINE_MODULE", message, "cause" in options ? { cause: options.cause } : undefined);
    this.name = "PipelineModuleError";
    this.module = module;
    this.exportName = exportName;
    this.exports = options.exports ?? [];
  }
}

/**
 * An executor cannot run a map's chunks at all: Redis unreachable at start or lost mid-run, no
 * worker taking jobs, a worker of another pipeline version refusing them, a job the workers
 * failed. No element failed: the map stops whatever its `errors` option says, and a run folder
 * keeps what was stored, so `map(..., { resume: true })` finishes the run once this is fixed.
 */
export class ExecutorError extends PipeweaveError {
  /** The executor's name ("redis"). */
  readonly executor: string;
  /** The queue the executor sends jobs to, for executors that have one. */
  readonly queue: string | undefined;
  /** On version skew: the coordinator's and the worker's pipeline definition hashes. */
  readonly hashes: { readonly coordinator: string; readonly worker: string } | undefined;
  /** The worker that refused or failed the job ("host pid 123"), when one did. */
  readonly worker: string | undefined;
  /** The function whose chunk failed, when one chunk did (its workers died, say). */
  readonly node: string | undefined;
  /** That chunk's element indexes, as the map's outputs index them. */
  readonly elements: readonly (readonly number[])[] | undefined;
  /**
   * On SLURM: the array task that failed (`"<job id>_<array index>"`), the state and reason
   * SLURM gave (`"TIMEOUT"`, `"CANCELLED"`, `"FAILED (NonZeroExitCode)"`) and the tail of its
   * log file.
   */
  readonly job: string | undefined;
  readonly reason: string | undefined;
  readonly log: string | undefined;

  /**
   * @param executor - The executor's name.
   * @param message - What went wrong, naming the executor and queue, and what to do.
   * @param options - The queue, the hashes on version skew, the worker, the failed chunk's
   *   node and elements, the SLURM task with its reason and log, and the cause.
   */
  constructor(
    executor: string,
    message: ErrorMessage,
    options: {
      readonly queue?: string;
      readonly hashes?: { readonly coordinator: string; readonly worker: string };
      readonly worker?: string;
      readonly node?: string;
      readonly elements?: readonly (readonly number[])[];
      readonly job?: string;
      readonly reason?: string;
      readonly log?: string;
      readonly cause?: unknown;
    } = {},
  ) {
    super("E_EXECUTOR", message, "cause" in options ? { cause: options.cause } : undefined);
    this.name = "ExecutorError";
    this.executor = executor;
    this.queue = options.queue;
    this.hashes = options.hashes;
    this.worker = options.worker;
    this.node = options.node;
    this.elements = options.elements;
    this.job = options.job;
    this.reason = options.reason;
    this.log = options.log;
  }
}

/**
 * The dashboard could not start: its address is taken or cannot be bound. The run it was to
 * show has not started; choose another `port` (0 picks a free one) or `host`.
 */
export class DashboardError extends PipeweaveError {
  /** The address it tried to bind. */
  readonly host: string;
  readonly port: number;

  /**
   * @param host - The address.
   * @param port - The port.
   * @param cause - The server's error (`EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES`).
   */
  constructor(host: string, port: number, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    super(
      "E_DASHBOARD",
      `The dashboard could not listen on ${host}:${port}${typeof code === "string" ? ` (${code})` : ""}: ` +
        `${cause instanceof Error ? cause.message : String(cause)}. Pass another port (0 picks a free one) or host.`,
      { cause },
    );
    this.name = "DashboardError";
    this.host = host;
    this.port = port;
  }
}

/** `pipeweave mcp --http` could not listen on its address (port taken, no such address). */
export class McpListenError extends PipeweaveError {
  /** The address it tried to bind. */
  readonly host: string;
  readonly port: number;

  /**
   * @param host - The address.
   * @param port - The port.
   * @param cause - The server's error (`EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES`).
   */
  constructor(host: string, port: number, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    super(
      "E_MCP_LISTEN",
      `The MCP server could not listen on ${host}:${port}${typeof code === "string" ? ` (${code})` : ""}: ` +
        `${cause instanceof Error ? cause.message : String(cause)}. Pass another --port (0 picks a free one) or --host.`,
      { cause },
    );
    this.name = "McpListenError";
    this.host = host;
    this.port = port;
  }
}

/** The choices of one variant group, as errors list them. */
export interface VariantChoices {
  /** The group's name. */
  readonly group: string;
  /** Its variants, in declaration order. */
  readonly variants: readonly string[];
}

/**
 * A variant pipeline (several functions of one output, one per variant) was run or mapped
 * without choosing a variant of a group that has no default.
 */
export class VariantRequiredError extends PipeweaveError {
  /** The groups left unchosen, with their variants. */
  readonly groups: readonly VariantChoices[];

  /**
   * @param pipeline - The pipeline's name.
   * @param groups - The groups without a choice or default.
   */
  constructor(pipeline: string, groups: readonly VariantChoices[]) {
    const list = groups
      .map((g) => `"${g.group}" (${g.variants.map((v) => `"${v}"`).join(", ")})`)
      .join("; ");
    const first = groups[0];
    const example = first
      ? `{ ${JSON.stringify(first.group)}: ${JSON.stringify(first.variants[0])} }`
      : "{}";
    super(
      "E_VARIANT_REQUIRED",
      (o) =>
        `Pipeline "${pipeline}" has variants and no variant was chosen for ${list}. Pass ` +
        `${o("variant")}: ${example} to run or map, call pipeline.withVariant(${example}), or ` +
        `give the pipeline ${o("defaultVariant")}.`,
    );
    this.name = "VariantRequiredError";
    this.groups = groups;
  }
}

/** A variant selection names a group or variant the pipeline does not have. */
export class UnknownVariantError extends PipeweaveError {
  /** The group named (or the one a bare variant name was taken for). */
  readonly group: string;
  /** The variant named, when the group exists. */
  readonly variant: string | undefined;
  /** What could have been named instead: the groups, or the group's variants. */
  readonly choices: readonly string[];

  /**
   * @param pipeline - The pipeline's name.
   * @param group - The group named.
   * @param variant - The variant named; undefined when the group itself is unknown.
   * @param choices - The known groups (unknown group) or the group's variants.
   * @param suggestion - The closest known name, if any.
   */
  constructor(
    pipeline: string,
    group: string,
    variant: string | undefined,
    choices: readonly string[],
    suggestion?: string,
  ) {
    const known = choices.map((c) => `"${c}"`).join(", ") || "none";
    const hint = suggestion === undefined ? "" : ` Did you mean "${suggestion}"?`;
    super(
      "E_UNKNOWN_VARIANT",
      variant === undefined
        ? `Pipeline "${pipeline}" has no variant group "${group}" (its groups: ${known}).${hint} ` +
            "Fix the group's name in the variant selection."
        : `Variant group "${group}" of pipeline "${pipeline}" has no variant "${variant}" ` +
            `(its variants: ${known}).${hint} Fix the variant's name.`,
    );
    this.name = "UnknownVariantError";
    this.group = group;
    this.variant = variant;
    this.choices = choices;
  }
}

/**
 * `fixedIndices` cannot be honoured: it names an axis no mapped function has, gives an index
 * out of range, or a function reads a whole output along a fixed axis (a reduction), which
 * would see only the fixed elements.
 */
export class FixedIndicesError extends PipeweaveError {
  /** The fixed axis concerned. */
  readonly axis: string;
  /** The function that cannot run with it, when one is to blame. */
  readonly node: string | undefined;

  /**
   * @param axis - The axis.
   * @param message - What is wrong and what to do.
   * @param node - The function concerned, if any.
   */
  constructor(axis: string, message: string, node?: string) {
    super("E_FIXED_INDICES", message);
    this.name = "FixedIndicesError";
    this.axis = axis;
    this.node = node;
  }
}

/**
 * A run folder named to `pipeweave mcp` lies outside its root: an absolute path, a `..`
 * segment, or a symbolic link that leads out. The server only reads and writes under its root.
 */
export class OutsideRootError extends PipeweaveError {
  /** The run folder as it was named. */
  readonly runFolder: string;
  /** The root it must stay under (absolute). */
  readonly root: string;

  /**
   * @param runFolder - The name given.
   * @param root - The server's root.
   * @param why - What leads out (`it is absolute`, `it has a ".." segment` …).
   */
  constructor(runFolder: string, root: string, why: string) {
    super(
      "E_OUTSIDE_ROOT",
      `Run folder "${runFolder}" is refused: ${why}. Name a folder relative to the root ` +
        `"${root}", without ".." (the runs tool lists those there).`,
    );
    this.name = "OutsideRootError";
    this.runFolder = runFolder;
    this.root = root;
  }
}

/** A value asked of `pipeweave mcp` is larger, as JSON, than its cap allows. */
export class OutputTooLargeError extends PipeweaveError {
  /** The output asked for. */
  readonly output: string;
  /** Its size as JSON, in bytes. */
  readonly bytes: number;
  /** The cap, in bytes. */
  readonly limit: number;

  /**
   * @param output - The output.
   * @param bytes - Its size as JSON.
   * @param limit - The cap.
   * @param hint - What to ask for instead.
   */
  constructor(output: string, bytes: number, limit: number, hint: string) {
    super(
      "E_OUTPUT_TOO_LARGE",
      `Output "${output}" is ${bytes} bytes as JSON, over the cap of ${limit} bytes. ${hint}`,
    );
    this.name = "OutputTooLargeError";
    this.output = output;
    this.bytes = bytes;
    this.limit = limit;
  }
}
