/**
 * The guides in `docs/` are held to the README's rules (`markdown-suite.ts`): every
 * TypeScript snippet compiles, runs, and gives the values and output the guide claims.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describeSnippets, type MarkdownDocument } from "./markdown-suite.ts";

const docs = join(import.meta.dirname, "..", "..", "docs");

/** Per guide, the snippets that are type-checked but not run, and why. */
const NOT_RUN: Readonly<Record<string, MarkdownDocument["notRun"]>> = {
  "mapspec.md": {},
  "streams.md": {},
};

const guides = readdirSync(docs).filter((name) => name.endsWith(".md"));
describeSnippets(
  guides.map((name) => ({
    name: `docs/${name}`,
    file: join(docs, name),
    notRun: NOT_RUN[name] ?? {},
  })),
);
