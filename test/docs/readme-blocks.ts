/**
 * The TypeScript snippets of a Markdown document (the README, the guides in `docs/`) as their
 * test (`markdown-suite.ts`) reads them; "README line" below is a line of that document.
 *
 * Conventions (the documents follow them; the test enforces them):
 * - A ```ts or ```typescript fence is a snippet. It is type-checked with the project's
 *   tsconfig and run in a fresh folder, unless its info string says `no-run` (type-checked
 *   only; the test lists every such block).
 * - A snippet whose first line is `// continues the previous block` shares one module with the
 *   snippet before it; any other snippet stands alone.
 * - `expr; // → value` claims the value of `expr` (for `const x = expr; // → value`, of `x`),
 *   written as `show` (readme-show.ts) writes it; `…` stands for any text, and a
 *   parenthesized remark that ends the claim, `// → 15 (a Promise<number>)`, is prose.
 *   `// → throws Name: message` claims the statement throws (or rejects) that. The claim sits
 *   after the statement on its last line, or on a line of its own right below it, and
 *   continues on the following lines that start with `//` and two or more spaces.
 * - `// error: text` after a statement of a `no-run` snippet claims a compile error there.
 * - A ```text fence right after a snippet (blank lines between at most) is what the snippet
 *   prints, followed by `Name: message` if it ends by throwing.
 */

import ts from "typescript";

/** A fenced code block of the README. */
export interface Fence {
  /** README line (1-based) of the first line inside the fence. */
  readonly line: number;
  /** README line of the closing fence. */
  readonly endLine: number;
  readonly lang: string;
  readonly flags: readonly string[];
  /** The lines inside the fence, without the fence's own indentation. */
  readonly lines: readonly string[];
  /** The nearest heading above the block. */
  readonly heading: string;
}

/** A TypeScript snippet of the README. */
export interface Snippet extends Fence {
  readonly continues: boolean;
  readonly noRun: boolean;
  /** The ```text block right after it: what it prints. */
  readonly output: Fence | undefined;
}

/** A claim `// → value` or `// → throws message` about a top-level statement. */
export interface ValueClaim {
  /** README line of the `// →` comment, which is also the id the run reports it under. */
  readonly line: number;
  readonly expected: string;
  readonly throws: boolean;
}

/** A claim `// error: text` that a line does not compile. */
export interface ErrorClaim {
  /** README line of the statement's line the comment refers to. */
  readonly line: number;
  readonly expected: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*(.*)$/;
const CONTINUES = /^\/\/ continues the previous block\b/;
const CONTINUATION = /^\s*\/\/ {2,}(\S.*)$/;

/** Every fenced block of `markdown`, in order. */
export function readFences(markdown: string): Fence[] {
  const all = markdown.split("\n");
  const fences: Fence[] = [];
  let heading = "";
  for (let i = 0; i < all.length; i++) {
    const text = all[i] ?? "";
    const open = FENCE.exec(text);
    if (!open) {
      if (/^#{1,6} /.test(text)) heading = text.replace(/^#+ /, "");
      continue;
    }
    const [, indent = "", marks = "", info = ""] = open;
    const [lang = "", ...flags] = info.trim().split(/\s+/);
    const lines: string[] = [];
    let j = i + 1;
    for (; j < all.length; j++) {
      const line = all[j] ?? "";
      if (line.trim().startsWith(marks) && line.trim().replace(/[`~]/g, "") === "") break;
      lines.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    fences.push({ line: i + 2, endLine: j + 1, lang, flags, lines, heading });
    i = j;
  }
  return fences;
}

/** The TypeScript snippets among `fences`, each with the text block that follows it. */
export function snippetsOf(fences: readonly Fence[], markdown: string): Snippet[] {
  const all = markdown.split("\n");
  const snippets: Snippet[] = [];
  fences.forEach((fence, k) => {
    if (fence.lang !== "ts" && fence.lang !== "typescript") return;
    const next = fences[k + 1];
    const between = next ? all.slice(fence.endLine, next.line - 2) : ["x"];
    const output =
      next?.lang === "text" && between.every((l) => l.trim() === "") ? next : undefined;
    snippets.push({
      ...fence,
      continues: CONTINUES.test(fence.lines[0] ?? ""),
      noRun: fence.flags.includes("no-run"),
      output,
    });
  });
  return snippets;
}

/** Snippets joined into modules: each with the snippets that continue it. */
export function groupsOf(snippets: readonly Snippet[]): Snippet[][] {
  const groups: Snippet[][] = [];
  for (const snippet of snippets) {
    const last = groups.at(-1);
    if (snippet.continues && last) last.push(snippet);
    else groups.push([snippet]);
  }
  return groups;
}

/**
 * One module's source: each snippet's lines at their own README lines (blank elsewhere), so
 * that a line of the file, of a compiler message or of a stack trace is a README line.
 *
 * @param importPath - What to import instead of `pipeweave` or `pipeweave/<sub>`.
 */
export function moduleSource(
  snippets: readonly Snippet[],
  importPath: (subpath: string | undefined) => string,
): string {
  const last = snippets.at(-1);
  const lines: string[] = Array.from({ length: last ? last.endLine : 0 }, () => "");
  for (const snippet of snippets) {
    snippet.lines.forEach((line, k) => {
      lines[snippet.line - 1 + k] = line.replace(
        /(\bfrom\s+|\bimport\s*\(\s*)(["'])pipeweave(\/[\w-]+)?\2/g,
        (_, head: string, quote: string, sub: string | undefined) =>
          `${head}${quote}${importPath(sub?.slice(1))}${quote}`,
      );
    });
  }
  return lines.join("\n");
}

/**
 * Splits `value (remark)` into the value, dropping a final parenthesized remark: one that
 * follows a space and runs to the end, so a message's own `(number).` mid-text stays.
 */
function withoutRemark(text: string): string {
  const end = text.trimEnd().length;
  let depth = 0;
  let quote = "";
  let remark = -1;
  for (let i = 0; i < end; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = "";
    } else if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "(" || c === "[" || c === "{") {
      if (c === "(" && depth === 0 && i > 0 && /\s/.test(text[i - 1] ?? "")) remark = i;
      depth++;
    } else if (c === ")" || c === "]" || c === "}") {
      depth--;
      if (depth === 0 && remark >= 0) {
        if (i === end - 1) return text.slice(0, remark).trim();
        remark = -1;
      }
    }
  }
  return text.trim();
}

/** `first` and the `//   …` lines that continue it, from README line `after` + 1 on. */
function continued(first: string, lines: readonly string[], after: number): string {
  let text = first;
  for (let k = after; k < lines.length; k++) {
    const more = CONTINUATION.exec(lines[k] ?? "");
    if (!more) break;
    text += ` ${more[1]}`;
  }
  return text;
}

/** What a parsed module's statements look like to the claims below. */
export interface Parsed {
  readonly file: ts.SourceFile;
  readonly claims: ValueClaim[];
  readonly errors: ErrorClaim[];
  /** README lines of `// →` comments no top-level statement ends on: claims nobody checks. */
  readonly stray: number[];
}

const lineOf = (file: ts.SourceFile, pos: number) =>
  file.getLineAndCharacterOfPosition(pos).line + 1;

const ARROW = /\/\/\s*→\s*(.*)$/;

/**
 * README line of the `// →` claim about a top-level statement: a comment after it on its last
 * line, or one on a line of its own right below it.
 */
function claimLine(file: ts.SourceFile, statement: ts.Statement): number | undefined {
  const source = file.text;
  const [comment] = ts.getTrailingCommentRanges(source, statement.end) ?? [];
  if (comment) {
    return /^\/\/\s*→/.test(source.slice(comment.pos, comment.end))
      ? lineOf(file, comment.pos)
      : undefined;
  }
  const below = lineOf(file, statement.end) + 1;
  const text = source.split("\n")[below - 1] ?? "";
  return /^\s*\/\/\s*→/.test(text) ? below : undefined;
}

/** The claims in a module's source (see {@link moduleSource}). */
export function parseClaims(source: string): Parsed {
  const file = ts.createSourceFile("block.ts", source, ts.ScriptTarget.Latest, true);
  const lines = source.split("\n");
  const claims: ValueClaim[] = [];
  for (const statement of file.statements) {
    const line = claimLine(file, statement);
    if (line === undefined) continue;
    const arrow = ARROW.exec(lines[line - 1] ?? "");
    const text = withoutRemark(continued(arrow?.[1] ?? "", lines, line));
    const throws = text.startsWith("throws ");
    claims.push({ line, expected: throws ? text.slice(7) : text, throws });
  }
  const claimed = new Set(claims.map((c) => c.line));
  const stray: number[] = [];
  const errors: ErrorClaim[] = [];
  lines.forEach((text, k) => {
    if (/\/\/\s*→/.test(text) && !claimed.has(k + 1)) stray.push(k + 1);
    const error = /\/\/\s*error:\s*(.*)$/.exec(text);
    if (!error) return;
    let at = k;
    // A comment on its own line refers to the code line above it.
    if (text.slice(0, error.index).trim() === "") {
      do at--;
      while (at > 0 && /^\s*(\/\/.*)?$/.test(lines[at] ?? ""));
    }
    errors.push({ line: at + 1, expected: continued(error[1] ?? "", lines, k + 1) });
  });
  return { file, claims, errors, stray };
}

const hasAwait = (node: ts.Node): boolean =>
  ts.isAwaitExpression(node) ||
  (!ts.isFunctionLike(node) && (ts.forEachChild(node, hasAwait) ?? false));

/** The helpers a run module ends with: function declarations, hoisted, so no line moves. */
const HELPERS = [
  "function __pwCheck(line, isAsync, throws, compute) {",
  "  const report = globalThis.__pwReport;",
  "  if (!report) return compute();",
  "  const failed = (e) => { report(line, false, e); if (!throws) throw e; };",
  "  if (isAsync) return compute().then((v) => { report(line, true, v); return v; }, failed);",
  "  try { const v = compute(); report(line, true, v); return v; } catch (e) { failed(e); }",
  "}",
  "function __pwBlock(line) { globalThis.__pwBlock?.(line); }",
].join("\n");

/**
 * The module to run: `source` with its `no-run` snippets blanked, every claimed statement
 * reporting its value or error, and a marker on stdout where each snippet starts.
 *
 * @param document - The document's name in the problems: `README`, `docs/streams.md`.
 * @returns The source, or the problems that keep claims from being checked.
 */
export function runSource(
  source: string,
  snippets: readonly Snippet[],
  document = "README",
): { source: string; problems: string[] } {
  const lines = source.split("\n");
  for (const snippet of snippets) {
    if (!snippet.noRun) continue;
    for (let k = 0; k < snippet.lines.length; k++) lines[snippet.line - 1 + k] = "";
  }
  const blanked = lines.join("\n");
  const { file, claims } = parseClaims(blanked);
  const edits: { at: number; remove: number; insert: string }[] = [];
  const problems: string[] = [];
  const byLine = new Map(claims.map((c) => [c.line, c]));
  for (const statement of file.statements) {
    const line = claimLine(file, statement);
    const claim = line === undefined ? undefined : byLine.get(line);
    if (!claim) continue;
    if (ts.isExpressionStatement(statement)) {
      const isAsync = hasAwait(statement.expression);
      const call = `__pwCheck(${claim.line}, ${isAsync}, ${claim.throws}, ${isAsync ? "async " : ""}() => (${statement.expression.getText(file)}));`;
      const start = statement.getStart(file);
      edits.push({
        at: start,
        remove: statement.end - start,
        insert: isAsync ? `await ${call}` : call,
      });
      continue;
    }
    const [declaration, ...more] = ts.isVariableStatement(statement)
      ? statement.declarationList.declarations
      : [];
    if (declaration && more.length === 0 && ts.isIdentifier(declaration.name) && !claim.throws) {
      const insert = ` __pwCheck(${claim.line}, false, false, () => ${declaration.name.text});`;
      edits.push({ at: statement.end, remove: 0, insert });
      continue;
    }
    problems.push(
      `${document} line ${claim.line}: a \`// →\` claim must follow an expression statement or \`const x = …\``,
    );
  }
  for (const snippet of snippets) {
    if (snippet.noRun) continue;
    const at = file.getPositionOfLineAndCharacter(snippet.line - 1, 0);
    edits.push({ at, remove: 0, insert: `__pwBlock(${snippet.line});` });
  }
  // Latest first; at one position, the replacement before the insertion in front of it.
  edits.sort((a, b) => b.at - a.at || b.remove - a.remove);
  let out = blanked;
  for (const edit of edits) {
    out = out.slice(0, edit.at) + edit.insert + out.slice(edit.at + edit.remove);
  }
  return { source: `${out}\n${HELPERS}\n`, problems };
}
