/**
 * Issue 21, points 6 and 16: a registry entry is restored only while what produced it is
 * unchanged (the node's identity, the config values, constants and inputs it read), and an
 * entry another process deletes mid-run is recomputed, never a raw ENOENT.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serialize } from "node:v8";
import { afterEach, describe, expect, it } from "vitest";
import {
  type HistoryEntry,
  InvalidOptionError,
  Node,
  namedPartial,
  Pipeline,
  PipeweaveError,
  pipefunc,
  RegistryCorruptError,
  UndeclaredCaptureError,
} from "../../src/index.ts";

const folders: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), "pipeweave-registry-stale-"));
  folders.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** How each node of the last run got its outputs: "registry" (restored) or "computed". */
const marks = (p: { readonly history: readonly HistoryEntry[] }) =>
  Object.fromEntries(p.history.map((h) => [h.node, h.source ?? "computed"]));

/** A database connection's stand-in: a class instance, so it has no stable form to hash. */
class Sink {
  readonly written: number[][] = [];
}

const ROWS = [3, 1, 4, 1, 5, 9, 2, 6];
const loadData = (source: readonly number[]) => [...source];
const rolling = (df: number[], window: number) =>
  df.map((_, i) => Math.max(...df.slice(Math.max(0, i - window + 1), i + 1)));
const scale = (features: number[], factor: number) => features.map((v) => v * factor);
const writeDb = (scaled: number[], sink: Sink) => void sink.written.push(scaled);

/** The linear pipeline: load -> rolling(config.window) -> double -> writeDb. */
function linear(path: string, window: number, sink: Sink, source: readonly number[] = ROWS) {
  return new Pipeline(
    [
      new Node({ func: loadData, inputs: ["source"], outputs: ["df"] }),
      new Node({ func: rolling, inputs: ["df", "config.window"], outputs: ["features"] }),
      new Node({
        func: namedPartial(scale, "double", { factor: 2 }),
        inputs: ["features"],
        outputs: ["scaled"],
      }),
      new Node({ func: writeDb, inputs: ["scaled", "sink"], outputs: [], name: "writeDb" }),
    ],
    {
      config: { window },
      constants: { source, sink },
      order: "declared",
      registry: { path },
      history: true,
    },
  );
}

describe("registry: a changed config value recomputes its readers (the issue's window 3 -> 5)", () => {
  it("recomputes features and scaled, restores df, and writeDb writes the new values", async () => {
    const path = folder();
    const sink = new Sink();
    const first = linear(path, 3, sink);
    await first.runAll();
    expect(marks(first)).toEqual({
      loadData: "computed",
      rolling: "computed",
      double: "computed",
      writeDb: "computed",
    });

    const second = linear(path, 5, sink);
    const out = await second.runAll();
    expect(out.features).toEqual(rolling(ROWS, 5));
    expect(out.scaled).toEqual(scale(rolling(ROWS, 5), 2));
    expect(sink.written.at(-1)).toEqual(scale(rolling(ROWS, 5), 2));
    expect(marks(second)).toEqual({
      loadData: "registry",
      rolling: "computed",
      double: "computed",
      writeDb: "computed",
    });

    // The recomputed entries replaced the stale ones: window 5 again restores them, and the
    // side-effect node, which stores nothing, runs on every run.
    const third = linear(path, 5, sink);
    expect((await third.runAll()).scaled).toEqual(scale(rolling(ROWS, 5), 2));
    expect(marks(third)).toEqual({
      loadData: "registry",
      rolling: "registry",
      double: "registry",
      writeDb: "computed",
    });
    expect(sink.written).toHaveLength(3);
    expect(sink.written.at(-1)).toEqual(scale(rolling(ROWS, 5), 2));
  });

  it("marks every history entry with where its outputs came from", async () => {
    const path = folder();
    await linear(path, 3, new Sink()).run("scaled");
    const again = linear(path, 3, new Sink());
    expect(await again.run("scaled")).toEqual(scale(rolling(ROWS, 3), 2));
    // Only what the run read is listed: scaled itself, restored whole.
    expect(again.history).toHaveLength(1);
    const [entry] = again.history;
    expect(entry!.node).toBe("double");
    expect(entry!.source).toBe("registry");
    expect(entry!.outputs).toEqual({ scaled: scale(rolling(ROWS, 3), 2) });
    expect(entry!.inputs).toEqual({});
    expect(entry!.durationMs).toBe(0);
  });
});

describe("registry: a changed producer recomputes it and everything downstream", () => {
  /** a -> b -> c, and a -> d: b's function is given. */
  function diamond(path: string, b: (a: number) => number, version?: number) {
    return new Pipeline(
      [
        new Node({ func: (x: number) => x + 1, inputs: ["x"], outputs: ["a"], name: "fa" }),
        new Node({ func: b, inputs: ["a"], outputs: ["b"], name: "fb", version }),
        new Node({ func: (b: number) => b * 10, inputs: ["b"], outputs: ["c"], name: "fc" }),
        new Node({ func: (a: number) => -a, inputs: ["a"], outputs: ["d"], name: "fd" }),
      ],
      { registry: { path }, history: true },
    );
  }

  it("an edited function body: its node and the nodes reading it recompute, the rest is restored", async () => {
    const path = folder();
    const first = diamond(path, (a) => a * 2);
    expect(await first.runAll({ x: 1 })).toEqual({ x: 1, a: 2, b: 4, c: 40, d: -2 });

    const edited = diamond(path, (a) => a * 3);
    expect(await edited.runAll({ x: 1 })).toEqual({ x: 1, a: 2, b: 6, c: 60, d: -2 });
    expect(marks(edited)).toEqual({
      fa: "registry",
      fb: "computed",
      fc: "computed",
      fd: "registry",
    });
  });

  it("a changed version recomputes; the same version restores", async () => {
    const path = folder();
    await diamond(path, (a) => a * 2, 1).run("c", { x: 1 });
    const bumped = diamond(path, (a) => a * 2, 2);
    await bumped.run("c", { x: 1 });
    expect(marks(bumped)).toEqual({ fa: "registry", fb: "computed", fc: "computed" });
    const same = diamond(path, (a) => a * 2, 2);
    expect(await same.run("c", { x: 1 })).toBe(40);
    expect(marks(same)).toEqual({ fc: "registry" });
  });

  it("changed declared captures recompute", async () => {
    const path = folder();
    const times = (k: number) =>
      new Pipeline(
        [
          new Node({
            func: (x: number) => x * k,
            inputs: ["x"],
            outputs: ["y"],
            name: "times",
            captures: { k },
          }),
        ],
        { registry: { path }, history: true },
      );
    expect(await times(2).run("y", { x: 5 })).toBe(10);
    const three = times(3);
    expect(await three.run("y", { x: 5 })).toBe(15);
    expect(marks(three)).toEqual({ times: "computed" });
  });

  it("a changed caller input recomputes its readers and those downstream", async () => {
    const path = folder();
    await diamond(path, (a) => a * 2).runAll({ x: 1 });
    const other = diamond(path, (a) => a * 2);
    expect(await other.runAll({ x: 2 })).toEqual({ x: 2, a: 3, b: 6, c: 60, d: -3 });
    expect(Object.values(marks(other))).toEqual(["computed", "computed", "computed", "computed"]);
    const back = diamond(path, (a) => a * 2);
    expect(await back.run("c", { x: 1 })).toBe(40);
    expect(marks(back)).toEqual({ fa: "computed", fb: "computed", fc: "computed" });
  });

  it("a node whose inputs are restored chains their recorded hashes: only a stale link recomputes", async () => {
    const path = folder();
    await diamond(path, (a) => a * 2).runAll({ x: 1 });
    // d is gone: its entry is recomputed from the restored a; c is restored whole.
    rmSync(join(path, "d.v8"));
    const p = diamond(path, (a) => a * 2);
    expect(await p.run(["c", "d"], { x: 1 })).toEqual({ c: 40, d: -2 });
    expect(marks(p)).toEqual({ fa: "registry", fc: "registry", fd: "computed" });
    // An upstream entry deleted: what read it cannot be checked, so it recomputes too.
    rmSync(join(path, "a.v8"));
    const q = diamond(path, (a) => a * 2);
    expect(await q.run("c", { x: 1 })).toBe(40);
    expect(marks(q)).toEqual({ fa: "computed", fb: "computed", fc: "computed" });
  });

  it("two concurrent runs with other inputs never record one's value under the other's inputs", async () => {
    const path = folder();
    const gates = new Gates();
    const p = new Pipeline(
      [
        pipefunc(
          { output: "y", name: "slow" },
          async ({ x, gates }: { x: number; gates: Gates }) => {
            await gates.wait(x);
            return x * 10;
          },
        ),
      ],
      { registry: { path }, constants: { gates }, history: true },
    );
    const one = p.run("y", { x: 1 });
    const two = p.run("y", { x: 2 });
    gates.open(2);
    expect(await two).toBe(20);
    gates.open(1);
    expect(await one).toBe(10);
    // The entry holds x = 1's value now: a run for x = 2 must not restore it.
    gates.open(2);
    expect(await p.run("y", { x: 2 })).toBe(20);
    expect(marks(p)).toEqual({ slow: "computed" });
    expect(await p.run("y", { x: 2 })).toBe(20);
    expect(marks(p)).toEqual({ slow: "registry" });
  });
});

/** Deferred promises, one per key: a constant without a stable form (identified by name). */
class Gates {
  readonly #waiting = new Map<number, () => void>();
  readonly #open = new Set<number>();
  wait(key: number): Promise<void> {
    if (this.#open.has(key)) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.set(key, resolve));
  }
  open(key: number): void {
    this.#open.add(key);
    this.#waiting.get(key)?.();
  }
}

describe("registry: constants", () => {
  it("a changed constant with a stable form (plain data) recomputes its readers", async () => {
    const path = folder();
    const sink = new Sink();
    await linear(path, 3, sink).runAll();
    const changed = linear(path, 3, sink, [1, 2, 3]);
    expect((await changed.runAll()).df).toEqual([1, 2, 3]);
    expect(marks(changed)).toEqual({
      loadData: "computed",
      rolling: "computed",
      double: "computed",
      writeDb: "computed",
    });
  });

  it("a constant without a stable form (a connection) is identified by its name: replacing it restores", async () => {
    const path = folder();
    // A fresh Sink each time, as a new process would open a new connection.
    await linear(path, 3, new Sink()).runAll();
    const again = linear(path, 3, new Sink());
    await again.runAll();
    expect(marks(again)).toEqual({
      loadData: "registry",
      rolling: "registry",
      double: "registry",
      writeDb: "computed",
    });
  });
});

describe("registry: what cannot be identified", () => {
  it("refuses a stored function that reads an undeclared value, before any work", () => {
    const path = folder();
    const K = 2;
    const make = () =>
      new Pipeline(
        [new Node({ func: (x: number) => x * K, inputs: ["x"], outputs: ["y"], name: "times" })],
        { registry: { path } },
      );
    expect(make).toThrow(UndeclaredCaptureError);
    try {
      make();
    } catch (error) {
      expect(error).toBeInstanceOf(PipeweaveError);
      expect((error as UndeclaredCaptureError).code).toBe("E_UNDECLARED_CAPTURE");
      expect((error as UndeclaredCaptureError).node).toBe("times");
      expect((error as UndeclaredCaptureError).names).toEqual(["K"]);
      expect((error as Error).message).toMatch(/"times" reads "K".*kept in the registry/);
      expect((error as Error).message).toMatch(/captures: \{ K \}/);
    }
    expect(readdirSync(path)).toEqual([]);
  });

  it("accepts a side-effect node reading outside values: it stores nothing", async () => {
    const path = folder();
    const seen: number[] = [];
    const p = new Pipeline(
      [
        new Node({ func: (x: number) => x + 1, inputs: ["x"], outputs: ["y"], name: "inc" }),
        new Node({
          func: (y: number) => void seen.push(y),
          inputs: ["y"],
          outputs: [],
          name: "log",
        }),
      ],
      { registry: { path } },
    );
    await p.runAll({ x: 1 });
    await p.runAll({ x: 1 });
    expect(seen).toEqual([2, 2]);
  });

  it("refuses declared captures that cannot be hashed, unless a version covers them", () => {
    const path = folder();
    const model = new (class Model {})();
    const make = (version?: number) =>
      new Pipeline(
        [
          new Node({
            func: (x: number) => [x, model],
            inputs: ["x"],
            outputs: ["y"],
            name: "fit",
            captures: { model },
            version,
          }),
        ],
        { registry: { path } },
      );
    expect(() => make()).toThrow(InvalidOptionError);
    try {
      make();
    } catch (error) {
      expect((error as InvalidOptionError).code).toBe("E_INVALID_OPTION");
      expect((error as Error).message).toMatch(/"fit" cannot be identified.*`captures\.model`/);
    }
    expect(() => make(1)).not.toThrow();
  });

  it("a node whose defaults have no stable form is stored but recomputed on every run", async () => {
    const path = folder();
    class Model {
      constructor(readonly factor: number) {}
    }
    const make = () =>
      new Pipeline(
        [
          new Node({
            func: (x: number, m: Model) => m.factor * x,
            inputs: ["x", "model"],
            outputs: ["y"],
            name: "predict",
            defaults: { model: new Model(2) },
          }),
        ],
        { registry: { path }, history: true },
      );
    expect(await make().run("y", { x: 3 })).toBe(6);
    const again = make();
    expect(await again.run("y", { x: 3 })).toBe(6);
    expect(marks(again)).toEqual({ predict: "computed" });
    expect(again.openRegistry().get("y")).toBe(6);
  });

  it("an input without a stable form (a class instance) recomputes its readers on every run", async () => {
    const path = folder();
    class Model {
      constructor(readonly factor: number) {}
    }
    const p = new Pipeline(
      [
        new Node({
          func: (m: Model, x: number) => m.factor * x,
          inputs: ["model", "x"],
          outputs: ["y"],
          name: "predict",
        }),
      ],
      { registry: { path }, history: true },
    );
    expect(await p.run("y", { model: new Model(2), x: 3 })).toBe(6);
    expect(await p.run("y", { model: new Model(5), x: 3 })).toBe(15);
    expect(marks(p)).toEqual({ predict: "computed" });
  });
});

describe("registry: a damaged record", () => {
  it.each([
    ["cut short", (bytes: Buffer) => bytes.subarray(0, 30), "its record is cut short"],
    [
      "not JSON",
      (bytes: Buffer) =>
        Buffer.concat([bytes.subarray(0, 25), Buffer.from("}"), bytes.subarray(26)]),
      "its record is not valid JSON",
    ],
    [
      "without its fields",
      (bytes: Buffer) => {
        const record = Buffer.from(JSON.stringify({ output: "rows" }));
        const head = Buffer.from(bytes.subarray(0, 25));
        head.writeUInt32LE(record.length, 21);
        return Buffer.concat([head, record, Buffer.from(serialize([1]))]);
      },
      "its record lacks what produced the value",
    ],
  ])(
    "%s is a RegistryCorruptError naming the entry and its file, left as it is",
    async (_label, damage, reason) => {
      const path = folder();
      const make = () =>
        new Pipeline(
          [new Node({ func: () => [1, 2], inputs: [], outputs: ["rows"], name: "load" })],
          {
            registry: { path },
          },
        );
      await make().run("rows");
      const file = join(path, "rows.v8");
      writeFileSync(file, damage(readFileSync(file)));
      const bytes = readFileSync(file);
      const error = await make()
        .run("rows")
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryCorruptError);
      expect((error as RegistryCorruptError).code).toBe("E_REGISTRY_CORRUPT");
      expect((error as RegistryCorruptError).output).toBe("rows");
      expect((error as RegistryCorruptError).file).toBe(file);
      expect((error as Error).message).toContain(`"${file}": ${reason}`);
      expect(readFileSync(file)).toEqual(bytes);
    },
  );
});

describe("registry: entries written by the previous format", () => {
  it("are stale: recomputed and rewritten, then restored", async () => {
    const path = folder();
    // The previous format: the bare v8 value, with nothing saying what produced it.
    writeFileSync(join(path, "df.v8"), serialize([9, 9, 9]));
    writeFileSync(join(path, "features.v8"), serialize([9, 9, 9]));
    const p = linear(path, 3, new Sink());
    expect((await p.runAll()).features).toEqual(rolling(ROWS, 3));
    expect(marks(p)).toEqual({
      loadData: "computed",
      rolling: "computed",
      double: "computed",
      writeDb: "computed",
    });
    expect(readFileSync(join(path, "features.v8"))).not.toEqual(serialize([9, 9, 9]));
    const again = linear(path, 3, new Sink());
    await again.run("features");
    expect(marks(again)).toEqual({ rolling: "registry" });
  });
});

/** A constant whose hash is taken while the registry is checked: it runs `action` then. */
class Trigger {
  constructor(readonly action: () => void) {}
  toJSON() {
    this.action();
    return "trigger";
  }
}

describe("registry: entries another process deletes (point 16)", () => {
  /** load(conn) -> rows -> double -> doubled; `hook` is read by `double`. */
  function counted(path: string, extra: { hook?: unknown; conn?: unknown } = {}) {
    return new Pipeline(
      [
        new Node({
          func: (conn: unknown) => {
            void conn;
            return [1, 2, 3];
          },
          inputs: ["conn"],
          outputs: ["rows"],
          name: "load",
        }),
        new Node({
          func: (hook: unknown, rows: number[]) => {
            void hook;
            return rows.map((r) => r * 2);
          },
          inputs: ["hook", "rows"],
          outputs: ["doubled"],
          name: "double",
        }),
      ],
      {
        constants: { conn: extra.conn ?? "db", hook: extra.hook ?? "none" },
        registry: { path },
        history: true,
      },
    );
  }

  it("deleted while the run is running: the run returns what it restored, no ENOENT", async () => {
    const path = folder();
    await counted(path).runAll();
    const vacuum = new Node({
      // The other process: removes every entry while this run is under way.
      func: () => {
        for (const file of readdirSync(path)) rmSync(join(path, file), { force: true });
      },
      inputs: [],
      outputs: [],
      name: "vacuum",
    });
    const p = counted(path).add(vacuum);
    await expect(p.runAll()).resolves.toEqual({ rows: [1, 2, 3], doubled: [2, 4, 6] });
    // The entries are gone: the next run recomputes them.
    const next = counted(path);
    expect(await next.run("doubled")).toEqual([2, 4, 6]);
    expect(marks(next)).toEqual({ load: "computed", double: "computed" });
  });

  it("deleted after its record was checked and before its value was read: recomputed", async () => {
    const path = folder();
    await counted(path).runAll();
    const doubled = join(path, "doubled.v8");
    // conn's hash is taken after doubled's record was read, when rows' is checked.
    const p = counted(path, { conn: new Trigger(() => rmSync(doubled, { force: true })) });
    await counted(path, { conn: new Trigger(() => {}) }).runAll(); // records conn's hash
    expect(await p.run("doubled")).toEqual([2, 4, 6]);
    expect(marks(p)).toEqual({ load: "registry", double: "computed" });
  });

  it("deleted after the folder was listed and before its record was read: recomputed", async () => {
    const path = folder();
    await counted(path, { hook: new Trigger(() => {}) }).runAll();
    // hook's hash is taken before rows' record is read.
    const rows = join(path, "rows.v8");
    const p = counted(path, { hook: new Trigger(() => rmSync(rows, { force: true })) });
    expect(await p.run("doubled")).toEqual([2, 4, 6]);
    expect(marks(p)).toEqual({ load: "computed", double: "computed" });
  });
});
