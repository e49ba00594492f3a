/** `pipeweave viz --format html`: the pipeline's self-contained HTML page on stdout. */
import { describe, expect, it } from "vitest";
import { cli, show } from "./cli.ts";

describe("pipeweave viz --format html", () => {
  it("prints one self-contained HTML page and exits 0", async () => {
    const result = await cli(["viz", "pipelines.ts#arith", "--format", "html"]);
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(result.stdout.trimEnd().endsWith("</html>")).toBe(true);
    expect(result.stdout.match(/<g class="node function"/g)).toHaveLength(2);
    expect(result.stdout).not.toMatch(/https?:\/\//);
    expect(result.stderr).toBe("");
  });
});
