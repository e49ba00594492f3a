import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  InvalidOptionError,
  Node,
  namedPartial,
  Pipeline,
  pipefunc,
  RunFolderMismatchError,
  UndeclaredCaptureError,
} from "../../src/index.ts";

const folders: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), "pipeweave-captures-"));
  folders.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const quiet = { progress: false } as const;

/** Two functions with the same name and source, told apart only by the `k` they capture. */
const scaled = (k: number) =>
  pipefunc(
    { output: "y", name: "scaled", cache: true, captures: { k } },
    ({ x }: { x: number }) => x * k,
  );

describe("captured values are part of a function's identity: caches", () => {
  it("keys another captured value apart in a shared disk cache", async () => {
    const cache = { type: "disk", folder: folder() } as const;
    const two = new Pipeline([scaled(2)], { cache });
    const three = new Pipeline([scaled(3)], { cache });
    expect(await two.run("y", { x: 5 })).toBe(10);
    expect(await three.run("y", { x: 5 })).toBe(15);
    expect(await three.cacheStats()).toMatchObject({ hits: 0, misses: 1 });
    // The same captured value is the same entry.
    const twoAgain = new Pipeline([scaled(2)], { cache });
    expect(await twoAgain.run("y", { x: 5 })).toBe(10);
    expect(await twoAgain.cacheStats()).toMatchObject({ hits: 1, misses: 0 });
  });

  it("refuses a cached function that reads an undeclared value, naming node and names", () => {
    const k = 2;
    const offset = 1;
    const f = pipefunc({ output: "y", name: "scale", cache: true }, ({ x }: { x: number }) => {
      return x * k + offset;
    });
    let error: unknown;
    try {
      new Pipeline([f]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UndeclaredCaptureError);
    expect(error).toMatchObject({
      code: "E_UNDECLARED_CAPTURE",
      node: "scale",
      names: ["k", "offset"],
    });
    expect((error as Error).message).toMatch(/Node "scale" reads "k", "offset" from outside/);
    expect((error as Error).message).toMatch(/it is cached/);
    expect((error as Error).message).toMatch(/captures: \{ k, offset \}/);
    // Declaring only some of them names the rest.
    expect(() => new Pipeline([f.with({ captures: { k } })])).toThrow(/reads "offset"/);
    // An uncached function is not checked.
    expect(() => new Pipeline([f.with({ cache: false })])).not.toThrow();
  });

  it("accepts a version instead, which enters the key", async () => {
    let k = 2;
    const f = pipefunc(
      { output: "y", name: "v", cache: true, version: 1 },
      ({ x }: { x: number }) => x * k,
    );
    const cache = { type: "disk", folder: folder() } as const;
    expect(await new Pipeline([f], { cache }).run("y", { x: 5 })).toBe(10);
    k = 3;
    expect(await new Pipeline([f.with({ version: 2 })], { cache }).run("y", { x: 5 })).toBe(15);
  });

  it("needs no declaring for globals, parameters, locals, destructuring or nested closures", async () => {
    const f = pipefunc(
      { output: "y", name: "pure", cache: true },
      ({ xs, opts: { scale = 2 } = {} }: { xs: number[]; opts?: { scale?: number } }) => {
        const total = xs.map((v) => v * scale).reduce((a, b) => Math.max(a, b), -Infinity);
        const round = (v: number) => JSON.parse(JSON.stringify(Number(v.toFixed(2))));
        if (Number.isNaN(total)) console.warn("NaN");
        return round(total);
      },
    );
    expect(await new Pipeline([f]).run("y", { xs: [1, 2.5] })).toBe(5);
  });

  it("refuses a declared value that cannot be hashed, naming the function and the capture", () => {
    class Model {
      predict(x: number) {
        return x;
      }
    }
    const model = new Model();
    const f = pipefunc(
      { output: "y", name: "fit", cache: true, captures: { model } },
      ({ x }: { x: number }) => model.predict(x),
    );
    let error: unknown;
    try {
      new Pipeline([f]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toMatch(
      /Function "fit".*`captures\.model` is an instance of Model/,
    );
    expect((error as Error).message).toMatch(/version/);
    // A version covers it.
    expect(() => new Pipeline([f.with({ version: "m1" })])).not.toThrow();
    // A bound function prints as native code, which does not say what it does.
    const bound = Math.max.bind(null, 0);
    expect(() => new Pipeline([f.with({ captures: { model: bound } })])).toThrow(
      /`captures\.model` is a bound or native function/,
    );
  });

  it("hashes a captured helper function by its source", async () => {
    const cache = { type: "disk", folder: folder() } as const;
    const make = (helper: (x: number) => number) =>
      new Pipeline(
        [
          pipefunc(
            { output: "y", name: "h", cache: true, captures: { helper } },
            ({ x }: { x: number }) => helper(x),
          ),
        ],
        { cache },
      );
    expect(await make((x) => x + 1).run("y", { x: 1 })).toBe(2);
    expect(await make((x) => x + 2).run("y", { x: 1 })).toBe(3);
  });

  it("keeps captures and version through with(), withRenames() and withDefaults()", async () => {
    const f = scaled(3);
    expect(f.with({ name: "other" }).captures).toEqual({ k: 3 });
    expect(f.with({ version: 4 }).version).toBe(4);
    const cache = { type: "disk", folder: folder() } as const;
    const base = new Pipeline([scaled(2)], { cache });
    expect(await base.run("y", { x: 1 })).toBe(2);
    const renamed = new Pipeline([scaled(3)], { cache }).withRenames({ x: "x" });
    expect(renamed.functions[0]!.captures).toEqual({ k: 3 });
    expect(await renamed.run("y", { x: 1 })).toBe(3);
    const defaulted = new Pipeline([scaled(4)], { cache }).withDefaults({ x: 1 });
    expect(defaulted.functions[0]!.captures).toEqual({ k: 4 });
    expect(await defaulted.run("y", {})).toBe(4);
  });

  it("gives a nested function the captures of its inner functions", async () => {
    const cache = { type: "disk", folder: folder() } as const;
    const nested = (k: number) => {
      const inner = new Pipeline([
        pipefunc({ output: "y", name: "inner", captures: { k } }, ({ x }: { x: number }) => x * k),
        pipefunc({ output: "z" }, ({ y }: { y: number }) => y + 1),
      ]).nest(["y", "z"], "both");
      return new Pipeline([inner.functions[0]!.with({ cache: true })], { cache });
    };
    expect(await nested(2).run("z", { x: 5 })).toBe(11);
    expect(await nested(3).run("z", { x: 5 })).toBe(16);

    const k = 2;
    const undeclared = new Pipeline([
      pipefunc({ output: "y", name: "inner" }, ({ x }: { x: number }) => x * k),
    ]).nest(["y"], "group");
    expect(() => new Pipeline([undeclared.functions[0]!.with({ cache: true })])).toThrow(
      /Node "group" reads "k"/,
    );
    expect(
      () => new Pipeline([undeclared.functions[0]!.with({ cache: true, captures: { k } })]),
    ).not.toThrow();
  });

  it("keys a namedPartial by the function it wraps and the values it binds", async () => {
    const cache = { type: "disk", folder: folder() } as const;
    const power = ({ x, p }: { x: number; p: number }) => x ** p;
    const make = (p: number) =>
      new Pipeline([pipefunc({ output: "y", cache: true }, namedPartial(power, "power", { p }))], {
        cache,
      });
    expect(await make(2).run("y", { x: 3 })).toBe(9);
    expect(await make(3).run("y", { x: 3 })).toBe(27);
  });

  it("declares captures on a positional Node too", async () => {
    const cache = { type: "disk", folder: folder() } as const;
    const node = (k: number) =>
      new Node({
        func: (x: number) => x * k,
        inputs: ["x"],
        outputs: ["y"],
        name: "n",
        cache: true,
        captures: { k },
      });
    expect(await new Pipeline([node(2)], { cache }).run("y", { x: 5 })).toBe(10);
    expect(await new Pipeline([node(3)], { cache }).run("y", { x: 5 })).toBe(15);
    const k = 1;
    expect(
      () =>
        new Pipeline([
          new Node({ func: (x: number) => x * k, inputs: ["x"], outputs: ["y"], cache: true }),
        ]),
    ).toThrow(UndeclaredCaptureError);
  });
});

describe("captured values are part of a function's identity: run folders", () => {
  /** Impure on purpose: a recomputed element differs, a resumed one does not. */
  const sweep = (k: number) =>
    new Pipeline([
      pipefunc(
        { output: "y", name: "noisy", mapspec: "x[i] -> y[i]", captures: { k } },
        ({ x }: { x: number }) => x * k + Math.random(),
      ),
    ]);

  it("refuses to resume with another captured value, naming the function; resumes with the same", async () => {
    const dir = folder();
    const first = await sweep(2).map({ x: [1, 2] }, { ...quiet, runFolder: dir });
    const same = await sweep(2).map({ x: [1, 2] }, { ...quiet, runFolder: dir, resume: true });
    expect(same.y.array.toNested()).toEqual(first.y.array.toNested());
    const error = await sweep(3)
      .map({ x: [1, 2] }, { ...quiet, runFolder: dir, resume: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFolderMismatchError);
    expect((error as RunFolderMismatchError).differences).toEqual([
      expect.stringMatching(/^function "noisy" has changed code/),
    ]);
  });

  it("refuses a function in a run folder that reads an undeclared value", async () => {
    const k = 2;
    const p = new Pipeline([
      pipefunc(
        { output: "y", name: "sc", mapspec: "x[i] -> y[i]" },
        ({ x }: { x: number }) => x * k,
      ),
    ]);
    const error = await p.map({ x: [1] }, { ...quiet, runFolder: folder() }).catch((e) => e);
    expect(error).toBeInstanceOf(UndeclaredCaptureError);
    expect(error).toMatchObject({ node: "sc", names: ["k"] });
    expect(error.message).toMatch(/its results are kept in the run folder/);
    // Without a run folder nothing is kept, so nothing is checked.
    expect((await p.map({ x: [1] }, quiet)).y.array.toNested()).toEqual([2]);
  });
});
