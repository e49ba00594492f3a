/**
 * Every TypeScript snippet of the README compiles with the project's strict settings, runs in
 * a fresh folder, and gives the values, errors and output the README claims next to it
 * (`markdown-suite.ts`; the conventions are described in `readme-blocks.ts`).
 */
import { join } from "node:path";
import { describeSnippets } from "./markdown-suite.ts";

describeSnippets([
  {
    name: "README",
    // PIPEWEAVE_README: another file to check by the same rules (to try the test on a changed copy).
    file: process.env.PIPEWEAVE_README ?? join(import.meta.dirname, "..", "..", "README.md"),
    notRun: {
      "Types #1": "shows compile errors, which the type check confirms",
      "Distributed sweeps":
        "needs worker processes; examples/distributed.ts runs the same with two, and its test runs it",
    },
  },
]);
