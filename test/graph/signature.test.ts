import { execFile } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  evaluateLiteral,
  parseParameterNames,
  parsePositionalArity,
  parseSignature,
} from "../../src/graph/signature.ts";

// Functions are built from source text so the table shows exactly what is parsed, whatever
// the test transpiler would otherwise do to the literal source.
const fromSource = (source: string): Function => new Function(`return (${source});`)();

describe("parseSignature", () => {
  it.each([
    ["arrow", "({ a, b }) => a + b", ["a", "b"], []],
    ["async arrow", "async ({ a }) => a", ["a"], []],
    ["function expression", "function f({ a, b = 2 }) { return a + b; }", ["a", "b"], ["b"]],
    ["async function", "async function g({ x }) { return x; }", ["x"], []],
    ["renamed keys", "({ a: alpha, b: beta = 3 }) => alpha + beta", ["a", "b"], ["b"]],
    ["quoted key", "({ 'with-dash': v }) => v", ["with-dash"], []],
    [
      "comments and whitespace",
      "( /* first */ {\n  a, // the a\n  b /* second */ = 1,\n} ) => a + b",
      ["a", "b"],
      ["b"],
    ],
    ["object default", "({ opts = { depth: 2, tags: ['x'] } }) => opts", ["opts"], ["opts"]],
    ["call default", "({ when = Date.now() }) => when", ["when"], ["when"]],
    [
      "strings and regexes with braces",
      "({ s = '})', re = /[{}]/g, t = `}` }) => s + re + t",
      ["s", "re", "t"],
      ["s", "re", "t"],
    ],
    ["nested function default", "({ f = (x) => ({ y: x }) }) => f", ["f"], ["f"]],
    ["whole-object default", "({ a } = {}) => a", ["a"], []],
  ])("%s", (_label, source, keys, withDefaults) => {
    const parsed = parseSignature(fromSource(source));
    expect(parsed.kind).toBe("object");
    if (parsed.kind !== "object") return;
    expect(parsed.params.map((p) => p.key)).toEqual(keys);
    expect(parsed.params.filter((p) => p.hasDefault).map((p) => p.key)).toEqual(withDefaults);
  });

  it("reads methods", () => {
    const obj = {
      compute({ a, b }: { a: number; b: number }) {
        return a + b;
      },
    };
    const parsed = parseSignature(obj.compute);
    expect(parsed.kind === "object" && parsed.params.map((p) => p.key)).toEqual(["a", "b"]);
  });

  it("keeps the default's source text exactly", () => {
    const parsed = parseSignature(fromSource("({ s = 'a, b', n = -1.5 }) => s"));
    expect(parsed.kind === "object" && parsed.params.map((p) => p.defaultSource)).toEqual([
      "'a, b'",
      "-1.5",
    ]);
  });

  it("flags a rest element", () => {
    const parsed = parseSignature(fromSource("({ a, ...rest }) => rest"));
    expect(parsed).toMatchObject({ kind: "object", hasRest: true });
  });

  it("reports no parameters", () => {
    expect(parseSignature(() => 1)).toEqual({ kind: "none" });
  });

  it.each([
    ["native", Math.max, /native or bound/],
    ["bound", function f(this: unknown) {}.bind(null), /native or bound/],
    ["class", class A {}, /class/],
  ])("explains why a %s function is unreadable", (_label, fn, reason) => {
    const parsed = parseSignature(fn as Function);
    expect(parsed.kind).toBe("unreadable");
    if (parsed.kind === "unreadable") expect(parsed.reason).toMatch(reason);
  });
});

describe("module-only syntax", () => {
  // Vitest rewrites import.meta in test files, so the function is defined in a real module.
  it("reads a function whose body uses import.meta", async () => {
    const index = pathToFileURL(join(import.meta.dirname, "..", "..", "src", "index.ts")).href;
    const script =
      `import { pipefunc } from ${JSON.stringify(index)};\n` +
      "const f = pipefunc({ output: 'u' }, ({ a }) => import.meta.url + a);\n" +
      "console.log(JSON.stringify(f.inputs));";
    const { stdout } = await promisify(execFile)(process.execPath, [
      "--import",
      "tsx",
      "--input-type=module",
      "--eval",
      script,
    ]);
    expect(stdout.trim()).toBe('["a"]');
  });
});

describe("positional signatures", () => {
  it.each([
    ["(a, b) => a + b", { count: 2, hasRest: false }, ["a", "b"]],
    ["function (df, window = 3) { return df; }", { count: 2, hasRest: false }, ["df", "window"]],
    ["(first, ...others) => first", { count: 1, hasRest: true }, undefined],
    ["({ a }) => a", { count: 1, hasRest: false }, undefined],
  ])("%s", (source, arity, names) => {
    const fn = fromSource(source);
    expect(parsePositionalArity(fn)).toEqual(arity);
    expect(parseParameterNames(fn)).toEqual(names);
  });
});

describe("evaluateLiteral", () => {
  it.each([
    ["1", 1],
    ["-2.5", -2.5],
    ["'text'", "text"],
    ["`plain`", "plain"],
    ["true", true],
    ["null", null],
    ["undefined", undefined],
    ["NaN", Number.NaN],
    ["-Infinity", Number.NEGATIVE_INFINITY],
    ["10n", 10n],
    ["[1, 'a', [null]]", [1, "a", [null]]],
    ["{ depth: 2, 'k-1': { on: false } }", { depth: 2, "k-1": { on: false } }],
  ])("evaluates %s", (source, value) => {
    expect(evaluateLiteral(source)).toEqual({ ok: true, value });
  });

  it.each([
    "Date.now()",
    "x",
    "/re/",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
    "`a${b}`",
    "[...xs]",
    "{ [k]: 1 }",
    "{ m() {} }",
    "() => 1",
    "!true",
    "1 +",
  ])("refuses %s", (source) => {
    expect(evaluateLiteral(source)).toEqual({ ok: false });
  });
});
