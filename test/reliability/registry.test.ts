import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  Node,
  Pipeline,
  PipeweaveError,
  pipefunc,
  RegistryCorruptError,
  RegistryValueError,
} from "../../src/index.ts";

const folders: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), "pipeweave-registry-reliability-"));
  folders.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** load -> rows -> double -> doubled, counting calls, on a registry at `path`. */
function counted(path: string) {
  const calls = { load: 0, double: 0 };
  const load = new Node({
    func: (conn: { rows: number[] }) => {
      calls.load++;
      return conn.rows;
    },
    inputs: ["conn"],
    outputs: ["rows"],
    name: "load",
    // `version` identifies the code for the registry: the counter is not data it computes from.
    version: 1,
  });
  const double = pipefunc(
    { output: "doubled", name: "double", version: 1 },
    ({ rows }: { rows: number[] }) => {
      calls.double++;
      return rows.map((r) => r * 2);
    },
  );
  const pipeline = new Pipeline([load, double], {
    constants: { conn: { rows: [1, 2, 3] } },
    registry: { path },
  });
  return { pipeline, calls };
}

/** What `action` threw (or the rejection of what it returned). */
async function thrown(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("registry: a corrupt entry names itself and is never overwritten", () => {
  it.each([
    ["garbage bytes", (file: string) => writeFileSync(file, "not a v8 value")],
    ["a zero-byte file", (file: string) => writeFileSync(file, "")],
    ["a truncated file", (file: string) => truncateSync(file, statSync(file).size - 1)],
  ])("%s is a RegistryCorruptError naming the entry and its file", async (_label, corrupt) => {
    const path = folder();
    await counted(path).pipeline.run("doubled");
    const file = join(path, "doubled.v8");
    corrupt(file);
    const bytes = readFileSync(file);

    const { pipeline, calls } = counted(path);
    for (const attempt of [
      () => pipeline.run("doubled"),
      () => pipeline.runAll(),
      () => pipeline.openRegistry().get("doubled"),
    ]) {
      const error = await thrown(attempt);
      expect(error).toBeInstanceOf(RegistryCorruptError);
      expect(error).toBeInstanceOf(PipeweaveError);
      expect((error as RegistryCorruptError).code).toBe("E_REGISTRY_CORRUPT");
      expect((error as RegistryCorruptError).output).toBe("doubled");
      expect((error as RegistryCorruptError).file).toBe(file);
      const message = (error as Error).message;
      expect(message).toContain(`"${file}"`);
      expect(message).toMatch(/"doubled"/);
      expect(message).toMatch(/openRegistry\(\)\.delete\("doubled"\)/);
    }
    // Nothing recomputed over it: the stored bytes are as they were.
    expect(calls.double).toBe(0);
    expect(readFileSync(file)).toEqual(bytes);
    // Other entries still read, and deleting the corrupt one recomputes it.
    expect(pipeline.openRegistry().get("rows")).toEqual([1, 2, 3]);
    expect(pipeline.openRegistry().has("doubled")).toBe(true);
    expect(pipeline.openRegistry().delete("doubled")).toBe(true);
    expect(await pipeline.run("doubled")).toEqual([2, 4, 6]);
    expect(calls.double).toBe(1);
  });
});

describe("registry: files that are not entries are ignored", () => {
  it("opens, lists and runs with stray files such as 100%.v8, notes.txt and a folder", async () => {
    const path = folder();
    await counted(path).pipeline.run("doubled");
    writeFileSync(join(path, "100%.v8"), "stray");
    writeFileSync(join(path, "%E0%A4%A.v8"), "stray");
    writeFileSync(join(path, "notes.txt"), "stray");
    writeFileSync(join(path, "my notes.v8"), "stray"); // not how a name is encoded
    writeFileSync(join(path, ".doubled.123.abc"), "half-written");
    mkdirSync(join(path, "archive.v8"));

    const { pipeline, calls } = counted(path);
    const registry = pipeline.openRegistry();
    expect(registry.keys().sort()).toEqual(["conn", "doubled", "rows"]);
    expect(Object.keys(registry.placement).sort()).toEqual(["conn", "doubled", "rows"]);
    expect(registry.has("archive")).toBe(false);
    expect(registry.get("archive")).toBeUndefined();
    expect(registry.has("100%")).toBe(false);
    expect(await pipeline.run("doubled")).toEqual([2, 4, 6]);
    expect(calls).toEqual({ load: 0, double: 0 });
    registry.clear();
    // clear() removes entries only.
    expect(readdirSync(path).sort()).toEqual(
      [
        ".doubled.123.abc",
        "%E0%A4%A.v8",
        "100%.v8",
        "archive.v8",
        "my notes.v8",
        "notes.txt",
      ].sort(),
    );
  });

  it.each(["100% done/ok", ".hidden", "a b", "ünïcode"])(
    "stores and restores the output %j, whose file name is encoded",
    async (name) => {
      const path = folder();
      const odd = () =>
        new Pipeline([pipefunc({ output: name, name: "odd" }, () => 1)], {
          registry: { path },
          history: true,
        });
      await odd().run(name);
      expect(readdirSync(path).filter((f) => f.startsWith("."))).toEqual([]);
      const again = odd();
      expect(again.openRegistry().keys()).toEqual([name]);
      expect(again.openRegistry().get(name)).toBe(1);
      expect(await again.run(name)).toBe(1);
      expect(again.history.map((h) => h.source)).toEqual(["registry"]);
    },
  );
});

class MyDate extends Date {}
class MyError extends Error {}
class MyTypeError extends TypeError {}
class MyMap extends Map<string, number> {}
class MySet extends Set<number> {}
class MyArray extends Array<number> {}
class MyBytes extends Uint8Array {}
const tag = Symbol("tag");

describe("registry: a value that would not come back as it went in is refused", () => {
  it.each([
    [
      "a Date subclass",
      () => ({ when: new MyDate(0) }),
      "`result.when` is a MyDate, a subclass of Date, which would come back as Date",
    ],
    [
      "an Error subclass",
      () => [new MyError("x")],
      "`result[0]` is a MyError, a subclass of Error, which would come back as Error",
    ],
    [
      "a TypeError subclass",
      () => ({ e: new MyTypeError("x") }),
      "a MyTypeError, a subclass of TypeError, which would come back as TypeError",
    ],
    [
      "an AggregateError",
      () => new AggregateError([], "x"),
      "`result` is an AggregateError, a subclass of Error, which would come back as Error",
    ],
    [
      "an Error with its own fields",
      () => ({ e: Object.assign(new Error("x"), { code: "E1" }) }),
      '`result.e` is an Error with its own property "code"',
    ],
    [
      "an Error with a changed name",
      () => Object.assign(new Error("x"), { name: "Custom" }),
      '`result` is an Error with its own property "name"',
    ],
    [
      "a Map subclass",
      () => new MyMap([["k", 1]]),
      "a MyMap, a subclass of Map, which would come back as Map",
    ],
    ["a Set subclass", () => ({ s: new MySet([1]) }), "`result.s` is a MySet, a subclass of Set"],
    [
      "an Array subclass",
      () => MyArray.from([1, 2]),
      "a MyArray, a subclass of Array, which would come back as Array",
    ],
    [
      "a typed array subclass",
      () => ({ b: new MyBytes(2) }),
      "a MyBytes, a subclass of Uint8Array, which would come back as Uint8Array",
    ],
    [
      "a symbol key",
      () => ({ deep: { [tag]: 1, x: 1 } }),
      "`result.deep` has the symbol-keyed property Symbol(tag), which would be dropped",
    ],
    [
      "a symbol key on an array",
      () => Object.assign([1], { [tag]: 1 }),
      "`result` has the symbol-keyed property Symbol(tag)",
    ],
    [
      "a non-enumerable property",
      () => Object.defineProperty({}, "hidden", { value: 1 }),
      '`result` has the non-enumerable property "hidden"',
    ],
    [
      "a field on a Date",
      () => Object.assign(new Date(0), { tz: "UTC" }),
      '`result` is a Date with its own property "tz"',
    ],
    [
      "a class instance in a Map value",
      () => new Map([["k", { p: new (class Point {})() }]]),
      '`result.get("k").p` is a Point instance, which would come back as a plain object',
    ],
    [
      "a Date subclass in a Set",
      () => new Set([1, new MyDate(0)]),
      "`result.values()[1]` is a MyDate",
    ],
    [
      "a subclass as a Map key",
      () => new Map([[new MyDate(0), 1]]),
      "`result.keys()[0]` is a MyDate",
    ],
    [
      "a subclass in an Error's cause",
      () => new Error("x", { cause: new MyDate(0) }),
      "`result.cause` is a MyDate",
    ],
    [
      "a subclass under an odd key",
      () => ({ "a b": new MyDate(0) }),
      '`result["a b"]` is a MyDate',
    ],
  ])("refuses %s, naming the node, output and path", async (_label, make, reason) => {
    const path = folder();
    const bad = pipefunc({ output: "result", name: "produce", version: 1 }, make);
    const error = await thrown(() => new Pipeline([bad], { registry: { path } }).run("result"));
    expect(error).toBeInstanceOf(RegistryValueError);
    expect((error as RegistryValueError).code).toBe("E_REGISTRY_VALUE");
    expect((error as RegistryValueError).node).toBe("produce");
    expect((error as RegistryValueError).output).toBe("result");
    expect((error as Error).message).toContain(reason);
    expect(readdirSync(path)).toEqual([]);
  });

  it("stores built-in types that round-trip exactly", async () => {
    const path = folder();
    const cause = new RangeError("inner");
    const loop: { n: number; self?: unknown; list?: unknown[] } = { n: 1 };
    loop.self = loop;
    loop.list = [loop, new Map([["again", loop]])];
    const value = {
      buffer: Buffer.from("ab"),
      bytes: new Uint8Array([1, 2]),
      error: new TypeError("outer", { cause }),
      when: new Date(5),
      pattern: /a+/g,
      dict: Object.assign(Object.create(null) as Record<string, number>, { x: 1 }),
      nested: new Map([["k", new Set([new Date(1)])]]),
      loop,
    };
    // `value` holds a cycle, which has no stable form to hash: `version` identifies it.
    const produce = pipefunc({ output: "v", version: 1 }, () => value);
    const p = new Pipeline([produce], { registry: { path } });
    await p.run("v");
    const back = new Pipeline([produce], { registry: { path } })
      .openRegistry()
      .get("v") as typeof value;
    expect(Buffer.isBuffer(back.buffer)).toBe(true);
    expect(back.buffer.toString()).toBe("ab");
    expect(back.bytes).toEqual(new Uint8Array([1, 2]));
    expect(Object.getPrototypeOf(back.error)).toBe(TypeError.prototype);
    expect(back.error.message).toBe("outer");
    expect(Object.getPrototypeOf(back.error.cause)).toBe(RangeError.prototype);
    expect(back.when).toEqual(new Date(5));
    expect(back.pattern).toEqual(/a+/g);
    expect(back.dict.x).toBe(1);
    expect(back.nested).toEqual(value.nested);
    expect(back.loop.self).toBe(back.loop);
    expect(back.loop.list![0]).toBe(back.loop);
  });
});
