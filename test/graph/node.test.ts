import { describe, expect, it } from "vitest";
import {
  MissingInputError,
  Node,
  namedPartial,
  Pipeline,
  PipelineDefinitionError,
  pipefunc,
  RegistryConflictError,
} from "../../src/index.ts";
import { caught } from "../caught.ts";

interface Conn {
  readonly rows: readonly number[];
  readonly written: number[][];
}

const loadData = (conn: Conn) => [...conn.rows];
const rolling = (df: number[], window: number) =>
  df.map((_, i) => {
    const slice = df.slice(Math.max(0, i - window + 1), i + 1);
    return slice.reduce((s, v) => s + v, 0) / slice.length;
  });

describe("linear Node pipelines", () => {
  it("calls functions positionally and injects config paths and constants", async () => {
    const conn: Conn = { rows: [1, 2, 3, 4], written: [] };
    const writeDb = (features: number[], c: Conn) => {
      c.written.push(features);
    };
    const p = new Pipeline(
      [
        new Node({ func: loadData, inputs: ["conn"], outputs: ["df"] }),
        new Node({ func: rolling, inputs: ["df", "config.window"], outputs: ["features"] }),
        new Node({ func: writeDb, inputs: ["features", "conn"], outputs: [] }),
      ],
      { config: { window: 2 }, constants: { conn }, order: "declared" },
    );
    const all = await p.runAll();
    expect(all.features).toEqual([1, 1.5, 2.5, 3.5]);
    expect(conn.written).toEqual([[1, 1.5, 2.5, 3.5]]);
    expect("conn" in all).toBe(false);
  });

  it("runs a side-effect node when asked for by name", async () => {
    const seen: number[] = [];
    const p = new Pipeline([
      new Node({ func: () => 5, outputs: ["x"] }),
      new Node({ func: (x: number) => void seen.push(x), inputs: ["x"], name: "record" }),
    ]);
    await expect(p.run("record")).resolves.toBeUndefined();
    expect(seen).toEqual([5]);
  });

  it("reads the whole config and nested config paths", () => {
    const p = new Pipeline(
      [
        new Node({
          func: (cfg: { model: { depth: number } }, depth: number) => cfg.model.depth + depth,
          inputs: ["config", "config.model.depth"],
          outputs: ["twice"],
        }),
      ],
      { config: { model: { depth: 4 } } },
    );
    expect(p.runSync("twice")).toBe(8);
    expect(p.info().inputs).toEqual([]);
  });

  it("lets caller inputs override constants", () => {
    const p = new Pipeline(
      [new Node({ func: (k: number) => k * 2, inputs: ["k"], outputs: ["y"] })],
      {
        constants: { k: 1 },
      },
    );
    expect(p.runSync("y")).toBe(2);
    expect(p.runSync("y", { k: 5 })).toBe(10);
  });

  it("mixes Node and pipefunc functions and supports several outputs", () => {
    const split = new Node({
      func: (xs: number[]) =>
        [xs.filter((x) => x % 2 === 0), xs.filter((x) => x % 2 === 1)] as const,
      inputs: ["xs"],
      outputs: ["even", "odd"],
    });
    const count = pipefunc(
      { output: "n" },
      ({ even, odd }: { even: number[]; odd: number[] }) => even.length * 10 + odd.length,
    );
    expect(new Pipeline([split, count]).runSync("n", { xs: [1, 2, 3, 4, 5] })).toBe(23);
  });

  it("uses Node defaults for missing inputs", () => {
    const n = new Node({
      func: (x: number, k: number) => x * k,
      inputs: ["x", "k"],
      outputs: ["y"],
      defaults: { k: 3 },
    });
    expect(new Pipeline([n]).runSync("y", { x: 2 })).toBe(6);
  });

  it("runs nodes in declared order and rejects a read of a later output", () => {
    const order: string[] = [];
    const a = new Node({ func: () => order.push("a"), outputs: ["ra"], name: "a" });
    const b = new Node({ func: () => order.push("b"), outputs: ["rb"], name: "b" });
    new Pipeline([b, a], { order: "declared" }).runAllSync();
    expect(order).toEqual(["b", "a"]);
    const late = new Node({
      func: (x: number) => x,
      inputs: ["later"],
      outputs: ["early"],
      name: "first",
    });
    const producer = new Node({ func: () => 1, outputs: ["later"], name: "second" });
    expect(() => new Pipeline([late, producer], { order: "declared" })).toThrow(
      PipelineDefinitionError,
    );
    expect(() => new Pipeline([late, producer], { order: "declared" })).toThrow(
      /"first" \(position 1\) reads "later", which "second" produces later/,
    );
    expect(new Pipeline([late, producer]).runSync("early")).toBe(1);
  });

  it("rejects more inputs than the function has parameters", () => {
    expect(() => new Node({ func: (a: number) => a, inputs: ["a", "b"], outputs: ["c"] })).toThrow(
      /lists 2 inputs \(a, b\) but its function takes 1 parameter/,
    );
  });

  it("names a missing input of a linear node", () => {
    const p = new Pipeline([new Node({ func: loadData, inputs: ["conn"], outputs: ["df"] })]);
    expect(() => p.runSync("df")).toThrow(MissingInputError);
    expect(() => p.runSync("df")).toThrow(/"conn" \(read by "loadData"\)/);
  });
});

describe("namedPartial", () => {
  it("binds positional parameters by name and names the node", () => {
    const rolling3 = namedPartial(rolling, "rolling3", { window: 3 });
    expect(rolling3.name).toBe("rolling3");
    const node = new Node({ func: rolling3, inputs: ["df"], outputs: ["features"] });
    expect(node.name).toBe("rolling3");
    expect(new Pipeline([node]).runSync("features", { df: [3, 3, 6] })).toEqual([3, 3, 4]);
  });

  it("binds object-style arguments and keeps the others as graph inputs", () => {
    const scale = ({ x, k, offset = 0 }: { x: number; k: number; offset?: number }) =>
      x * k + offset;
    const triple = namedPartial(scale, "triple", { k: 3 });
    const f = pipefunc({ output: "y" }, triple);
    expect(f.name).toBe("triple");
    expect(f.inputs).toEqual(["x", "offset"]);
    expect(f.defaults).toEqual({ offset: 0 });
    expect(new Pipeline([f]).runSync("y", { x: 2 })).toBe(6);
  });

  it("rejects a bound name that is not a parameter", () => {
    expect(() => namedPartial(rolling, "bad", { size: 3 })).toThrow(
      /"size" is not a parameter of "rolling" \(its parameters: df, window\)/,
    );
  });
});

describe("history", () => {
  it("records each executed node with snapshots of its inputs and outputs", async () => {
    const p = new Pipeline(
      [
        new Node({ func: () => ({ n: 1 }), outputs: ["obj"], name: "make" }),
        new Node({
          func: (obj: { n: number }) => {
            obj.n = 99; // mutation after the snapshot must not rewrite history
            return obj.n;
          },
          inputs: ["obj"],
          outputs: ["n"],
          name: "mutate",
        }),
      ],
      { history: true },
    );
    await p.runAll();
    expect(p.history.map((h) => h.node)).toEqual(["make", "mutate"]);
    expect(p.history[0]!.outputs).toEqual({ obj: { n: 1 } });
    expect(p.history[1]!.inputs).toEqual({ obj: { n: 1 } });
    expect(p.history[1]!.outputs).toEqual({ n: 99 });
    expect(p.history[1]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(p.history[1]!.startedAt).toBeGreaterThan(0);
    p.runSync("obj");
    expect(p.history.map((h) => h.node)).toEqual(["make"]);
  });

  it("is empty without history: true", async () => {
    const p = new Pipeline([new Node({ func: () => 1, outputs: ["x"] })]);
    await p.runAll();
    expect(p.history).toEqual([]);
  });
});

describe("linear pipelines, as linepipe runs them", () => {
  it('runs async nodes one after another with order "declared"', async () => {
    const log: string[] = [];
    const nodes = [
      new Node({
        func: async () => {
          await new Promise((resolve) => setImmediate(resolve));
          log.push("written");
        },
        outputs: [],
        name: "write",
      }),
      new Node({ func: () => [...log], outputs: ["seen"], name: "read" }),
    ];
    const declared = new Pipeline(nodes, { order: "declared" });
    await expect(declared.runAll()).resolves.toEqual({ seen: ["written"] });
    log.length = 0;
    // With dependency order, nodes that share no name may overlap: the reader does not wait.
    await expect(new Pipeline(nodes).runAll()).resolves.toEqual({ seen: [] });
  });

  it("rejects a constant named like a node's output when the pipeline is made", () => {
    const load = new Node({ func: () => [1], outputs: ["rows"], name: "load" });
    const error = caught(
      () => new Pipeline([load], { constants: { rows: [2] } }),
      RegistryConflictError,
      "E_REGISTRY_CONFLICT",
    );
    expect(error.names).toEqual(["rows"]);
    expect(error.message).toMatch(/"rows" is both a runtime constant and the output of "load"/);
  });
});
