/**
 * Every TypeScript snippet of the README and of the guides in `docs/` compiles with the
 * project's strict settings, runs in a fresh folder, and gives the values, errors and output
 * the document claims next to it (`markdown-suite.ts`; the conventions are described in
 * `readme-blocks.ts`). One test file for all, so they share one type-check program.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describeSnippets, type MarkdownDocument } from "./markdown-suite.ts";

const root = join(import.meta.dirname, "..", "..");
const docs = join(root, "docs");

/** Per guide in `docs/`, the snippets that are type-checked but not run, and why. */
const GUIDES_NOT_RUN: Readonly<Record<string, MarkdownDocument["notRun"]>> = {};

describeSnippets([
  {
    name: "README",
    // PIPEWEAVE_README: another file to check by the same rules (to try the test on a changed copy).
    file: process.env.PIPEWEAVE_README ?? join(root, "README.md"),
    runTwice: true,
    notRun: {
      "Types #1": "shows compile errors, which the type check confirms",
      "Adaptive sweeps #2":
        "a threads sweep of thousands of points with a progress bar; examples/adaptive.ts runs one on threads with a run folder, and its test runs it",
      "Distributed sweeps":
        "needs worker processes; examples/distributed.ts runs the same with two, and its test runs it",
      "On a cluster":
        "needs a SLURM cluster; examples/slurm.ts runs the same on the local one, and its test runs it",
      "Streams for the real world: backoff, rate limits, batches, breakers, Redis workers #2":
        "needs pipeweave worker processes on Redis; test/stream/redis-stage.redis.test.ts runs such stages with two",
    },
  },
  ...readdirSync(docs)
    .filter((name) => name.endsWith(".md"))
    .map((name) => ({
      name: `docs/${name}`,
      file: join(docs, name),
      notRun: GUIDES_NOT_RUN[name] ?? {},
    })),
]);
