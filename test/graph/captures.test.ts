import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { capturedNames } from "../../src/graph/captures.ts";
import { namedPartial } from "../../src/index.ts";
import { scale } from "./fixtures/capture-helpers.ts";

/** Makes a function from its source text, so the table shows exactly what is analysed. */
const make = (source: string): Function => new Function(`return (${source});`)();
const method = (source: string): Function => new Function(`return ({ ${source} }).f;`)();

describe("capturedNames: the names a function reads from outside itself", () => {
  it.each([
    ["arrow reading a parameter only", "({ x }) => x * 2", []],
    ["arrow reading an outer name", "({ x }) => x * k", ["k"]],
    ["outer names in order of first use", "({ x }) => b(a(x), a)", ["b", "a"]],
    ["function expression", "function ({ x }) { return x + k; }", ["k"]],
    [
      "named function expression calling itself",
      "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }",
      [],
    ],
    ["async arrow", "async ({ x }) => { await delay(x); return x; }", ["delay"]],
    ["generator", "function* ({ n }) { for (let i = 0; i < n; i++) yield i * step; }", ["step"]],
    ["async generator", "async function* ({ n }) { yield await get(n); }", ["get"]],
    [
      "destructuring with defaults reading an outer name",
      "({ x = base, y: { z } = {} }) => x + z",
      ["base"],
    ],
    ["default reading an earlier parameter", "({ a, b = a * 2 }) => a + b", []],
    ["rest parameters", "({ a, ...rest }) => [a, rest]", []],
    ["array pattern", "([first, , third = fallback]) => first + third", ["fallback"]],
    ["computed key in a pattern", "({ [field]: value }) => value", ["field"]],
    [
      "var, let, const and function declarations",
      "({ x }) => { var a = 1; let b = 2; const c = 3; function d() { return a + b + c; } return d() + x; }",
      [],
    ],
    ["var hoisted out of a block", "({ x }) => { if (x) { var y = 1; } return y; }", []],
    ["let confined to its block", "({ x }) => { { let y = x; } return y; }", ["y"]],
    [
      "function declared after use (hoisted)",
      "({ x }) => { return twice(x); function twice(v) { return 2 * v; } }",
      [],
    ],
    [
      "class declaration",
      "({ x }) => { class P { constructor(v) { this.v = v * k; } } return new P(x); }",
      ["k"],
    ],
    ["class expression name bound inside", "({ x }) => new (class Q { m() { return Q; } })()", []],
    ["catch parameter", "({ x }) => { try { return x(); } catch (error) { return error; } }", []],
    [
      "catch destructuring",
      "({ x }) => { try { return x(); } catch ({ message }) { return message; } }",
      [],
    ],
    [
      "nested closures see the outer parameters",
      "({ xs }) => xs.map((v) => v + xs.length).filter(function (w) { return w > limit; })",
      ["limit"],
    ],
    ["inner parameter shadows an outer name", "({ xs }) => xs.map((k) => k * 2)", []],
    [
      "for-of binding",
      "({ xs }) => { let s = 0; for (const v of xs) s += v * w; return s; }",
      ["w"],
    ],
    [
      "for-in binding",
      "({ o }) => { const out = []; for (const key in o) out.push(key); return out; }",
      [],
    ],
    ["for binding", "({ n }) => { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }", []],
    [
      "switch with lexical declarations",
      "({ x }) => { switch (x) { case 1: { const y = 1; return y; } default: let z = other; return z; } }",
      ["other"],
    ],
    [
      "labels are not references",
      "({ xs }) => { outer: for (const a of xs) { for (const b of a) { if (b) continue outer; break outer; } } }",
      [],
    ],
    ["non-computed member properties are not references", "({ o }) => o.k + o.a.b", []],
    ["computed member properties are", "({ o }) => o[key]", ["key"]],
    ["object keys are not references", "({ x }) => ({ k: x, 'a': 1, 2: 3 })", []],
    ["computed object keys are", "({ x }) => ({ [key]: x })", ["key"]],
    ["shorthand properties are references", "({ x }) => ({ x, k })", ["k"]],
    [
      "object methods and their keys",
      "({ x }) => ({ k() { return x + k2; }, get g() { return 1; } })",
      ["k2"],
    ],
    [
      "this, arguments and new.target",
      "function ({ x }) { return [this, arguments, new.target, x]; }",
      [],
    ],
    ["arguments in an arrow", "({ x }) => arguments.length + x", []],
    [
      "assignment to an outer variable",
      "({ x }) => { counter += x; return counter; }",
      ["counter"],
    ],
    ["update of an outer variable", "({ x }) => { count++; return x; }", ["count"]],
    [
      "destructuring assignment to outer names",
      "({ p }) => { [a, { b }] = p; return a; }",
      ["a", "b"],
    ],
    ["member assignment reads the object", "({ x }) => { cache.last = x; }", ["cache"]],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text holds a template.
    ["template literals and tagged templates", "({ x }) => tag`${x} and ${y}`", ["tag", "y"]],
    ["optional chaining", "({ o }) => o?.a?.[idx]?.(arg)", ["idx", "arg"]],
    [
      "globals are not captures",
      "({ x }) => Math.max(JSON.parse(x), Number.NaN, Infinity, undefined, console.log(globalThis))",
      [],
    ],
    [
      "class fields and static blocks",
      "({ x }) => class { a = seed; static { var t = 1; init(t); } #p = 1; m() { return this.#p; } }",
      ["seed", "init"],
    ],
    ["regex and string literals hold no names", "({ s }) => /k+/.test(s) + 'k' + \"k\"", []],
    ["typeof of an outer name", "({ x }) => typeof maybe === 'function' ? maybe(x) : x", ["maybe"]],
    ["dynamic import is no capture", "async ({ x }) => (await import('node:path')).join(x)", []],
  ] as const)("%s", (_name, source, expected) => {
    expect(capturedNames(make(source))).toEqual(expected);
  });

  it.each([
    ["method shorthand", "f({ x }) { return x * k; }", ["k"]],
    ["async method", "async f({ x }) { return x * k; }", ["k"]],
    ["generator method", "*f({ n }) { yield n * k; }", ["k"]],
    [
      "method with a computed name: the key is not part of the function",
      "[name]({ x }) { return x; }",
      [],
    ],
  ] as const)("%s", (_name, source, expected) => {
    const fn = source.startsWith("[")
      ? new Function(`const name = "f"; return ({ ${source} }).f;`)()
      : method(source);
    expect(capturedNames(fn)).toEqual(expected);
  });

  it("reads a class's private method", () => {
    const fn = new Function(
      "return new (class { #f({ x }) { return x * k; } get f() { return this.#f; } })().f;",
    )();
    expect(capturedNames(fn)).toEqual(["k"]);
  });

  it("answers undefined for functions whose source says nothing: native, bound, classes", () => {
    expect(capturedNames(Math.max)).toBeUndefined();
    expect(capturedNames(make("({ x }) => x * k").bind(null))).toBeUndefined();
    expect(capturedNames(class A {})).toBeUndefined();
  });

  it("reports an imported binding by the name the author wrote, also under vitest", () => {
    // Under vitest `scale` reads `__vite_ssr_import_N__.scale`; under plain Node it is `scale`.
    const f = ({ x }: { x: number }) => scale(x);
    expect(capturedNames(f)).toEqual(["scale"]);
    const fromVite = make(
      "({ x }) => (0, __vite_ssr_import_3__.scale)(x) + __vi_import_0__['other']",
    );
    expect(capturedNames(fromVite)).toEqual(["scale", "other"]);
  });

  it("ignores the helpers transpilers inject (vite's dynamic import and import.meta, esbuild's __name)", () => {
    const f = make(
      "async ({ x }) => { const inner = __name(() => x, 'inner'); const m = await __vite_ssr_dynamic_import__('/a.ts'); return inner() + m.k + __vite_ssr_import_meta__.url; }",
    );
    expect(capturedNames(f)).toEqual([]);
  });

  it("takes import.meta for no capture", () => {
    const f = ({ x }: { x: string }) => import.meta.url + x;
    expect(capturedNames(f)).toEqual([]);
  });

  it("sees a real closure's captured constant", () => {
    const k = 2;
    const f = ({ x }: { x: number }) => x * k;
    expect(capturedNames(f)).toEqual(["k"]);
  });

  it("analyses a namedPartial through to the function it wraps", () => {
    const f = make("({ x, y }) => x * y * k");
    expect(
      capturedNames(namedPartial(f as (a: { x: number; y: number }) => number, "p", { y: 2 })),
    ).toEqual(["k"]);
  });

  it("answers the same array for the same function (analysed once)", () => {
    const f = make("({ x }) => x * k");
    expect(capturedNames(f)).toBe(capturedNames(f));
  });
});

describe("capturedNames: property", () => {
  // Expressions over parameters (a, b) and outer names (p, q, r), built with members,
  // object keys, shorthand properties, calls and nested arrows that rebind a name.
  // Invariant: the captured names are exactly the outer names used as variables.
  type Expr = { readonly code: string; readonly free: readonly string[] };
  const params = ["a", "b"] as const;
  const outer = ["p", "q", "r"] as const;
  const leaf: fc.Arbitrary<Expr> = fc.oneof(
    fc.constantFrom(...params).map((n) => ({ code: n, free: [] })),
    fc.constantFrom(...outer).map((n) => ({ code: n, free: [n] })),
    fc.integer({ min: 0, max: 9 }).map((n) => ({ code: String(n), free: [] })),
  );
  const names = fc.constantFrom(...params, ...outer);
  const expr: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
    e: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc
        .tuple(tie("e"), tie("e"))
        .map(([l, r]) => ({ code: `(${l.code} + ${r.code})`, free: [...l.free, ...r.free] })),
      // A property name is never a variable, even when it spells an outer name.
      fc.tuple(tie("e"), names).map(([o, n]) => ({ code: `(${o.code}).${n}`, free: o.free })),
      fc.tuple(names, tie("e")).map(([n, v]) => ({ code: `({ ${n}: ${v.code} })`, free: v.free })),
      names.map((n) => ({
        code: `({ ${n} })`,
        free: (outer as readonly string[]).includes(n) ? [n] : [],
      })),
      fc
        .tuple(tie("e"), tie("e"))
        .map(([f, x]) => ({ code: `(${f.code})(${x.code})`, free: [...f.free, ...x.free] })),
      // An arrow binding an outer name hides it in its body.
      fc.tuple(fc.constantFrom(...outer), tie("e")).map(([n, body]) => ({
        code: `((${n}) => ${body.code})`,
        free: body.free.filter((m) => m !== n),
      })),
    ),
  })).e;

  it("finds exactly the outer names an expression reads", () => {
    fc.assert(
      fc.property(expr, (e) => {
        const found = capturedNames(make(`({ a, b }) => ${e.code}`)) ?? [];
        expect([...found].sort()).toEqual([...new Set(e.free)].sort());
      }),
      { numRuns: 300 },
    );
  });
});
