/**
 * Issue 21, point 15: a pipeline-level `captures` declares names once for every function that
 * reads them, and their values enter each reading function's identity (cache keys, run.json's
 * code hash) as a function-level declaration does.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  InvalidOptionError,
  Node,
  Pipeline,
  PipelineDefinitionError,
  pipefunc,
  RunFolderMismatchError,
  UndeclaredCaptureError,
} from "../../src/index.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pipeweave-captures-pipeline-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const quiet = { progress: false } as const;

/** Module constants as a script has them; `let` so a test can change them between runs. */
let K = 2;
let SCALE = 10;
beforeEach(() => {
  K = 2;
  SCALE = 10;
});

const scaled = pipefunc(
  { output: "y", mapspec: "x[i] -> y[i]", cache: true },
  ({ x }: { x: number }) => x * K,
);
const shifted = pipefunc(
  { output: "z", mapspec: "y[i] -> z[i]", cache: true },
  ({ y }: { y: number }) => y + SCALE,
);
const plain = pipefunc({ output: "w", mapspec: "z[i] -> w[i]" }, ({ z }: { z: number }) => -z);

describe("pipeline-level captures", () => {
  it("declares names once for every function that reads them", async () => {
    expect(() => new Pipeline([scaled, shifted, plain])).toThrow(UndeclaredCaptureError);
    const pipeline = new Pipeline([scaled, shifted, plain], { captures: { K, SCALE } });
    const r = await pipeline.map({ x: [1, 2] }, quiet);
    expect(r.w!.array.toNested()).toEqual([-12, -14]);
    // Each function carries the values it reads, as if it declared them itself.
    expect(pipeline.get("y").captures).toEqual({ K: 2 });
    expect(pipeline.get("z").captures).toEqual({ SCALE: 10 });
    // A function that reads none of them is left as it is.
    expect(pipeline.get("w")).toBe(plain);
  });

  it("still refuses a name the pipeline does not declare, naming only that one", () => {
    let error: unknown;
    try {
      new Pipeline([scaled, shifted], { captures: { K } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UndeclaredCaptureError);
    expect(error).toMatchObject({ code: "E_UNDECLARED_CAPTURE", node: "z", names: ["SCALE"] });
    expect((error as Error).message).toMatch(/Node "z" reads "SCALE"/);
  });

  it("keys the cache by the declared values: another value is another entry", async () => {
    const cache = { type: "disk", folder: join(dir, "cache") } as const;
    const make = () => new Pipeline([scaled], { cache, captures: { K } });
    expect(await make().run("y", { x: 5 })).toBe(10);
    K = 3;
    const three = make();
    expect(await three.run("y", { x: 5 })).toBe(15);
    expect(await three.cacheStats()).toMatchObject({ hits: 0, misses: 1 });
    K = 2;
    const again = make();
    expect(await again.run("y", { x: 5 })).toBe(10);
    expect(await again.cacheStats()).toMatchObject({ hits: 1, misses: 0 });
  });

  it("enters run.json's code hash: a resume with another value is refused, with the same one accepted", async () => {
    const runFolder = join(dir, "run");
    const make = () => new Pipeline([scaled.with({ cache: false })], { captures: { K } });
    await make().map({ x: [1, 2] }, { ...quiet, runFolder });
    const code = () =>
      (
        JSON.parse(readFileSync(join(runFolder, "run.json"), "utf8")) as {
          pipeline: { functions: { code: string }[] };
        }
      ).pipeline.functions[0]!.code;
    const before = code();
    await make().map({ x: [1, 2] }, { ...quiet, runFolder, resume: true });
    expect(code()).toBe(before);
    K = 3;
    const error = await make()
      .map({ x: [1, 2] }, { ...quiet, runFolder, resume: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunFolderMismatchError);
    expect((error as RunFolderMismatchError).differences).toEqual([
      expect.stringMatching(/^function "y" has changed code/),
    ]);
  });

  it("gives the same identity as the same value declared on the function", async () => {
    const cache = { type: "disk", folder: join(dir, "cache") } as const;
    const atPipeline = new Pipeline([scaled], { cache, captures: { K } });
    expect(await atPipeline.run("y", { x: 4 })).toBe(8);
    const atFunction = new Pipeline([scaled.with({ captures: { K } })], { cache });
    expect(await atFunction.run("y", { x: 4 })).toBe(8);
    expect(await atFunction.cacheStats()).toMatchObject({ hits: 1, misses: 0 });
  });

  it("lets a function's own declaration of a name win", () => {
    const own = scaled.with({ captures: { K: "own" } });
    const pipeline = new Pipeline([own], { captures: { K: 7 } });
    expect(pipeline.get("y")).toBe(own);
    expect(pipeline.get("y").captures).toEqual({ K: "own" });
  });

  it("hashes a declared helper by its source, so a new helper is a new entry", async () => {
    const cache = { type: "disk", folder: join(dir, "cache") } as const;
    let helper = (x: number) => x + 1;
    const f = pipefunc({ output: "y", cache: true }, ({ x }: { x: number }) => helper(x));
    // Called only: code, so it needs no declaring...
    expect(await new Pipeline([f], { cache }).run("y", { x: 1 })).toBe(2);
    // ...but declared, its source is part of the identity.
    expect(await new Pipeline([f], { cache, captures: { helper } }).run("y", { x: 1 })).toBe(2);
    helper = (x: number) => x + 2;
    const changed = new Pipeline([f], { cache, captures: { helper } });
    expect(await changed.run("y", { x: 1 })).toBe(3);
    expect(await changed.cacheStats()).toMatchObject({ hits: 0, misses: 1 });
  });

  it("survives add, drop, replace, withRenames and concat, which merges captures", async () => {
    const base = new Pipeline([scaled, shifted], { captures: { K, SCALE } });
    expect(base.add(plain).get("y").captures).toEqual({ K: 2 });
    expect(base.drop("z").get("y").captures).toEqual({ K: 2 });
    const renamed = base.withRenames({ x: "input" });
    expect(renamed.get("y").captures).toEqual({ K: 2 });
    expect((await renamed.map({ input: [1] }, quiet)).z!.array.toNested()).toEqual([12]);

    const first = new Pipeline([scaled], { captures: { K } });
    const second = new Pipeline([shifted], { captures: { SCALE } });
    const joined = first.concat(second);
    expect(joined.options.captures).toEqual({ K: 2, SCALE: 10 });
    expect((await joined.map({ x: [1] }, quiet)).z!.array.toNested()).toEqual([12]);
    expect(() => first.concat(new Pipeline([shifted], { captures: { K: 3, SCALE } }))).toThrow(
      PipelineDefinitionError,
    );
    expect(() => first.concat(new Pipeline([shifted], { captures: { K: 3, SCALE } }))).toThrow(
      /captures "K" to different values/,
    );
  });

  it("identifies a registry's outputs by the declared values: another value recomputes", async () => {
    const path = join(dir, "registry");
    let runs = 0;
    const features = new Node({
      func: (x: number) => {
        runs++;
        return x * K;
      },
      inputs: ["x"],
      outputs: ["features"],
      name: "features",
    });
    const make = () => new Pipeline([features], { registry: { path }, captures: { K } });
    expect(await make().run("features", { x: 2 })).toBe(4);
    expect(await make().run("features", { x: 2 })).toBe(4);
    expect(runs).toBe(1);
    K = 5;
    expect(await make().run("features", { x: 2 })).toBe(10);
    expect(runs).toBe(2);
  });

  it("refuses captures that are not an object of values by name, naming the pipeline", () => {
    for (const bad of [["K"], 3, null]) {
      let error: unknown;
      try {
        new Pipeline([scaled], { name: "sweep", captures: bad as never });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ code: "E_INVALID_OPTION", option: "captures" });
      expect((error as Error).message).toMatch(/Pipeline "sweep" has `captures`/);
      expect((error as Error).message).toMatch(/captures: \{ K, SCALE \}/);
    }
  });
});
