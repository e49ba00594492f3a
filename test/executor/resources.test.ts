import { describe, expect, it } from "vitest";
import {
  combineResources,
  memoryInMb,
  mergeResources,
  type Resources,
  resourcesKey,
} from "../../src/executor/resources.ts";
import { InvalidOptionError, resolveResources, resourcesFor } from "../../src/index.ts";
import { caught } from "../caught.ts";

const where = 'function "fit"';
const resolve = (r: unknown) => resolveResources(r as Resources, where);

describe("resolveResources", () => {
  it.each([
    ["4GB", 4096],
    ["4gb", 4096],
    ["4G", 4096],
    ["4GiB", 4096],
    [" 4 GB ", 4096],
    ["1.5G", 1536],
    ["500MB", 500],
    ["500M", 500],
    ["500", 500],
    ["512KB", 1],
    ["1025k", 2],
    ["2TB", 2 * 1024 * 1024],
    [750, 750],
    [0.5, 1],
  ])("reads memory %j as %d MB", (memory, mb) => {
    expect(resolve({ memory }).memoryMb).toBe(mb);
  });

  it.each([
    ["90", 90],
    ["45:00", 45],
    ["45:30", 46],
    ["1:30:00", 90],
    ["0:00:30", 1],
    ["2-12", 2 * 1440 + 12 * 60],
    ["2-12:30", 2 * 1440 + 12 * 60 + 30],
    ["2-12:00:00", 2 * 1440 + 12 * 60],
    ["1-0:0:1", 1441],
    [120, 120],
    [0.25, 1],
  ])("reads time %j as %d minutes (SLURM's forms)", (time, minutes) => {
    expect(resolve({ time }).timeMinutes).toBe(minutes);
  });

  it("keeps cpus, gpus, partition and extra flags, and leaves out what is not given", () => {
    expect(
      resolve({ cpus: 4, gpus: 0, partition: "gpu", extra: ["--exclusive", "--constraint=avx2"] }),
    ).toEqual({
      cpus: 4,
      memoryMb: undefined,
      gpus: 0,
      timeMinutes: undefined,
      partition: "gpu",
      extra: ["--exclusive", "--constraint=avx2"],
    });
    expect(resolve({})).toEqual({
      cpus: undefined,
      memoryMb: undefined,
      gpus: undefined,
      timeMinutes: undefined,
      partition: undefined,
      extra: [],
    });
  });

  it.each([
    [{ cpus: -1 }, "resources.cpus", "have cpus -1 (number); expected an integer from 1 up"],
    [{ cpus: 0 }, "resources.cpus", "cpus 0 (number)"],
    [{ cpus: 1.5 }, "resources.cpus", "cpus 1.5 (number)"],
    [{ cpus: "2" }, "resources.cpus", 'cpus "2"; expected an integer from 1 up'],
    [{ gpus: -1 }, "resources.gpus", "gpus -1 (number); expected an integer from 0 up"],
    [{ memory: "4 gigs" }, "resources.memory", 'memory "4 gigs"; expected an amount such as "4GB"'],
    [{ memory: "0MB" }, "resources.memory", 'memory "0MB"'],
    [{ memory: -5 }, "resources.memory", "memory -5 (number)"],
    [{ memory: "4PB" }, "resources.memory", 'memory "4PB"'],
    [
      { time: "1:30:00:00" },
      "resources.time",
      'time "1:30:00:00"; expected a wall time such as "1:30:00"',
    ],
    [{ time: "soon" }, "resources.time", 'time "soon"'],
    [{ time: 0 }, "resources.time", "time 0 (number)"],
    [{ time: "0:00" }, "resources.time", 'time "0:00"'],
    [{ partition: "" }, "resources.partition", 'partition ""; expected a partition\'s name'],
    [
      { extra: "--exclusive" },
      "resources.extra",
      'extra "--exclusive"; expected an array of sbatch flags',
    ],
    [{ extra: ["exclusive"] }, "resources.extra", 'extra ["exclusive"]'],
    [
      { cpu: 2 },
      "resources.cpu",
      'unknown key "cpu"; the keys are cpus, memory, gpus, time, partition and extra',
    ],
    [{ mem: "4GB" }, "resources.mem", 'unknown key "mem"'],
    [null, "resources", "are null; expected an object such as { cpus: 2"],
    [[{ cpus: 1 }], "resources", "are [[object Object] (object)]; expected an object"],
    [4, "resources", "are 4 (number); expected an object"],
    [
      Promise.resolve({ cpus: 1 }),
      "resources",
      "are a promise; a resources function must return them synchronously",
    ],
  ])("refuses %j with an InvalidOptionError naming the function and %s", (bad, option, text) => {
    const e = caught(() => resolve(bad), InvalidOptionError, "E_INVALID_OPTION");
    expect(e.option).toBe(option);
    expect(e.message).toContain('The resources of function "fit"');
    expect(e.message).toContain(text);
  });
});

describe("memoryInMb", () => {
  it("reads amounts, and gives undefined for what is not one", () => {
    expect(memoryInMb("16GB")).toBe(16384);
    expect(memoryInMb(" 2 g")).toBe(2048);
    for (const bad of [
      "",
      "GB",
      "1e3MB",
      "-1GB",
      "4 gigs",
      Number.NaN,
      Number.POSITIVE_INFINITY,
      0,
      null,
    ]) {
      expect(memoryInMb(bad)).toBeUndefined();
    }
  });
});

describe("mergeResources and resourcesFor", () => {
  const defaults = resolve({ cpus: 1, memory: "2GB", partition: "short", extra: ["--a"] });

  it("overlays the pipeline's defaults with the function's own, key by key, joining extra flags", () => {
    const own = resolve({ cpus: 4, extra: ["--b"] });
    expect(mergeResources(defaults, own)).toEqual({
      cpus: 4,
      memoryMb: 2048,
      gpus: undefined,
      timeMinutes: undefined,
      partition: "short",
      extra: ["--a", "--b"],
    });
    expect(mergeResources(undefined, own)).toBe(own);
    expect(mergeResources(defaults, undefined)).toBe(defaults);
  });

  it("evaluates a resources function with the arguments it is given; fixed ones are resolved once", () => {
    const fixed = { name: "fit", resources: { cpus: 2 } };
    expect(resourcesFor(fixed, undefined)).toBe(resourcesFor(fixed, undefined));
    expect(resourcesFor(fixed, defaults)?.cpus).toBe(2);
    expect(resourcesFor({ name: "none", resources: undefined }, defaults)).toBe(defaults);
    const computed = {
      name: "fit",
      resources: ({ n }: { n?: number }) => ({ cpus: n, memory: `${n}GB` }),
    };
    expect(resourcesFor(computed as never, defaults, { n: 3 })).toMatchObject({
      cpus: 3,
      memoryMb: 3072,
      partition: "short",
    });
  });

  it("names the function (and the element) when its resources function throws or returns bad resources", () => {
    const throwing = {
      name: "fit",
      resources: () => {
        throw new RangeError("no size known");
      },
    };
    const e = caught(
      () => resourcesFor(throwing, undefined, {}, [2, 1]),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(e.message).toContain(
      'The resources function of function "fit" at index [2, 1] threw: no size known.',
    );
    expect(e.cause).toBeInstanceOf(RangeError);
    const bad = { name: "fit", resources: () => ({ cpus: -2 }) };
    const b = caught(() => resourcesFor(bad, undefined), InvalidOptionError, "E_INVALID_OPTION");
    expect(b.option).toBe("resources.cpus");
    expect(b.message).toContain(
      'The resources of function "fit" (what its resources function returned) have cpus -2',
    );
    const promised = { name: "fit", resources: async () => ({ cpus: 2 }) };
    expect(
      caught(
        () => resourcesFor(promised as never, undefined),
        InvalidOptionError,
        "E_INVALID_OPTION",
      ).message,
    ).toContain("a promise; a resources function must return them synchronously");
  });
});

describe("combineResources and resourcesKey", () => {
  it("takes the most of each amount over parts, every extra flag once, and their one partition", () => {
    const combined = combineResources(
      [
        { name: "a", resources: resolve({ cpus: 2, memory: "1GB", extra: ["--x"] }) },
        { name: "b", resources: undefined },
        {
          name: "c",
          resources: resolve({ cpus: 1, time: 30, partition: "p", extra: ["--x", "--y"] }),
        },
      ],
      '"a+b+c"',
    );
    expect(combined).toEqual({
      cpus: 2,
      memoryMb: 1024,
      gpus: undefined,
      timeMinutes: 30,
      partition: "p",
      extra: ["--x", "--y"],
    });
    expect(combineResources([{ name: "a", resources: undefined }], "x")).toBeUndefined();
  });

  it("refuses parts on different partitions, naming both", () => {
    const e = caught(
      () =>
        combineResources(
          [
            { name: "a", resources: resolve({ partition: "cpu" }) },
            { name: "b", resources: resolve({ partition: "gpu" }) },
          ],
          '"ab"',
        ),
      InvalidOptionError,
      "E_INVALID_OPTION",
    );
    expect(e.option).toBe("resources.partition");
    expect(e.message).toContain(
      'The functions nested as "ab" ask for different partitions: "a" for "cpu", "b" for "gpu"',
    );
  });

  it("keys equal resources alike", () => {
    expect(resourcesKey(resolve({ cpus: 2, memory: "1GB" }))).toBe(
      resourcesKey(resolve({ memory: 1024, cpus: 2 })),
    );
    expect(resourcesKey(resolve({ cpus: 2 }))).not.toBe(resourcesKey(resolve({ cpus: 3 })));
    expect(resourcesKey(undefined)).toBe("");
  });
});
