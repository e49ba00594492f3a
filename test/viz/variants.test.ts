import { describe, expect, it } from "vitest";
import { Pipeline, pipefunc } from "../../src/index.ts";

const fast = pipefunc(
  { output: "y", variant: "fast", variantGroup: "solver", name: "fastSolve" },
  ({ x }: { x: number }) => x * 2,
);
const exact = pipefunc(
  { output: "y", variant: "exact", variantGroup: "solver", name: "exactSolve" },
  ({ x }: { x: number }) => x * 2 + 1,
);
const post = pipefunc({ output: "z" }, ({ y }: { y: number }) => y + 100);

describe("views of variant pipelines", () => {
  it("ASCII lists each group and marks the variant run by default", () => {
    const text = new Pipeline([fast, exact, post], { defaultVariant: "exact" }).toAscii();
    expect(text).toContain("variants solver: fast | exact (chosen)");
    expect(text).toContain("variant solver: exact (chosen)");
    expect(text).toMatch(/fastSolve[\s\S]*variant solver: fast /);
    // The two variants are alternatives, drawn with "or" between them.
    expect(text).toMatch(/exactSolve[\s\S]*\n\s+or\n[\s\S]*fastSolve/);
    const open = new Pipeline([fast, exact, post]).toAscii();
    expect(open).toContain("variants solver: fast | exact (choose one)");
  });

  it("Mermaid and DOT draw every variant with its edges, the others dashed in DOT", () => {
    const p = new Pipeline([fast, exact, post], { defaultVariant: { solver: "fast" } });
    const mermaid = p.toMermaid();
    expect(mermaid).toContain("variant solver: fast (chosen)");
    expect(mermaid).toContain("variant solver: exact</i>");
    expect(mermaid.match(/-- "y" -->/g)).toHaveLength(2);
    const dot = p.toDot();
    expect(dot).toMatch(/exactSolve[^\n]*style=dashed/);
    expect(dot).not.toMatch(/fastSolve[^\n]*style=dashed/);
  });

  it("the HTML page shows each variant on its node and in its details", () => {
    const html = new Pipeline([fast, exact, post], { defaultVariant: "fast" }).toHtml();
    expect(html).toContain("variant solver: fast (chosen)");
    expect(html).toContain("variant solver: exact");
    expect(html).toContain('"variant":"solver: fast (chosen)"');
  });

  it("a chosen pipeline shows its variant's label without alternatives", () => {
    const text = new Pipeline([fast, exact, post]).withVariant("exact").toAscii();
    expect(text).toContain("variant solver: exact");
    expect(text).not.toContain("fastSolve");
    expect(text).not.toContain("variants solver");
  });
});
