/**
 * How the CLI takes a pipeline from `<module>#<export>`, in process: the error class, code and
 * fields a missing module, a missing export and an export that is not a Pipeline give.
 */
import { describe, expect, it } from "vitest";
import { parseTarget } from "../../src/cli/args.ts";
import { loadPipeline } from "../../src/cli/load-module.ts";
import { Pipeline, PipelineModuleError } from "../../src/index.ts";
import { FIXTURES } from "./cli.ts";

async function failure(target: string): Promise<PipelineModuleError> {
  const error = await loadPipeline(parseTarget(target), FIXTURES).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PipelineModuleError);
  return error as PipelineModuleError;
}

describe("loadPipeline", () => {
  it("returns the export of a .ts module relative to the folder given", async () => {
    const pipeline = await loadPipeline(parseTarget("pipelines.ts#arith"), FIXTURES);
    expect(pipeline).toBeInstanceOf(Pipeline);
    expect(await pipeline.run("d", { a: 2, b: 3 })).toBe(15);
  });

  it.each([
    ["nowhere.ts#arith", "nowhere.ts", "arith", [], /Module "nowhere\.ts" not found/],
    [
      "pipelines.ts#arth",
      "pipelines.ts",
      "arth",
      ["answer", "arith", "echo", "failing", "gated", "held", "slow", "sweep"],
      /has no export "arth"\. Did you mean "arith"\?/,
    ],
    [
      "pipelines.ts#answer",
      "pipelines.ts",
      "answer",
      ["answer", "arith", "echo", "failing", "gated", "held", "slow", "sweep"],
      /Export "answer" of module "pipelines\.ts" is not a Pipeline \(got an object\)/,
    ],
  ])(
    "%s: PipelineModuleError naming the module and export",
    async (target, module, name, exports, message) => {
      const error = await failure(target);
      expect(error.code).toBe("E_PIPELINE_MODULE");
      expect(error.name).toBe("PipelineModuleError");
      expect(error.module).toBe(module);
      expect(error.exportName).toBe(name);
      expect(error.exports).toEqual(exports);
      expect(error.message).toMatch(message);
    },
  );
});
