/**
 * The mapspec grammar (pipefunc's): `"a[i], b[j] -> c[i, j]"` says how a function's inputs are
 * indexed along named axes and which axes its outputs have. A hand-written scanner parses it
 * once per function, tracking the exact column of every syntax fault.
 */

import { boundedList, clip } from "../_internal/bounded-text.ts";
import { MapSpecError, MapSpecSyntaxError } from "../errors.ts";

/** One named array of a mapspec with its axes, as in `c[i, :]`. */
export interface ArraySpec {
  /** The input or output name, possibly scoped (`s.x`). */
  readonly name: string;
  /**
   * One entry per axis: the axis name, or `null` for `:` (the whole axis is passed to the
   * function, a reduction). Empty for a 0-D array written without brackets.
   */
  readonly axes: readonly (string | null)[];
}

/** A parsed, validated mapspec. */
export interface MapSpec {
  /** The mapped inputs, in written order; empty for a generator. */
  readonly inputs: readonly ArraySpec[];
  /** The outputs, in written order; all share the same axes. */
  readonly outputs: readonly ArraySpec[];
  /**
   * True for `... -> x[i]`: the function takes no mapped input and its single call returns an
   * array that becomes the output's new axes.
   */
  readonly generates: boolean;
}

/**
 * Parses and validates a mapspec string.
 *
 * @param text - The mapspec as written, such as `"a[i], b[j] -> c[i, j]"`.
 * @param node - The function declaring it, named in errors.
 * @returns The frozen mapspec.
 * @throws {@link MapSpecSyntaxError} when `text` does not follow the grammar; `column` is the
 *   zero-based column of the fault.
 * @throws {@link MapSpecError} when it parses but does not make sense: `:` or a repeated axis in
 *   an output, outputs with different axes, an input axis missing from the outputs, an internal
 *   output axis (one no input has) before a mapped one, or a name listed twice.
 * @example
 * ```ts
 * const spec = parseMapSpec("x[i, :], y[j] -> z[i, j]", "fit");
 * spec.inputs[0]; // { name: "x", axes: ["i", null] }
 * formatMapSpec(spec); // "x[i, :], y[j] -> z[i, j]"
 * ```
 */
export function parseMapSpec(text: string, node?: string): MapSpec {
  const spec = new Scanner(text, node).parse();
  return checked(spec, text, node);
}

/**
 * Prints a mapspec in canonical form: `"a[i], b[j] -> c[i, j]"`, `"x[:, k] -> s[k]"`,
 * `"... -> x[i]"`, 0-D names without brackets.
 *
 * @param spec - The mapspec to print.
 * @returns Its canonical text, which {@link parseMapSpec} reads back to an equal mapspec.
 */
export function formatMapSpec(spec: MapSpec): string {
  const inputs = spec.inputs.length === 0 ? "..." : spec.inputs.map(formatArray).join(", ");
  return `${inputs} -> ${spec.outputs.map(formatArray).join(", ")}`;
}

/**
 * The axes of every array of a mapspec, by name.
 *
 * @param spec - The mapspec.
 * @returns `{ [name]: axes }` for each input and output; `null` stands for `:`.
 */
export function mapspecAxes(spec: MapSpec): Readonly<Record<string, readonly (string | null)[]>> {
  // fromEntries defines own properties, so a name like "__proto__" cannot touch the prototype.
  return Object.fromEntries([...spec.inputs, ...spec.outputs].map((a) => [a.name, a.axes]));
}

/**
 * The axes shared by every output of a mapspec.
 *
 * @param spec - A validated mapspec.
 * @returns The output axes in order; empty when the outputs are 0-D.
 */
export function outputAxes(spec: MapSpec): readonly string[] {
  const axes = spec.outputs[0]?.axes ?? [];
  return axes.filter((axis): axis is string => axis !== null);
}

/**
 * The internal axes of a mapspec: output axes that no input has, along which each call
 * returns an array (`x[i] -> y[i, j]` gives `["j"]`). Empty for a generator, whose axes all
 * come from its single call.
 *
 * @param spec - A validated mapspec.
 * @returns The internal axes, in output order (always after the mapped ones).
 */
export function internalAxes(spec: MapSpec): readonly string[] {
  if (spec.generates) return [];
  const mapped = new Set(spec.inputs.flatMap((a) => a.axes));
  return outputAxes(spec).filter((axis) => !mapped.has(axis));
}

/**
 * The inputs a function receives whole along at least one axis (written with `:`).
 *
 * @param spec - The mapspec.
 * @returns Names of the inputs with a `:` axis, in written order.
 */
export function reducedInputs(spec: MapSpec): readonly string[] {
  return spec.inputs.filter((a) => a.axes.includes(null)).map((a) => a.name);
}

/**
 * Adds a new axis to a mapped input and to every output, as pipefunc's `add_mapspec_axis` does:
 * `"x[i] -> y[i]"` with `z` and `k` becomes `"x[i], z[k] -> y[i, k]"`.
 *
 * @param spec - The function's mapspec.
 * @param input - The input gaining the axis; appended as `input[axis]` when not yet mapped.
 * @param axis - The new axis name; not appended where an array already has it.
 * @param node - The function whose mapspec this is, named in errors.
 * @param rank - Axes `input` already has when the mapspec does not list it (the function
 *   reads it whole): they are read with `:` before the new axis. @defaultValue 0
 * @returns A new validated mapspec.
 * @throws {@link MapSpecError} when `axis` or `input` is not a valid name, when `spec` is a
 *   generator (which has no mapped inputs), or when the result is not a valid mapspec.
 */
export function addAxisToInput(
  spec: MapSpec,
  input: string,
  axis: string,
  node?: string,
  rank = 0,
): MapSpec {
  checkNames(spec, input, axis, node);
  if (spec.generates) {
    throw new MapSpecError(
      `${describe(formatMapSpec(spec), node)}: cannot map input "${clip(input)}" along axis ` +
        `"${clip(axis)}", ` +
        "because a generator (`... -> x[i]`) takes no mapped inputs. Map over " +
        `"${clip(input)}" in a function downstream of ${node ? `"${node}"` : "the generator"} instead.`,
      node,
    );
  }
  const present = spec.inputs.some((a) => a.name === input);
  const inputs = present
    ? spec.inputs.map((a) => (a.name === input ? withAxis(a, axis) : a))
    : [...spec.inputs, { name: input, axes: [...new Array<null>(rank).fill(null), axis] }];
  const next = { inputs, outputs: spec.outputs.map((a) => withAxis(a, axis)), generates: false };
  return checked(next, formatMapSpec(next), node);
}

/**
 * Adds a new axis to an input the function reduces (reads with `:`) and to every output, as
 * pipefunc's `add_mapspec_axis` does: `"y[:] -> sum"` with `y` and `k` becomes
 * `"y[:, k] -> sum[k]"`.
 *
 * @param spec - The function's mapspec.
 * @param input - The reduced input gaining the axis.
 * @param axis - The new axis name; not appended where an array already has it.
 * @param node - The function whose mapspec this is, named in errors.
 * @returns A new validated mapspec.
 * @throws {@link MapSpecError} when `axis` is not a valid name, when `input` is not read with
 *   `:` in `spec`, or when the result is not a valid mapspec.
 */
export function addAxisToReduction(
  spec: MapSpec,
  input: string,
  axis: string,
  node?: string,
): MapSpec {
  checkNames(spec, input, axis, node);
  const reduced = spec.inputs.find((a) => a.name === input);
  if (!reduced?.axes.includes(null)) {
    throw new MapSpecError(
      `${describe(formatMapSpec(spec), node)}: input "${clip(input)}" is not read with ":", so it is ` +
        "not a reduction. Use addAxisToInput to add an axis to a mapped input.",
      node,
    );
  }
  const next = {
    inputs: spec.inputs.map((a) => (a === reduced ? withAxis(a, axis) : a)),
    outputs: spec.outputs.map((a) => withAxis(a, axis)),
    generates: false,
  };
  return checked(next, formatMapSpec(next), node);
}

function formatArray(array: ArraySpec): string {
  if (array.axes.length === 0) return array.name;
  return `${array.name}[${array.axes.map((a) => a ?? ":").join(", ")}]`;
}

/** {@link formatArray} for a message: a long name and a long list of axes are cut short. */
function shownArray(array: ArraySpec): string {
  if (array.axes.length === 0) return clip(array.name);
  return `${clip(array.name)}[${boundedList(array.axes, (a) => (a === null ? ":" : clip(a)))}]`;
}

function withAxis(array: ArraySpec, axis: string): ArraySpec {
  return array.axes.includes(axis) ? array : { name: array.name, axes: [...array.axes, axis] };
}

function describe(text: string, node: string | undefined): string {
  return `Mapspec "${clip(text, 160)}"${node ? ` of "${clip(node)}"` : ""}`;
}

function checkNames(spec: MapSpec, input: string, axis: string, node: string | undefined): void {
  const where = describe(formatMapSpec(spec), node);
  if (!isName(axis, false)) {
    throw new MapSpecError(
      `${where}: cannot add axis ${JSON.stringify(clip(axis))}, which is not an identifier. ` +
        'Use a name such as "k".',
      node,
    );
  }
  if (!isName(input, true)) {
    throw new MapSpecError(
      `${where}: cannot add an axis to ${JSON.stringify(clip(input))}, which is not an input name. ` +
        'Use an identifier, optionally scoped ("s.x").',
      node,
    );
  }
}

/** Whether `text` is an identifier, or with `scoped` identifiers joined by dots. */
function isName(text: string, scoped: boolean): boolean {
  let pos = 0;
  for (;;) {
    const end = identifierEnd(text, pos);
    if (end === pos) return false;
    if (end === text.length) return true;
    if (!scoped || text.charCodeAt(end) !== DOT) return false;
    pos = end + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Semantic checks

/** Problems listed in one error; the rest are counted. */
const MAX_PROBLEMS = 10;

/**
 * Every problem of a mapspec, counted; only the first {@link MAX_PROBLEMS} are described, so
 * a mapspec with thousands of faults costs one line each to count, not a message each.
 */
class Problems {
  readonly #shown: string[] = [];
  #count = 0;

  /** Counts a problem; `describe` runs only while fewer than MAX_PROBLEMS are shown. */
  add(describe: () => string): void {
    if (this.#count++ < MAX_PROBLEMS) this.#shown.push(describe());
  }

  /** Throws the MapSpecError listing them, if any. */
  throwIfAny(text: string, node: string | undefined): void {
    const count = this.#count;
    if (count === 0) return;
    if (count === 1) throw new MapSpecError(`${describe(text, node)}: ${this.#shown[0]}.`, node);
    const more = count > this.#shown.length ? `\n- … and ${count - this.#shown.length} more.` : "";
    throw new MapSpecError(
      `${describe(text, node)} has ${count} problems:\n- ${this.#shown.join(".\n- ")}.${more}`,
      node,
    );
  }
}

/** Validates a parsed or built mapspec, collecting every problem, and returns it frozen. */
function checked(spec: MapSpec, text: string, node: string | undefined): MapSpec {
  const problems = new Problems();
  const { inputs, outputs, generates } = spec;

  const inputNames = new Set<string>();
  for (const array of inputs) {
    if (inputNames.has(array.name)) {
      problems.add(
        () => `input "${clip(array.name)}" is listed twice; list it once with all its axes`,
      );
    }
    inputNames.add(array.name);
    repeatedAxes(array, problems);
  }
  const outputNames = new Set<string>();
  for (const array of outputs) {
    if (outputNames.has(array.name)) {
      problems.add(() => `output "${clip(array.name)}" is listed twice; list each output once`);
    }
    outputNames.add(array.name);
    if (inputNames.has(array.name)) {
      problems.add(
        () =>
          `"${clip(array.name)}" is both an input and an output; a function cannot read its own ` +
          "output, so rename the output",
      );
    }
    if (array.axes.includes(null)) {
      problems.add(
        () =>
          `output "${clip(array.name)}" has ":" as an axis, but outputs must name every axis; ` +
          "write an axis name in its place",
      );
    }
    repeatedAxes(array, problems);
  }

  const first = outputs[0];
  const outputAxisSet = new Set<string>();
  for (const array of outputs) {
    for (const axis of array.axes) if (axis !== null) outputAxisSet.add(axis);
    if (first && array !== first && !sameAxes(array.axes, first.axes)) {
      problems.add(
        () =>
          `outputs "${shownArray(first)}" and "${shownArray(array)}" have different axes; all ` +
          "outputs of one function share the same axes in the same order, so write " +
          `"${shownArray({ name: array.name, axes: first.axes })}"`,
      );
    }
  }

  const inputAxisSet = new Set<string>();
  for (const array of inputs) {
    for (const axis of array.axes) {
      if (axis === null) continue;
      inputAxisSet.add(axis);
      if (!outputAxisSet.has(axis)) {
        problems.add(() => {
          const reduced = shownArray({
            name: array.name,
            axes: array.axes.map((a) => (a === axis ? null : a)),
          });
          return (
            `input "${clip(array.name)}" has axis "${clip(axis)}", which no output has; write ` +
            `":" for it ("${reduced}") to pass the whole axis to the function (a reduction), ` +
            `or add "${clip(axis)}" to the outputs`
          );
        });
      }
    }
  }

  if (generates) {
    if (outputAxisSet.size === 0) {
      const name = first ? clip(first.name) : "x";
      problems.add(
        () =>
          `a generator ("... -> ${first ? shownArray(first) : ""}") must give its outputs at ` +
          `least one axis, along which its single call returns an array; write "... -> ${name}[i]"`,
      );
    }
  } else {
    // An output axis no input has is internal: each call returns an array along it. It comes
    // after the axes the inputs map, so element `i`'s array is the row `y[i, :]`.
    for (const array of outputs) {
      let internal: string | undefined;
      for (const axis of array.axes) {
        if (axis === null) continue;
        if (!inputAxisSet.has(axis)) internal ??= axis;
        else if (internal !== undefined) {
          const before = internal;
          problems.add(() => {
            const mapped = array.axes.filter((a) => a !== null && inputAxisSet.has(a));
            const created = array.axes.filter((a) => a !== null && !inputAxisSet.has(a));
            return (
              `output "${clip(array.name)}" has axis "${clip(before)}", which no input has (an ` +
              `internal axis, along which each call returns an array), before axis ` +
              `"${clip(axis)}", which an input maps; internal axes come after the mapped ones, ` +
              `so write "${shownArray({ name: array.name, axes: [...mapped, ...created] })}"`
            );
          });
          break;
        }
      }
    }
  }

  problems.throwIfAny(text, node);
  return Object.freeze({
    inputs: Object.freeze(inputs.map(frozenArray)),
    outputs: Object.freeze(outputs.map(frozenArray)),
    generates,
  });
}

function frozenArray(array: ArraySpec): ArraySpec {
  return Object.freeze({ name: array.name, axes: Object.freeze([...array.axes]) });
}

function repeatedAxes(array: ArraySpec, problems: Problems): void {
  const seen = new Set<string>();
  const reported = new Set<string>();
  for (const axis of array.axes) {
    if (axis === null) continue;
    if (seen.has(axis) && !reported.has(axis)) {
      problems.add(
        () =>
          `"${clip(array.name)}" uses axis "${clip(axis)}" twice; give each axis of an array ` +
          "its own name",
      );
      reported.add(axis);
    }
    seen.add(axis);
  }
}

function sameAxes(a: readonly (string | null)[], b: readonly (string | null)[]): boolean {
  return a.length === b.length && a.every((axis, i) => axis === b[i]);
}

// ---------------------------------------------------------------------------------------------
// Scanner

const DOT = 0x2e;
const ID_START = /[\p{ID_Start}$_]/u;
const ID_CONTINUE = /[\p{ID_Continue}$\u200c\u200d]/u;

/** End of the identifier starting at `pos`, or `pos` when none starts there. */
function identifierEnd(text: string, pos: number): number {
  let end = pos;
  while (end < text.length) {
    const code = text.codePointAt(end)!;
    const isAscii = code < 0x80;
    const ok =
      end === pos
        ? isAscii
          ? (code >= 0x61 && code <= 0x7a) ||
            (code >= 0x41 && code <= 0x5a) ||
            code === 0x5f ||
            code === 0x24
          : ID_START.test(String.fromCodePoint(code))
        : isAscii
          ? (code >= 0x61 && code <= 0x7a) ||
            (code >= 0x41 && code <= 0x5a) ||
            (code >= 0x30 && code <= 0x39) ||
            code === 0x5f ||
            code === 0x24
          : ID_CONTINUE.test(String.fromCodePoint(code));
    if (!ok) break;
    end += code > 0xffff ? 2 : 1;
  }
  return end;
}

function isSpace(code: number): boolean {
  return (
    code === 0x20 ||
    (code >= 0x09 && code <= 0x0d) ||
    (code > 0x7f && /\s/.test(String.fromCharCode(code)))
  );
}

/** Reads one mapspec left to right; every error carries the column where reading stopped. */
class Scanner {
  readonly #text: string;
  readonly #node: string | undefined;
  #pos = 0;

  constructor(text: string, node: string | undefined) {
    this.#text = text;
    this.#node = node;
  }

  parse(): MapSpec {
    this.#skipSpace();
    if (this.#atEnd()) {
      this.#fail('the mapspec is empty; expected inputs, then "->", then outputs');
    }
    let inputs: ArraySpec[] = [];
    let generates = false;
    if (this.#text.startsWith("...", this.#pos)) {
      this.#pos += 3;
      this.#skipSpace();
      if (this.#peek() === ",") {
        this.#fail(
          '"..." stands for "no inputs" and cannot be mixed with inputs; remove "..." or the inputs',
        );
      }
      generates = true;
    } else if (this.#text.startsWith("->", this.#pos)) {
      this.#fail(
        'no inputs before "->"; list the inputs, or write "..." for a function whose single call ' +
          "returns a new axis",
      );
    } else {
      inputs = this.#arrays("input");
    }

    if (!this.#text.startsWith("->", this.#pos)) {
      if (this.#atEnd()) this.#fail('missing "->" between the inputs and the outputs');
      if (this.#peek() === "-") {
        this.#fail('expected "->", got "-" without ">" (names cannot contain "-")');
      }
      this.#fail(`expected "," or "->", got ${this.#shown()}`);
    }
    this.#pos += 2;
    this.#skipSpace();
    if (this.#atEnd()) this.#fail('no outputs after "->"; name at least one output');
    if (this.#text.startsWith("->", this.#pos))
      this.#fail('no outputs after "->"; a mapspec has one "->"');
    const outputs = this.#arrays("output");
    if (!this.#atEnd()) {
      if (this.#text.startsWith("->", this.#pos)) this.#fail('a mapspec has only one "->"');
      this.#fail(`expected "," or the end of the mapspec, got ${this.#shown()}`);
    }
    return { inputs, outputs, generates };
  }

  /** A comma list of arrays; stops at the first token that is not a comma after an array. */
  #arrays(side: "input" | "output"): ArraySpec[] {
    const arrays: ArraySpec[] = [];
    for (;;) {
      arrays.push(this.#array(side, arrays.length > 0));
      this.#skipSpace();
      if (this.#peek() !== ",") return arrays;
      this.#pos++;
      this.#skipSpace();
    }
  }

  #array(side: "input" | "output", afterComma: boolean): ArraySpec {
    if (this.#text.startsWith("...", this.#pos)) {
      this.#fail(
        side === "input"
          ? '"..." stands for "no inputs" and cannot be mixed with inputs; remove "..." or the inputs'
          : '"..." may only stand alone on the left of "->", for a generator',
      );
    }
    if (identifierEnd(this.#text, this.#pos) === this.#pos) {
      const after = afterComma ? ' after ","' : "";
      const char = this.#peek();
      const hint =
        this.#atEnd() || char === "," || char === "-"
          ? ""
          : '; names are identifiers, optionally scoped ("s.x")';
      this.#fail(`expected an ${side} name${after}, got ${this.#shown()}${hint}`);
    }
    const name = this.#name();
    this.#skipSpace();
    if (this.#peek() !== "[") return { name, axes: [] };
    const open = this.#pos;
    this.#pos++;
    const axes: (string | null)[] = [];
    for (;;) {
      this.#skipSpace();
      const char = this.#peek();
      if (char === "]") {
        this.#fail(
          axes.length === 0
            ? `empty brackets; write "${clip(name)}" without brackets for a 0-D array`
            : 'empty axis after ","; write an axis name or ":", or remove the ","',
        );
      }
      if (char === ",") this.#fail('empty axis; write an axis name or ":"');
      if (char === ":") {
        axes.push(null);
        this.#pos++;
      } else {
        const end = identifierEnd(this.#text, this.#pos);
        if (end === this.#pos) {
          this.#fail(
            this.#atEnd()
              ? `"[" at column ${open + 1} is not closed; expected an axis and "]"`
              : `expected an axis name or ":", got ${this.#shown()}`,
          );
        }
        axes.push(this.#text.slice(this.#pos, end));
        this.#pos = end;
      }
      this.#skipSpace();
      const next = this.#peek();
      if (next === ",") {
        this.#pos++;
      } else if (next === "]") {
        this.#pos++;
        break;
      } else if (this.#atEnd()) {
        this.#fail(`"[" at column ${open + 1} is not closed; add "]"`);
      } else {
        this.#fail(
          `expected "," or "]" after an axis, got ${this.#shown()} ("[" at column ${open + 1} ` +
            "is not closed)",
        );
      }
    }
    this.#skipSpace();
    if (this.#peek() === "[") {
      const shown = clip(name);
      this.#fail(`one pair of brackets per array; write "${shown}[a, b]", not "${shown}[a][b]"`);
    }
    return { name, axes };
  }

  /** An identifier, or identifiers joined by dots with no space (`s.x`). */
  #name(): string {
    const start = this.#pos;
    for (;;) {
      const end = identifierEnd(this.#text, this.#pos);
      if (end === this.#pos) {
        this.#fail(`expected an identifier after "." in the scoped name, got ${this.#shown()}`);
      }
      this.#pos = end;
      if (this.#text.charCodeAt(end) !== DOT) return this.#text.slice(start, end);
      this.#pos++;
    }
  }

  #peek(): string | undefined {
    return this.#text[this.#pos];
  }

  #atEnd(): boolean {
    return this.#pos >= this.#text.length;
  }

  #skipSpace(): void {
    while (this.#pos < this.#text.length && isSpace(this.#text.charCodeAt(this.#pos))) this.#pos++;
  }

  /** The character at the current column, quoted for a message. */
  #shown(): string {
    if (this.#atEnd()) return "the end of the mapspec";
    if (this.#text.startsWith("->", this.#pos)) return '"->"';
    return JSON.stringify(String.fromCodePoint(this.#text.codePointAt(this.#pos)!));
  }

  #fail(reason: string): never {
    throw new MapSpecSyntaxError(this.#text, this.#pos, reason, this.#node);
  }
}
