import { describe, expect, it } from "vitest";
import {
  AsyncInSyncRunError,
  CycleError,
  DuplicateInputError,
  MissingInputError,
  Node,
  NodeExecutionError,
  Pipeline,
  PipelineDefinitionError,
  pipefunc,
  UnknownOutputError,
  UnusedInputError,
} from "../../src/index.ts";
import { caught } from "../caught.ts";

const fC = pipefunc({ output: "c" }, ({ a, b }: { a: number; b: number }) => a + b);
const fD = pipefunc({ output: "d" }, ({ b, c }: { b: number; c: number }) => b * c);

describe("definition errors", () => {
  it("rejects two functions with the same output and names both", () => {
    const other = pipefunc({ output: "c", name: "otherC" }, ({ x }: { x: number }) => x);
    const error = caught(
      () => new Pipeline([fC, other] as never),
      PipelineDefinitionError,
      "E_DEFINITION",
    );
    expect(error.message).toContain('"fC"'.replace("fC", fC.name));
    expect(error.message).toContain('"otherC"');
    expect(error.message).toContain('"c"');
    expect(error.message).toMatch(/rename/);
  });

  it("collects every problem before throwing", () => {
    const dup1 = pipefunc({ output: "x", name: "one" }, ({ k = 1 }: { k?: number }) => k);
    const dup2 = pipefunc({ output: "x", name: "two" }, ({ k = 2 }: { k?: number }) => k);
    const error = caught(
      () => new Pipeline([dup1, dup2] as never),
      PipelineDefinitionError,
      "E_DEFINITION",
    );
    expect(error.problems).toHaveLength(2);
    expect(error.message).toMatch(/both produce "x"/);
    expect(error.message).toMatch(/"k" with different defaults \(1 vs 2\)/);
  });

  it("rejects functions that disagree on a shared input's default", () => {
    const f = pipefunc({ output: "y" }, ({ x = 1 }: { x?: number }) => x);
    const g = pipefunc({ output: "z" }, ({ x = 2 }: { x?: number }) => x);
    const error = caught(() => new Pipeline([f, g]), PipelineDefinitionError, "E_DEFINITION");
    expect(error.message).toContain('"x"');
    expect(error.message).toContain('"f"'.replace("f", f.name));
  });

  it("tells how to fix a function whose input names cannot be read", () => {
    const error = caught(
      () => pipefunc({ output: "m" }, (args: { a: number }) => args.a),
      PipelineDefinitionError,
      "E_DEFINITION",
    );
    expect(error.message).toMatch(/pass `inputs: \[/);
    caught(
      () => pipefunc({ output: "m" }, Math.max as never),
      PipelineDefinitionError,
      "E_DEFINITION",
    );
    const bound = ((o: { a: number }) => o.a).bind(null);
    caught(() => pipefunc({ output: "m" }, bound), PipelineDefinitionError, "E_DEFINITION");
  });

  it("rejects a bound or default key that is not an argument", () => {
    const error = caught(
      () => pipefunc({ output: "y", bound: { nope: 1 } as never }, ({ x }: { x: number }) => x),
      PipelineDefinitionError,
      "E_DEFINITION",
    );
    expect(error.message).toContain('"nope"');
  });

  it("rejects a cycle and names every function on it", () => {
    const f = pipefunc({ output: "a", name: "fa" }, ({ c }: { c: number }) => c);
    const g = pipefunc({ output: "b", name: "fb" }, ({ a }: { a: number }) => a);
    const h = pipefunc({ output: "c", name: "fc" }, ({ b }: { b: number }) => b);
    const error = caught(() => new Pipeline([f, g, h]), CycleError, "E_CYCLE");
    expect([...error.cycle].sort()).toEqual(["fa", "fa", "fb", "fc"].sort());
    expect(error.message).toMatch(/"fa" -> "fc" -> "fb" -> "fa"|"fa" -> "fb"|"fb"|"fc"/);
    for (const name of ["fa", "fb", "fc"]) expect(error.message).toContain(`"${name}"`);
  });

  it("rejects a function that reads its own output as a cycle", () => {
    const f = pipefunc({ output: "x", name: "loop" }, ({ x }: { x: number }) => x + 1);
    const error = caught(() => new Pipeline([f]), CycleError, "E_CYCLE");
    expect(error.cycle).toEqual(["loop", "loop"]);
  });
});

describe("run errors", () => {
  const pipeline = new Pipeline([fC, fD]);

  it("lists every missing root input and the functions reading them", async () => {
    const error = caught(() => pipeline.runSync("d", {}), MissingInputError, "E_MISSING_INPUT");
    expect([...error.missing].sort()).toEqual(["a", "b"]);
    expect(error.output).toBe("d");
    expect(error.message).toContain('"a"');
    expect(error.message).toContain('"b"');
    expect(error.message).toContain(`read by "${fC.name}"`);
    await expect(pipeline.run("d", { a: 1 })).rejects.toBeInstanceOf(MissingInputError);
  });

  it("shows a thrown plain object as JSON, not [object Object]", () => {
    const thrower = new Pipeline([
      pipefunc({ output: "y" }, ({ x }: { x: number }) => {
        throw { code: 42, detail: `bad ${x}` };
      }),
    ]);
    const error = caught(() => thrower.runSync("y", { x: 1 }), NodeExecutionError, "E_NODE_FAILED");
    expect(error.message).toContain('failed: [Object] thrown: {"code":42,"detail":"bad 1"}');
    expect(error.cause).toEqual({ code: 42, detail: "bad 1" });
  });

  it("suggests the closest names for an unknown output", () => {
    const error = caught(
      () => pipeline.runSync("dd" as never, { a: 1, b: 2 }),
      UnknownOutputError,
      "E_UNKNOWN_OUTPUT",
    );
    expect(error.suggestions).toContain("d");
    expect(error.message).toMatch(/Did you mean "d"/);
  });

  it('suggests no name that is not a likely typo ("e" for "nope")', () => {
    const fE = pipefunc({ output: "e" }, ({ d }: { d: number }) => d);
    const error = caught(
      () => new Pipeline([fC, fD, fE]).runSync("nope" as never, { a: 1, b: 2 }),
      UnknownOutputError,
      "E_UNKNOWN_OUTPUT",
    );
    expect(error.suggestions).toEqual([]);
    expect(error.message).toBe('No function produces "nope". Known outputs: "c", "d", "e".');
  });

  it("rejects inputs nothing reads unless allowUnused", () => {
    const error = caught(
      () => pipeline.runSync("c", { a: 1, b: 2, bb: 3 } as never),
      UnusedInputError,
      "E_UNUSED_INPUT",
    );
    expect(error.unused).toEqual(["bb"]);
    expect(error.message).toMatch(/did you mean "b"\?/);
    expect(error.message).toMatch(/allowUnused/);
    expect(pipeline.runSync("c", { a: 1, b: 2, bb: 3 } as never, { allowUnused: true })).toBe(3);
    const lenient = new Pipeline([fC], { allowUnused: true });
    expect(lenient.runSync("c", { a: 1, b: 2, zz: 0 } as never)).toBe(3);
  });

  it("wraps an exception with the node, its arguments and the cause", async () => {
    const boom = new RangeError("negative");
    const f = pipefunc({ output: "r", name: "sqrt" }, ({ x }: { x: number }) => {
      if (x < 0) throw boom;
      return Math.sqrt(x);
    });
    const p = new Pipeline([f]);
    const error = caught(() => p.runSync("r", { x: -4 }), NodeExecutionError, "E_NODE_FAILED");
    expect(error.node).toBe("sqrt");
    expect(error.inputs).toEqual({ x: -4 });
    expect(error.cause).toBe(boom);
    expect(error.message).toContain('"sqrt"');
    expect(error.message).toContain("x: -4");
    const rejected = await p.run("r", { x: -1 }).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(NodeExecutionError);
    expect((rejected as NodeExecutionError).cause).toBe(boom);
  });

  it("wraps a rejected promise and never leaves a rejection unhandled", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const fail1 = pipefunc({ output: "p", name: "fail1" }, async ({ a }: { a: number }) => {
        throw new Error(`one ${a}`);
      });
      const fail2 = pipefunc({ output: "q", name: "fail2" }, async ({ a }: { a: number }) => {
        await new Promise((r) => setTimeout(r, 5));
        throw new Error(`two ${a}`);
      });
      const join = pipefunc({ output: "s" }, ({ p, q }: { p: number; q: number }) => p + q);
      const error = await new Pipeline([fail2, fail1, join])
        .run("s", { a: 1 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NodeExecutionError);
      expect(["fail1", "fail2"]).toContain((error as NodeExecutionError).node);
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("names the async function met by runSync", () => {
    const f = pipefunc({ output: "y", name: "fetchIt" }, async ({ x }: { x: number }) => x);
    const error = caught(
      () => new Pipeline([f]).runSync("y", { x: 1 }),
      AsyncInSyncRunError,
      "E_ASYNC_IN_SYNC",
    );
    expect(error.node).toBe("fetchIt");
    expect(error.message).toMatch(/pipeline\.run/);
  });

  it("reports a function returning the wrong shape for several outputs", () => {
    const f = pipefunc({ output: ["x", "y"], name: "pair" }, ({ v }: { v: number }) => v);
    const error = caught(
      () => new Pipeline([f]).runSync("x", { v: 1 }),
      NodeExecutionError,
      "E_NODE_FAILED",
    );
    expect(error.node).toBe("pair");
    expect(error.message).toMatch(/declares 2 outputs \(x, y\)/);
  });

  it("names a missing config path", () => {
    const n = new Node({ func: (w: number) => w, inputs: ["config.model.window"], outputs: ["w"] });
    const error = caught(
      () => new Pipeline([n], { config: { model: {} } }).runSync("w"),
      MissingInputError,
      "E_MISSING_INPUT",
    );
    expect(error.missing).toEqual(["config.model.window"]);
    expect(error.message).toMatch(/"model.window" to the pipeline's config/);
  });
});

describe("options that name nothing", () => {
  it("rejects renames, defaults and bound naming an argument the function lacks", () => {
    for (const [option, pattern] of [
      [{ renames: { zz: "q" } }, /no argument or output "zz".*`renames`/],
      [{ defaults: { zz: 1 } }, /no argument "zz".*`defaults`/],
      [{ bound: { zz: 1 } }, /no argument "zz".*`bound`/],
    ] as const) {
      const error = caught(
        () => pipefunc({ output: "c", ...option } as never, ({ a }: { a: number }) => a),
        PipelineDefinitionError,
        "E_DEFINITION",
      );
      expect(error.message).toMatch(pattern);
      expect(error.message).toMatch(/Function "c"/);
    }
  });

  it("says that defaults use the argument's own name when given its renamed name", () => {
    const error = caught(
      () =>
        pipefunc(
          { output: "c", renames: { a: "x" }, defaults: { x: 1 } } as never,
          ({ a }: { a: number }) => a,
        ),
      PipelineDefinitionError,
      "E_DEFINITION",
    );
    expect(error.message).toMatch(/use "a", which is renamed to "x"/);
  });

  it("rejects an argument both bound and defaulted", () => {
    const error = caught(
      () =>
        pipefunc({ output: "c", bound: { a: 1 }, defaults: { a: 2 } }, ({ a }: { a: number }) => a),
      PipelineDefinitionError,
      "E_DEFINITION",
    );
    expect(error.message).toMatch(/"a" both in `bound` and in `defaults`/);
  });

  it("rejects a scoped input given both flat and nested", async () => {
    const p = new Pipeline([pipefunc({ output: "c", scope: "s" }, ({ a }: { a: number }) => a)]);
    for (const inputs of [
      { "s.a": 1, s: { a: 2 } },
      { s: { a: 2 }, "s.a": 1 },
    ]) {
      const error = caught(
        () => p.runSync("s.c", inputs as never),
        DuplicateInputError,
        "E_DUPLICATE_INPUT",
      );
      expect(error.input).toBe("s.a");
      expect(error.message).toMatch(/given twice: as "s.a" and inside "s"/);
    }
    await expect(p.map({ "s.a": 1, s: { a: 2 } })).rejects.toBeInstanceOf(DuplicateInputError);
  });

  it("rejects a subpipeline from whose inputs nothing can be computed", () => {
    const error = caught(
      () => new Pipeline([fC, fD]).subpipeline({ inputs: ["zz"] }),
      PipelineDefinitionError,
      "E_DEFINITION",
    );
    expect(error.message).toMatch(/Nothing can be computed from the inputs \["zz"\]/);
    expect(error.message).toMatch(/root inputs are \["a","b"\]/);
  });

  it("get() of an unknown name, input names included, is an UnknownOutputError", () => {
    const p = new Pipeline([fC, fD]);
    for (const name of ["zz", "a"]) {
      const error = caught(() => p.get(name), UnknownOutputError, "E_UNKNOWN_OUTPUT");
      expect(error.output).toBe(name);
    }
  });

  it("lists each suggestion once", () => {
    const p = new Pipeline([fC, fD]);
    const error = caught(() => p.get("cc"), UnknownOutputError, "E_UNKNOWN_OUTPUT");
    expect(error.suggestions).toEqual([...new Set(error.suggestions)]);
    expect(error.message.match(/"c"/g)?.length).toBe(1);
    const viaRun = caught(
      () => p.runSync("dd" as never, {}),
      UnknownOutputError,
      "E_UNKNOWN_OUTPUT",
    );
    expect(viaRun.message.match(/"d"/g)?.length).toBe(1);
  });
});
