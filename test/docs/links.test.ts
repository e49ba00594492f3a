/**
 * Every relative link of the README and the guides in `docs/` leads somewhere: to a file of the
 * repository and, with `#anchor`, to a heading of that file (as GitHub makes anchors).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { readFences } from "./readme-blocks.ts";

const root = join(import.meta.dirname, "..", "..");
const documents = [
  join(root, "README.md"),
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => join(root, "docs", name)),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\- _]/gu, "")
    .replace(/ /g, "-");
}

/** The text of `markdown` outside fenced blocks, where a `[x](y)` is a link. */
function prose(markdown: string): string {
  const lines = markdown.split("\n");
  for (const fence of readFences(markdown)) {
    for (let k = fence.line - 2; k < fence.endLine; k++) lines[k] = "";
  }
  return lines.join("\n");
}

function anchors(file: string): Set<string> {
  const text = prose(readFileSync(file, "utf8"));
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!)));
}

describe("links in the documents", () => {
  it("makes anchors as GitHub does", () => {
    expect(anchorOf("Element-wise: `x[i] -> y[i]`")).toBe("element-wise-xi---yi");
    expect(anchorOf("Seeing a pipeline")).toBe("seeing-a-pipeline");
  });

  it.each(documents.map((file) => [relative(root, file), file]))(
    "%s links only to files and headings that exist",
    (_, file) => {
      const broken: string[] = [];
      for (const [, target] of prose(readFileSync(file, "utf8")).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue;
        const [path = "", anchor] = target!.split("#");
        const linked = path === "" ? file : join(dirname(file), path);
        if (!existsSync(linked)) broken.push(`${target}: no file ${relative(root, linked)}`);
        else if (anchor !== undefined && linked.endsWith(".md") && !anchors(linked).has(anchor)) {
          broken.push(`${target}: no heading with that anchor in ${relative(root, linked)}`);
        }
      }
      expect(broken).toEqual([]);
    },
  );
});
