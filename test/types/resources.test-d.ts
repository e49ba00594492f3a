import { describe, expectTypeOf, it } from "vitest";
import {
  type Chunk,
  Node,
  type PipeFunc,
  type PipeFuncOptions,
  Pipeline,
  type PipelineOptions,
  pipefunc,
  type ResolvedResources,
  type Resources,
  type ResourcesOption,
  type ResourcesScope,
  resourcesFor,
} from "../../src/index.ts";
import type { ParsedMapSpec } from "../../src/map/mapspec-types.ts";

describe("resources types", () => {
  it("leave the inferred inputs and outputs alone", () => {
    const f = pipefunc(
      { output: "y", resources: { cpus: 2, memory: "4GB", time: "1:00:00" } },
      ({ x }: { x: number }) => x * 2,
    );
    expectTypeOf(f).toEqualTypeOf<PipeFunc<{ x: number }, { y: number }, null>>();
    expectTypeOf(f.resources).toEqualTypeOf<ResourcesOption | undefined>();
    expectTypeOf(f.resourcesScope).toEqualTypeOf<ResourcesScope>();
  });

  it("type a resources function's arguments as the function's own, each possibly absent", () => {
    const f = pipefunc(
      {
        output: "y",
        mapspec: "x[i] -> y[i]",
        resources: (args) => {
          expectTypeOf(args).toEqualTypeOf<Partial<{ x: number; label: string }>>();
          return { cpus: args.x, partition: args.label };
        },
        resourcesScope: "element",
      },
      ({ x }: { x: number; label: string }) => x,
    );
    expectTypeOf(f).toEqualTypeOf<
      PipeFunc<
        { x: number; label: string },
        { y: number },
        ParsedMapSpec<{ x: ["i"] }, { y: ["i"] }>
      >
    >();
    pipefunc(
      // @ts-expect-error no argument "size"
      { output: "y", resources: ({ size }) => ({ cpus: size }) },
      ({ x }: { x: number }) => x,
    );
  });

  it("accept only the known keys, with their types, and the two scopes", () => {
    expectTypeOf<PipeFuncOptions["resourcesScope"]>().toEqualTypeOf<ResourcesScope | undefined>();
    expectTypeOf<ResourcesScope>().toEqualTypeOf<"map" | "element">();
    expectTypeOf<Resources["memory"]>().toEqualTypeOf<string | number | undefined>();
    // @ts-expect-error cpus are a number
    pipefunc({ output: "y", resources: { cpus: "2" } }, ({ x }: { x: number }) => x);
    // @ts-expect-error unknown key
    pipefunc({ output: "y", resources: { cores: 2 } }, ({ x }: { x: number }) => x);
    // @ts-expect-error extra flags are a list
    pipefunc({ output: "y", resources: { extra: "--exclusive" } }, ({ x }: { x: number }) => x);
    // @ts-expect-error a scope is "map" or "element"
    pipefunc({ output: "y", resourcesScope: "chunk" }, ({ x }: { x: number }) => x);
    // @ts-expect-error a resources function returns resources synchronously
    pipefunc({ output: "y", resources: async () => ({ cpus: 1 }) }, ({ x }: { x: number }) => x);
  });

  it("are accepted by Node, with(), and a pipeline (fixed only)", () => {
    const n = new Node({
      func: (x: number) => x,
      inputs: ["x"],
      outputs: ["y"],
      resources: (inputs) => ({ cpus: Number(inputs.x) }),
      resourcesScope: "map",
    });
    expectTypeOf(n.with({ resources: { gpus: 1 } })).toEqualTypeOf<PipeFunc>();
    expectTypeOf<PipelineOptions["resources"]>().toEqualTypeOf<Resources | undefined>();
    const p = new Pipeline([n], { resources: { memory: 2048 } });
    expectTypeOf(p.resources).toEqualTypeOf<ResolvedResources | undefined>();
    // @ts-expect-error a pipeline's resources are fixed defaults
    new Pipeline([n], { resources: () => ({ cpus: 1 }) });
  });

  it("reach executors resolved, one unit each", () => {
    expectTypeOf<Chunk["resources"]>().toEqualTypeOf<ResolvedResources | undefined>();
    expectTypeOf<ResolvedResources["memoryMb"]>().toEqualTypeOf<number | undefined>();
    expectTypeOf<ResolvedResources["timeMinutes"]>().toEqualTypeOf<number | undefined>();
    const f = pipefunc({ output: "y", resources: { cpus: 1 } }, ({ x }: { x: number }) => x);
    expectTypeOf(resourcesFor(f, undefined, { x: 1 })).toEqualTypeOf<
      ResolvedResources | undefined
    >();
  });
});
