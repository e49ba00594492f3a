/**
 * The test of a Markdown document's TypeScript snippets (the README's, the guides' in
 * `docs/`): every snippet compiles with the project's strict settings, runs in a fresh folder,
 * and gives the values, errors and output the document claims next to it. The conventions
 * the documents follow are described in `readme-blocks.ts`.
 */
import { execFile } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisAvailable } from "../redis-available.ts";
import {
  groupsOf,
  moduleSource,
  parseClaims,
  readFences,
  runSource,
  type Snippet,
  snippetsOf,
} from "./readme-blocks.ts";
import { BLOCK_MARK, matches, type RunReport } from "./readme-show.ts";

const root = join(import.meta.dirname, "..", "..");

/** A document whose snippets are checked. */
export interface MarkdownDocument {
  /** Its name in test titles and messages: `README`, `docs/streams.md`. */
  readonly name: string;
  /** Its path. */
  readonly file: string;
  /**
   * The snippets that are type-checked but not run (by label: the section, numbered when it
   * has several), and why. Each is a deliberate exception: a new `no-run` block fails the
   * test until it is listed here.
   */
  readonly notRun: Readonly<Record<string, string>>;
  /**
   * Run every module a second time in the same folder, as a user runs a script again: what
   * the first run left (run folders, caches, Redis keys) must not break it. Otherwise a module
   * runs again only when its first run left files in its folder.
   * @defaultValue false
   */
  readonly runTwice?: boolean;
}

/** How long one module may take to run and exit (a snippet that leaves a handle open hangs). */
const RUN_TIMEOUT_MS = 40_000;
/** Modules run at once: each is a Node process with tsx, on a machine shared with others. */
const PARALLEL = 4;

/** A module's first run, and its second in the same folder. */
interface RunOutcomes {
  readonly first: RunOutcome;
  readonly again: RunOutcome;
}

interface RunOutcome {
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly report: RunReport | undefined;
}

/** Runs one module in a fresh folder outside the repository, with at most PARALLEL at once. */
let running = 0;
let runCount = 0;
const waiting: (() => void)[] = [];
async function runModule(file: string, twice: boolean): Promise<RunOutcomes> {
  if (running >= PARALLEL) await new Promise<void>((go) => waiting.push(go));
  running++;
  const cwd = mkdtempSync(join(tmpdir(), "pipeweave-readme-"));
  try {
    const first = await runOnce(file, cwd);
    // A user runs a script again: what the first run left (run folders, caches) must not break it.
    const again =
      first.timedOut || !(twice || readdirSync(cwd).length > 0) ? first : await runOnce(file, cwd);
    return { first, again };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
    running--;
    waiting.shift()?.();
  }
}

async function runOnce(file: string, cwd: string): Promise<RunOutcome> {
  const results = join(tmpdir(), `pipeweave-readme-${process.pid}-${++runCount}.json`);
  const runner = join(import.meta.dirname, "readme-runner.ts");
  try {
    const { stdout, stderr, timedOut } = await new Promise<{
      stdout: string;
      stderr: string;
      timedOut: boolean;
    }>((done) => {
      execFile(
        process.execPath,
        ["--import", import.meta.resolve("tsx"), runner, file, results],
        { cwd, timeout: RUN_TIMEOUT_MS, env: { ...process.env, NO_COLOR: "1" } },
        (error, out, err) => done({ stdout: out, stderr: err, timedOut: error?.killed === true }),
      );
    });
    const report = existsSync(results)
      ? (JSON.parse(readFileSync(results, "utf8")) as RunReport)
      : undefined;
    return { stdout, stderr, timedOut, report };
  } finally {
    rmSync(results, { force: true });
  }
}

/** One document's snippets, and what the test made of them. */
interface Checked {
  readonly doc: MarkdownDocument;
  readonly snippets: Snippet[];
  readonly groups: Snippet[][];
  /** Per group (by its first line): the module type-checked and the one run. */
  readonly files: Map<number, { check: string; run: string; problems: string[] }>;
  readonly runs: Map<number, Promise<RunOutcomes>>;
}

/**
 * Declares the tests of `documents`: one `describe` each, after one `beforeAll` that writes
 * every module, type-checks them all in one program and runs them.
 */
export function describeSnippets(documents: readonly MarkdownDocument[]): void {
  const checked: Checked[] = documents.map((doc) => {
    const markdown = readFileSync(doc.file, "utf8");
    const snippets = snippetsOf(readFences(markdown), markdown);
    return { doc, snippets, groups: groupsOf(snippets), files: new Map(), runs: new Map() };
  });
  const work = join(root, ".tmp", "readme-blocks");
  let dir = "";
  const diagnostics = new Map<string, ts.Diagnostic[]>();
  let globalDiagnostics: readonly ts.Diagnostic[] = [];
  let withRedis = true;
  const rootLitter = [".registry", ".cache", join("runs", "grid")];
  let litterBefore: boolean[] = [];

  /** What a module imports for `pipeweave` or `pipeweave/<sub>`: the repository's source. */
  function importPath(sub: string | undefined): string {
    const target = join(root, "src", ...(sub ? [sub, "index.ts"] : ["index.ts"]));
    const path = relative(dir, target).split(sep).join("/");
    return path.startsWith(".") ? path : `./${path}`;
  }

  function typeCheck(checkFiles: string[]): void {
    const config = ts.readConfigFile(join(root, "tsconfig.json"), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
    const program = ts.createProgram({
      rootNames: checkFiles,
      options: { ...options, noEmit: true },
    });
    globalDiagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
    for (const file of checkFiles) {
      const source = program.getSourceFile(file);
      if (!source) throw new Error(`tsc did not load ${file}`);
      diagnostics.set(file, [
        ...program.getSyntacticDiagnostics(source),
        ...program.getSemanticDiagnostics(source),
      ]);
    }
  }

  const needsRedis = (group: readonly Snippet[]) =>
    group.some((s) => !s.noRun && /pipeweave\/redis|\bredis\b/i.test(s.lines.join("\n")));

  beforeAll(async () => {
    litterBefore = rootLitter.map((name) => existsSync(join(root, name)));
    mkdirSync(work, { recursive: true });
    dir = mkdtempSync(join(work, "run-"));
    const allGroups = checked.flatMap((c) => c.groups);
    withRedis = allGroups.some(needsRedis)
      ? await redisAvailable(`the Redis snippets of ${documents.map((d) => d.name).join(", ")}`)
      : true;
    checked.forEach(({ doc, groups, files, runs }, k) => {
      for (const group of groups) {
        const first = group[0]!.line;
        const source = moduleSource(group, importPath);
        const check = join(dir, `check-${k}-${first}.ts`);
        const run = join(dir, `run-${k}-${first}.ts`);
        const built = runSource(source, group, doc.name);
        writeFileSync(check, source);
        writeFileSync(run, built.source);
        files.set(first, { check, run, problems: built.problems });
        if (group.some((s) => !s.noRun) && (withRedis || !needsRedis(group))) {
          runs.set(first, runModule(run, doc.runTwice ?? false));
        }
      }
    });
    // Compiles while the modules run.
    typeCheck(checked.flatMap((c) => [...c.files.values()].map((f) => f.check)));
    await Promise.all(checked.flatMap((c) => [...c.runs.values()]));
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const { doc, snippets, groups, files, runs } of checked) {
    /** A snippet's name in test titles and lists: its section, numbered when it has several. */
    const label = (snippet: Snippet): string => {
      const same = snippets.filter((s) => s.heading === snippet.heading);
      const n = same.indexOf(snippet) + 1;
      return same.length > 1 ? `${snippet.heading} #${n}` : snippet.heading;
    };
    const where = (snippet: Snippet) => `${doc.name} line ${snippet.line} (${label(snippet)})`;

    describe(`${doc.name} snippets`, () => {
      it("runs every snippet but the few it lists, each for a reason", () => {
        const notRun = snippets.filter((s) => s.noRun).map(label);
        const unknownFlags = snippets.flatMap((s) =>
          s.flags
            .filter((f) => f !== "no-run")
            .map((f) => `${where(s)}: unknown fence flag "${f}"`),
        );
        const orphans = snippets
          .filter((s, k) => s.continues && k === 0)
          .map((s) => `${where(s)} continues no block`);
        const reasons = notRun.map((n) => `${n} (${doc.notRun[n] ?? "no reason listed"})`);
        console.log(
          `${doc.name}: ${snippets.length} TypeScript snippets in ${groups.length} modules; ` +
            `type-checked only: ${reasons.join(", ") || "none"}`,
        );
        expect(snippets.length, `${doc.name} has TypeScript snippets`).toBeGreaterThan(0);
        expect([...unknownFlags, ...orphans]).toEqual([]);
        expect(notRun).toEqual(Object.keys(doc.notRun));
        expect(
          globalDiagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, " ")),
        ).toEqual([]);
      });

      it.each(snippets.map((s) => [where(s), s] as const))("%s type-checks", (_, snippet) => {
        const group = groups.find((g) => g.includes(snippet))!;
        const { check } = files.get(group[0]!.line)!;
        const inSnippet = (line: number) => line >= snippet.line && line < snippet.endLine;
        const found = (diagnostics.get(check) ?? [])
          .filter((d) => d.file && d.start !== undefined)
          .map((d) => ({
            line: d.file!.getLineAndCharacterOfPosition(d.start!).line + 1,
            message: ts.flattenDiagnosticMessageText(d.messageText, " "),
          }))
          .filter((d) => inSnippet(d.line));
        const claims = parseClaims(moduleSource([snippet], importPath)).errors;
        const problems: string[] = [];
        if (claims.length > 0 && !snippet.noRun) {
          problems.push(`${where(snippet)} claims compile errors but is not marked no-run`);
        }
        for (const claim of claims) {
          if (
            !found.some((d) => d.line === claim.line && matches(claim.expected, d.message, false))
          ) {
            const there = found.filter((d) => d.line === claim.line).map((d) => d.message);
            problems.push(
              `${doc.name} line ${claim.line}: claims the compile error "${claim.expected}"; tsc says ${there.length ? there.map((m) => `"${m}"`).join(", ") : "nothing there"}`,
            );
          }
        }
        for (const d of found) {
          if (!claims.some((c) => c.line === d.line && matches(c.expected, d.message, false))) {
            problems.push(`${doc.name} line ${d.line}: ${d.message}`);
          }
        }
        expect(problems).toEqual([]);
      });

      const runnable = groups.filter((g) => g.some((s) => !s.noRun));
      it.each(
        runnable.map(
          (g) =>
            [
              `${where(g[0]!)}${g.length > 1 ? ` to line ${g.at(-1)!.endLine - 1}` : ""}`,
              g,
            ] as const,
        ),
      )(
        `%s runs${doc.runTwice ? " (twice)" : ""} and gives what ${doc.name} claims`,
        async (_, group) => {
          const first = group[0]!.line;
          const outcomes = await runs.get(first);
          if (!outcomes) {
            expect(needsRedis(group) && !withRedis, "skipped only when Redis is missing").toBe(
              true,
            );
            console.warn(`[pipeweave] not run without Redis: ${where(group[0]!)}`);
            return;
          }
          const problems = [...files.get(first)!.problems];
          const { first: outcome, again } = outcomes;
          const { report, stdout, stderr } = outcome;
          const tail = stderr.trim() ? `\nstderr:\n${stderr.trim().slice(-2000)}` : "";
          if (outcome.timedOut)
            problems.push(`did not exit within ${RUN_TIMEOUT_MS} ms (a handle left open?)`);
          if (!report) problems.push(`no report from the runner${tail}`);

          // Each snippet's stdout, split at the marks the run module prints where a snippet starts.
          const printed = new Map<number, string>();
          let current = 0;
          for (const line of stdout.split("\n")) {
            if (line.startsWith(BLOCK_MARK)) current = Number(line.slice(BLOCK_MARK.length));
            else printed.set(current, `${printed.get(current) ?? ""}${line}\n`);
          }
          let errorShown = false;
          for (const snippet of group) {
            if (snippet.noRun) continue;
            for (const claim of parseClaims(moduleSource([snippet], importPath)).claims) {
              const check = report?.checks.find((c) => c.line === claim.line);
              const claimed = `${claim.throws ? "throws " : ""}${claim.expected}`;
              if (!check)
                problems.push(`${doc.name} line ${claim.line}: never ran (claims ${claimed})`);
              else if (check.ok === claim.throws || !matches(claim.expected, check.shown)) {
                problems.push(
                  `${doc.name} line ${claim.line}: claims ${claimed}\n  but ${check.ok ? "gives" : "throws"} ${check.shown}`,
                );
              }
            }
            if (snippet.output && report) {
              const endsHere = report.error !== undefined && report.lastBlock === snippet.line;
              const actual = `${printed.get(snippet.line) ?? ""}${endsHere ? report.error : ""}`;
              errorShown ||= endsHere;
              const expected = snippet.output.lines.join("\n");
              if (!matches(expected, actual)) {
                problems.push(
                  `${doc.name} line ${snippet.output.line}: the text block claims\n${expected}\n  but the snippet printed\n${actual}`,
                );
              }
            }
          }
          for (const line of parseClaims(moduleSource(group, importPath)).stray) {
            problems.push(
              `${doc.name} line ${line}: a \`// →\` claim on no top-level statement is never checked`,
            );
          }
          if (report?.error && !errorShown) problems.push(`throws ${report.error}${tail}`);
          const secondEnd = again.report ? again.report.error : "no report from the runner";
          if (again !== outcome && (again.timedOut || secondEnd !== report?.error)) {
            const how = again.timedOut ? "does not exit" : `ends with ${secondEnd ?? "no error"}`;
            problems.push(
              `run again in the same folder, ${how} (the first run: ${report?.error ?? "no error"})`,
            );
          }
          expect(problems).toEqual([]);
        },
      );
    });
  }

  it("leaves no run folder, registry or cache in the repository", () => {
    const after = rootLitter.map((name) => existsSync(join(root, name)));
    const created = rootLitter.filter((_, k) => after[k] && !litterBefore[k]);
    expect(created).toEqual([]);
  });
}
