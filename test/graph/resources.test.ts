import { describe, expect, it } from "vitest";
import {
  InvalidOptionError,
  Node,
  Pipeline,
  pipefunc,
  resourcesFor,
  type UntypedPipeFunc,
} from "../../src/index.ts";
import { caught } from "../caught.ts";

const makeFit = (resources: unknown, scope?: unknown) =>
  pipefunc(
    {
      output: "y",
      name: "fit",
      mapspec: "x[i] -> y[i]",
      resources: resources as never,
      ...(scope === undefined ? {} : { resourcesScope: scope as never }),
    },
    ({ x, n }: { x: number; n: number }) => x * n,
  );

describe("resources on functions", () => {
  it('keeps fixed or computed resources, scope "map" by default, through with()', () => {
    const fixed = makeFit({ cpus: 2, memory: "4GB" });
    expect(fixed.resources).toEqual({ cpus: 2, memory: "4GB" });
    expect(fixed.resourcesScope).toBe("map");
    const computed = makeFit(({ n }: { n?: number }) => ({ cpus: n }), "element");
    expect(computed.resourcesScope).toBe("element");
    expect(resourcesFor(computed, undefined, { n: 3 })?.cpus).toBe(3);
    // Carried by with() and by renames, replaced when given.
    expect(fixed.with({ cache: true }).resources).toEqual({ cpus: 2, memory: "4GB" });
    expect(new Pipeline([fixed]).withRenames({ x: "u" }).functions[0]!.resources).toEqual({
      cpus: 2,
      memory: "4GB",
    });
    expect(fixed.with({ resources: { cpus: 8 } }).resources).toEqual({ cpus: 8 });
    expect(computed.with({ name: "other" }).resourcesScope).toBe("element");
    expect(makeFit(undefined).resources).toBeUndefined();
  });

  it.each([
    [{ cpus: -1 }, "resources.cpus", "have cpus -1 (number)"],
    [{ memory: "4 gigs" }, "resources.memory", 'have memory "4 gigs"'],
    [{ cores: 2 }, "resources.cores", 'have an unknown key "cores"'],
    ["2 cpus", "resources", 'are "2 cpus"; expected an object'],
  ])("refuses bad fixed resources %j when the function is made, naming it", (bad, option, text) => {
    const e = caught(() => makeFit(bad), InvalidOptionError, "E_INVALID_OPTION");
    expect(e.option).toBe(option);
    expect(e.message).toContain(`The resources of function "fit" ${text}`);
    // .with() checks too.
    expect(
      caught(
        () => makeFit({ cpus: 1 }).with({ resources: bad as never }),
        InvalidOptionError,
        "E_INVALID_OPTION",
      ).option,
    ).toBe(option);
  });

  it("checks a resources function only when it is evaluated, naming the function", () => {
    const computed = makeFit(() => ({ cpus: 0 }));
    const e = caught(
      () => resourcesFor(computed, undefined),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(e.message).toContain(
      'The resources of function "fit" (what its resources function returned) have cpus 0',
    );
  });

  it("refuses a resourcesScope other than map or element", () => {
    const e = caught(() => makeFit({ cpus: 1 }, "chunk"), InvalidOptionError, "E_INVALID_OPTION");
    expect(e.option).toBe("resourcesScope");
    expect(e.message).toContain('The resourcesScope of function "fit" is "chunk"; expected "map"');
  });

  it("takes resources on a Node, by input name", () => {
    const node = new Node({
      func: (a: number, b: number) => a + b,
      inputs: ["a", "b"],
      outputs: ["c"],
      resources: ({ b }) => ({ cpus: Number(b) }),
      resourcesScope: "element",
    });
    expect(node.resourcesScope).toBe("element");
    expect(resourcesFor(node, undefined, { a: 1, b: 2 })?.cpus).toBe(2);
    expect(
      caught(
        () =>
          new Node({
            func: (a: number) => a,
            inputs: ["a"],
            outputs: ["c"],
            resources: { gpus: -1 },
          }),
        InvalidOptionError,
        "E_INVALID_OPTION",
      ).message,
    ).toContain('The resources of function "c" have gpus -1');
  });
});

describe("a pipeline's default resources", () => {
  it("are checked when the pipeline is made and overlaid by each function's own", () => {
    const plain = pipefunc({ output: "z" }, ({ y }: { y: number }) => y);
    const p = new Pipeline([makeFit({ cpus: 4, extra: ["--b"] }), plain], {
      name: "sweep",
      resources: { cpus: 1, memory: "2GB", extra: ["--a"] },
    });
    expect(p.resources).toMatchObject({ cpus: 1, memoryMb: 2048, extra: ["--a"] });
    expect(resourcesFor(p.get("y"), p.resources)).toMatchObject({
      cpus: 4,
      memoryMb: 2048,
      extra: ["--a", "--b"],
    });
    expect(resourcesFor(p.get("z"), p.resources)).toBe(p.resources);
    expect(new Pipeline([plain]).resources).toBeUndefined();
    // Kept by derived pipelines.
    expect(p.withDefaults({ n: 2 }).resources).toEqual(p.resources);

    const e = caught(
      () => new Pipeline([plain], { name: "sweep", resources: { time: "forever" } }),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(e.option).toBe("resources.time");
    expect(e.message).toContain('The resources of pipeline "sweep" have time "forever"');
    const f = caught(
      () => new Pipeline([plain], { resources: (() => ({ cpus: 1 })) as never }),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(f.message).toContain('The resources of pipeline "pipeline" are a function');
  });
});

describe("nested functions' resources", () => {
  const a = pipefunc(
    { output: "y", mapspec: "x[i] -> y[i]", resources: { cpus: 2, memory: "1GB", extra: ["--a"] } },
    ({ x }: { x: number }) => x + 1,
  );
  const b = pipefunc(
    {
      output: "z",
      mapspec: "y[i] -> z[i]",
      resources: { cpus: 1, time: "1:00:00", extra: ["--a", "--b"] },
    },
    ({ y }: { y: number }) => y * 2,
  );

  it("need the most of what any part needs, every part's flags, unless given their own", () => {
    const nested = new Pipeline([a, b]).nest(["y", "z"], "yz").get("z") as UntypedPipeFunc;
    expect(resourcesFor(nested, undefined)).toEqual({
      cpus: 2,
      memoryMb: 1024,
      gpus: undefined,
      timeMinutes: 60,
      partition: undefined,
      extra: ["--a", "--b"],
    });
    expect(nested.with({ resources: { cpus: 16 } }).resources).toEqual({ cpus: 16 });
    const plain = pipefunc({ output: "w", mapspec: "x[i] -> w[i]" }, ({ x }: { x: number }) => x);
    expect(
      new Pipeline([
        plain,
        pipefunc({ output: "v", mapspec: "w[i] -> v[i]" }, ({ w }: { w: number }) => w),
      ])
        .nest(["w", "v"])
        .get("v").resources,
    ).toBeUndefined();
  });

  it("evaluate each part's resources function with the arguments that part reads", () => {
    const sized = pipefunc(
      {
        output: "z",
        mapspec: "y[i], k[i] -> z[i]",
        renames: { size: "k" },
        resources: ({ size }: { size?: number }) => ({ cpus: size }),
        resourcesScope: "element",
      },
      ({ y, size }: { y: number; size: number }) => y * size,
    );
    const nested = new Pipeline([a, sized]).nest(["y", "z"], "yz").get("z") as UntypedPipeFunc;
    expect(nested.resourcesScope).toBe("element");
    expect(resourcesFor(nested, undefined, { x: 1, k: 5 })).toMatchObject({
      cpus: 5,
      memoryMb: 1024,
    });
    expect(resourcesFor(nested, undefined, { x: 1, k: 1 })).toMatchObject({ cpus: 2 });
    const e = caught(
      () => resourcesFor(nested, undefined, { x: 1, k: -1 }),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(e.message).toContain(
      'The resources of function "z" (what its resources function returned) have cpus -1',
    );
  });

  it("refuse parts on different partitions, naming them", () => {
    const onCpu = a.with({ resources: { partition: "cpu" } });
    const onGpu = b.with({ resources: { partition: "gpu" } });
    const e = caught(
      () => new Pipeline([onCpu, onGpu]).nest(["y", "z"], "yz"),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(e.message).toContain(
      'The functions nested as "yz" ask for different partitions: "y" for "cpu", "z" for "gpu"',
    );
  });
});
