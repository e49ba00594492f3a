/** The README test's own rules: how it reads snippets and claims, and how it compares. */
import { describe, expect, it } from "vitest";
import {
  groupsOf,
  moduleSource,
  parseClaims,
  readFences,
  runSource,
  snippetsOf,
} from "./readme-blocks.ts";
import { matches, show, showThrown } from "./readme-show.ts";

const markdown = [
  "# A",
  "",
  "```ts",
  'import { x } from "pipeweave";', // line 4
  "const a = 1 + 1; // → 2",
  'f(a); // → { b: [1, "c"] } (a remark)',
  "await g();",
  "// → throws Error: no …", // line 8
  "h(); // → [1, 2,",
  "//   3]",
  "for (;;) {} // → 1",
  "function q() {",
  "  return 1; // → 1", // line 13
  "}",
  "```",
  "",
  "```text",
  "printed",
  "```",
  "- item",
  "  ```ts no-run",
  "  // continues the previous block", // line 22
  "  k(); // error: Cannot …",
  "  m();",
  "  // error: Argument of type",
  "  ```",
].join("\n");

const snippets = snippetsOf(readFences(markdown), markdown);
const [first, second] = snippets;
const sub = (s: string | undefined) => `../src/${s ?? "index"}.ts`;

describe("reading the README", () => {
  it("finds snippets, their flags, output blocks and continuations", () => {
    expect(snippets.map((s) => [s.line, s.endLine, s.heading, s.noRun, s.continues])).toEqual([
      [4, 15, "A", false, false],
      [22, 26, "A", true, true],
    ]);
    expect(first?.output?.lines).toEqual(["printed"]);
    expect(second?.lines[1]).toBe("k(); // error: Cannot …");
    expect(groupsOf(snippets)).toHaveLength(1);
  });

  it("keeps README lines and points pipeweave at the source", () => {
    const source = moduleSource(snippets, sub).split("\n");
    expect(source[3]).toBe('import { x } from "../src/index.ts";');
    expect(source[22]).toBe("k(); // error: Cannot …");
    expect(source[0]).toBe("");
  });

  it("reads value, throw and compile-error claims, and finds claims it cannot check", () => {
    const parsed = parseClaims(moduleSource(snippets, sub));
    expect(parsed.claims).toEqual([
      { line: 5, expected: "2", throws: false },
      { line: 6, expected: '{ b: [1, "c"] }', throws: false },
      { line: 8, expected: "Error: no …", throws: true },
      { line: 9, expected: "[1, 2, 3]", throws: false },
      { line: 11, expected: "1", throws: false },
    ]);
    expect(parsed.errors).toEqual([
      { line: 23, expected: "Cannot …" },
      { line: 24, expected: "Argument of type" },
    ]);
    expect(parsed.stray).toEqual([13]);
  });

  it("drops only a parenthesized remark that ends the claim", () => {
    const text = [
      "```ts",
      "f(); // → throws TypeError: got `0` (number). Use pool({}, f).",
      "g(); // → [1, (2)] (a remark)",
      "h(); // → Error: (see .cause) next (a remark)",
      "```",
    ].join("\n");
    const parsed = parseClaims(moduleSource(snippetsOf(readFences(text), text), sub));
    expect(parsed.claims.map((c) => c.expected)).toEqual([
      "TypeError: got `0` (number). Use pool({}, f).",
      "[1, (2)]",
      "Error: (see .cause) next",
    ]);
  });

  it("reports claimed values and leaves no-run snippets out of the run", () => {
    const { source, problems } = runSource(moduleSource(snippets, sub), snippets);
    const lines = source.split("\n");
    expect(problems).toEqual([
      "README line 11: a `// →` claim must follow an expression statement or `const x = …`",
    ]);
    expect(lines[3]).toBe('__pwBlock(4);import { x } from "../src/index.ts";');
    expect(lines[4]).toBe("const a = 1 + 1; __pwCheck(5, false, false, () => a); // → 2");
    expect(lines[6]).toBe("await __pwCheck(8, true, true, async () => (await g()));");
    expect(lines.slice(21, 25).join("")).toBe("");
  });
});

describe("showing and comparing values", () => {
  it("writes values as the README does", () => {
    expect(show("top level")).toBe("top level");
    expect(show({ a: [1, "x", null, undefined], "b-c": 2n, d: -0 })).toBe(
      '{ a: [1, "x", null, undefined], "b-c": 2n, d: -0 }',
    );
    expect(show([new Error("boom"), new Map([["k", 1]]), new Set(), new Float64Array([1.5])])).toBe(
      '[Error("boom"), Map { "k" => 1 }, Set {}, Float64Array [1.5]]',
    );
    class Point {
      x = 1;
    }
    const cycle: { self?: unknown } = {};
    cycle.self = cycle;
    expect(show([new Point(), cycle, () => 1])).toBe(
      "[Point { x: 1 }, { self: [Circular] }, [Function anonymous]]",
    );
    expect(showThrown(new TypeError("bad"))).toBe("TypeError: bad");
  });

  it("ignores whitespace and reads … as any text", () => {
    expect(matches("[[1, 2],\n [3]]", "[[1,2],[3]]")).toBe(true);
    expect(matches("{ a: …, b: 2 }", "{ a: [1, 2], b: 2 }")).toBe(true);
    expect(matches("{ a: …, b: 2 }", "{ a: 1, b: 3 }")).toBe(false);
    expect(matches("102", "1023")).toBe(false);
    expect(
      matches("not assignable to 'X<…>'", "Type 'A' is not assignable to 'X<B>'.", false),
    ).toBe(true);
  });
});
