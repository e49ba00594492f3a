/**
 * The package as a user gets it: `npm pack` (which builds), installed from the tarball into a
 * scratch project without tsx or TypeScript, used from plain `.mjs` and `.cjs` files, driven
 * from the shell with its `pipeweave` bin, and type checked strictly from a `.ts` file; and the
 * README's first steps, from `npm init -y` to a running snippet, in a project of their own.
 * Builds and installs once; each check runs the installed
 * package in its own `node` process, killed if it runs past RUN_MS (a worker that starts the
 * user's sweep again never ends).
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
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFences, snippetsOf } from "../docs/readme-blocks.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));
/** Pack (tsc build) and install, on a busy 2-core machine. */
const SETUP_MS = 240_000;
/** One consumer script; workers and the package load in well under a second. */
const RUN_MS = 60_000;
/** npm's flags for the README's installs, as for the one above: npm's cache where it can. */
const INSTALL_FLAGS = ["--prefer-offline", "--no-audit", "--no-fund"];

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly limitMs: number;
}

/** Runs a command to its end (or `timeoutMs`, then SIGKILL); never rejects. */
function run(
  file: string,
  args: readonly string[],
  cwd: string,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Ran> {
  const timeoutMs = options.timeoutMs ?? RUN_MS;
  return new Promise((resolve) => {
    const started = Date.now();
    execFile(
      file,
      args,
      {
        cwd,
        env: options.env ?? process.env,
        timeout: timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        const timedOut =
          error !== null && error.killed === true && Date.now() - started >= timeoutMs;
        resolve({
          code,
          stdout: String(stdout),
          stderr: String(stderr),
          timedOut,
          limitMs: timeoutMs,
        });
      },
    );
  });
}

/** Fails with the command's output when it did not exit 0. */
function ok(what: string, ran: Ran): Ran {
  if (ran.code !== 0) {
    const why = ran.timedOut
      ? `still running after ${ran.limitMs / 1000} s, killed`
      : `exit ${ran.code}`;
    throw new Error(`${what}: ${why}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`);
  }
  return ran;
}

/** Consumers run without any TypeScript loader the test runner might pass down. */
function consumerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  return env;
}

/**
 * The README's "In your project" steps: its `sh` block, one command a line (comments dropped),
 * and the TypeScript snippet below it with the output it claims.
 */
function readmeSteps(): { commands: string[][]; snippet: string; output: string } {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const fences = readFences(readme).filter((f) => f.heading === "In your project");
  const shell = fences.find((f) => f.lang === "sh");
  const [snippet] = snippetsOf(fences, readme);
  if (!shell || !snippet?.output) {
    throw new Error(
      'README\'s "In your project" needs a sh block, then a ts block and its text block',
    );
  }
  const commands = shell.lines
    .map((line) => line.replace(/#.*$/, "").trim())
    .filter((line) => line !== "")
    .map((line) => line.split(/\s+/));
  return { commands, snippet: snippet.lines.join("\n"), output: snippet.output.lines.join("\n") };
}

const TS_CONSUMER = `import {
  defineHandler,
  definePipeline,
  type NdArray,
  Pipeline,
  pipefunc,
  pool,
  stream,
} from "pipeweave";

const sum = pipefunc({ output: "c" }, ({ a, b }: { a: number; b: number }) => a + b);
const product = pipefunc({ output: "d" }, ({ b, c }: { b: number; c: number }) => b * c);
const graph = new Pipeline([sum, product]);
export const d: Promise<number> = graph.run("d", { a: 2, b: 3 });
// @ts-expect-error: "nope" is not an output, so the package's types are not any.
void graph.run("nope", { a: 2, b: 3 });

export const squares = definePipeline(import.meta.url, "squares", () =>
  new Pipeline([
    pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x * x),
  ]),
);
export const cube = defineHandler(import.meta.url, "cube", (n: number) => n ** 3);

export async function main(): Promise<number[]> {
  const swept = await squares.map({ x: [1, 2, 3] }, { executor: "threads" });
  const ys: NdArray<number> = swept.y.array;
  const cubes: number[] = [];
  for (const item of await stream([1, 2]).pipe(pool({ threads: true }, cube)).toArray()) {
    if (typeof item === "number") cubes.push(item);
  }
  return [...ys.values(), ...cubes];
}
`;

const TS_CONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "nodenext",
    moduleResolution: "nodenext",
    strict: true,
    noEmit: true,
  },
  files: ["consumer.ts"],
};

describe("the packed package", () => {
  let scratch = "";
  let app = "";
  let tarball = "";
  let entries: string[] = [];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "pipeweave-pack-"));
    const packDir = join(scratch, "pack");
    app = join(scratch, "app");
    mkdirSync(packDir);
    mkdirSync(app);

    // prepack builds dist/ from a clean slate; a fresh clone has none.
    ok(
      "npm pack",
      await run("npm", ["pack", "--pack-destination", packDir], ROOT, { timeoutMs: SETUP_MS }),
    );
    const packed = readdirSync(packDir).filter((name) => name.endsWith(".tgz"));
    expect(packed).toHaveLength(1);
    tarball = join(packDir, packed[0]!);
    entries = ok("tar -tzf", await run("tar", ["-tzf", tarball], scratch))
      .stdout.split("\n")
      .filter((line) => line !== "" && !line.endsWith("/"))
      .map((line) => line.replace(/^package\//, ""));
    const size = readFileSync(tarball).byteLength;
    console.log(
      `pipeweave tarball: ${(size / 1024).toFixed(1)} KiB packed, ${entries.length} files`,
    );

    writeFileSync(
      join(app, "package.json"),
      `${JSON.stringify({ name: "pack-consumer", private: true, type: "module" }, null, 2)}\n`,
    );
    ok(
      "npm install",
      await run(
        "npm",
        ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball, "@types/node@20"],
        app,
        { timeoutMs: SETUP_MS },
      ),
    );
    for (const file of [
      "declared.mjs",
      "consumer.mjs",
      "declared.cjs",
      "consumer.cjs",
      "same-file-map.mjs",
      "same-file-stream.mjs",
      "cli-pipeline.js",
    ]) {
      writeFileSync(join(app, file), readFileSync(join(FIXTURES, file)));
    }
    writeFileSync(join(app, "consumer.ts"), TS_CONSUMER);
    writeFileSync(join(app, "cli-inputs.json"), JSON.stringify({ x: [1, 2, 3] }));
    writeFileSync(join(app, "cli-pipeline.ts"), "export const nothing: number = 1;\n");
    writeFileSync(join(app, "tsconfig.json"), `${JSON.stringify(TS_CONFIG, null, 2)}\n`);
  }, 2 * SETUP_MS);

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("ships the built entry, its types and nothing from the repository's tooling", () => {
    expect(entries).toContain("dist/index.js");
    expect(entries).toContain("dist/index.d.ts");
    expect(entries).toContain("package.json");
    const stray = entries.filter(
      (e) =>
        !/^(dist|src)\//.test(e) && !/^(package\.json|README\.md|LICENSE|CHANGELOG\.md)$/.test(e),
    );
    expect(stray).toEqual([]);
  });

  it("has source maps whose sources are all in the tarball", async () => {
    const extracted = join(scratch, "extracted");
    mkdirSync(extracted, { recursive: true });
    ok("tar -xzf", await run("tar", ["-xzf", tarball, "-C", extracted], scratch));
    const shipped = new Set(entries);
    const maps = entries.filter((e) => e.endsWith(".map"));
    expect(maps).toContain("dist/index.js.map");
    const missing: string[] = [];
    for (const map of maps) {
      const parsed = JSON.parse(readFileSync(join(extracted, "package", map), "utf8")) as {
        sourceRoot?: string;
        sources: string[];
      };
      for (const source of parsed.sources) {
        const target = posix.normalize(
          posix.join(posix.dirname(map), parsed.sourceRoot ?? "", source),
        );
        if (!shipped.has(target)) missing.push(`${map} -> ${source}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("ships the bin as an executable script with a node shebang", async () => {
    const listing = ok("tar -tvzf", await run("tar", ["-tvzf", tarball], scratch)).stdout;
    // Executable in the tarball, so `npm link` and unpacked copies run it as well as npx.
    expect(listing).toMatch(/^-rwxr-xr-x .* package\/dist\/cli\/main\.js$/m);
    const bin = readFileSync(
      join(app, "node_modules", "pipeweave", "dist", "cli", "main.js"),
      "utf8",
    );
    expect(bin.split("\n")[0]).toBe("#!/usr/bin/env node");
  });

  it("installs without tsx or TypeScript", () => {
    expect(existsSync(join(app, "node_modules", "pipeweave", "dist", "index.js"))).toBe(true);
    expect(existsSync(join(app, "node_modules", "tsx"))).toBe(false);
    expect(existsSync(join(app, "node_modules", "typescript"))).toBe(false);
  });

  it(
    "runs a graph, a sweep on threads and a stream stage on threads from plain JavaScript",
    async () => {
      const ran = ok(
        "node consumer.mjs",
        await run(process.execPath, ["consumer.mjs"], app, { env: consumerEnv() }),
      );
      expect(JSON.parse(ran.stdout.trim())).toEqual({
        d: 15,
        squares: [1, 4, 9, 16],
        cubes: [1, 8, 27, 64],
      });
    },
    RUN_MS + 10_000,
  );

  it(
    "loads with require() from CommonJS where Node can require ES modules",
    async () => {
      const ran = await run(process.execPath, ["consumer.cjs"], app, { env: consumerEnv() });
      if (process.features.require_module) {
        ok("node consumer.cjs", ran);
        expect(JSON.parse(ran.stdout.trim())).toEqual({ d: 15, doubles: [2, 4, 6] });
        expect(ran.stderr).not.toMatch(/ExperimentalWarning/);
      } else {
        // Node before 20.19 / 22.12: the README says to import() the package instead.
        expect(ran.code).not.toBe(0);
        expect(ran.stderr).toMatch(/ERR_REQUIRE_ESM|require\(\) of ES Module/);
      }
    },
    RUN_MS + 10_000,
  );

  for (const [file, expected] of [
    ["same-file-map.mjs", "[1,4,9,16]"],
    ["same-file-stream.mjs", "[1,8,27,64]"],
  ] as const) {
    it(
      `${file}: declaring and running on threads in one module finishes once, without workers starting it again`,
      async () => {
        const log = join(scratch, `${file}.log`);
        const ran = await run(process.execPath, [file], app, {
          env: consumerEnv({ PIPEWEAVE_EVAL_LOG: log }),
        });
        const evaluations = existsSync(log) ? readFileSync(log, "utf8").split("\n") : [];
        const workers = evaluations.filter((line) => line === "worker").length;
        ok(`node ${file} (module evaluated by ${workers} workers)`, ran);
        expect(evaluations.filter((line) => line === "main")).toHaveLength(1);
        // Two threads, each importing the module at most once to find the declaration.
        expect(workers).toBeLessThanOrEqual(2);
        const results = ran.stdout.split("\n").filter((line) => line.startsWith("RESULT main "));
        expect(results).toEqual([`RESULT main ${expected}`]);
      },
      RUN_MS + 10_000,
    );
  }

  it(
    "the pipeweave bin maps a plain .js module on threads, then reports its status and loads it",
    async () => {
      const npx = (args: readonly string[]) =>
        run("npx", ["--no", "pipeweave", ...args], app, { env: consumerEnv() });
      const mapped = ok(
        "npx pipeweave map",
        await npx([
          "map",
          "cli-pipeline.js#sweep",
          "--inputs",
          "cli-inputs.json",
          "--run-folder",
          "runs/cli",
          "--threads",
          "2",
        ]),
      );
      expect(mapped.stdout).toMatch(/^y\s+3\/3 done\s+0 failed/m);
      expect(mapped.stdout).toContain(`Results in ${join(app, "runs", "cli")}`);

      const status = ok("npx pipeweave status", await npx(["status", "runs/cli", "--json"]));
      expect(JSON.parse(status.stdout)).toMatchObject({
        runFolder: join(app, "runs", "cli"),
        pipeline: "cli-sweep",
        state: "done",
      });
      const y = ok("npx pipeweave load", await npx(["load", "runs/cli", "y"]));
      expect(JSON.parse(y.stdout)).toEqual({ shape: [3], dims: ["i"], data: [10, 20, 30] });
      const total = ok("npx pipeweave load", await npx(["load", "runs/cli", "total"]));
      expect(JSON.parse(total.stdout)).toBe(60);

      const bad = await npx(["map", "cli-pipeline.js#sweep", "--executor", "gpu"]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/Usage: pipeweave map/);
    },
    4 * RUN_MS,
  );

  it(
    "the bin says to install tsx for a .ts module when Node cannot load TypeScript itself",
    async () => {
      const ran = await run("npx", ["--no", "pipeweave", "info", "cli-pipeline.ts#nothing"], app, {
        env: consumerEnv(),
      });
      if ((process.features as { typescript?: unknown }).typescript) {
        // Node strips the types itself: the module loads, and its export is no pipeline.
        expect(ran.code).toBe(1);
        expect(ran.stderr).toMatch(
          /Export "nothing" of module "cli-pipeline\.ts" is not a Pipeline/,
        );
      } else {
        expect(ran.code).toBe(1);
        expect(ran.stderr).toMatch(/TypeScript module "cli-pipeline\.ts" needs .*"tsx"/);
        expect(ran.stderr).toMatch(/npm install tsx/);
      }
      expect(ran.stderr).not.toMatch(/^\s+at /m);
    },
    RUN_MS + 10_000,
  );

  it(
    "takes a new user from `npm init -y` to a running README snippet, as the README says",
    async () => {
      const { commands, snippet, output } = readmeSteps();
      expect(commands.map((c) => c.slice(0, 2).join(" "))).toEqual(
        expect.arrayContaining(["npm init", "npx tsx"]),
      );
      const project = join(scratch, "new-user");
      mkdirSync(project);
      const env = consumerEnv();
      for (const [tool = "", ...args] of commands) {
        if (tool === "npx" && args[0] === "tsx") {
          // The file the README says to save the snippet as.
          writeFileSync(join(project, args[1]!), `${snippet}\n`);
        }
        // The package from the tarball rather than the registry; the rest as the README says.
        const install = tool === "npm" && args[0] === "install";
        const argv = install
          ? [...args.map((a) => (a === "pipeweave" ? tarball : a)), ...INSTALL_FLAGS]
          : args;
        const ran = ok(
          `${tool} ${args.join(" ")}`,
          await run(tool, argv, project, { env, timeoutMs: install ? SETUP_MS : RUN_MS }),
        );
        if (tool === "npm" && args[0] === "init") {
          // npm 11 writes "commonjs", older npm nothing: either way a CommonJS project, where
          // tsx refuses top-level await. The steps after must make it run all the same.
          const manifest = readFileSync(join(project, "package.json"), "utf8");
          expect([undefined, "commonjs"]).toContain(
            (JSON.parse(manifest) as { type?: string }).type,
          );
        }
        if (tool === "npx") expect(ran.stdout.trim()).toBe(output.trim());
      }
    },
    3 * SETUP_MS,
  );

  it(
    "type-checks a strict consumer without skipLibCheck",
    async () => {
      const tsc = join(ROOT, "node_modules", ".bin", "tsc");
      const ran = await run(tsc, ["-p", join(app, "tsconfig.json")], app, { timeoutMs: SETUP_MS });
      expect(`${ran.stdout}${ran.stderr}`).toBe("");
      expect(ran.code).toBe(0);
    },
    SETUP_MS + 10_000,
  );
});
