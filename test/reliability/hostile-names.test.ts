import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  loadAll,
  loadOutputs,
  NdArray,
  Node,
  Pipeline,
  PipeweaveError,
  pipefunc,
  sweep,
  WorkerState,
} from "../../src/index.ts";

/**
 * Names that every plain object already answers to: `obj[name]` reads Object.prototype's
 * member and `obj[name] = v` with `__proto__` sets the prototype. As input, output, default,
 * rename, bound value, mapspec array or axis, run or map input, each must work (the right
 * value) or be refused with a PipeweaveError that names it: never a TypeError, never a wrong
 * value.
 */
const HOSTILE = ["constructor", "toString", "__proto__", "valueOf", "hasOwnProperty"] as const;

const folders: string[] = [];
const tempFolder = () => {
  const dir = mkdtempSync(join(tmpdir(), "pipeweave-hostile-"));
  folders.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `{ [name]: value }` as an own property, also for `__proto__`. */
const record = (name: string, value: unknown): Record<string, unknown> =>
  Object.fromEntries([[name, value]]);

/** The own property `name` of `value`; `undefined` when it is only inherited. */
const field = (value: unknown, name: string): unknown =>
  Object.getOwnPropertyDescriptor(Object(value), name)?.value;

/** A function reading argument `name` (by destructuring, as users write it). */
const reader = (name: string, body: string, fallback?: number): ((a: never) => unknown) =>
  new Function(
    `return ({ ${name}: v${fallback === undefined ? "" : ` = ${fallback}`} }) => ${body};`,
  )();

/** Own entries, sorted: compares result objects without trusting their prototype. */
const entries = (value: unknown) =>
  Object.entries(value as object).sort(([a], [b]) => (a < b ? -1 : 1));

/** Marks a case whose right outcome is a PipeweaveError naming the name. */
const REFUSED = Symbol("refused");

type Case = readonly [position: string, run: (n: string) => Promise<unknown>, want: unknown];

const double = (n: string) =>
  pipefunc({ output: "y", inputs: [n] }, (a: never) => (field(a, n) as number) * 2);

/** A Standard Schema accepting numbers, declared for argument `n`. */
const checked = (n: string) =>
  pipefunc(
    {
      output: "y",
      inputs: [n],
      schema: {
        inputs: record(n, {
          "~standard": {
            version: 1,
            vendor: "test",
            validate: (v: unknown) =>
              typeof v === "number" ? { value: v } : { issues: [{ message: "not a number" }] },
          },
        }) as never,
      },
    },
    (a: never) => (field(a, n) as number) * 2,
  );

const CASES: readonly Case[] = [
  ["input (inputs option), run", (n) => new Pipeline([double(n)]).run("y", record(n, 3)), 6],
  ["input, runSync", async (n) => new Pipeline([double(n)]).runSync("y", record(n, 3) as never), 6],
  [
    "input, runAll result",
    async (n) => entries(await new Pipeline([double(n)]).runAll(record(n, 3))),
    [
      ["N", 3],
      ["y", 6],
    ],
  ],
  [
    "input read by destructuring",
    (n) => new Pipeline([pipefunc({ output: "y" }, reader(n, "v * 2"))]).run("y", record(n, 4)),
    8,
  ],
  [
    "default written in the pattern",
    (n) => new Pipeline([pipefunc({ output: "y" }, reader(n, "v * 2", 5))]).run("y", {}),
    10,
  ],
  [
    "defaults option",
    (n) =>
      new Pipeline([
        pipefunc(
          { output: "y", inputs: [n], defaults: record(n, 5) as never },
          (a: never) => (field(a, n) as number) * 2,
        ),
      ]).run("y", {}),
    10,
  ],
  ["withDefaults", (n) => new Pipeline([double(n)]).withDefaults(record(n, 6)).run("y", {}), 12],
  [
    "positional Node input",
    (n) =>
      new Pipeline([new Node({ func: (v: number) => v * 2, inputs: [n], outputs: ["y"] })]).run(
        "y",
        record(n, 3) as never,
      ),
    6,
  ],
  [
    "positional Node default",
    (n) =>
      new Pipeline([
        new Node({
          func: (v: number) => v * 2,
          inputs: [n],
          outputs: ["y"],
          defaults: record(n, 4),
        }),
      ]).run("y", {}),
    8,
  ],
  [
    "rename target",
    (n) =>
      new Pipeline([
        pipefunc({ output: "y", renames: { x: n } }, ({ x }: { x: number }) => x * 2),
      ]).run("y", record(n, 4) as never),
    8,
  ],
  [
    "withRenames target",
    (n) =>
      new Pipeline([pipefunc({ output: "y" }, ({ x }: { x: number }) => x * 2)])
        .withRenames({ x: n })
        .run("y", record(n, 5)),
    10,
  ],
  [
    "bound",
    (n) =>
      new Pipeline([
        pipefunc(
          { output: "y", inputs: [n, "x"], bound: record(n, 3) as never },
          (a: never) => (field(a, n) as number) + (field(a, "x") as number),
        ),
      ]).run("y", { x: 1 } as never),
    4,
  ],
  ["constant", (n) => new Pipeline([double(n)], { constants: record(n, 7) }).run("y", {}), 14],
  [
    "config path",
    (n) =>
      new Pipeline(
        [new Node({ func: (v: number) => v * 2, inputs: [`config.${n}`], outputs: ["y"] })],
        {
          config: record(n, 8),
        },
      ).run("y", {}),
    16,
  ],
  [
    "config path that the config lacks",
    (n) =>
      new Pipeline(
        [new Node({ func: (v: unknown) => v, inputs: [`config.${n}`], outputs: ["y"] })],
        {
          config: {},
        },
      ).run("y", {}),
    REFUSED,
  ],
  [
    "output",
    (n) =>
      new Pipeline([pipefunc({ output: n }, ({ x }: { x: number }) => x + 1)]).run(n, { x: 1 }),
    2,
  ],
  [
    "output, runAll result",
    async (n) =>
      entries(
        await new Pipeline([pipefunc({ output: n }, ({ x }: { x: number }) => x + 1)]).runAll({
          x: 1,
        }),
      ),
    [
      ["N", 2],
      ["x", 1],
    ],
  ],
  [
    "output among several, returned as a tuple",
    (n) =>
      new Pipeline([pipefunc({ output: [n, "z"] }, ({ x }: { x: number }) => [x + 1, x])]).run(n, {
        x: 1,
      }),
    2,
  ],
  [
    "output among several, returned as an object",
    (n) =>
      new Pipeline([
        pipefunc({ output: ["z", n] as string[] }, ({ x }: { x: number }) => ({
          ...record(n, x + 1),
          z: x,
        })) as never,
      ]).run(n as never, { x: 1 } as never),
    2,
  ],
  [
    "output among several, missing from the returned object",
    (n) =>
      new Pipeline([
        pipefunc({ output: ["z", n] as string[] }, ({ x }: { x: number }) => ({ z: x })) as never,
      ]).run(n as never, { x: 1 } as never),
    REFUSED,
  ],
  [
    "output read downstream",
    (n) =>
      new Pipeline([
        pipefunc({ output: n }, ({ x }: { x: number }) => x + 1),
        pipefunc({ output: "y", inputs: [n] }, (a: never) => (field(a, n) as number) * 10),
      ]).run("y", { x: 1 }),
    20,
  ],
  [
    "renamed output",
    (n) =>
      new Pipeline([
        pipefunc({ output: "y", renames: { y: n } }, ({ x }: { x: number }) => x * 2),
      ]).run(n, { x: 4 }),
    8,
  ],
  [
    "output of a nested pipeline",
    (n) =>
      new Pipeline([
        pipefunc({ output: n }, ({ x }: { x: number }) => x + 1),
        pipefunc({ output: "y", inputs: [n] }, (a: never) => (field(a, n) as number) * 10),
      ])
        .nest([n, "y"], "inner")
        .run("y", { x: 2 }),
    30,
  ],
  ["missing input", (n) => new Pipeline([double(n)]).run("y", {}), REFUSED],
  [
    "unknown output",
    (n) =>
      new Pipeline([pipefunc({ output: "y" }, ({ x }: { x: number }) => x)]).run(n as never, {
        x: 1,
      }),
    REFUSED,
  ],
  [
    "unused input",
    (n) =>
      new Pipeline([pipefunc({ output: "y" }, ({ x }: { x: number }) => x)]).run("y", {
        x: 1,
        ...record(n, 2),
      }),
    REFUSED,
  ],
  [
    "scope",
    (n) =>
      new Pipeline([pipefunc({ output: "y", scope: n }, ({ x }: { x: number }) => x * 2)]).run(
        `${n}.y` as never,
        record(n, { x: 3 }),
      ),
    6,
  ],
  [
    "cached input",
    async (n) => {
      const p = new Pipeline([
        pipefunc(
          { output: "y", inputs: [n], cache: true, version: 1 },
          (a: never) => (field(a, n) as number) * 2,
        ),
      ]);
      await p.run("y", record(n, 3));
      return [await p.run("y", record(n, 3)), (await p.cacheStats()).hits];
    },
    [6, 1],
  ],
  [
    "history",
    async (n) => {
      const p = new Pipeline([double(n)], { history: true });
      await p.run("y", record(n, 3));
      return entries(p.history[0]?.inputs);
    },
    [["N", 3]],
  ],
  [
    "info and views",
    async (n) => {
      const p = new Pipeline([double(n)]);
      const views = [p.toAscii(), p.toMermaid(), p.toDot()].every((v) => v.includes(n));
      return [p.info().inputs, views];
    },
    [["N"], true],
  ],
  [
    "mapspec input (map input, memory)",
    async (n) => {
      const f = pipefunc(
        { output: "y", inputs: [n], mapspec: `${n}[i] -> y[i]` },
        (a: never) => (field(a, n) as number) * 2,
      );
      return (await new Pipeline([f]).map(record(n, [1, 2, 3]), { progress: false })).y.output;
    },
    new NdArray([3], ["i"], [2, 4, 6]),
  ],
  [
    "mapspec output (results object)",
    async (n) => {
      const f = pipefunc(
        { output: n, mapspec: `x[i] -> ${n}[i]` },
        ({ x }: { x: number }) => x * 2,
      );
      const results = await new Pipeline([f]).map({ x: [1, 2, 3] }, { progress: false });
      return (field(results, n) as { output: unknown }).output;
    },
    new NdArray([3], ["i"], [2, 4, 6]),
  ],
  [
    "mapspec axis",
    async (n) => {
      const f = pipefunc(
        { output: "y", mapspec: `x[${n}] -> y[${n}]` },
        ({ x }: { x: number }) => x * 2,
      );
      return (await new Pipeline([f]).map({ x: [1, 2, 3] }, { progress: false })).y.output;
    },
    new NdArray([3], ["N"], [2, 4, 6]),
  ],
  [
    "map errors: continue (the error snapshot's inputs)",
    async (n) => {
      const f = pipefunc({ output: "y", inputs: [n], mapspec: `${n}[i] -> y[i]` }, (a: never) => {
        if (field(a, n) === 2) throw new Error("two");
        return field(a, n);
      });
      const results = await new Pipeline([f]).map(record(n, [1, 2, 3]), {
        progress: false,
        errors: "continue",
      });
      return entries(results.errors[0]?.inputs);
    },
    [["N", 2]],
  ],
  [
    "map with a file run folder (inputs, outputs, reduction, loadOutputs, loadAll)",
    async (n) => {
      const runFolder = join(tempFolder(), "run");
      const p = new Pipeline([
        pipefunc(
          { output: n, inputs: [`${n}In`], mapspec: `${n}In[i] -> ${n}[i]`, version: 1 },
          (a: never) => (field(a, `${n}In`) as number) * 2,
        ),
        pipefunc({ output: "s", inputs: [n], version: 1 }, (a: never) =>
          (field(a, n) as { data: number[] }).data.reduce((u, v) => u + v, 0),
        ),
      ]);
      const results = await p.map(record(`${n}In`, [1, 2, 3]), {
        progress: false,
        runFolder,
        storage: "file",
      });
      const all = await loadAll({ runFolder });
      return [
        (field(results, n) as { output: unknown }).output,
        results.s.output,
        await loadOutputs(n, { runFolder }),
        [Object.hasOwn(all, n), Object.hasOwn(all, "s"), Object.keys(all).length],
        field(all, n),
      ];
    },
    [
      new NdArray([3], ["i"], [2, 4, 6]),
      12,
      new NdArray([3], ["i"], [2, 4, 6]),
      [true, true, 2],
      new NdArray([3], ["i"], [2, 4, 6]),
    ],
  ],
  [
    "map with a file run folder (map input read by its mapspec name)",
    async (n) => {
      const runFolder = join(tempFolder(), "run");
      const f = pipefunc(
        { output: "y", inputs: [n], mapspec: `${n}[i] -> y[i]`, version: 1 },
        (a: never) => (field(a, n) as number) * 2,
      );
      const results = await new Pipeline([f]).map(record(n, [1, 2, 3]), {
        progress: false,
        runFolder,
        storage: "file",
      });
      return [results.y.output, await loadOutputs("y", { runFolder })];
    },
    [new NdArray([3], ["i"], [2, 4, 6]), new NdArray([3], ["i"], [2, 4, 6])],
  ],
  [
    "map input not read by any function",
    (n) =>
      new Pipeline([
        pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => x),
      ]).map({ x: [1], ...record(n, [1]) }, { progress: false }),
    REFUSED,
  ],
  [
    "map inputs from a sweep",
    async (n) => {
      const f = pipefunc(
        { output: "y", inputs: [n], mapspec: `${n}[i] -> y[i]` },
        (a: never) => (field(a, n) as number) * 2,
      );
      return (
        await new Pipeline([f]).map(sweep(record(n, [1, 2, 3]) as Record<string, number[]>), {
          progress: false,
        })
      ).y.output;
    },
    new NdArray([3], ["i"], [2, 4, 6]),
  ],
  [
    "output with an internal axis, internalShapes and executor choices not naming it",
    async (n) => {
      const f = pipefunc({ output: n, mapspec: `x[i] -> ${n}[i, j]` }, ({ x }: { x: number }) => [
        x,
        x,
      ]);
      const results = await new Pipeline([f]).map(
        { x: [1, 2] },
        { progress: false, internalShapes: {}, executor: {} },
      );
      return (field(results, n) as { output: unknown }).output;
    },
    new NdArray([2, 2], ["i", "j"], [1, 1, 2, 2]),
  ],
  [
    "registry (stored, then restored instead of recomputed)",
    async (n) => {
      const path = tempFolder();
      const make = () =>
        new Pipeline([new Node({ func: () => 5, inputs: [], outputs: [n] })], {
          registry: { path },
          history: true,
        });
      await make().runAll();
      const again = make();
      const value = await again.run(n, {});
      const registry = again.openRegistry();
      const placement = field(registry.placement, n);
      registry.close();
      return [value, placement, again.history.map((h) => h.source)];
    },
    [5, "disk", ["registry"]],
  ],
  [
    "function name in profiling stats",
    async (n) => {
      const p = new Pipeline([pipefunc({ output: n }, ({ x }: { x: number }) => x)], {
        profile: true,
      });
      await p.run(n, { x: 1 });
      return (field(p.profilingStats(), n) as { calls: number }).calls;
    },
    1,
  ],
  [
    "subpipeline",
    (n) =>
      new Pipeline([
        pipefunc({ output: n }, ({ x }: { x: number }) => x + 1),
        pipefunc({ output: "y", inputs: [n] }, (a: never) => (field(a, n) as number) * 10),
      ])
        .subpipeline({ outputs: [n] })
        .run(n, { x: 1 }),
    2,
  ],
  [
    "schema of an input (valid value)",
    (n) => new Pipeline([checked(n)], { validate: true }).run("y", record(n, 3)),
    6,
  ],
  [
    "schema of an input (invalid value)",
    (n) => new Pipeline([checked(n)], { validate: true }).run("y", record(n, "three")),
    REFUSED,
  ],
  [
    "WorkerState key",
    async (n) => {
      const state = new WorkerState("stage", 0);
      const before = state.get(n, "unset");
      state.set(n, 5);
      return [before, state.get(n, 0), field(state.values, n)];
    },
    ["unset", 5, 5],
  ],
  [
    "sweep",
    async (n) =>
      sweep(record(n, [1, 2]) as Record<string, number[]>)
        .toArray()
        .map((c) => entries(c)),
    [[["N", 1]], [["N", 2]]],
  ],
];

/** `want` with the placeholder name `N` replaced by the hostile name. */
function named(want: unknown, n: string): unknown {
  if (want === "N") return n;
  if (want === "NIn") return `${n}In`;
  if (want instanceof NdArray)
    return new NdArray(
      want.shape,
      want.dims.map((d) => (d === "N" ? n : d)),
      want.data,
    );
  if (Array.isArray(want)) return want.map((w) => named(w, n));
  return want;
}

describe("hostile names (constructor, toString, __proto__, valueOf, hasOwnProperty)", () => {
  const table = HOSTILE.flatMap((n) =>
    CASES.map(([position, run, want]) => [n, position, run, want] as const),
  );

  it.each(table)('"%s" as %s', async (n, _position, run, want) => {
    let outcome: { value: unknown } | { error: unknown };
    try {
      outcome = { value: await run(n) };
    } catch (error) {
      outcome = { error };
    }
    if ("error" in outcome) {
      // Refusing is allowed only as a typed error that names the name; anything else is a bug.
      const error = outcome.error as Error;
      expect(error, `${error?.name}: ${error?.message}`).toBeInstanceOf(PipeweaveError);
      expect(error.message).toContain(`"${n}`);
      // What Object.prototype holds under the name must never reach a message.
      expect(error.message).not.toMatch(/native code|\[object Object\]/);
      if (want !== REFUSED) expect.fail(`expected it to work, got ${error.name}: ${error.message}`);
      return;
    }
    expect(want, "expected a typed error naming the name").not.toBe(REFUSED);
    const expected = named(want, n);
    if (
      expected instanceof NdArray ||
      (Array.isArray(expected) && expected.some((e) => e instanceof NdArray))
    ) {
      expect(JSON.stringify(outcome.value)).toBe(JSON.stringify(expected));
    } else expect(outcome.value).toEqual(expected);
  });
});
