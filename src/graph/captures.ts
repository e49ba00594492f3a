/**
 * The names a function uses from outside itself (its free variables), found by parsing its
 * source text with acorn and resolving every identifier against the scopes it is written in,
 * each sorted by how it is used.
 *
 * Why: caches and run folders identify a function by its source text, which says nothing
 * about the values of the names it captures: `({ x }) => x * k` with `k = 2` and with `k = 3`
 * print the same. A cached function must therefore declare the data it reads (the `captures`
 * or `version` option), and this analysis finds the names it would forget. Not every free
 * name is data, though (as in pipefunc, which hashes no free name at all):
 * - **code**: a name only called (`sum(y)`, `new Model()`, `` tag`…` ``, `x instanceof Model`)
 *   or only the object of a method call (`stats.mean(y)`, `seen.push(x)`): a helper, whose
 *   changes `version` stands for;
 * - **written**: a name only assigned or updated in a statement (`calls++`, `n += 1;`,
 *   `ran = true`, `counters.f++`, `obj.x = v`): a side effect the result does not depend on;
 * - **data**: every other use (`x * k`, `table[x]`, `cfg.scale`, `f(k)`, `...k`, `${k}`,
 *   `calls++` whose value is used). A name used both ways is data.
 *
 * Transpiler artefacts, so the names reported are the ones the author wrote:
 * - vitest (vite-node) rewrites a use of an imported binding `k` to `__vite_ssr_import_0__.k`
 *   (`__vi_import_0__.k` in a file that calls `vi.mock`): it is reported as `k`, so
 *   `captures: { k }` declares it under vitest and under plain Node alike. A default import
 *   reads `__vite_ssr_import_0__.default`, whose local name is lost: it is reported as
 *   `"default"`.
 * - The other names vite injects (`__vite_ssr_dynamic_import__`, `__vite_ssr_import_meta__`,
 *   …) and esbuild's keepNames helper `__name` (tsx) are not captures.
 *
 * The analysis runs once per function object (memoized), never per call.
 */
import { type AnyNode, type Node, type Pattern, parse, type Statement } from "acorn";
import { setOwn } from "../_internal/own.ts";
import { UndeclaredCaptureError } from "../errors.ts";
import { PARTIAL_TARGET, type PartialTarget } from "./named-partial.ts";
import type { AnyPipeFunc } from "./types.ts";

/** A vitest/vite-node import binding: its members are the imported names. */
const IMPORT_BINDING = /^__(?:vite_ssr_import|vi_import)_\d+__$/;
/** Names transpilers inject that hold no user value. */
const INJECTED = /^__vite_ssr_\w+__$|^__vi_\w+__$|^__name$/;

/** How a free name is used, as bits: a name may be used several ways. */
const DATA = 1;
const CODE = 2;
const WRITTEN = 4;

/** A function's free names (globals excluded), each list in order of first use. */
export interface CaptureKinds {
  /** Every free name, whatever its use. */
  readonly all: readonly string[];
  /** Names whose values the function reads: what `captures` must declare. */
  readonly data: readonly string[];
  /** Names only called or used as the object of a method call: helpers, never declared. */
  readonly code: readonly string[];
  /** Names only written (counters, flags, fields set): side effects, never declared. */
  readonly written: readonly string[];
}

const analyses = new WeakMap<Function, CaptureKinds | null>();

/**
 * The names `fn` uses from enclosing scopes, other than globals (names present on
 * `globalThis`) and `arguments`, sorted by use (see the module's comment). A namedPartial is
 * analysed through to the function it wraps.
 *
 * @param fn - Any function.
 * @returns The names by kind, or undefined when the source cannot be analysed (a native or
 *   bound function, a class, a source that does not parse).
 */
export function captureKinds(fn: Function): CaptureKinds | undefined {
  const target = (fn as { [PARTIAL_TARGET]?: PartialTarget })[PARTIAL_TARGET];
  if (target) return captureKinds(target.fn);
  let kinds = analyses.get(fn);
  if (kinds === undefined) {
    kinds = classify(freeNames(fn));
    analyses.set(fn, kinds);
  }
  return kinds ?? undefined;
}

/**
 * Every name `fn` uses from enclosing scopes, whatever the use, in order of first use; see
 * {@link captureKinds}.
 */
export function capturedNames(fn: Function): readonly string[] | undefined {
  return captureKinds(fn)?.all;
}

function classify(uses: ReadonlyMap<string, number> | undefined): CaptureKinds | null {
  if (uses === undefined) return null;
  const kinds = {
    all: [] as string[],
    data: [] as string[],
    code: [] as string[],
    written: [] as string[],
  };
  for (const [name, use] of uses) {
    if (name in globalThis) continue;
    kinds.all.push(name);
    if (use & DATA) kinds.data.push(name);
    else if (use & CODE) kinds.code.push(name);
    else kinds.written.push(name);
  }
  return kinds;
}

/** The names of `kind` that `f` uses: a nested function's are its inner functions'. */
function namesOf(f: AnyPipeFunc, kind: "data" | "code"): readonly string[] {
  if (f.call.parts) return [...new Set(f.call.parts.flatMap((p) => namesOf(p, kind)))];
  return captureKinds(f.call.fn)?.[kind] ?? [];
}

/**
 * The names `f` reads as data that neither its `captures` nor a `version` accounts for. A
 * nested function answers for its inner functions (less what its own `captures` declares).
 *
 * @param f - A pipe function.
 * @returns The undeclared names; empty when there are none or the source cannot be analysed.
 */
export function undeclaredCaptures(f: AnyPipeFunc): readonly string[] {
  if (f.version !== undefined) return [];
  const declared = f.captures ?? {};
  const names = f.call.parts
    ? [...new Set(f.call.parts.flatMap(undeclaredCaptures))]
    : namesOf(f, "data");
  return names.filter((n) => !Object.hasOwn(declared, n));
}

/**
 * The names `f` uses as code (helpers it calls, objects whose methods it calls), for the
 * record: they are not part of its identity, which `version` stands for.
 */
export function calledNames(f: AnyPipeFunc): readonly string[] {
  return namesOf(f, "code");
}

/**
 * `f` with the values of a pipeline-level `captures` that it uses (as data, or as code: a
 * declared helper is hashed by its source) added to its own `captures`, so they enter its
 * identity as if it declared them; `f` itself when it uses none of them or declares them
 * already (its own declaration wins).
 *
 * @param f - A function of the pipeline.
 * @param captures - The pipeline's `captures`.
 */
export function withPipelineCaptures(
  f: AnyPipeFunc,
  captures: Readonly<Record<string, unknown>>,
): AnyPipeFunc {
  const own = f.captures ?? {};
  const read = [...namesOf(f, "data"), ...namesOf(f, "code")].filter(
    (n) => Object.hasOwn(captures, n) && !Object.hasOwn(own, n),
  );
  if (read.length === 0) return f;
  const merged: Record<string, unknown> = { ...own };
  for (const n of read) setOwn(merged, n, captures[n]);
  return f.with({ captures: merged });
}

/**
 * Checks that `f` declares every value it reads as data, before its identity is used.
 *
 * @param f - A pipe function whose identity is about to key stored results.
 * @param why - What needs the identity ("it is cached").
 * @param risk - What an undeclared value would cause: stale results, or results of processes
 *   that read other values mixed into one run.
 * @throws {@link UndeclaredCaptureError} naming the node and the undeclared names.
 */
export function checkCaptures(
  f: AnyPipeFunc,
  why: string,
  risk: "stale" | "mixed" = "stale",
): void {
  const names = undeclaredCaptures(f);
  if (names.length > 0) throw new UndeclaredCaptureError(f.name, names, why, risk);
}

/**
 * The free names of `fn`'s source, globals included, with how each is used; undefined when
 * it cannot be parsed.
 */
function freeNames(fn: Function): Map<string, number> | undefined {
  let source: string;
  try {
    source = Function.prototype.toString.call(fn);
  } catch {
    return undefined;
  }
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source) || /^class[\s{]/.test(source)) return undefined;
  const node = functionNode(source);
  if (!node) return undefined;
  const walker = new FreeNameWalker();
  walker.visit(node, new Scope(undefined));
  for (const n of walker.found.keys()) {
    if (n === "arguments" || INJECTED.test(n)) walker.found.delete(n);
  }
  return walker.found;
}

type FunctionNode = Extract<
  AnyNode,
  { type: "ArrowFunctionExpression" | "FunctionExpression" | "FunctionDeclaration" }
>;

/**
 * Parses a function's source in the forms it prints as: an expression (arrow, function,
 * async, generator), a method (only valid inside an object literal) or a class member
 * (a private method). Only the function itself is returned: the wrapper's computed key is
 * not part of it.
 */
function functionNode(source: string): FunctionNode | undefined {
  const forms: readonly [string, (program: AnyNode) => AnyNode | undefined][] = [
    [`(${source})`, (p) => expressionOf(p)],
    [
      `({ ${source} })`,
      (p) => {
        const e = expressionOf(p);
        const prop = e?.type === "ObjectExpression" ? e.properties[0] : undefined;
        return prop?.type === "Property" ? prop.value : undefined;
      },
    ],
    [
      `(class { ${source} })`,
      (p) => {
        const e = expressionOf(p);
        const member = e?.type === "ClassExpression" ? e.body.body[0] : undefined;
        return member?.type === "MethodDefinition" ? member.value : undefined;
      },
    ],
  ];
  for (const [text, pick] of forms) {
    for (const sourceType of ["module", "script"] as const) {
      let program: AnyNode;
      try {
        program = parse(text, { ecmaVersion: "latest", sourceType }) as AnyNode;
      } catch {
        continue;
      }
      const found = pick(program);
      if (
        found?.type === "ArrowFunctionExpression" ||
        found?.type === "FunctionExpression" ||
        found?.type === "FunctionDeclaration"
      ) {
        return found;
      }
    }
  }
  return undefined;
}

function expressionOf(program: AnyNode): AnyNode | undefined {
  if (program.type !== "Program" || program.body.length !== 1) return undefined;
  const stmt = program.body[0] as AnyNode;
  return stmt.type === "ExpressionStatement" ? stmt.expression : undefined;
}

/** Names declared in one scope, and the scope around it. */
class Scope {
  readonly names = new Set<string>();
  constructor(readonly parent: Scope | undefined) {}

  has(name: string): boolean {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.names.has(name)) return true;
    return false;
  }
}

/**
 * Walks a function's AST with the scopes it opens, recording every identifier read or
 * written that no enclosing scope of the function declares, with how it is used (see
 * {@link captureKinds}). Declarations are hoisted into their scope before its statements are
 * walked, as JavaScript does (`var` and function declarations to the function,
 * `let`/`const`/`class` to the block).
 */
class FreeNameWalker {
  /** Each free name with its uses (DATA, CODE, WRITTEN bits), in order of first use. */
  readonly found = new Map<string, number>();

  #add(name: string, use: number): void {
    this.found.set(name, (this.found.get(name) ?? 0) | use);
  }

  #use(name: string, scope: Scope, use: number): void {
    if (!scope.has(name)) this.#add(name, use);
  }

  visit(node: AnyNode | null | undefined, scope: Scope): void {
    if (!node) return;
    switch (node.type) {
      case "Identifier":
        this.#use(node.name, scope, DATA);
        return;
      case "MemberExpression": {
        const imported = importedName(node, scope);
        if (imported !== undefined) {
          this.#add(imported, DATA);
          return;
        }
        this.visit(node.object, scope);
        // `a.b`: `b` is a property name, not a variable.
        if (node.computed) this.visit(node.property, scope);
        return;
      }
      case "CallExpression":
      case "NewExpression":
        this.#callee(node.callee, scope);
        for (const a of node.arguments) this.visit(a, scope);
        return;
      case "TaggedTemplateExpression":
        this.#callee(node.tag, scope);
        this.visit(node.quasi, scope);
        return;
      case "BinaryExpression":
        // `x instanceof Model` asks about a class, as `new Model()` uses one: code.
        this.visit(node.left, scope);
        if (node.operator === "instanceof") this.#callee(node.right, scope);
        else this.visit(node.right, scope);
        return;
      case "ExpressionStatement":
        this.#effect(node.expression, scope);
        return;
      case "Property":
      case "MethodDefinition":
      case "PropertyDefinition":
        // A key is a name only when computed (`{ [k]: 1 }`); a shorthand `{ k }` is a
        // Property whose value is the identifier `k`, so it is a reference.
        if (node.computed) this.visit(node.key, scope);
        this.visit(node.value, scope);
        return;
      case "LabeledStatement":
        this.visit(node.body, scope);
        return;
      case "BreakStatement":
      case "ContinueStatement":
      case "MetaProperty":
      case "ThisExpression":
      case "Super":
      case "PrivateIdentifier":
      case "Literal":
      case "TemplateElement":
        return;
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        this.#function(node, scope);
        return;
      case "ClassDeclaration":
      case "ClassExpression": {
        const inner = new Scope(scope);
        if (node.id) inner.names.add(node.id.name);
        // `extends Base` runs Base's code, as a call does.
        if (node.superClass) this.#callee(node.superClass, inner);
        for (const member of node.body.body) this.visit(member, inner);
        return;
      }
      case "BlockStatement":
      case "StaticBlock": {
        const inner = new Scope(scope);
        // A static block is a function-like scope for `var`.
        if (node.type === "StaticBlock") hoistVars(node.body, inner);
        this.#statements(node.body, inner);
        return;
      }
      case "SwitchStatement": {
        this.visit(node.discriminant, scope);
        const inner = new Scope(scope);
        declareLexical(
          node.cases.flatMap((c) => c.consequent),
          inner,
        );
        for (const c of node.cases) {
          this.visit(c.test, inner);
          for (const s of c.consequent) this.visit(s, inner);
        }
        return;
      }
      case "ForStatement": {
        const inner = new Scope(scope);
        if (node.init?.type === "VariableDeclaration") {
          declareDeclaration(node.init, inner);
          this.visit(node.init, inner);
        } else if (node.init) this.#effect(node.init, inner);
        this.visit(node.test, inner);
        if (node.update) this.#effect(node.update, inner);
        this.visit(node.body, inner);
        return;
      }
      case "ForInStatement":
      case "ForOfStatement": {
        const inner = new Scope(scope);
        if (node.left.type === "VariableDeclaration") {
          declareDeclaration(node.left, inner);
          this.visit(node.left, inner);
        } else this.#pattern(node.left, inner, false);
        this.visit(node.right, inner);
        this.visit(node.body, inner);
        return;
      }
      case "CatchClause": {
        const inner = new Scope(scope);
        if (node.param) {
          declarePattern(node.param, inner);
          this.#pattern(node.param, inner, true);
        }
        this.visit(node.body, inner);
        return;
      }
      case "VariableDeclaration":
        // The names were declared when their scope opened; only defaults, computed keys and
        // initializers read anything.
        for (const d of node.declarations) {
          this.#pattern(d.id, scope, true);
          this.visit(d.init, scope);
        }
        return;
      case "AssignmentExpression":
        // `a = v` writes `a` whatever is done with its value (which is `v`); `a += v` whose
        // value is used reads `a` (as a statement it goes through #effect).
        if (node.operator === "=") this.#pattern(node.left, scope, false);
        else this.visit(node.left, scope);
        this.visit(node.right, scope);
        return;
      default:
        this.#children(node, scope);
    }
  }

  /**
   * A callee (or `extends` clause): a name called, or the variable at the root of a method's
   * path (`stats.mean`, `np.linalg.norm`), is code. A computed step (`table[k].f`) reads the
   * object as data.
   */
  #callee(node: AnyNode, scope: Scope): void {
    // `(0, f)(x)`: how vitest calls an imported function, so `this` is not the module.
    if (node.type === "SequenceExpression") {
      const last = node.expressions.length - 1;
      node.expressions.forEach((e, i) => {
        if (i < last) this.visit(e, scope);
        else this.#callee(e, scope);
      });
      return;
    }
    for (let n: AnyNode = node; ; n = n.object) {
      if (n.type === "Identifier") {
        this.#use(n.name, scope, CODE);
        return;
      }
      if (n.type !== "MemberExpression" || n.computed) break;
      const imported = importedName(n, scope);
      if (imported !== undefined) {
        this.#add(imported, CODE);
        return;
      }
    }
    this.visit(node, scope);
  }

  /**
   * An expression whose value is discarded (a statement, a `for` clause): an update or a
   * compound assignment there only writes its target, as `a = v` does anywhere.
   */
  #effect(node: AnyNode, scope: Scope): void {
    switch (node.type) {
      case "UpdateExpression":
        this.#written(node.argument, scope);
        return;
      case "AssignmentExpression":
        if (node.operator === "=") this.#pattern(node.left, scope, false);
        else this.#written(node.left, scope);
        this.visit(node.right, scope);
        return;
      case "UnaryExpression":
        if (node.operator === "delete") this.#written(node.argument, scope);
        else this.visit(node, scope);
        return;
      case "SequenceExpression":
        for (const e of node.expressions) this.#effect(e, scope);
        return;
      default:
        this.visit(node, scope);
    }
  }

  /**
   * An assignment target: the variable it names, or the one at the root of a member path
   * (`counters.f`, `obj[k].x`), is written; computed keys on the way are read.
   */
  #written(node: AnyNode, scope: Scope): void {
    let n = node;
    while (n.type === "MemberExpression") {
      const imported = importedName(n, scope);
      if (imported !== undefined) {
        this.#add(imported, WRITTEN);
        return;
      }
      if (n.computed) this.visit(n.property, scope);
      n = n.object;
    }
    if (n.type === "Identifier") this.#use(n.name, scope, WRITTEN);
    else this.visit(n, scope);
  }

  #function(node: FunctionNode, scope: Scope): void {
    const inner = new Scope(scope);
    // A function expression's own name is bound inside it (recursion is no capture); a
    // declaration's name belongs to the scope around it.
    if (node.type !== "ArrowFunctionExpression" && node.id) inner.names.add(node.id.name);
    for (const p of node.params) declarePattern(p, inner);
    if (node.body.type === "BlockStatement") hoistVars(node.body.body, inner);
    for (const p of node.params) this.#pattern(p, inner, true);
    if (node.body.type === "BlockStatement") this.#statements(node.body.body, inner);
    else this.visit(node.body, inner);
  }

  #statements(body: readonly Statement[], scope: Scope): void {
    declareLexical(body, scope);
    for (const s of body) this.visit(s as AnyNode, scope);
  }

  /**
   * Walks a pattern. In a declaration (`isBinding`) its names are being declared, so only
   * default values and computed keys are read; as an assignment target its names, and the
   * objects of its member targets, are written.
   */
  #pattern(node: Pattern | AnyNode, scope: Scope, isBinding: boolean): void {
    switch (node.type) {
      case "Identifier":
        if (!isBinding) this.#use(node.name, scope, WRITTEN);
        return;
      case "ObjectPattern":
        for (const prop of node.properties) {
          if (prop.type === "RestElement") this.#pattern(prop.argument, scope, isBinding);
          else {
            if (prop.computed) this.visit(prop.key, scope);
            this.#pattern(prop.value as Pattern, scope, isBinding);
          }
        }
        return;
      case "ArrayPattern":
        for (const el of node.elements) if (el) this.#pattern(el, scope, isBinding);
        return;
      case "RestElement":
        this.#pattern(node.argument, scope, isBinding);
        return;
      case "AssignmentPattern":
        this.#pattern(node.left, scope, isBinding);
        this.visit(node.right, scope);
        return;
      case "MemberExpression":
        this.#written(node, scope);
        return;
      default:
        this.visit(node as AnyNode, scope);
    }
  }

  /** Every child node, for node kinds that neither declare nor hold property names. */
  #children(node: AnyNode, scope: Scope): void {
    const record = node as unknown as Record<string, unknown>;
    for (const key in record) {
      const value = record[key];
      if (Array.isArray(value)) {
        for (const item of value) if (isNode(item)) this.visit(item, scope);
      } else if (isNode(value)) this.visit(value, scope);
    }
  }
}

function isNode(value: unknown): value is AnyNode {
  return typeof value === "object" && value !== null && typeof (value as Node).type === "string";
}

/** `__vite_ssr_import_0__.k` (an import vite rewrote) as `k`; else undefined. */
function importedName(
  node: Extract<AnyNode, { type: "MemberExpression" }>,
  scope: Scope,
): string | undefined {
  const { object, property } = node;
  if (object.type !== "Identifier" || !IMPORT_BINDING.test(object.name)) return undefined;
  if (scope.has(object.name)) return undefined;
  if (!node.computed && property.type === "Identifier") return property.name;
  if (node.computed && property.type === "Literal" && typeof property.value === "string") {
    return property.value;
  }
  return undefined;
}

/** Adds the names a pattern binds. */
function declarePattern(node: Pattern, scope: Scope): void {
  switch (node.type) {
    case "Identifier":
      scope.names.add(node.name);
      return;
    case "ObjectPattern":
      for (const prop of node.properties) {
        declarePattern(
          prop.type === "RestElement" ? prop.argument : (prop.value as Pattern),
          scope,
        );
      }
      return;
    case "ArrayPattern":
      for (const el of node.elements) if (el) declarePattern(el, scope);
      return;
    case "RestElement":
      declarePattern(node.argument, scope);
      return;
    case "AssignmentPattern":
      declarePattern(node.left, scope);
      return;
    default:
      return;
  }
}

function declareDeclaration(
  node: Extract<AnyNode, { type: "VariableDeclaration" }>,
  scope: Scope,
): void {
  for (const d of node.declarations) declarePattern(d.id, scope);
}

/** Declares the block-scoped names of a statement list: let, const, class and function. */
function declareLexical(body: readonly Statement[], scope: Scope): void {
  for (const s of body) {
    if (s.type === "VariableDeclaration" && s.kind !== "var") declareDeclaration(s, scope);
    else if ((s.type === "ClassDeclaration" || s.type === "FunctionDeclaration") && s.id) {
      scope.names.add(s.id.name);
    }
  }
}

/**
 * Declares the `var` names of a function body, wherever they sit in its blocks (not inside
 * nested functions). Function declarations in blocks count too, as sloppy-mode code hoists
 * them: declaring a name too widely can only hide a capture from a block-level function that
 * shadows it, which no real code relies on.
 */
function hoistVars(body: readonly Statement[], scope: Scope): void {
  const walk = (node: AnyNode | null | undefined): void => {
    if (!node) return;
    switch (node.type) {
      case "VariableDeclaration":
        if (node.kind === "var") declareDeclaration(node, scope);
        return;
      case "FunctionDeclaration":
        if (node.id) scope.names.add(node.id.name);
        return;
      case "BlockStatement":
        for (const s of node.body) walk(s);
        return;
      case "IfStatement":
        walk(node.consequent);
        walk(node.alternate);
        return;
      case "ForStatement":
        walk(node.init);
        walk(node.body);
        return;
      case "ForInStatement":
      case "ForOfStatement":
        walk(node.left);
        walk(node.body);
        return;
      case "WhileStatement":
      case "DoWhileStatement":
      case "LabeledStatement":
      case "WithStatement":
        walk(node.body);
        return;
      case "TryStatement":
        walk(node.block);
        walk(node.handler?.body);
        walk(node.finalizer);
        return;
      case "SwitchStatement":
        for (const c of node.cases) for (const s of c.consequent) walk(s);
        return;
      default:
        return;
    }
  };
  for (const s of body) walk(s as AnyNode);
}
