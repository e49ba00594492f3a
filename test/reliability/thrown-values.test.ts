/**
 * `errors: "continue"` records what an element threw readably, whatever it threw: a plain
 * object is shown as such (`{ code: 7 }`), never as `[object Object]`.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { thrownMessage } from "../../src/_internal/thrown-message.ts";
import { serializeError } from "../../src/executor/error-data.ts";
import { Pipeline, pipefunc } from "../../src/index.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pipeweave-thrown-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("a thrown value that is not an Error", () => {
  it("is recorded readably by errors: continue, in the results and in status.json", async () => {
    const runFolder = join(dir, "run");
    const pipeline = new Pipeline([
      pipefunc({ output: "y", mapspec: "x[i] -> y[i]" }, ({ x }: { x: number }) => {
        if (x === 1) throw { code: 7, detail: "bad x" };
        if (x === 2) throw [x, "two"];
        return x;
      }),
    ]);
    const results = await pipeline.map(
      { x: [0, 1, 2] },
      { runFolder, errors: "continue", progress: false },
    );
    expect(results.errors.map((e) => [e.index, e.message])).toEqual([
      [[1], "{ code: 7, detail: 'bad x' }"],
      [[2], "[ 2, 'two' ]"],
    ]);
    expect(results.errors[0]!.error).toEqual({ code: 7, detail: "bad x" });
    expect(results.errors[0]!.toJSON().message).toBe("{ code: 7, detail: 'bad x' }");
    const status = JSON.parse(readFileSync(join(runFolder, "status.json"), "utf8")) as {
      errors: { message: string }[];
    };
    expect(status.errors.map((e) => e.message)).toEqual([
      "{ code: 7, detail: 'bad x' }",
      "[ 2, 'two' ]",
    ]);
  });

  it("crosses a thread boundary with the same message", () => {
    expect(serializeError({ code: 7 }).message).toBe("{ code: 7 }");
  });

  class Custom {
    toString() {
      return "custom says hi";
    }
  }
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;

  it.each([
    ["an Error", new RangeError("too far"), "too far"],
    ["a string", "plain words", "plain words"],
    ["a number", 42, "42"],
    ["undefined", undefined, "undefined"],
    ["null", null, "null"],
    ["a bigint", 10n, "10"],
    ["a plain object", { code: 7 }, "{ code: 7 }"],
    [
      "an object without prototype",
      Object.assign(Object.create(null), { a: 1 }),
      "[Object: null prototype] { a: 1 }",
    ],
    ["an array", [1, { b: 2 }], "[ 1, { b: 2 } ]"],
    ["a Map", new Map([["k", 1]]), "Map(1) { 'k' => 1 }"],
    ["a cyclic object", cyclic, "<ref *1> { name: 'loop', self: [Circular *1] }"],
    ["an object with its own toString", new Custom(), "custom says hi"],
  ])("thrownMessage of %s", (_, value, message) => {
    expect(thrownMessage(value)).toBe(message);
  });

  it("cuts a huge value short", () => {
    const message = thrownMessage({ data: "x".repeat(10_000) });
    expect(message.length).toBe(2000);
    expect(message.endsWith("…")).toBe(true);
  });
});
