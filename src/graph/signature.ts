/**
 * Reads a function's parameters from its source text with acorn, a real JavaScript parser:
 * defaults may hold strings, regexes, nested functions and comments that no hand-written
 * scanner gets right. Runs once per pipe function, never per call.
 */
import { type Expression, type Node, type Pattern, parse } from "acorn";

/** One property read from the first parameter's object pattern. */
export interface ParsedParam {
  /** Property name on the argument object (the graph-facing name), e.g. "a" in `{ a: alpha }`. */
  readonly key: string;
  /** True when the pattern gives a default (`x = 1`, `{ a: alpha = 2 }`). */
  readonly hasDefault: boolean;
  /** Source text of the default expression, exactly as written. */
  readonly defaultSource?: string;
}

/** What {@link parseSignature} found. */
export type ParsedSignature =
  | { readonly kind: "object"; readonly params: readonly ParsedParam[]; readonly hasRest: boolean }
  | { readonly kind: "none" }
  | { readonly kind: "unreadable"; readonly reason: string };

interface FunctionLike {
  readonly params: readonly Pattern[];
  readonly text: string;
}

/** Parses `fn.toString()` into its parameter list, trying the forms a function prints as. */
function parseFunction(fn: Function): FunctionLike | string {
  let source: string;
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    return "its source cannot be read";
  }
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    return "it is a native or bound function, whose source is not available";
  }
  if (/^class[\s{]/.test(source)) return "it is a class, not a function";
  // A function or arrow parses as an expression; a method (`name(args) {}`) only inside an
  // object literal, so it is wrapped.
  for (const text of [`(${source})`, `({ ${source} })`]) {
    const params = paramsOf(text);
    if (params) return { params, text };
  }
  return "its source does not parse as a function";
}

function paramsOf(text: string): readonly Pattern[] | undefined {
  let program: Node;
  try {
    program = parse(text, { ecmaVersion: "latest", allowImportExportEverywhere: true });
  } catch {
    return undefined;
  }
  if (program.type !== "Program") return undefined;
  const stmt = (program as unknown as { body: Node[] }).body[0];
  if (stmt?.type !== "ExpressionStatement") return undefined;
  const expr = (stmt as unknown as { expression: Expression }).expression;
  if (expr.type === "ArrowFunctionExpression" || expr.type === "FunctionExpression") {
    return expr.params;
  }
  if (expr.type === "ObjectExpression" && expr.properties.length === 1) {
    const prop = expr.properties[0]!;
    if (prop.type === "Property" && prop.value.type === "FunctionExpression") {
      return prop.value.params;
    }
  }
  return undefined;
}

/**
 * Reads the object-destructuring pattern of `fn`'s first parameter. Never throws.
 *
 * @param fn - Any function.
 * @returns The keys and default sources, `none` for no parameters, or why it is unreadable.
 */
export function parseSignature(fn: Function): ParsedSignature {
  const parsed = parseFunction(fn);
  if (typeof parsed === "string") return { kind: "unreadable", reason: parsed };
  const first = parsed.params[0];
  if (!first) return { kind: "none" };
  let pattern: Pattern = first;
  if (pattern.type === "AssignmentPattern") pattern = pattern.left;
  if (pattern.type !== "ObjectPattern") return { kind: "unreadable", reason: describe(first) };
  const params: ParsedParam[] = [];
  let hasRest = false;
  for (const prop of pattern.properties) {
    if (prop.type === "RestElement") {
      hasRest = true;
      continue;
    }
    if (prop.computed) {
      return { kind: "unreadable", reason: "its pattern has a computed key" };
    }
    let key: string;
    if (prop.key.type === "Identifier") key = prop.key.name;
    else if (prop.key.type === "Literal" && typeof prop.key.value === "string")
      key = prop.key.value;
    else if (prop.key.type === "Literal" && typeof prop.key.value === "number") {
      key = String(prop.key.value);
    } else return { kind: "unreadable", reason: "its pattern has an unsupported key" };
    if (prop.value.type === "AssignmentPattern") {
      const right = prop.value.right;
      params.push({
        key,
        hasDefault: true,
        defaultSource: parsed.text.slice(right.start, right.end),
      });
    } else {
      params.push({ key, hasDefault: false });
    }
  }
  return { kind: "object", params, hasRest };
}

function describe(param: Pattern): string {
  switch (param.type) {
    case "Identifier":
      return `its first parameter is the identifier "${param.name}", not an object pattern`;
    case "ArrayPattern":
      return "its first parameter is an array pattern, not an object pattern";
    case "RestElement":
      return "its first parameter is a rest parameter, not an object pattern";
    default:
      return "its first parameter is not an object pattern";
  }
}

/**
 * Number of declared (non-rest) parameters and whether a rest parameter exists, for
 * positional nodes. Never throws; undefined when unreadable.
 */
export function parsePositionalArity(
  fn: Function,
): { readonly count: number; readonly hasRest: boolean } | undefined {
  const parsed = parseFunction(fn);
  if (typeof parsed === "string") return undefined;
  const hasRest = parsed.params.some((p) => p.type === "RestElement");
  return { count: parsed.params.length - (hasRest ? 1 : 0), hasRest };
}

/**
 * Names of a positional function's parameters, in order (`(df, window = 3) => …` gives
 * `["df", "window"]`). Undefined when unreadable or when a parameter is a pattern or rest.
 */
export function parseParameterNames(fn: Function): string[] | undefined {
  const parsed = parseFunction(fn);
  if (typeof parsed === "string") return undefined;
  const names: string[] = [];
  for (const p of parsed.params) {
    const target = p.type === "AssignmentPattern" ? p.left : p;
    if (target.type !== "Identifier") return undefined;
    names.push(target.name);
  }
  return names;
}

type LiteralResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false };
const NOT_LITERAL: LiteralResult = { ok: false };

/**
 * Evaluates a default expression's source when it is a pure literal (numbers, strings,
 * booleans, null, undefined, NaN, Infinity, arrays and plain objects of those), walking the
 * AST: nothing is executed. Anything else is `{ ok: false }`.
 */
export function evaluateLiteral(source: string): LiteralResult {
  let program: Node;
  try {
    program = parse(`(${source})`, { ecmaVersion: "latest" });
  } catch {
    return NOT_LITERAL;
  }
  const body = (program as unknown as { body: Node[] }).body;
  if (body.length !== 1 || body[0]!.type !== "ExpressionStatement") return NOT_LITERAL;
  return literalValue((body[0] as unknown as { expression: Expression }).expression);
}

function literalValue(node: Expression): LiteralResult {
  switch (node.type) {
    case "Literal":
      if ("regex" in node && node.regex) return NOT_LITERAL;
      if ("bigint" in node && node.bigint !== undefined)
        return { ok: true, value: BigInt(node.bigint) };
      return { ok: true, value: node.value };
    case "Identifier":
      if (node.name === "undefined") return { ok: true, value: undefined };
      if (node.name === "NaN") return { ok: true, value: Number.NaN };
      if (node.name === "Infinity") return { ok: true, value: Number.POSITIVE_INFINITY };
      return NOT_LITERAL;
    case "UnaryExpression": {
      if (node.operator !== "-" && node.operator !== "+") return NOT_LITERAL;
      const inner = literalValue(node.argument);
      if (!inner.ok || (typeof inner.value !== "number" && typeof inner.value !== "bigint")) {
        return NOT_LITERAL;
      }
      const v = inner.value;
      return { ok: true, value: node.operator === "-" ? -v : typeof v === "bigint" ? v : +v };
    }
    case "TemplateLiteral":
      if (node.expressions.length > 0) return NOT_LITERAL;
      return { ok: true, value: node.quasis.map((q) => q.value.cooked ?? "").join("") };
    case "ArrayExpression": {
      const out: unknown[] = [];
      for (const el of node.elements) {
        if (el === null || el.type === "SpreadElement") return NOT_LITERAL;
        const v = literalValue(el);
        if (!v.ok) return NOT_LITERAL;
        out.push(v.value);
      }
      return { ok: true, value: out };
    }
    case "ObjectExpression": {
      const out: Record<string, unknown> = {};
      for (const prop of node.properties) {
        if (prop.type !== "Property" || prop.computed || prop.kind !== "init" || prop.method) {
          return NOT_LITERAL;
        }
        let key: string;
        if (prop.key.type === "Identifier") key = prop.key.name;
        else if (prop.key.type === "Literal" && prop.key.value !== null)
          key = String(prop.key.value);
        else return NOT_LITERAL;
        const v = literalValue(prop.value as Expression);
        if (!v.ok) return NOT_LITERAL;
        out[key] = v.value;
      }
      return { ok: true, value: out };
    }
    default:
      return NOT_LITERAL;
  }
}
