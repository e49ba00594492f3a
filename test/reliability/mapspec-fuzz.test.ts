import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  formatMapSpec,
  type MapSpec,
  MapSpecError,
  MapSpecSyntaxError,
  Pipeline,
  parseMapSpec,
  pipefunc,
} from "../../src/index.ts";

// Messages are read by people: a few lines, whatever the size of what was written.
const MAX_MESSAGE = 4_000;
// Only a guard against a hang or a quadratic blow-up, far above the milliseconds these take.
const HANG_GUARD_MS = 5_000;

const N = 5_000;
const ids = (prefix: string, n = N) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const long = (char: string) => char.repeat(1_000_000);

/** Runs `action`, which must throw `Class`, quickly and with a bounded message. */
function hostile<E extends Error>(action: () => unknown, Class: new (...args: never[]) => E): E {
  const start = performance.now();
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(performance.now() - start).toBeLessThan(HANG_GUARD_MS);
  expect(thrown).toBeInstanceOf(Class);
  const error = thrown as E;
  expect(error.message.length).toBeLessThan(MAX_MESSAGE);
  return error;
}

describe("mapspec: hostile specs give a typed, short error quickly", () => {
  it.each<[string, string, RegExp]>([
    [
      "one axis repeated thousands of times",
      `a[${Array(N).fill("i").join(", ")}] -> b[i]`,
      /"a" uses axis "i" twice/,
    ],
    [
      "thousands of distinct axes no output has",
      `a[${ids("i").join(", ")}] -> b[i0]`,
      /input "a" has axis "i1", which no output has[\s\S]*\n- … and 4989 more/,
    ],
    [
      "thousands of axes repeated in an output",
      `a[i] -> b[${Array(N).fill("i").join(", ")}]`,
      /"b" uses axis "i" twice/,
    ],
    [
      "thousands of inputs whose axis no output has",
      `${ids("a")
        .map((a) => `${a}[i]`)
        .join(", ")} -> b`,
      /has 5000 problems[\s\S]*more/,
    ],
    [
      "thousands of inputs listed twice",
      `${Array(N).fill("a[i]").join(", ")} -> b[i]`,
      /input "a" is listed twice/,
    ],
    [
      "thousands of outputs with different axes",
      `a[${ids("i").join(", ")}] -> ${ids("b")
        .map((b, k) => `${b}[i${k}]`)
        .join(", ")}`,
      /outputs "b0\[i0\]" and "b1\[i1\]" have different axes/,
    ],
    [
      "an internal axis before thousands of mapped ones",
      `a[${ids("i").join(", ")}] -> b[j, ${ids("i").join(", ")}]`,
      /internal axes come after the mapped ones, so write "b\[i0, i1, .*…/,
    ],
    ["very long names", `${long("x")}[i] -> ${long("y")}[j]`, /input "xxxx.*…" has axis "i"/],
    ["a very long axis", `a[${long("i")}] -> b[j]`, /has axis "iiii.*…", which no output has/],
    ["a very long non-ASCII name", `a[i] -> b[i], ${long("é")}[j]`, /outputs "b\[i\]" and "éé.*…/],
  ])("%s", (_what, spec, message) => {
    const error = hostile(() => parseMapSpec(spec, "f"), MapSpecError);
    expect(error).not.toBeInstanceOf(MapSpecSyntaxError);
    expect(error.message).toMatch(message);
    expect(error.node).toBe("f");
  });

  it.each<[string, string, number, RegExp]>([
    [
      "a stray bracket after a very long name",
      `${long("x")}[i] -> b[i]]`,
      1_000_000 + 11,
      /expected "," or the end of the mapspec, got "\]"/,
    ],
    [
      "a second pair of brackets on a very long name",
      `a[i] -> b[i], ${long("x")}[i][j]`,
      1_000_000 + 17,
      /one pair of brackets per array; write "xxx.*…\[a, b\]"/,
    ],
    [
      "empty brackets on a very long name",
      `${long("x")}[] -> b`,
      1_000_001,
      /empty brackets; write "xxx.*…" without brackets/,
    ],
    ["a fault after a million spaces", `a[i]${long(" ")}-> b[i] x`, 1_000_012, /got "x"/],
    ["a bracket left open over thousands of axes", `a[${ids("i").join(", ")}`, -1, /not closed/],
    ["thousands of opening brackets", `a${long("[")}`, 2, /expected an axis name or ":"/],
    ["thousands of arrows", `a[i] ${Array(N).fill("->").join(" ")} b`, 8, /no outputs after/],
  ])("%s", (_what, spec, column, message) => {
    const error = hostile(() => parseMapSpec(spec, "f"), MapSpecSyntaxError);
    expect(error.message).toMatch(message);
    // The fields keep everything: only the message is cut down.
    expect(error.mapspec).toBe(spec);
    expect(error.column).toBe(column === -1 ? spec.length : column);
    // The excerpt still points at the fault: the caret sits under the character at `column`.
    const lines = error.message.split("\n");
    const caret = lines.findIndex((line) => line.trimEnd().endsWith("^"));
    expect(caret).toBeGreaterThan(0);
    const at = lines[caret]!.indexOf("^");
    const shown = lines[caret - 1]!;
    if (error.column < spec.length) expect(shown[at]).toBe(spec[error.column]);
    else expect(at).toBe(shown.length);
  });

  it("keeps a valid mapspec with thousands of axes and inputs, and prints it back", () => {
    const axes = ids("i").join(", ");
    const inputs = ids("a")
      .map((a, k) => `${a}[i${k}]`)
      .join(", ");
    for (const text of [`a[${axes}] -> b[${axes}]`, `${inputs} -> b[${axes}]`]) {
      const start = performance.now();
      expect(formatMapSpec(parseMapSpec(text))).toBe(text);
      expect(performance.now() - start).toBeLessThan(HANG_GUARD_MS);
    }
    const name = long("x");
    expect(parseMapSpec(`${name}[i] -> y[i]`).inputs[0]?.name).toBe(name);
  });

  it("keeps the pipeline's own mapspec errors short: a name that is no input, axes in conflict", () => {
    const spec = `${ids("a")
      .map((a) => `${a}[i]`)
      .join(", ")} -> b[i]`;
    hostile(
      () => pipefunc({ output: "b", mapspec: spec }, ({ a0 }: { a0: number }) => a0),
      MapSpecError,
    );
    const axes = ids("i");
    const wide = pipefunc(
      { output: "x", mapspec: `a[${axes.join(", ")}] -> x[${axes.join(", ")}]` },
      ({ a }: { a: number }) => a,
    );
    const other = pipefunc(
      { output: "y", mapspec: `x[${ids("j").join(", ")}] -> y[${ids("j").join(", ")}]` },
      ({ x }: { x: number }) => x,
    );
    const error = hostile(() => new Pipeline([wide, other]).mapspecAxes, MapSpecError);
    expect(error.message).toMatch(/"x"/);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzz

const identifier = fc.stringMatching(/^[A-Za-z_$][A-Za-z0-9_$]{0,6}$/);
const token = fc.oneof(
  identifier,
  fc.constantFrom("[", "]", ",", ":", "->", "-", ">", "...", ".", " ", "\n", "é", "𝑥", "\u200c"),
);

/** A valid mapspec, up to dozens of axes, inputs and outputs. */
const validSpec: fc.Arbitrary<MapSpec> = fc
  .tuple(
    fc.uniqueArray(identifier, { minLength: 1, maxLength: 30 }),
    fc.uniqueArray(identifier, { minLength: 2, maxLength: 30 }),
    fc.boolean(),
  )
  .chain(([axes, names, generates]) =>
    fc.integer({ min: 1, max: names.length - 1 }).chain((outputCount) => {
      const outputs = names.slice(0, outputCount).map((name) => ({ name, axes }));
      if (generates) return fc.constant<MapSpec>({ inputs: [], outputs, generates: true });
      const inputNames = names.slice(outputCount);
      return fc.tuple(...inputNames.map(() => fc.subarray(axes))).map((picked): MapSpec => {
        const inputAxes: (string | null)[][] = picked.map((p) => [...p]);
        const used = new Set(inputAxes.flat());
        for (const axis of axes) if (!used.has(axis)) inputAxes[0]?.push(axis);
        inputAxes[inputAxes.length - 1]?.push(null);
        return {
          inputs: inputNames.map((name, k) => ({ name, axes: inputAxes[k] ?? [] })),
          outputs,
          generates: false,
        };
      });
    }),
  );

/** Parses `text`; anything thrown must be a mapspec error with a short message. */
function parsesOrThrowsMapSpecError(text: string): void {
  try {
    parseMapSpec(text, "f");
  } catch (error) {
    if (!(error instanceof MapSpecError) && !(error instanceof MapSpecSyntaxError)) throw error;
    expect(error.message.length).toBeLessThan(MAX_MESSAGE);
    if (error instanceof MapSpecSyntaxError) {
      expect(error.column).toBeGreaterThanOrEqual(0);
      expect(error.column).toBeLessThanOrEqual(text.length);
    }
  }
}

describe("mapspec fuzz", () => {
  it("any string parses or throws a mapspec error", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), parsesOrThrowsMapSpecError),
      { numRuns: 2_000 },
    );
  });

  it("any near-grammar string parses or throws a short mapspec error", () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 400 }), (parts) =>
        parsesOrThrowsMapSpecError(parts.join("")),
      ),
      { numRuns: 1_000 },
    );
  });

  it("a valid mapspec with one character changed parses or throws a mapspec error", () => {
    fc.assert(
      fc.property(validSpec, fc.nat(), fc.string({ unit: "binary", maxLength: 3 }), (s, at, by) => {
        const text = formatMapSpec(s);
        const k = at % (text.length + 1);
        parsesOrThrowsMapSpecError(text.slice(0, k) + by + text.slice(k + 1));
      }),
      { numRuns: 1_000 },
    );
  });

  it("a valid mapspec round-trips through formatMapSpec", () => {
    fc.assert(
      fc.property(validSpec, (spec) => {
        const text = formatMapSpec(spec);
        expect(parseMapSpec(text)).toEqual(spec);
        expect(formatMapSpec(parseMapSpec(text))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});
