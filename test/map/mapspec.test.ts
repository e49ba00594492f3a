import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MapSpecError, MapSpecSyntaxError } from "../../src/errors.ts";
import {
  addAxisToInput,
  addAxisToReduction,
  formatMapSpec,
  type MapSpec,
  mapspecAxes,
  outputAxes,
  parseMapSpec,
  reducedInputs,
} from "../../src/map/mapspec.ts";
import { caught } from "../caught.ts";

const a = (name: string, ...axes: (string | null)[]) => ({ name, axes });

describe("parseMapSpec: valid forms", () => {
  it.each<[string, string, MapSpec, string]>([
    [
      "element-wise",
      "x[i] -> y[i]",
      { inputs: [a("x", "i")], outputs: [a("y", "i")], generates: false },
      "x[i] -> y[i]",
    ],
    [
      "zip",
      "a[i], b[i] -> c[i]",
      { inputs: [a("a", "i"), a("b", "i")], outputs: [a("c", "i")], generates: false },
      "a[i], b[i] -> c[i]",
    ],
    [
      "outer product",
      "a[i], b[j] -> c[i, j]",
      { inputs: [a("a", "i"), a("b", "j")], outputs: [a("c", "i", "j")], generates: false },
      "a[i], b[j] -> c[i, j]",
    ],
    [
      "outer product in another order",
      "a[i], b[j] -> c[j, i]",
      { inputs: [a("a", "i"), a("b", "j")], outputs: [a("c", "j", "i")], generates: false },
      "a[i], b[j] -> c[j, i]",
    ],
    [
      "zip and product in one",
      "x[i, j], y[i, j], z[k] -> q[i, j, k]",
      {
        inputs: [a("x", "i", "j"), a("y", "i", "j"), a("z", "k")],
        outputs: [a("q", "i", "j", "k")],
        generates: false,
      },
      "x[i, j], y[i, j], z[k] -> q[i, j, k]",
    ],
    [
      "partial reduction",
      "c[i, :] -> d[i]",
      { inputs: [a("c", "i", null)], outputs: [a("d", "i")], generates: false },
      "c[i, :] -> d[i]",
    ],
    [
      "leading reduction",
      "x[:, k] -> s[k]",
      { inputs: [a("x", null, "k")], outputs: [a("s", "k")], generates: false },
      "x[:, k] -> s[k]",
    ],
    [
      "reductions on two inputs",
      "a[i, :], b[:, k] -> q[i, k]",
      {
        inputs: [a("a", "i", null), a("b", null, "k")],
        outputs: [a("q", "i", "k")],
        generates: false,
      },
      "a[i, :], b[:, k] -> q[i, k]",
    ],
    [
      "full reduction to a 0-D output",
      "x[:] -> total",
      { inputs: [a("x", null)], outputs: [a("total")], generates: false },
      "x[:] -> total",
    ],
    [
      "2-D to 0-D",
      "m[:, :] -> total",
      { inputs: [a("m", null, null)], outputs: [a("total")], generates: false },
      "m[:, :] -> total",
    ],
    [
      "a 0-D input beside a mapped one",
      "x[i], n -> y[i]",
      { inputs: [a("x", "i"), a("n")], outputs: [a("y", "i")], generates: false },
      "x[i], n -> y[i]",
    ],
    [
      "generator",
      "... -> x[i]",
      { inputs: [], outputs: [a("x", "i")], generates: true },
      "... -> x[i]",
    ],
    [
      "generator of two axes and two outputs",
      "...->x[i,j],y[i,j]",
      { inputs: [], outputs: [a("x", "i", "j"), a("y", "i", "j")], generates: true },
      "... -> x[i, j], y[i, j]",
    ],
    [
      "several outputs",
      "a[i] -> b[i], c[i]",
      { inputs: [a("a", "i")], outputs: [a("b", "i"), a("c", "i")], generates: false },
      "a[i] -> b[i], c[i]",
    ],
    [
      "several 0-D outputs",
      "x[:] -> lo, hi",
      { inputs: [a("x", null)], outputs: [a("lo"), a("hi")], generates: false },
      "x[:] -> lo, hi",
    ],
    [
      "scoped names",
      "s.x[i], t.y[j] -> s.z[i, j]",
      {
        inputs: [a("s.x", "i"), a("t.y", "j")],
        outputs: [a("s.z", "i", "j")],
        generates: false,
      },
      "s.x[i], t.y[j] -> s.z[i, j]",
    ],
    [
      "deeper scopes",
      "a.b.c[i] -> d[i]",
      { inputs: [a("a.b.c", "i")], outputs: [a("d", "i")], generates: false },
      "a.b.c[i] -> d[i]",
    ],
    [
      "identifiers with digits, _ and $",
      "x_1[$i, i2] -> _y$[$i, i2]",
      { inputs: [a("x_1", "$i", "i2")], outputs: [a("_y$", "$i", "i2")], generates: false },
      "x_1[$i, i2] -> _y$[$i, i2]",
    ],
    [
      "non-ASCII identifiers",
      "α[ι] -> β[ι]",
      { inputs: [a("α", "ι")], outputs: [a("β", "ι")], generates: false },
      "α[ι] -> β[ι]",
    ],
    [
      "no whitespace at all",
      "a[i],b[j]->c[i,j]",
      { inputs: [a("a", "i"), a("b", "j")], outputs: [a("c", "i", "j")], generates: false },
      "a[i], b[j] -> c[i, j]",
    ],
    [
      "whitespace everywhere between tokens",
      "  a [ i ] ,\tb[ j ]\n->\r\nc [i ,j]  ",
      { inputs: [a("a", "i"), a("b", "j")], outputs: [a("c", "i", "j")], generates: false },
      "a[i], b[j] -> c[i, j]",
    ],
    [
      "whitespace around a generator",
      "\t...   ->   x [ i ]\n",
      { inputs: [], outputs: [a("x", "i")], generates: true },
      "... -> x[i]",
    ],
  ])("parses %s: %j", (_, text, expected, canonical) => {
    const spec = parseMapSpec(text, "f");
    expect(spec).toEqual(expected);
    expect(formatMapSpec(spec)).toBe(canonical);
  });

  it("returns a frozen mapspec", () => {
    const spec = parseMapSpec("a[i, :] -> b[i]");
    expect(Object.isFrozen(spec)).toBe(true);
    expect(Object.isFrozen(spec.inputs)).toBe(true);
    expect(Object.isFrozen(spec.inputs[0])).toBe(true);
    expect(Object.isFrozen(spec.inputs[0]?.axes)).toBe(true);
    expect(Object.isFrozen(spec.outputs[0]?.axes)).toBe(true);
  });
});

describe("parseMapSpec: syntax errors", () => {
  it.each<[string, string, number, string]>([
    ["an empty mapspec", "", 0, "the mapspec is empty"],
    ["a blank mapspec", "   ", 3, "the mapspec is empty"],
    ["a missing arrow", "x[i]", 4, 'missing "->"'],
    ["a missing arrow between arrays", "x[i] y[i]", 5, 'expected "," or "->", got "y"'],
    ["a broken arrow", "x[i] - > y[i]", 5, 'expected "->"'],
    ["an arrow written =>", "x[i] => y[i]", 5, 'expected "," or "->", got "="'],
    ["an empty left side", " -> y[i]", 1, 'no inputs before "->"'],
    ["an empty right side", "x[i] ->", 7, 'no outputs after "->"'],
    ["an empty right side with spaces", "x[i] ->   ", 10, 'no outputs after "->"'],
    ["a double arrow", "x[i] -> -> y[i]", 8, 'a mapspec has one "->"'],
    ["a second arrow", "x[i] -> y[i] -> z", 13, 'only one "->"'],
    ["a bracket not closed before the arrow", "x[i -> y[i]", 4, '"[" at column 2 is not closed'],
    ["a bracket not closed at the end", "x[i] -> y[i, j", 14, '"[" at column 10 is not closed'],
    ["a bracket opened at the end", "x[i] -> y[", 10, '"[" at column 10 is not closed'],
    ["a missing comma between axes", "x[i j] -> y[i, j]", 4, 'expected "," or "]"'],
    ["a bad character after the outputs", "x[i] -> y[i]!", 12, 'got "!"'],
    ["a bad character in a name", "x-y[i] -> z[i]", 1, 'got "-"'],
    ["a name starting with a digit", "1x[i] -> y[i]", 0, "expected an input name"],
    ["an output name starting with a digit", "x[i] -> 2y[i]", 8, "expected an output name"],
    ["a bracket without a name", "[i] -> y[i]", 0, 'expected an input name, got "["'],
    ["a numeric axis", "x[1] -> y", 2, 'expected an axis name or ":", got "1"'],
    ["a quoted axis", 'x["i"] -> y[i]', 2, "expected an axis name"],
    ["a dotted axis", "x[s.i] -> y[s]", 3, 'expected "," or "]"'],
    ["empty brackets", "x[] -> y", 2, 'empty brackets; write "x" without brackets'],
    ["an empty first axis", "x[, i] -> y[i]", 2, "empty axis"],
    ["an empty middle axis", "x[i,,j] -> y[i, j]", 4, "empty axis"],
    ["a trailing comma in brackets", "x[i, ] -> y[i]", 5, 'empty axis after ","'],
    ["two bracket pairs", "x[i][j] -> y[i, j]", 4, "one pair of brackets per array"],
    ["a trailing comma before the arrow", "a[i], -> c[i]", 6, 'expected an input name after ","'],
    ["a leading comma", ", a[i] -> c[i]", 0, "expected an input name"],
    ["a double comma between inputs", "a[i],, b[i] -> c[i]", 5, 'expected an input name after ","'],
    ["a trailing comma at the end", "a[i] -> c[i],", 13, 'expected an output name after ","'],
    ["an unfinished scope", "s.[i] -> y[i]", 2, 'expected an identifier after "."'],
    ["a doubled dot", "s..x[i] -> y[i]", 2, 'expected an identifier after "."'],
    ["a space inside a scoped name", "s. x[i] -> y[i]", 2, 'expected an identifier after "."'],
    ["... mixed after inputs", "a[i], ... -> x[i]", 6, '"..." stands for "no inputs"'],
    ["... mixed before inputs", "..., a[i] -> x[i]", 3, '"..." stands for "no inputs"'],
    ["... on the right", "x[i] -> ...", 8, '"..." may only stand alone on the left'],
    ["... after an output", "x[i] -> y[i], ...", 14, '"..." may only stand alone on the left'],
    ["two dots for three", ".. -> x[i]", 0, "expected an input name"],
    ["... followed by a name", "... x -> y[i]", 4, 'expected "," or "->", got "x"'],
  ])("reports %s at its column: %j", (_, text, column, reason) => {
    const error = caught(() => parseMapSpec(text, "fit"), MapSpecSyntaxError, "E_MAPSPEC_SYNTAX");
    expect(error.column).toBe(column);
    expect(error.mapspec).toBe(text);
    expect(error.node).toBe("fit");
    expect(error.message).toContain('of "fit"');
    expect(error.message).toContain(reason);
    expect(error.message).toContain(`at column ${column + 1}`);
    // The caret display points at the fault under the mapspec as written.
    expect(error.message).toContain(`\n  ${text}\n  ${" ".repeat(column)}^\n`);
  });

  it("omits the node when none is given", () => {
    const error = caught(() => parseMapSpec("x[i"), MapSpecSyntaxError, "E_MAPSPEC_SYNTAX");
    expect(error.node).toBeUndefined();
    expect(error.message).toMatch(/^Invalid mapspec at column 4:/);
  });
});

describe("parseMapSpec: semantic errors", () => {
  it.each<[string, string, string[]]>([
    ["a ':' in an output", "x[i] -> y[i, :]", ['output "y" has ":"', "must name every axis"]],
    ["a repeated input axis", "a[i, i] -> b[i]", ['"a" uses axis "i" twice', "its own name"]],
    ["a repeated output axis", "a[i] -> b[i, i]", ['"b" uses axis "i" twice']],
    [
      "outputs with different axes",
      "a[i], b[j] -> c[i, j], d[i]",
      ['outputs "c[i, j]" and "d[i]" have different axes', 'write "d[i, j]"'],
    ],
    [
      "outputs with axes in another order",
      "a[i], b[j] -> c[i, j], d[j, i]",
      ['"d[j, i]" have different axes', "same order", 'write "d[i, j]"'],
    ],
    ["a 0-D output beside a mapped one", "a[i] -> b[i], c", ['"b[i]" and "c"', 'write "c[i]"']],
    [
      "an input axis missing from the outputs",
      "c[i, j] -> d[i]",
      ['input "c" has axis "j", which no output has', '"c[i, :]"', "reduction"],
    ],
    [
      "a 0-D output of an unreduced input",
      "x[i] -> total",
      ['input "x" has axis "i"', '"x[:]"', 'add "i" to the outputs'],
    ],
    [
      "an internal axis before a mapped one",
      "a[i] -> b[j, i]",
      ['output "b" has axis "j", which no input has', 'before axis "i"', 'write "b[i, j]"'],
    ],
    ["a generator without axes", "... -> x", ["generator", "at least one axis", '"... -> x[i]"']],
    [
      "an input listed twice",
      "a[i], a[j] -> b[i, j]",
      ['input "a" is listed twice', "list it once with all its axes"],
    ],
    ["an output listed twice", "a[i] -> b[i], b[i]", ['output "b" is listed twice']],
    ["a name on both sides", "a[i] -> a[i]", ['"a" is both an input and an output', "rename"]],
  ])("rejects %s: %j", (_, text, fragments) => {
    const error = caught(() => parseMapSpec(text, "fit"), MapSpecError, "E_MAPSPEC");
    expect(error.node).toBe("fit");
    expect(error.message).toContain(`Mapspec "${text}" of "fit"`);
    for (const fragment of fragments) expect(error.message).toContain(fragment);
  });

  it("lists every problem of one mapspec in one error", () => {
    const error = caught(
      () => parseMapSpec("x[i] -> y[i, :], z[i]", "f"),
      MapSpecError,
      "E_MAPSPEC",
    );
    expect(error.message).toContain("has 2 problems");
    expect(error.message).toContain('output "y" has ":"');
    expect(error.message).toContain('outputs "y[i, :]" and "z[i]" have different axes');
  });

  it("names no node when none is given", () => {
    const error = caught(() => parseMapSpec("x[i] -> y"), MapSpecError, "E_MAPSPEC");
    expect(error.node).toBeUndefined();
    expect(error.message).toMatch(/^Mapspec "x\[i\] -> y": /);
  });
});

describe("mapspec queries", () => {
  it("gives the axes of every array by name", () => {
    const spec = parseMapSpec("a[i, :], b[j] -> c[i, j], d[i, j]");
    expect(mapspecAxes(spec)).toEqual({
      a: ["i", null],
      b: ["j"],
      c: ["i", "j"],
      d: ["i", "j"],
    });
  });

  it("keeps a name like __proto__ as an own property", () => {
    const axes = mapspecAxes(parseMapSpec("__proto__[i] -> y[i]"));
    expect(Object.keys(axes)).toEqual(["__proto__", "y"]);
    expect(Object.getPrototypeOf(axes)).toBe(Object.prototype);
  });

  it.each<[string, readonly string[], readonly string[]]>([
    ["a[i], b[j] -> c[i, j]", ["i", "j"], []],
    ["a[i, :], b[:, k] -> q[i, k]", ["i", "k"], ["a", "b"]],
    ["x[:] -> total", [], ["x"]],
    ["... -> x[i], y[i]", ["i"], []],
  ])("gives output axes and reduced inputs of %j", (text, axes, reduced) => {
    const spec = parseMapSpec(text);
    expect(outputAxes(spec)).toEqual(axes);
    expect(reducedInputs(spec)).toEqual(reduced);
  });
});

describe("addAxisToInput", () => {
  it.each<[string, string, string, string]>([
    ["x[i] -> y[i]", "z", "k", "x[i], z[k] -> y[i, k]"],
    ["x[i] -> y[i]", "x", "k", "x[i, k] -> y[i, k]"],
    ["a[i], b[j] -> c[i, j]", "a", "j", "a[i, j], b[j] -> c[i, j]"],
    ["x[i], w[i] -> y[i]", "w", "i", "x[i], w[i] -> y[i]"],
    ["a[i] -> b[i], c[i]", "z", "k", "a[i], z[k] -> b[i, k], c[i, k]"],
    ["x[:] -> total", "x", "k", "x[:, k] -> total[k]"],
    ["s.x[i] -> s.y[i]", "t.z", "k", "s.x[i], t.z[k] -> s.y[i, k]"],
  ])("adds to %j input %j axis %j", (text, input, axis, expected) => {
    const spec = parseMapSpec(text);
    const next = addAxisToInput(spec, input, axis, "f");
    expect(formatMapSpec(next)).toBe(expected);
    expect(next).toEqual(parseMapSpec(expected));
    expect(Object.isFrozen(next.outputs)).toBe(true);
    expect(formatMapSpec(spec)).toBe(text);
  });

  it("rejects a generator and names the function", () => {
    const spec = parseMapSpec("... -> x[i]");
    const error = caught(() => addAxisToInput(spec, "n", "k", "gen"), MapSpecError, "E_MAPSPEC");
    expect(error.node).toBe("gen");
    expect(error.message).toContain('Mapspec "... -> x[i]" of "gen"');
    expect(error.message).toContain('input "n"');
    expect(error.message).toContain("downstream");
  });

  it.each<[string, string]>([
    ["1k", '"1k", which is not an identifier'],
    ["", '"", which is not an identifier'],
    ["k.j", '"k.j", which is not an identifier'],
  ])("rejects the axis name %j", (axis, fragment) => {
    const spec = parseMapSpec("x[i] -> y[i]");
    const error = caught(() => addAxisToInput(spec, "z", axis, "f"), MapSpecError, "E_MAPSPEC");
    expect(error.message).toContain('of "f"');
    expect(error.message).toContain(fragment);
  });

  it("rejects an input name that is not a name", () => {
    const spec = parseMapSpec("x[i] -> y[i]");
    const error = caught(() => addAxisToInput(spec, "z[k]", "k", "f"), MapSpecError, "E_MAPSPEC");
    expect(error.message).toContain('"z[k]", which is not an input name');
  });

  it("rejects a result that is not a valid mapspec", () => {
    const spec = parseMapSpec("x[i] -> y[i]");
    const error = caught(() => addAxisToInput(spec, "y", "k", "f"), MapSpecError, "E_MAPSPEC");
    expect(error.message).toContain('"y" is both an input and an output');
  });
});

describe("addAxisToReduction", () => {
  it.each<[string, string, string, string]>([
    ["y[:] -> sum", "y", "k", "y[:, k] -> sum[k]"],
    ["y[:, j] -> s[j]", "y", "k", "y[:, j, k] -> s[j, k]"],
    ["a[i], y[:] -> s[i]", "y", "k", "a[i], y[:, k] -> s[i, k]"],
    ["y[:] -> lo, hi", "y", "k", "y[:, k] -> lo[k], hi[k]"],
  ])("adds to %j reduced input %j axis %j", (text, input, axis, expected) => {
    const next = addAxisToReduction(parseMapSpec(text), input, axis, "f");
    expect(formatMapSpec(next)).toBe(expected);
    expect(next).toEqual(parseMapSpec(expected));
  });

  it.each<[string, string]>([
    ["x[i] -> y[i]", "x"],
    ["x[i] -> y[i]", "z"],
  ])("rejects in %j input %j, which is not reduced", (text, input) => {
    const spec = parseMapSpec(text);
    const error = caught(
      () => addAxisToReduction(spec, input, "k", "sum"),
      MapSpecError,
      "E_MAPSPEC",
    );
    expect(error.node).toBe("sum");
    expect(error.message).toContain(`input "${input}" is not read with ":"`);
    expect(error.message).toContain("addAxisToInput");
  });

  it("leaves arrays that already have the axis unchanged", () => {
    const spec = parseMapSpec("y[:, j] -> s[j]");
    const next = addAxisToReduction(spec, "y", "j", "f");
    expect(formatMapSpec(next)).toBe("y[:, j] -> s[j]");
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const identifier = fc.stringMatching(/^[A-Za-z_$][A-Za-z0-9_$]{0,4}$/);
const arrayName = fc.oneof(
  { weight: 3, arbitrary: identifier },
  { weight: 1, arbitrary: fc.tuple(identifier, identifier).map(([s, x]) => `${s}.${x}`) },
);

/** Random mapspecs that satisfy every semantic rule. */
const validSpec: fc.Arbitrary<MapSpec> = fc
  .tuple(
    fc.uniqueArray(identifier, { maxLength: 4 }),
    fc.uniqueArray(arrayName, { minLength: 2, maxLength: 6 }),
    fc.nat(3).map((n) => n === 0),
  )
  .chain(([axes, names, wantsGenerator]) => {
    const generates = wantsGenerator && axes.length > 0;
    const maxOutputs = generates ? names.length : names.length - 1;
    return fc.integer({ min: 1, max: maxOutputs }).chain((outputCount) => {
      const outputs = names.slice(0, outputCount).map((name) => ({ name, axes }));
      if (generates) return fc.constant<MapSpec>({ inputs: [], outputs, generates });
      const inputNames = names.slice(outputCount);
      const layout = fc.tuple(fc.shuffledSubarray(axes), fc.array(fc.nat(4), { maxLength: 2 }));
      return fc.tuple(...inputNames.map(() => layout)).map((layouts): MapSpec => {
        const inputAxes = layouts.map(([mapped, reduced]) => {
          const list: (string | null)[] = [...mapped];
          for (const at of reduced) list.splice(at % (list.length + 1), 0, null);
          return list;
        });
        // Every output axis must come from some input: give the unused ones to the first.
        const used = new Set(inputAxes.flat());
        for (const axis of axes) if (!used.has(axis)) inputAxes[0]?.push(axis);
        const inputs = inputNames.map((name, k) => ({ name, axes: inputAxes[k] ?? [] }));
        return { inputs, outputs, generates: false };
      });
    });
  });

const whitespace = fc.array(fc.constantFrom("", "", " ", "  ", "\t", "\n", " \r\n "), {
  minLength: 1,
  maxLength: 40,
});

/** `text` with its spaces removed, then `pieces` of whitespace put between tokens. */
function respace(text: string, pieces: readonly string[]): string {
  const compact = text.replaceAll(" ", "");
  const word = /[A-Za-z0-9_$.]/;
  let out = "";
  let boundary = 0;
  for (let pos = 0; pos <= compact.length; pos++) {
    const before = compact[pos - 1] ?? "";
    const after = compact[pos] ?? "";
    const insideToken =
      (word.test(before) && word.test(after)) || (before === "-" && after === ">");
    if (!insideToken) out += pieces[boundary++ % pieces.length] ?? "";
    out += after;
  }
  return out;
}

describe("mapspec properties", () => {
  it("parses the printed form of any valid mapspec back to the same mapspec", () => {
    fc.assert(
      fc.property(validSpec, (spec) => {
        expect(parseMapSpec(formatMapSpec(spec))).toEqual(spec);
      }),
      { numRuns: 500 },
    );
  });

  it("prints a parsed mapspec in a form that prints the same once reparsed", () => {
    fc.assert(
      fc.property(validSpec, whitespace, (spec, pieces) => {
        const once = formatMapSpec(parseMapSpec(respace(formatMapSpec(spec), pieces)));
        expect(formatMapSpec(parseMapSpec(once))).toBe(once);
        expect(once).toBe(formatMapSpec(spec));
      }),
      { numRuns: 300 },
    );
  });

  it("ignores whitespace between tokens", () => {
    fc.assert(
      fc.property(validSpec, whitespace, (spec, pieces) => {
        const text = formatMapSpec(spec);
        expect(parseMapSpec(respace(text, pieces))).toEqual(parseMapSpec(text));
      }),
      { numRuns: 500 },
    );
  });

  it("throws only pipeweave mapspec errors, with a column inside the text, on any input", () => {
    const alphabet = fc.constantFrom(..."ab.ij[],: ->.".split(""), "...", "->");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 20 }), (parts) => {
        const text = parts.join("");
        try {
          parseMapSpec(text, "f");
        } catch (error) {
          if (error instanceof MapSpecSyntaxError) {
            expect(error.column).toBeGreaterThanOrEqual(0);
            expect(error.column).toBeLessThanOrEqual(text.length);
          } else {
            expect(error).toBeInstanceOf(MapSpecError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});
