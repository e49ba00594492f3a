/**
 * Issue 21, point 15: a function's free names are sorted into code (only called), side
 * effects (only written) and data (every other read); only data must be declared.
 */
import { describe, expect, it } from "vitest";
import { captureKinds } from "../../src/graph/captures.ts";

/** Makes a function from its source text, so the table shows exactly what is analysed. */
const make = (source: string): Function => new Function(`return (${source});`)();

type Kinds = {
  readonly data?: readonly string[];
  readonly code?: readonly string[];
  readonly written?: readonly string[];
};

const kindsOf = (source: string): Kinds => {
  const k = captureKinds(make(source));
  if (!k) throw new Error(`cannot analyse ${source}`);
  return { data: [...k.data], code: [...k.code], written: [...k.written] };
};
const expected = (k: Kinds): Kinds => ({ data: [], code: [], written: [], ...k });

describe("captureKinds: code is never declared", () => {
  it.each([
    ["a helper called", "({ y }) => sum(y)", { code: ["sum"] }],
    ["a class constructed", "({ x }) => new Model(x)", { code: ["Model"] }],
    ["the object of a method call", "({ y }) => stats.mean(y)", { code: ["stats"] }],
    ["a method call as a statement", "({ x }) => { seen.push(x); return x; }", { code: ["seen"] }],
    ["the root of a method path", "({ v }) => np.linalg.norm(v)", { code: ["np"] }],
    ["an optional call", "({ x }) => helper?.(x)", { code: ["helper"] }],
    ["an optional method call", "({ x }) => stats?.mean(x)", { code: ["stats"] }],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text holds a template.
    ["a template tag", "({ x }) => tag`${x}`", { code: ["tag"] }],
    ["an awaited helper", "async ({ ms }) => { await sleep(ms); return ms; }", { code: ["sleep"] }],
    ["a helper called in a callback", "({ xs }) => xs.map((v) => round(v))", { code: ["round"] }],
    ["a base class", "({ x }) => new (class extends Base {})(x)", { code: ["Base"] }],
    [
      "an imported helper as vitest calls it",
      "({ y }) => (0, __vite_ssr_import_0__.sum)(y)",
      { code: ["sum"] },
    ],
    [
      "an imported class and namespace as vitest rewrites them",
      "({ y }) => new __vite_ssr_import_1__.Model(__vite_ssr_import_2__.stats.mean(y))",
      { code: ["Model", "stats"] },
    ],
    ["a helper called twice", "({ x }) => sum(sum(x))", { code: ["sum"] }],
    ["a class asked about", "({ m }) => (m instanceof Model ? 1 : 0)", { code: ["Model"] }],
    ["a namespaced class asked about", "({ m }) => m instanceof ns.Model", { code: ["ns"] }],
  ] as const)("%s", (_name, source, kinds) => {
    expect(kindsOf(source)).toEqual(expected(kinds as Kinds));
  });
});

describe("captureKinds: side effects are never declared", () => {
  it.each([
    ["a counter incremented", "({ x }) => { calls++; return x; }", { written: ["calls"] }],
    ["a counter incremented before", "({ x }) => { ++calls; return x; }", { written: ["calls"] }],
    [
      "a compound assignment as a statement",
      "({ x }) => { n += 1; return x; }",
      { written: ["n"] },
    ],
    ["a flag set", "({ x }) => { ran = true; return x; }", { written: ["ran"] }],
    ["a field of a counter", "({ x }) => { counters.f++; return x; }", { written: ["counters"] }],
    ["a field set", "({ x, v }) => { obj.x = v; return x; }", { written: ["obj"] }],
    [
      "a computed field counted, its key read",
      "({ x }) => { counts[key] += 1; return x; }",
      { written: ["counts"], data: ["key"] },
    ],
    ["a field deleted", "({ x }) => { delete memo.last; return x; }", { written: ["memo"] }],
    [
      "destructuring assignment",
      "({ p }) => { [a, { b }] = p; return 1; }",
      { written: ["a", "b"] },
    ],
    ["an assignment whose value is returned", "({ x }) => (last = x)", { written: ["last"] }],
    ["a sequence of updates", "({ x }) => { a++, b += 2; return x; }", { written: ["a", "b"] }],
    [
      "a for clause",
      "({ xs }) => { for (cursor = 0; xs.length > 0; steps++) xs.pop(); }",
      { written: ["cursor", "steps"] },
    ],
    ["a for-of target", "({ xs }) => { for (latest of xs); return 0; }", { written: ["latest"] }],
    [
      "a write and a method call",
      "({ x }) => { log.push(x); log = []; return x; }",
      { code: ["log"] },
    ],
  ] as const)("%s", (_name, source, kinds) => {
    expect(kindsOf(source)).toEqual(expected(kinds as Kinds));
  });
});

describe("captureKinds: data must be declared", () => {
  it.each([
    ["a constant in arithmetic", "({ x }) => x * K", { data: ["K"] }],
    ["a table indexed", "({ x }) => table[x]", { data: ["table"] }],
    ["a field read", "({ x }) => x * cfg.scale", { data: ["cfg"] }],
    ["an argument of a call", "({ x }) => f(K)", { data: ["K"], code: ["f"] }],
    ["spread", "({ x }) => [...K, x]", { data: ["K"] }],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text holds a template.
    ["a template literal", "({ x }) => `${PREFIX}${x}`", { data: ["PREFIX"] }],
    ["a helper called and read", "({ x }) => helper(x) + helper.length", { data: ["helper"] }],
    ["a function passed as a value", "({ xs }) => xs.map(round)", { data: ["round"] }],
    ["a method read, not called", "({ xs }) => xs.map(stats.mean)", { data: ["stats"] }],
    ["a counter whose value is used", "({ x }) => calls++ + x", { data: ["calls"] }],
    ["a counter returned", "({ x }) => { return calls++; }", { data: ["calls"] }],
    [
      "a compound assignment whose value is used",
      "({ x }) => { const id = (n += 1); return id + x; }",
      { data: ["n"] },
    ],
    ["a method of an indexed element", "({ x }) => table[x].f()", { data: ["table"] }],
    [
      "a flag read, another written",
      "({ x }) => { if (ranB) throw new Error('twice'); ranA = true; return x; }",
      { data: ["ranB"], written: ["ranA"] },
    ],
    [
      "typeof before a call",
      "({ x }) => typeof maybe === 'function' ? maybe(x) : x",
      { data: ["maybe"] },
    ],
    [
      "a counter incremented, then read",
      "({ x }) => { counters.f++; return counters.f + x; }",
      { data: ["counters"] },
    ],
    [
      "a field set from its own value",
      "({ k }) => { counts[k] = (counts[k] ?? 0) + 1; return 0; }",
      { data: ["counts"] },
    ],
    [
      "an imported constant as vitest rewrites it",
      "({ x }) => x * __vite_ssr_import_0__.K",
      { data: ["K"] },
    ],
    ["a default value", "({ x = BASE }) => x", { data: ["BASE"] }],
  ] as const)("%s", (_name, source, kinds) => {
    expect(kindsOf(source)).toEqual(expected(kinds as Kinds));
  });

  it("leaves locals, parameters and globals out of every kind", () => {
    expect(
      kindsOf(
        "({ xs }) => { let n = 0; const seen = []; for (const x of xs) { n++; seen.push(Math.abs(x)); } console.log(n); return seen; }",
      ),
    ).toEqual(expected({}));
  });

  it("answers undefined for a function without readable source", () => {
    expect(captureKinds(Math.max)).toBeUndefined();
  });
});
